#pragma once
// XML text for the generated QML and Mapnik styles.

#include <string>
#include <string_view>

namespace twinrisk::render::detail {

// Escapes the five XML specials, for attribute values and text alike.
inline std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace twinrisk::render::detail
