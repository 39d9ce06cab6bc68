#include "twinrisk/render/mapnik_style.hpp"

#include <fmt/format.h>

#include <numbers>

#include "xml.hpp"

namespace twinrisk::render {

namespace {

using detail::xml_escape;

std::string px(double mm) { return fmt::format("{:.3f}", mm_to_px(mm)); }

std::string dasharray(const std::vector<double>& dash_mm) {
  std::string out;
  for (double d : dash_mm) { if (!out.empty()) out += ","; out += px(d); }
  return out;
}

// A quarter of the polygon's mean width at most (see MapnikStyleOptions::px_per_map_unit).
constexpr double kOutlineShareOfWidth = 0.25;

std::string line_symbolizer(const Symbol& s, double px_per_map_unit = 0) {
  if (!s.stroke) return {};
  std::string width = px(s.stroke_width_mm);
  if (px_per_map_unit > 0) width = fmt::format("min({}, [_w] * {:.6g})", width, kOutlineShareOfWidth * px_per_map_unit);
  std::string out = fmt::format(
      R"(<LineSymbolizer stroke="{}" stroke-width="{}" stroke-opacity="{}" stroke-linejoin="round" stroke-linecap="round" clip="true" simplify="0.1")",
      s.stroke->hex(), width, s.stroke_opacity);
  if (!s.dash_mm.empty()) out += fmt::format(R"( stroke-dasharray="{}")", dasharray(s.dash_mm));
  return out + "/>";
}

std::string polygon_symbolizers(const Symbol& s) {
  std::string out;
  if (s.fill) {
    out += fmt::format(R"(<PolygonSymbolizer fill="{}" fill-opacity="{}" gamma="1" clip="true" simplify="0.1"/>)", s.fill->hex(), s.fill_opacity);
  }
  return out + line_symbolizer(s);
}

// `placement`: point (a point's own place) or interior (a polygon's); `multi_policy` for a
// multi-geometry: each part, or the largest (one marker for a building of several parts).
std::string markers_symbolizer(const Symbol& s, std::string_view placement = "point", std::string_view multi_policy = "each") {
  // Every facility is drawn (allow-overlap), and each claims its place, so labels drawn later
  // keep off the markers rather than covering them.
  std::string out = fmt::format(
      R"(<MarkersSymbolizer marker-type="ellipse" placement="{0}" multi-policy="{2}" width="{1}" height="{1}" allow-overlap="true" ignore-placement="false")",
      placement, px(s.marker_size_mm), multi_policy);
  out += fmt::format(R"( fill="{}" fill-opacity="{}")", s.fill ? s.fill->hex() : "#000000", s.fill ? s.fill_opacity : 0);
  if (s.stroke) out += fmt::format(R"( stroke="{}" stroke-width="{}" stroke-opacity="{}")", s.stroke->hex(), px(s.stroke_width_mm), s.stroke_opacity);
  else out += R"( stroke-width="0")";
  return out + "/>";
}

// A mixed style's rule `i`: markers on points, the class's colour along lines and over areas, or
// the marker where an area would be smaller than it.
std::string mixed_rules(std::size_t i, const ClassRule& rule, double px_per_map_unit) {
  const auto name = xml_escape(rule.label);
  const auto of_type = [&](std::string_view types) {
    return fmt::format(R"(<Rule name="{}"><Filter>[_c] = {} and ({})</Filter>)", name, i, types);
  };
  const double smallest = marker_area(rule.symbol, px_per_map_unit);
  return of_type("[mapnik::geometry_type] = point or [mapnik::geometry_type] = collection") +
         markers_symbolizer(rule.symbol) + "</Rule>" + of_type("[mapnik::geometry_type] = linestring") +
         line_symbolizer(marker_as_line(rule.symbol)) + "</Rule>" +
         of_type(fmt::format("[mapnik::geometry_type] = polygon and [_a] &gt;= {:.9g}", smallest)) +
         polygon_symbolizers(rule.symbol) + "</Rule>" +
         of_type(fmt::format("[mapnik::geometry_type] = polygon and [_a] &lt; {:.9g}", smallest)) +
         markers_symbolizer(rule.symbol, "interior", "largest") + "</Rule>";
}

std::string text_symbolizer(const LayerStyle& style, const MapnikStyleOptions& options) {
  const auto& l = *style.label;
  const std::string face = options.font + (l.bold ? (l.italic ? " Bold Oblique" : " Bold") : (l.italic ? " Oblique" : " Book"));
  std::string placement;
  switch (style.geometry) {
    case GeometryFamily::line:
      placement = R"(placement="line" spacing="300" max-char-angle-delta="25" repeat-distance="200")";
      break;
    case GeometryFamily::point:
    case GeometryFamily::any: placement = R"(placement="point" dy="-6")"; break;
    // Polygons are labelled at anchor points twinrisk computes per map (the centre of the largest
    // circle in the part of the polygon that shows): Mapnik's "interior" placement uses the whole
    // polygon, whose centre is often outside a zoomed frame.
    default: placement = R"(placement="point" wrap-width="70")"; break;
  }
  return fmt::format(
      R"(<TextSymbolizer face-name="{}" size="{}" fill="{}" halo-fill="{}" halo-radius="{}" {} margin="3" )"
      R"(minimum-padding="1" avoid-edges="false" allow-overlap="false" upright="auto">[_l]</TextSymbolizer>)",
      xml_escape(face), l.size_pt, l.colour.hex(), l.halo.hex(), px(l.halo_mm), placement);
}

}  // namespace

double mm_to_px(double mm) { return mm * 72.0 / 25.4; }

double marker_area(const Symbol& marker, double px_per_map_unit) {
  if (!(px_per_map_unit > 0)) return 0;
  const double diameter = mm_to_px(marker.marker_size_mm) / px_per_map_unit;
  return std::numbers::pi / 4 * diameter * diameter;
}

std::string edge_style_name(const LayerStyle& style) { return style.layer + "/edges"; }
std::string fill_style_name(const LayerStyle& style) { return style.layer + "/fill"; }
std::string outline_style_name(const LayerStyle& style) { return style.layer + "/outlines"; }
std::string label_style_name(const LayerStyle& style) { return style.layer + "/labels"; }
std::string border_style_name(const LayerStyle& style) { return style.layer + "/borders"; }

std::string mapnik_styles(const LayerStyle& style, const std::vector<ClassRule>& rules, const MapnikStyleOptions& options) {
  std::string out;
  if (style.geometry == GeometryFamily::any) {
    out += fmt::format(R"(<Style name="{}">)", xml_escape(edge_style_name(style)));
    for (std::size_t i = 0; i < rules.size(); ++i) {
      out += fmt::format(R"(<Rule name="{}"><Filter>[_c] = {} and [mapnik::geometry_type] = linestring</Filter>{}</Rule>)",
                         xml_escape(rules[i].label), i, line_symbolizer(marker_as_line_edge(rules[i].symbol)));
    }
    out += "</Style>\n";
  }
  out += fmt::format(R"(<Style name="{}">)", xml_escape(fill_style_name(style)));
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (style.geometry == GeometryFamily::any) {
      out += mixed_rules(i, rules[i], options.px_per_map_unit);
      continue;
    }
    const auto& symbol = rules[i].symbol;
    out += fmt::format(R"(<Rule name="{}"><Filter>[_c] = {}</Filter>{}</Rule>)", xml_escape(rules[i].label), i,
                       style.geometry == GeometryFamily::line    ? line_symbolizer(symbol)
                       : style.geometry == GeometryFamily::point ? markers_symbolizer(symbol)
                                                                 : polygon_symbolizers(symbol));
  }
  out += "</Style>\n";
  if (!style.overlays.empty()) {
    out += fmt::format(R"(<Style name="{}">)", xml_escape(outline_style_name(style)));
    for (std::size_t k = 0; k < style.overlays.size(); ++k) {
      out += fmt::format(R"(<Rule name="{}"><Filter>[_o{}] = 1</Filter>{}</Rule>)", xml_escape(style.overlays[k].label), k,
                         line_symbolizer(style.overlays[k].symbol, style.geometry == GeometryFamily::polygon ? options.px_per_map_unit : 0));
    }
    out += "</Style>\n";
  }
  if (style.label) {
    out += fmt::format(R"(<Style name="{}"><Rule>)", xml_escape(label_style_name(style)));
    out += text_symbolizer(style, options) + "</Rule></Style>\n";
  }
  if (style.borders) {
    out += fmt::format(R"(<Style name="{}"><Rule name="{}">{}</Rule></Style>)", xml_escape(border_style_name(style)),
                       xml_escape(style.borders->label), line_symbolizer(style.borders->symbol));
    out += "\n";
  }
  return out;
}

std::string mapnik_document(const LayerStyle& style, const std::vector<ClassRule>& rules, const MapnikStyleOptions& options) {
  return fmt::format("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- Generated by twinrisk from {} -->\n<Map>\n{}</Map>\n",
                     xml_escape(style.source), mapnik_styles(style, rules, options));
}

}  // namespace twinrisk::render
