#include "twinrisk/render/style.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/text.hpp"
#include "builtin_styles.hpp"

namespace twinrisk::render {

namespace {

ErrorContext at(const std::string& file, const YAML::Node& node) {
  ErrorContext context;
  context.file = file;
  if (node.Mark().line >= 0) context.line = node.Mark().line + 1;
  return context;
}

SourceLine where_of(const std::string& file, const YAML::Node& node) {
  SourceLine where{file, {}};
  if (node.Mark().line >= 0) where.line = node.Mark().line + 1;
  return where;
}

std::string text(const YAML::Node& node, const std::string& file, std::string_view what) {
  if (!node.IsScalar()) throw ConfigError(fmt::format("{} must be a single value", what), at(file, node));
  return node.Scalar();
}

double number(const YAML::Node& node, const std::string& file, std::string_view what, double min, double max) {
  const auto s = text(node, file, what);
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) {
    throw ConfigError(fmt::format("{} must be a number, not '{}'", what, s), at(file, node));
  }
  if (value < min || value > max) {
    throw ConfigError(fmt::format("{} must be between {} and {}, not {}", what, min, max, s), at(file, node));
  }
  return value;
}

bool boolean(const YAML::Node& node, const std::string& file, std::string_view what) {
  const auto s = text(node, file, what);
  if (s == "true" || s == "yes") return true;
  if (s == "false" || s == "no") return false;
  throw ConfigError(fmt::format("{} must be true or false, not '{}'", what, s), at(file, node));
}

Colour colour(const YAML::Node& node, const std::string& file, std::string_view what) {
  return Colour::parse(text(node, file, what), at(file, node));
}

constexpr std::array<std::string_view, 7> kSymbolKeys = {
    "fill", "fill_opacity", "stroke", "stroke_width_mm", "stroke_opacity", "dash_mm", "marker_size_mm"};

// Reads the symbol keys present in `node` over `symbol` (so classes inherit the layer's symbol).
void read_symbol(const YAML::Node& node, Symbol& symbol, const std::string& file) {
  if (auto n = node["fill"]) {
    if (n.IsScalar() && n.Scalar() == "none") symbol.fill.reset();
    else symbol.fill = colour(n, file, "fill");
  }
  if (auto n = node["fill_opacity"]) symbol.fill_opacity = number(n, file, "fill_opacity", 0, 1);
  if (auto n = node["stroke"]) {
    if (n.IsScalar() && n.Scalar() == "none") symbol.stroke.reset();
    else symbol.stroke = colour(n, file, "stroke");
  }
  if (auto n = node["stroke_width_mm"]) symbol.stroke_width_mm = number(n, file, "stroke_width_mm", 0, 20);
  if (auto n = node["stroke_opacity"]) symbol.stroke_opacity = number(n, file, "stroke_opacity", 0, 1);
  if (auto n = node["dash_mm"]) {
    if (!n.IsSequence() || n.size() % 2 != 0) {
      throw ConfigError("dash_mm must be a list of dash and gap lengths, e.g. [2, 1]", at(file, n));
    }
    symbol.dash_mm.clear();
    for (const auto& d : n) symbol.dash_mm.push_back(number(d, file, "dash_mm", 0.05, 100));
  }
  if (auto n = node["marker_size_mm"]) symbol.marker_size_mm = number(n, file, "marker_size_mm", 0.1, 50);
}

std::vector<std::string_view> keys_with(std::initializer_list<std::string_view> extra) {
  std::vector<std::string_view> keys(kSymbolKeys.begin(), kSymbolKeys.end());
  keys.insert(keys.end(), extra.begin(), extra.end());
  return keys;
}

// Rejects keys a style does not know, so a typo is an error and not a silently ignored line.
void check_keys(const YAML::Node& map, const std::vector<std::string_view>& known, const std::string& file,
                std::string_view what) {
  if (!map.IsMap()) throw ConfigError(fmt::format("{} must be a mapping", what), at(file, map));
  for (const auto& entry : map) {
    const auto key = entry.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string list;
      for (auto k : known) { if (!list.empty()) list += ", "; list += std::string(k); }
      throw ConfigError(fmt::format("unknown key '{}' in {}", key, what), at(file, entry.first),
                        fmt::format("use one of: {}", list));
    }
  }
}

ClassRule read_rule(const YAML::Node& node, ClassRule::Kind kind, const Symbol& base, const std::string& file,
                    std::string_view what) {
  check_keys(node, keys_with({"value", "label"}), file, what);
  ClassRule rule;
  rule.kind = kind;
  rule.symbol = base;
  if (kind == ClassRule::Kind::value) {
    if (!node["value"]) throw ConfigError(fmt::format("{} needs a value", what), at(file, node));
    rule.value = text(node["value"], file, "value");
  } else if (node["value"]) {
    throw ConfigError(fmt::format("{} takes no value", what), at(file, node["value"]));
  }
  if (!node["label"]) throw ConfigError(fmt::format("{} needs a label for the legend", what), at(file, node));
  rule.label = text(node["label"], file, "label");
  read_symbol(node, rule.symbol, file);
  return rule;
}

Condition read_condition(const YAML::Node& node, const std::string& file) {
  check_keys(node, {"field", "equals", "not_equals", "empty"}, file, "when");
  Condition condition;
  if (!node["field"]) throw ConfigError("when needs a field", at(file, node));
  condition.field = text(node["field"], file, "field");
  condition.where = where_of(file, node["field"]);
  int tests = 0;
  if (auto n = node["equals"]) condition.test = Condition::Test::equals, condition.value = text(n, file, "equals"), ++tests;
  if (auto n = node["not_equals"]) {
    condition.test = Condition::Test::not_equals, condition.value = text(n, file, "not_equals"), ++tests;
  }
  if (auto n = node["empty"]) {
    condition.test = boolean(n, file, "empty") ? Condition::Test::empty : Condition::Test::not_empty, ++tests;
  }
  if (tests != 1) throw ConfigError("when needs exactly one of equals, not_equals, empty", at(file, node));
  return condition;
}

GeometryFamily geometry_of(const YAML::Node& node, const std::string& file) {
  const auto s = text(node, file, "geometry");
  if (s == "polygon") return GeometryFamily::polygon;
  if (s == "line") return GeometryFamily::line;
  if (s == "point") return GeometryFamily::point;
  if (s == "mixed") return GeometryFamily::any;  // points, lines and polygons in one layer
  throw ConfigError(fmt::format("geometry must be polygon, line, point or mixed, not '{}'", s), at(file, node));
}

std::string value_text(const Value& value) { return to_display_string(value); }

bool values_equal(const Value& value, const std::string& expected) {
  if (std::holds_alternative<std::monostate>(value)) return false;
  const auto expected_number = as_number(expected);
  if (expected_number) {
    if (const auto* i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i) == *expected_number;
    if (const auto* d = std::get_if<double>(&value)) return *d == *expected_number;
    if (auto n = as_number(std::get<std::string>(value))) return *n == *expected_number;
  }
  return value_text(value) == expected;
}

bool is_missing(const Value& value) {
  if (std::holds_alternative<std::monostate>(value)) return true;
  const auto* s = std::get_if<std::string>(&value);
  return s && s->empty();
}

std::string qgis_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "''";
    else out += c;
  }
  return out + "'";
}

}  // namespace

// ---------------------------------------------------------------- colours and palettes

Colour Colour::parse(std::string_view text, const ErrorContext& where) {
  auto hex_digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  const bool shape_ok = (text.size() == 7 || text.size() == 4) && text[0] == '#' &&
                        std::all_of(text.begin() + 1, text.end(), [&](char c) { return hex_digit(c) >= 0; });
  if (!shape_ok) throw ConfigError(fmt::format("'{}' is not a colour", text), where, "write it as #rrggbb, e.g. #2c7fb8");
  Colour c;
  if (text.size() == 7) {
    c.r = static_cast<std::uint8_t>(hex_digit(text[1]) * 16 + hex_digit(text[2]));
    c.g = static_cast<std::uint8_t>(hex_digit(text[3]) * 16 + hex_digit(text[4]));
    c.b = static_cast<std::uint8_t>(hex_digit(text[5]) * 16 + hex_digit(text[6]));
  } else {
    c.r = static_cast<std::uint8_t>(hex_digit(text[1]) * 17);
    c.g = static_cast<std::uint8_t>(hex_digit(text[2]) * 17);
    c.b = static_cast<std::uint8_t>(hex_digit(text[3]) * 17);
  }
  return c;
}

std::string Colour::hex() const { return fmt::format("#{:02x}{:02x}{:02x}", r, g, b); }
std::string Colour::qgis() const { return fmt::format("{},{},{},255", r, g, b); }

std::optional<std::vector<Colour>> palette(std::string_view name, std::size_t count) {
  // Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision
  // deficiency. Black is left out (it is the colour of borders and outlines on our maps).
  static const std::map<std::string, std::vector<std::string_view>, std::less<>> palettes = {
      {"okabe-ito", {"#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7"}},
      // ColorBrewer YlGnBu (Brewer, Penn State): sequential, light to dark, colour-blind safe.
      {"ylgnbu-3", {"#edf8b1", "#7fcdbb", "#2c7fb8"}},
      {"ylgnbu-4", {"#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"}},
      {"ylgnbu-5", {"#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"}},
      {"ylgnbu-6", {"#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"}},
      {"ylgnbu-7", {"#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"}},
  };
  std::string key(name);
  if (name == "ylgnbu") key = fmt::format("ylgnbu-{}", std::clamp<std::size_t>(count, 3, 7));
  auto it = palettes.find(key);
  if (it == palettes.end()) return std::nullopt;
  std::vector<Colour> colours;
  for (auto hex : it->second) colours.push_back(Colour::parse(hex));
  return colours;
}

// ---------------------------------------------------------------- conditions

bool Condition::matches(const Value& v) const {
  switch (test) {
    case Test::equals: return values_equal(v, value);
    case Test::not_equals: return !is_missing(v) && !values_equal(v, value);
    case Test::empty: return is_missing(v);
    case Test::not_empty: return !is_missing(v);
  }
  return false;
}

std::string Condition::qgis_expression() const {
  const std::string f = "\"" + field + "\"";
  // QGIS compares '1' and 1 as numbers, like matches(); the quoted form also suits text fields.
  switch (test) {
    case Test::equals: return fmt::format("{} = {}", f, qgis_quote(value));
    case Test::not_equals: return fmt::format("{} IS NOT NULL AND {} <> '' AND {} <> {}", f, f, f, qgis_quote(value));
    case Test::empty: return fmt::format("{} IS NULL OR {} = ''", f, f);
    case Test::not_empty: return fmt::format("{} IS NOT NULL AND {} <> ''", f, f);
  }
  return {};
}

bool Overlay::matches(const Layer& layer, const Feature& feature) const {
  return std::all_of(when.begin(), when.end(), [&](const Condition& condition) {
    const auto field = layer.field_index(condition.field);
    return field && condition.matches(feature.values[*field]);
  });
}

std::string Overlay::qgis_expression() const {
  if (when.size() == 1) return when.front().qgis_expression();
  std::string out;
  for (const auto& condition : when) {
    if (!out.empty()) out += " AND ";
    out += fmt::format("({})", condition.qgis_expression());
  }
  return out;
}

// ---------------------------------------------------------------- parsing

std::vector<std::pair<std::string, SourceLine>> LayerStyle::fields() const {
  std::vector<std::pair<std::string, SourceLine>> out;
  if (!classes.field.empty()) out.emplace_back(classes.field, classes.field_where);
  for (const auto& overlay : overlays) {
    for (const auto& condition : overlay.when) out.emplace_back(condition.field, condition.where);
  }
  if (label) out.emplace_back(label->field, label->field_where);
  if (borders) out.emplace_back(borders->by, borders->by_where);
  return out;
}

LayerStyle parse_style(std::string_view yaml, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& error) {
    ErrorContext context;
    context.file = source;
    if (error.mark.line >= 0) context.line = error.mark.line + 1;
    throw ConfigError("not a valid YAML document: " + error.msg, context);
  }
  check_keys(root, {"layer", "title", "geometry", "draw_order", "context", "symbol", "classes", "outlines", "label", "borders"},
             source, "a style");
  LayerStyle style;
  style.source = source;
  if (!root["layer"]) throw ConfigError("a style needs 'layer': the layer it draws", at(source, root));
  style.layer = text(root["layer"], source, "layer");
  style.title = root["title"] ? text(root["title"], source, "title") : style.layer;
  if (root["geometry"]) style.geometry = geometry_of(root["geometry"], source);
  if (root["context"]) style.context = boolean(root["context"], source, "context");
  if (root["draw_order"]) style.draw_order = static_cast<int>(number(root["draw_order"], source, "draw_order", 0, 1000));

  Symbol base;
  if (style.geometry == GeometryFamily::line) base.stroke = Colour{0x33, 0x33, 0x33};
  else base.fill = Colour{0xbd, 0xbd, 0xbd};
  if (auto n = root["symbol"]) {
    check_keys(n, keys_with({}), source, "symbol");
    read_symbol(n, base, source);
  }

  if (auto n = root["classes"]) {
    check_keys(n, {"field", "values", "palette", "label", "other", "missing"}, source, "classes");
    auto& c = style.classes;
    if (!n["field"]) throw ConfigError("classes needs a field", at(source, n));
    c.field = text(n["field"], source, "classes.field");
    c.field_where = where_of(source, n["field"]);
    auto values = n["values"];
    if (!values) throw ConfigError("classes needs values: a list, or auto", at(source, n));
    if (values.IsScalar() && values.Scalar() == "auto") {
      c.automatic = true;
      c.symbol = base;
      if (n["palette"]) c.palette = text(n["palette"], source, "palette");
      if (!palette(c.palette)) {
        throw ConfigError(fmt::format("unknown palette '{}'", c.palette), at(source, n["palette"]),
                          "use okabe-ito (categories) or ylgnbu (ordered classes)");
      }
      if (n["label"]) c.label_template = text(n["label"], source, "classes.label");
    } else if (values.IsSequence()) {
      if (n["palette"]) throw ConfigError("palette is for values: auto; give each listed value its colour", at(source, n["palette"]));
      std::set<std::string> seen;
      for (const auto& entry : values) {
        auto rule = read_rule(entry, ClassRule::Kind::value, base, source, "a class");
        if (!seen.insert(rule.value).second) {
          throw ConfigError(fmt::format("class value '{}' is listed twice", rule.value), at(source, entry));
        }
        c.values.push_back(std::move(rule));
      }
    } else {
      throw ConfigError("classes.values must be a list of classes, or auto", at(source, values));
    }
    if (auto o = n["other"]) c.other = read_rule(o, ClassRule::Kind::other, base, source, "classes.other");
    if (auto m = n["missing"]) c.missing = read_rule(m, ClassRule::Kind::missing, base, source, "classes.missing");
  } else {
    ClassRule single;
    single.kind = ClassRule::Kind::single;
    single.label = style.title;
    single.symbol = base;
    style.classes.values.push_back(single);
  }

  if (auto n = root["outlines"]) {
    if (!n.IsSequence()) throw ConfigError("outlines must be a list", at(source, n));
    // An outline is a line over a line or around an area; on a mixed layer it would be each, and
    // nothing on its points.
    if (style.geometry == GeometryFamily::any) throw ConfigError("outlines are drawn on lines or polygons, not on a mixed layer", at(source, n));
    for (const auto& entry : n) {
      check_keys(entry, keys_with({"label", "when"}), source, "an outline");
      Overlay overlay;
      if (!entry["label"] || !entry["when"]) throw ConfigError("an outline needs a label and a when", at(source, entry));
      overlay.label = text(entry["label"], source, "label");
      if (entry["when"].IsSequence()) {
        for (const auto& condition : entry["when"]) overlay.when.push_back(read_condition(condition, source));
        if (overlay.when.empty()) throw ConfigError("when needs at least one condition", at(source, entry["when"]));
      } else {
        overlay.when.push_back(read_condition(entry["when"], source));
      }
      overlay.symbol.fill.reset();
      overlay.symbol.stroke = Colour{0, 0, 0};
      read_symbol(entry, overlay.symbol, source);
      if (overlay.symbol.fill) throw ConfigError("an outline draws no fill", at(source, entry["fill"]));
      style.overlays.push_back(std::move(overlay));
    }
  }

  if (auto n = root["label"]) {
    check_keys(n, {"field", "size_pt", "bold", "italic", "colour", "halo", "halo_mm", "min_chars"}, source, "label");
    LabelStyle label;
    if (!n["field"]) throw ConfigError("label needs a field", at(source, n));
    label.field = text(n["field"], source, "label.field");
    label.field_where = where_of(source, n["field"]);
    if (auto v = n["size_pt"]) label.size_pt = number(v, source, "size_pt", 3, 72);
    if (auto v = n["bold"]) label.bold = boolean(v, source, "bold");
    if (auto v = n["italic"]) label.italic = boolean(v, source, "italic");
    if (auto v = n["colour"]) label.colour = colour(v, source, "colour");
    if (auto v = n["halo"]) label.halo = colour(v, source, "halo");
    if (auto v = n["halo_mm"]) label.halo_mm = number(v, source, "halo_mm", 0, 5);
    if (auto v = n["min_chars"]) label.min_chars = number(v, source, "min_chars", 0, 100);
    style.label = label;
  }

  if (auto n = root["borders"]) {
    check_keys(n, keys_with({"by", "label"}), source, "borders");
    BorderStyle borders;
    if (!n["by"] || !n["label"]) throw ConfigError("borders needs by (a field) and a label", at(source, n));
    borders.by = text(n["by"], source, "borders.by");
    borders.by_where = where_of(source, n["by"]);
    borders.label = text(n["label"], source, "label");
    borders.symbol.fill.reset();
    borders.symbol.stroke = Colour{0, 0, 0};
    borders.symbol.stroke_width_mm = 0.7;
    read_symbol(n, borders.symbol, source);
    if (style.geometry != GeometryFamily::polygon) throw ConfigError("borders are drawn between polygons only", at(source, n));
    style.borders = borders;
  }
  return style;
}

LayerStyle load_style(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    ErrorContext context;
    context.file = file.string();
    throw ConfigError("cannot read the style file", context);
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_style(buffer.str(), file.string());
}

std::vector<std::string> builtin_style_names() {
  std::vector<std::string> names;
  for (const auto& entry : detail::builtin_style_sources()) names.emplace_back(entry.first);
  return names;
}

std::optional<LayerStyle> builtin_style(std::string_view layer) {
  for (const auto& [name, yaml] : detail::builtin_style_sources()) {
    if (name == layer) return parse_style(yaml, fmt::format("styles/{}.yaml", name));
  }
  return std::nullopt;
}

namespace {

std::optional<LayerStyle> builtin_style_of(const Layer& layer) {
  if (!layer.style.empty()) {
    if (auto style = builtin_style(layer.style)) return style;
  }
  if (auto style = builtin_style(layer.name)) return style;
  // `as: NAME` prefixes a step's outputs: NAME_zones is styled like zones.
  for (const auto& name : builtin_style_names()) {
    if (layer.name.size() > name.size() + 1 && layer.name.ends_with("_" + name)) return builtin_style(name);
  }
  if (layer.role != Role::result && layer.role != Role::features) return builtin_style(to_string(layer.role));
  return std::nullopt;
}

}  // namespace

std::optional<LayerStyle> style_for(const Layer& layer) {
  auto style = builtin_style_of(layer);
  // A role's optional field (a river's name) may be missing: then the layer is drawn without labels.
  if (style && style->label && !layer.field_index(style->label->field)) style->label.reset();
  return style;
}

void validate_style(const LayerStyle& style, const Layer& layer) {
  for (const auto& [field, where] : style.fields()) {
    if (layer.field_index(field)) continue;
    std::string names;
    for (const auto& f : layer.fields) { if (!names.empty()) names += ", "; names += f.name; }
    ErrorContext context;
    context.file = where.file;
    context.line = where.line;
    context.layer = layer.name;
    throw ConfigError(fmt::format("the style reads field '{}', which layer '{}' does not have (fields: {})", field,
                                  layer.name, names.empty() ? "none" : names),
                      context, "name one of the layer's fields in the style");
  }
  const bool fits = style.geometry == layer.geometry || layer.geometry == GeometryFamily::any ||
                    style.geometry == GeometryFamily::any;
  if (!fits) {
    ErrorContext context;
    context.file = style.source;
    context.layer = layer.name;
    throw ConfigError(fmt::format("the style draws {}s, but layer '{}' holds {}s", to_string(style.geometry),
                                  layer.name, to_string(layer.geometry)),
                      context, "use a style written for this geometry");
  }
}

// ---------------------------------------------------------------- classification

Symbol marker_as_line(const Symbol& marker) {
  Symbol line;
  line.stroke = marker.fill.value_or(Colour{});
  line.stroke_opacity = marker.fill ? marker.fill_opacity : 1.0;
  line.stroke_width_mm = marker.marker_size_mm / 3;
  return line;
}

Symbol marker_as_line_edge(const Symbol& marker) {
  Symbol edge = marker_as_line(marker);
  if (!marker.stroke) {
    edge.stroke.reset();
    return edge;
  }
  edge.stroke = marker.stroke;
  edge.stroke_opacity = marker.stroke_opacity;
  edge.stroke_width_mm += 2 * marker.stroke_width_mm;
  return edge;
}

std::vector<ClassRule> static_rules(const LayerStyle& style) {
  std::vector<ClassRule> rules = style.classes.values;
  if (style.classes.other) rules.push_back(*style.classes.other);
  if (style.classes.missing) rules.insert(rules.begin(), *style.classes.missing);
  return rules;
}

Classified classify(const LayerStyle& style, const Layer& layer) {
  validate_style(style, layer);
  Classified out;
  const auto& c = style.classes;
  out.rule_of.assign(layer.features.size(), -1);
  if (c.field.empty()) {
    out.rules = c.values;
    std::fill(out.rule_of.begin(), out.rule_of.end(), 0);
    out.count.assign(out.rules.size(), layer.features.size());
    return out;
  }
  const std::size_t field = *layer.field_index(c.field);
  // Rules in draw order: missing values at the bottom, then the classes, then other values.
  if (c.missing) out.rules.push_back(*c.missing);
  const int missing_rule = c.missing ? 0 : -1;
  const int first_value = static_cast<int>(out.rules.size());
  if (c.automatic) {
    std::set<std::string, decltype(&value_less)> present(&value_less);
    for (const auto& feature : layer.features) {
      const auto& v = feature.values[field];
      if (!is_missing(v)) present.insert(value_text(v));
    }
    const auto colours = *palette(c.palette, present.size());
    std::size_t i = 0;
    for (const auto& value : present) {
      ClassRule rule;
      rule.value = value;
      rule.label = c.label_template;
      if (auto at = rule.label.find("{value}"); at != std::string::npos) rule.label.replace(at, 7, value);
      rule.symbol = c.symbol;
      if (style.geometry == GeometryFamily::line) rule.symbol.stroke = colours[i % colours.size()];
      else rule.symbol.fill = colours[i % colours.size()];
      out.rules.push_back(std::move(rule));
      ++i;
    }
  } else {
    out.rules.insert(out.rules.end(), c.values.begin(), c.values.end());
  }
  const int other_rule = c.other && !c.automatic ? static_cast<int>(out.rules.size()) : -1;
  if (other_rule >= 0) out.rules.push_back(*c.other);
  out.count.assign(out.rules.size(), 0);

  // Exact text first (the common case), then numeric equality ("1" == 1.0).
  std::map<std::string, int> by_text;
  for (int r = first_value; r < first_value + static_cast<int>(c.automatic ? out.rules.size() - first_value : c.values.size()); ++r) {
    by_text.emplace(out.rules[r].value, r);
  }
  for (std::size_t i = 0; i < layer.features.size(); ++i) {
    const auto& v = layer.features[i].values[field];
    int rule = -1;
    if (is_missing(v)) {
      rule = missing_rule;
    } else if (auto it = by_text.find(value_text(v)); it != by_text.end()) {
      rule = it->second;
    } else {
      for (const auto& [value, r] : by_text) {
        if (values_equal(v, value)) {
          rule = r;
          break;
        }
      }
      if (rule < 0) rule = other_rule;
    }
    out.rule_of[i] = rule;
    if (rule >= 0) ++out.count[static_cast<std::size_t>(rule)];
  }
  return out;
}

}  // namespace twinrisk::render
