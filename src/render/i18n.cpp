#include "twinrisk/render/i18n.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <mutex>

#include "number_format.hpp"
#include "translation_sources.hpp"
#include "twinrisk/core/error.hpp"

namespace twinrisk::render {

namespace {

using Catalogue = std::map<std::string, std::string, std::less<>>;

void flatten(const YAML::Node& node, const std::string& prefix, Catalogue& out) {
  if (node.IsMap()) {
    for (const auto& entry : node) {
      const auto key = entry.first.as<std::string>();
      flatten(entry.second, prefix.empty() ? key : prefix + "." + key, out);
    }
  } else if (node.IsScalar()) {
    out[prefix] = node.Scalar();
  } else {
    throw Error(ErrorKind::internal, fmt::format("translations: '{}' is neither text nor a group", prefix));
  }
}

const std::map<std::string, Catalogue, std::less<>>& catalogues() {
  static std::once_flag once;
  static std::map<std::string, Catalogue, std::less<>> all;
  std::call_once(once, [] {
    for (const auto& [code, yaml] : detail::translation_sources()) {
      Catalogue catalogue;
      try {
        flatten(YAML::Load(std::string(yaml)), "", catalogue);
      } catch (const YAML::Exception& error) {
        throw Error(ErrorKind::internal, fmt::format("translations/{}.yaml: {}", code, error.what()));
      }
      all.emplace(std::string(code), std::move(catalogue));
    }
  });
  return all;
}

std::string fill(std::string text, const TextValues& values) {
  for (const auto& [key, value] : values) {
    const std::string token = "{" + key + "}";
    for (auto at = text.find(token); at != std::string::npos; at = text.find(token, at + value.size())) {
      text.replace(at, token.size(), value);
    }
  }
  return text;
}

}  // namespace

std::vector<std::string> Translations::available() {
  std::vector<std::string> codes;
  for (const auto& [code, catalogue] : catalogues()) codes.push_back(code);
  return codes;
}

Translations Translations::load(std::string_view option) {
  Translations t;
  const auto codes = available();
  std::string list;
  for (const auto& c : codes) {
    if (!list.empty()) list += ", ";
    list += c;
  }
  std::size_t start = 0;
  while (true) {
    const auto plus = option.find('+', start);
    const std::string code(option.substr(start, plus == std::string_view::npos ? std::string_view::npos : plus - start));
    const auto it = catalogues().find(code);
    if (it == catalogues().end()) {
      throw ConfigError(code.empty() ? fmt::format("'{}' names no language", option) : fmt::format("unknown language '{}'", code),
                        {}, fmt::format("use one of {}, or two joined by + (de+fr)", list));
    }
    if (std::find(t.m_languages.begin(), t.m_languages.end(), code) != t.m_languages.end()) {
      throw ConfigError(fmt::format("language '{}' is named twice in '{}'", code, option));
    }
    t.m_languages.push_back(code);
    t.m_catalogues.push_back(&it->second);
    if (plus == std::string_view::npos) break;
    start = plus + 1;
  }
  if (t.m_languages.size() > 2) {
    throw ConfigError(fmt::format("'{}' names {} languages; a report has one, or two side by side", option, t.m_languages.size()));
  }
  return t;
}

bool Translations::has(std::string_view key) const {
  return std::all_of(m_catalogues.begin(), m_catalogues.end(), [&](const Catalogue* c) { return c->count(key) > 0; });
}

std::vector<std::string> Translations::keys() const {
  std::vector<std::string> out;
  for (const auto& [key, text] : *m_catalogues.front()) out.push_back(key);
  return out;
}

std::string Translations::text(std::size_t language, std::string_view key, const TextValues& values) const {
  const auto& catalogue = *m_catalogues.at(language);
  const auto it = catalogue.find(key);
  if (it == catalogue.end()) {
    throw Error(ErrorKind::internal, fmt::format("translations/{}.yaml has no text for '{}'", m_languages[language], key));
  }
  return fill(it->second, values);
}

std::string Translations::joined(std::string_view key, const TextValues& values, std::string_view separator) const {
  std::string out;
  for (std::size_t i = 0; i < size(); ++i) {
    const auto part = text(i, key, values);
    if (i > 0 && part == text(0, key, values)) continue;  // "N / N", "Zone / Zone": once
    if (i > 0) out += separator;
    out += part;
  }
  return out;
}

std::string Translations::number(double value, int decimals) const {
  return detail::format_number(value, decimals, map_texts());
}

MapTexts Translations::map_texts() const {
  MapTexts t;
  t.legend = joined("map.legend");
  t.scale = joined("map.scale");
  t.crs = joined("map.crs") + ": {name}";  // the name once, after every language's label
  t.north = text(0, "map.north");
  t.page = joined("map.page");
  t.more_rows = joined("map.more_rows");
  t.highlight = joined("map.highlight");
  const auto decimal = text(0, "number.decimal");
  t.decimal_point = decimal.empty() ? '.' : decimal[0];
  t.thousands_separator = text(0, "number.thousands");
  return t;
}

LayerStyle Translations::localise(LayerStyle style) const {
  const std::string prefix = "styles." + style.layer + ".";
  auto translate = [&](std::string& label, const std::string& key) {
    if (has(prefix + key)) label = joined(prefix + key);
  };
  translate(style.title, "title");
  auto rule_key = [](const ClassRule& rule) {
    switch (rule.kind) {
      case ClassRule::Kind::other: return std::string("other");
      case ClassRule::Kind::missing: return std::string("missing");
      case ClassRule::Kind::single: return std::string("title");
      default: return rule.value;
    }
  };
  for (auto& rule : style.classes.values) translate(rule.label, rule_key(rule));
  if (style.classes.other) translate(style.classes.other->label, "other");
  if (style.classes.missing) translate(style.classes.missing->label, "missing");
  for (std::size_t k = 0; k < style.overlays.size(); ++k) translate(style.overlays[k].label, fmt::format("outline_{}", k));
  if (style.borders) translate(style.borders->label, "borders");
  return style;
}

namespace detail {

std::string format_number(double value, int decimals, const MapTexts& texts) {
  if (!std::isfinite(value)) return "–";
  std::string digits;
  if (decimals < 0) {
    digits = fmt::format("{:.6f}", value);
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    if (!digits.empty() && digits.back() == '.') digits.pop_back();
  } else {
    digits = fmt::format("{:.{}f}", value, decimals);
  }
  if (digits == "-0") digits = "0";
  const bool negative = !digits.empty() && digits[0] == '-';
  if (negative) digits.erase(0, 1);
  const auto point = digits.find('.');
  std::string integer = digits.substr(0, point), fraction = point == std::string::npos ? "" : digits.substr(point + 1);
  std::string grouped;
  for (std::size_t i = 0; i < integer.size(); ++i) {
    if (i > 0 && (integer.size() - i) % 3 == 0) grouped += texts.thousands_separator;
    grouped += integer[i];
  }
  std::string out = negative ? "−" : "";
  out += grouped;
  if (!fraction.empty()) {
    out += texts.decimal_point;
    out += fraction;
  }
  return out;
}

}  // namespace detail

}  // namespace twinrisk::render
