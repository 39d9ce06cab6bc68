#include "twinrisk/core/redact.hpp"

#include <cctype>

namespace twinrisk {
namespace {

// Scanners, not std::regex: libstdc++'s regex recurses once per character and overflows the
// stack on a long value (a 300 kB "password='…" crashed twinrisk), and messages carry user text.

bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

bool keyword_at(std::string_view text, std::size_t at, std::string_view keyword) {
  if (text.size() - at < keyword.size()) return false;
  for (std::size_t k = 0; k < keyword.size(); ++k) {
    if (std::tolower(static_cast<unsigned char>(text[at + k])) != keyword[k]) return false;
  }
  return true;
}

// libpq: keyword = value, the value either quoted ('…' with \' and \\ escapes, maybe unclosed)
// or up to white space or a quote.
std::string redact_keywords(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t length = 0;
    if (i == 0 || !is_word(text[i - 1])) {
      if (keyword_at(text, i, "password")) length = 8;
      else if (keyword_at(text, i, "pwd")) length = 3;
    }
    std::size_t value = i + length;
    while (length && value < text.size() && is_space(text[value])) ++value;
    if (!length || value >= text.size() || text[value] != '=') {
      out += text[i++];
      continue;
    }
    ++value;
    while (value < text.size() && is_space(text[value])) ++value;
    out.append(text.substr(i, value - i));
    out += "***";
    if (value < text.size() && text[value] == '\'') {
      ++value;
      while (value < text.size() && text[value] != '\'') value += text[value] == '\\' ? 2 : 1;
      value = std::min(value + 1, text.size());
    } else {
      while (value < text.size() && !is_space(text[value]) && text[value] != '\'' && text[value] != '"') ++value;
    }
    i = value;
  }
  return out;
}

// URI: scheme://user:password@host.
std::string redact_uris(std::string_view text) {
  std::string out;
  std::size_t done = 0;
  for (auto scheme_end = text.find("://"); scheme_end != std::string_view::npos;
       scheme_end = text.find("://", scheme_end + 3)) {
    const std::size_t user = scheme_end + 3;
    std::size_t colon = user;
    while (colon < text.size() && text[colon] != ':' && text[colon] != '/' && text[colon] != '@' && !is_space(text[colon])) {
      ++colon;
    }
    if (colon >= text.size() || text[colon] != ':') continue;
    std::size_t at = colon + 1;
    while (at < text.size() && text[at] != '@' && !is_space(text[at])) ++at;
    if (at >= text.size() || text[at] != '@' || colon + 1 < done) continue;
    out.append(text.substr(done, colon + 1 - done));
    out += "***";
    done = at;
  }
  out.append(text.substr(std::min(done, text.size())));
  return out;
}

}  // namespace

std::string redact_secrets(std::string_view text) { return redact_uris(redact_keywords(text)); }

}  // namespace twinrisk
