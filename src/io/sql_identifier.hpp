#pragma once
// An SQL identifier (a table, column or trigger name) in double quotes, any quote in it doubled.

#include <string>

namespace twinrisk::io {

inline std::string sql_identifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

}  // namespace twinrisk::io
