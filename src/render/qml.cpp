#include "twinrisk/render/qml.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>

#include "xml.hpp"

namespace twinrisk::render {

namespace {

using detail::xml_escape;

std::string rgba(const Colour& c, double opacity) {
  return fmt::format("{},{},{},{}", c.r, c.g, c.b, static_cast<int>(std::lround(opacity * 255)));
}

std::string option(std::string_view name, std::string_view value) {
  return fmt::format(R"(<Option name="{}" type="QString" value="{}"/>)", name, xml_escape(value));
}

std::string dash_text(const std::vector<double>& dash_mm) {
  std::string out;
  for (double d : dash_mm) { if (!out.empty()) out += ";"; out += fmt::format("{}", d); }
  return out;
}

// A data-defined property block; no properties gives the empty collection QGIS writes itself.
std::string data_defined(const std::vector<std::pair<std::string_view, std::string>>& properties) {
  std::string props;
  for (const auto& [property, expression] : properties) {
    if (expression.empty()) continue;
    props += fmt::format(R"(<Option name="{}" type="Map"><Option name="active" type="bool" value="true"/>)"
                         R"({}<Option name="type" type="int" value="3"/></Option>)",
                         property, option("expression", expression));
  }
  props = props.empty() ? std::string(R"(<Option name="properties"/>)")
                        : fmt::format(R"(<Option name="properties" type="Map">{}</Option>)", props);
  return fmt::format(R"(<data_defined_properties><Option type="Map">{}{}{}</Option></data_defined_properties>)",
                     option("name", ""), props, option("type", "collection"));
}

std::string data_defined(std::string_view property, const std::string& expression) {
  return data_defined({{property, expression}});
}

// As the Mapnik style does: an outline no wider than a quarter of the polygon's mean width
// (2 × area / perimeter) on paper, so thin zones keep their fill visible at small scales.
std::string capped_width_expression(double width_mm) {
  return fmt::format("min({}, 0.25 * 2 * area($geometry) / perimeter($geometry) * 1000 / @map_scale)", width_mm);
}

std::string line_layer(const Symbol& s, int pass, const std::string& colour_expression = {},
                       const std::string& width_expression = {}) {
  const auto stroke = s.stroke.value_or(Colour{0, 0, 0});
  std::string options;
  options += option("capstyle", "round");
  options += option("customdash", dash_text(s.dash_mm));
  options += option("customdash_unit", "MM");
  options += option("joinstyle", "round");
  options += option("line_color", rgba(stroke, s.stroke_opacity));
  options += option("line_style", "solid");
  options += option("line_width", fmt::format("{}", s.stroke_width_mm));
  options += option("line_width_unit", "MM");
  options += option("use_custom_dash", s.dash_mm.empty() ? "0" : "1");
  return fmt::format(R"(<layer class="SimpleLine" enabled="1" locked="0" pass="{}"><Option type="Map">{}</Option>{}</layer>)",
                     pass, options, data_defined({{"outlineColor", colour_expression}, {"outlineWidth", width_expression}}));
}

std::string fill_layer(const Symbol& s, int pass, const std::string& colour_expression = {}) {
  std::string options;
  options += option("color", rgba(s.fill.value_or(Colour{0, 0, 0}), s.fill ? s.fill_opacity : 0));
  options += option("joinstyle", "round");
  options += option("outline_color", rgba(s.stroke.value_or(Colour{0, 0, 0}), s.stroke ? s.stroke_opacity : 0));
  options += option("outline_style", s.stroke && s.dash_mm.empty() ? "solid" : "no");
  options += option("outline_width", fmt::format("{}", s.stroke_width_mm));
  options += option("outline_width_unit", "MM");
  options += option("style", s.fill || !colour_expression.empty() ? "solid" : "no");
  std::string out = fmt::format(R"(<layer class="SimpleFill" enabled="1" locked="0" pass="{}"><Option type="Map">{}</Option>{}</layer>)",
                                pass, options, data_defined("fillColor", colour_expression));
  // A dashed outline needs a line layer: SimpleFill knows only solid, dash and dot.
  if (s.stroke && !s.dash_mm.empty()) out += line_layer(s, pass);
  return out;
}

std::string marker_layer(const Symbol& s, int pass, const std::string& colour_expression = {}) {
  std::string options;
  options += option("color", rgba(s.fill.value_or(Colour{0, 0, 0}), s.fill ? s.fill_opacity : 0));
  options += option("joinstyle", "round");
  options += option("name", "circle");
  options += option("outline_color", rgba(s.stroke.value_or(Colour{0, 0, 0}), s.stroke ? s.stroke_opacity : 0));
  options += option("outline_style", s.stroke ? "solid" : "no");
  options += option("outline_width", fmt::format("{}", s.stroke_width_mm));
  options += option("outline_width_unit", "MM");
  options += option("size", fmt::format("{}", s.marker_size_mm));
  options += option("size_unit", "MM");
  return fmt::format(R"(<layer class="SimpleMarker" enabled="1" locked="0" pass="{}"><Option type="Map">{}</Option>{}</layer>)",
                     pass, options, data_defined("fillColor", colour_expression));
}

std::string symbol_of(std::string_view type, int name, const std::string& layers) {
  return fmt::format(R"(<symbol type="{}" name="{}" alpha="1" clip_to_extent="1" force_rhr="0">{}{}</symbol>)", type,
                     name, data_defined({}), layers);
}

std::string symbol(GeometryFamily family, const Symbol& s, int name, int pass, bool outline_only,
                   const std::string& colour_expression = {}) {
  std::string type, layers;
  switch (family) {
    case GeometryFamily::line:
      type = "line";
      layers = line_layer(s, pass, colour_expression);
      break;
    case GeometryFamily::point:
      type = "marker";
      layers = marker_layer(s, pass, colour_expression);
      break;
    default:
      type = "fill";
      layers = outline_only ? line_layer(s, pass, {}, capped_width_expression(s.stroke_width_mm))
                            : fill_layer(s, pass, colour_expression);
      break;
  }
  return symbol_of(type, name, layers);
}

std::string qgis_text(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string field_ref(const std::string& field) { return "\"" + field + "\""; }

std::string missing_expression(const std::string& field) {
  return fmt::format("({0} IS NULL OR {0} = '')", field_ref(field));
}

// The filter of a class rule; `listed` are the values of the other class rules (for `other`).
std::string rule_filter(const LayerStyle& style, const ClassRule& rule, const std::vector<ClassRule>& all) {
  const auto& field = style.classes.field;
  switch (rule.kind) {
    case ClassRule::Kind::single: return {};
    case ClassRule::Kind::missing: return missing_expression(field);
    case ClassRule::Kind::value: return fmt::format("{} = {}", field_ref(field), qgis_text(rule.value));
    case ClassRule::Kind::other: {
      // Not QGIS's ELSE: an ELSE rule fires only when no other rule (outlines included) matched.
      std::string listed;
      for (const auto& r : all) {
        if (r.kind != ClassRule::Kind::value) continue;
        { if (!listed.empty()) listed += " OR "; listed += fmt::format("{} = {}", field_ref(field), qgis_text(r.value)); }
      }
      std::string out = fmt::format("NOT {}", missing_expression(field));
      if (!listed.empty()) out += fmt::format(" AND NOT ({})", listed);
      return out;
    }
  }
  return {};
}

// The distinct values QGIS ranks: those of the layer it has open (sorted, numbers as numbers when
// the field is numeric). A GeoPackage writer puts the values it wrote in their place.
std::string values_expression(const LayerStyle& style) {
  const auto f = field_ref(style.classes.field);
  return fmt::format("array_sort(array_distinct(aggregate(layer:=@layer_id, aggregate:='array_agg', expression:={}, "
                     "filter:=NOT {})))",
                     f, missing_expression(style.classes.field));
}

// QGIS ranks the distinct values as classify() does and picks the palette colour by rank.
std::string automatic_colour_expression(const LayerStyle& style) {
  const auto& c = style.classes;
  const double opacity = style.geometry == GeometryFamily::line ? c.symbol.stroke_opacity : c.symbol.fill_opacity;
  auto array_of = [&](const std::vector<Colour>& colours) {
    std::string items;
    for (const auto& colour : colours) { if (!items.empty()) items += ","; items += qgis_text(rgba(colour, opacity)); }
    return "array(" + items + ")";
  };
  std::string scheme;
  const bool by_count = c.palette == "ylgnbu";
  if (by_count) {
    scheme = "CASE";
    for (int n = 3; n <= 6; ++n) {
      scheme += fmt::format(" WHEN array_length(@twinrisk_values) <= {} THEN {}", n, array_of(*palette(c.palette, n)));
    }
    scheme += " ELSE " + array_of(*palette(c.palette, 7)) + " END";
  } else {
    scheme = array_of(*palette(c.palette));
  }
  return fmt::format(
      "with_variable('twinrisk_values', {0}, with_variable('twinrisk_palette', {1}, "
      "array_get(@twinrisk_palette, array_find(@twinrisk_values, {2}) % array_length(@twinrisk_palette))))",
      values_expression(style), scheme, field_ref(c.field));
}

// QGIS's layerGeometryType. QGIS opens a layer of mixed geometries (exposure's pieces) as one
// sublayer per type: unknown (3) lets a mixed style apply to each.
int geometry_type(GeometryFamily g) {
  switch (g) {
    case GeometryFamily::point: return 0;
    case GeometryFamily::line: return 1;
    case GeometryFamily::any: return 3;
    default: return 2;
  }
}

// QGIS's geometry_type() of the features a mixed style's symbol of `family` draws.
std::string_view qgis_geometry_name(GeometryFamily family) {
  switch (family) {
    case GeometryFamily::point: return "Point";
    case GeometryFamily::line: return "Line";
    default: return "Polygon";
  }
}

std::string labeling(const LayerStyle& style) {
  if (!style.label) return {};
  const auto& l = *style.label;
  // Placement: 1 = over the centroid (kept inside the polygon) for polygons, 2 = along lines.
  const int placement = style.geometry == GeometryFamily::line ? 2 : (style.geometry == GeometryFamily::polygon ? 1 : 0);
  return fmt::format(
      R"(<labeling type="simple"><settings calloutType="simple">)"
      R"(<text-style fieldName="{}" isExpression="0" fontFamily="DejaVu Sans" namedStyle="{}" fontSize="{}" fontSizeUnit="Point" )"
      R"(fontWeight="{}" fontItalic="{}" textColor="{}" textOpacity="1" multilineHeight="1" allowHtml="0">)"
      R"(<text-buffer bufferDraw="{}" bufferSize="{}" bufferSizeUnits="MM" bufferColor="{}" bufferOpacity="1" bufferNoFill="1" bufferJoinStyle="128"/>)"
      R"(</text-style><text-format wrapChar="" autoWrapLength="0" multilineAlign="3"/>)"
      R"(<placement placement="{}" centroidInside="1" centroidWhole="0" fitInPolygonOnly="0" priority="5" dist="0" distUnits="MM" placementFlags="10" overrunDistance="0"/>)"
      R"(<rendering obstacle="1" obstacleType="1" displayAll="0" upsidedownLabels="0" labelPerPart="0" mergeLines="1" drawLabels="1" limitNumLabels="0"/>)"
      R"(</settings></labeling>)",
      xml_escape(l.field), l.bold ? (l.italic ? "Bold Oblique" : "Bold") : (l.italic ? "Oblique" : "Book"), l.size_pt,
      l.bold ? 75 : 50, l.italic ? 1 : 0, rgba(l.colour, 1), l.halo_mm > 0 ? 1 : 0, l.halo_mm, rgba(l.halo, 1), placement);
}

std::string document(const LayerStyle& style, const std::vector<ClassRule>& rules, bool automatic) {
  std::string rule_xml, symbols;
  int n = 0;
  auto key = [&](int i) { return fmt::format("{{7f3c0a52-0000-4000-8000-{:012d}}}", i); };
  auto add_rule = [&](const std::string& filter, const std::string& label, const std::string& symbol_xml) {
    rule_xml += fmt::format(R"(<rule key="{}"{} symbol="{}" label="{}"/>)", key(n + 1),
                            filter.empty() ? std::string() : fmt::format(R"( filter="{}")", xml_escape(filter)), n,
                            xml_escape(label));
    symbols += symbol_xml;
    ++n;
  };
  // Passes follow the draw order: missing values, the classes bottom first, then the outlines. A
  // mixed style's class is three rules, as the Mapnik style draws it: areas, lines, markers, with
  // the lines' edges in one pass below every class (Mapnik's "<layer>/edges").
  int pass = 0;
  const int edge_pass = style.geometry == GeometryFamily::any ? pass++ : -1;
  const auto add_class = [&](const std::string& filter, const std::string& label, const Symbol& s,
                             const std::string& colour_expression) {
    if (style.geometry != GeometryFamily::any) {
      add_rule(filter, label, symbol(style.geometry, s, n, pass++, false, colour_expression));
      return;
    }
    const auto of = [&](GeometryFamily family) {
      const auto type = fmt::format("geometry_type($geometry) = '{}'", qgis_geometry_name(family));
      return filter.empty() ? type : fmt::format("({}) AND {}", filter, type);
    };
    add_rule(of(GeometryFamily::polygon), label, symbol(GeometryFamily::polygon, s, n, pass++, false, colour_expression));
    const std::string edge = s.stroke ? line_layer(marker_as_line_edge(s), edge_pass) : std::string();
    add_rule(of(GeometryFamily::line), label, symbol_of("line", n, edge + line_layer(marker_as_line(s), pass++, colour_expression)));
    add_rule(of(GeometryFamily::point), label, symbol(GeometryFamily::point, s, n, pass++, false, colour_expression));
  };
  if (automatic) {
    const auto& c = style.classes;
    if (c.missing) add_class(rule_filter(style, *c.missing, rules), c.missing->label, c.missing->symbol, {});
    add_class(fmt::format("NOT {}", missing_expression(c.field)), style.title, c.symbol, automatic_colour_expression(style));
  } else {
    for (const auto& rule : rules) add_class(rule_filter(style, rule, rules), rule.label, rule.symbol, {});
  }
  for (const auto& overlay : style.overlays) {
    add_rule(overlay.qgis_expression(), overlay.label, symbol(style.geometry, overlay.symbol, n, pass++, true));
  }
  return fmt::format(
      "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
      "<!-- Generated by twinrisk from {} — edit that file, not this one. -->\n"
      R"(<qgis version="3.22.16" styleCategories="Symbology|Labeling" labelsEnabled="{}">)"
      "\n"
      R"(<renderer-v2 type="RuleRenderer" symbollevels="1" enableorderby="0" forceraster="0">)"
      R"(<rules key="{{7f3c0a52-0000-4000-8000-000000000000}}">{}</rules><symbols>{}</symbols></renderer-v2>)"
      "\n{}\n<layerGeometryType>{}</layerGeometryType>\n</qgis>\n",
      xml_escape(style.source), style.label ? 1 : 0, rule_xml, symbols, labeling(style), geometry_type(style.geometry));
}

}  // namespace

std::string qml_values_expression(const LayerStyle& style) {
  return style.classes.automatic ? xml_escape(values_expression(style)) : std::string();
}

std::string to_qml(const LayerStyle& style) {
  return document(style, static_rules(style), style.classes.automatic);
}

std::string to_qml(const LayerStyle& style, const std::vector<ClassRule>& rules) {
  return document(style, rules, false);
}

}  // namespace twinrisk::render
