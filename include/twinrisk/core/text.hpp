#pragma once
// Text that crosses a trust boundary: UTF-8 checks for what is read, encodings for what is
// written (id lists, spreadsheet cells, JSON).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace twinrisk {

// The byte offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), or nullopt.
std::optional<std::size_t> first_invalid_utf8(std::string_view text);
inline bool is_valid_utf8(std::string_view text) { return !first_invalid_utf8(text); }

// Id lists (`municipalities`, `countries`, `partner_municipalities`) join ids with ';'. An id that
// holds ';' or '\' has each escaped with a backslash, so `A\;B;C` is the two ids "A;B" and "C".
constexpr char kListSeparator = ';';
std::string escape_list_item(std::string_view item);
// Items already escaped, joined with ';'.
std::string join_escaped(const std::vector<std::string_view>& escaped_items);
// The inverse of join_escaped(escape_list_item(…)…): the ids of a list.
std::vector<std::string> split_list(std::string_view list);

// A text cell a spreadsheet could take for a formula (OWASP, CSV injection): it starts with
// = + - @ tab or CR — unless it is a plain decimal number such as -3.5 or +1e-3.
bool looks_like_formula(std::string_view cell);

// JSON text that never throws: invalid UTF-8 (a Latin-1 file name) is replaced by U+FFFD.
std::string json_text(const nlohmann::json& value, int indent = -1);

// XML 1.0 text and attribute values: the five specials escaped, control characters other than
// tab, newline and carriage return (which XML forbids even escaped) left out.
std::string xml_escape(std::string_view text);

// The whole text as a number ("2", "-0.5", "1e3"), or nullopt.
std::optional<double> as_number(std::string_view text);
// The order of class values in maps and styles: numbers as numbers ("2" < "10"), numbers before
// other text, text by bytes.
bool value_less(const std::string& a, const std::string& b);

}  // namespace twinrisk
