#include "twinrisk/core/redact.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

namespace twinrisk {

std::string redact_secrets(std::string_view text) {
  // Cheap test first: almost every message has no secret in it.
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.find("password") == std::string::npos && lower.find("://") == std::string::npos &&
      lower.find("pwd") == std::string::npos) {
    return std::string(text);
  }
  // libpq: keyword = value, the value either quoted ('…' with \' and \\ escapes) or up to white space.
  static const std::regex keyword(R"((\b(?:password|pwd)\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s'"]*))", std::regex::icase);
  // URI: scheme://user:password@host
  static const std::regex uri(R"((\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)([^@\s]*)(@))", std::regex::icase);
  std::string out = std::regex_replace(std::string(text), keyword, "$1***");
  return std::regex_replace(out, uri, "$1***$3");
}

}  // namespace twinrisk
