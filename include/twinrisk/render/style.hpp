#pragma once
// One declarative style per map layer (styles/<layer>.yaml), from which both the QGIS QML stored in
// the GeoPackage and the Mapnik style of twinrisk's own maps are generated, so the two agree.
// docs/rendering.md describes the file format.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/layer.hpp"

namespace twinrisk::render {

struct Colour {
  std::uint8_t r = 0, g = 0, b = 0;

  // "#rrggbb" (or "#rgb"); throws ConfigError at `where` otherwise.
  static Colour parse(std::string_view text, const ErrorContext& where = {});
  std::string hex() const;                 // "#rrggbb"
  std::string qgis() const;                // "r,g,b,255"
  bool operator==(const Colour&) const = default;
};

// Where a style value came from, for messages: "styles/zones.yaml:12".
struct SourceLine {
  std::string file;
  std::optional<int> line;
};

// Everything drawn for one class of features. Sizes are on paper (mm, pt), never in pixels.
struct Symbol {
  std::optional<Colour> fill;
  double fill_opacity = 1.0;
  std::optional<Colour> stroke;
  double stroke_width_mm = 0.26;
  double stroke_opacity = 1.0;
  std::vector<double> dash_mm;  // empty: solid
  double marker_size_mm = 2.5;  // points only: a circle of this diameter
};

// `{ field: cross_border, equals: 1 }`, `{ field: municipality_id, empty: true }`. Values compare
// as numbers when both sides are numbers ("1" equals 1 and 1.0), else as text — as QGIS compares.
struct Condition {
  enum class Test { equals, not_equals, empty, not_empty };
  std::string field;
  Test test = Test::equals;
  std::string value;
  SourceLine where;

  bool matches(const Value& value) const;
  std::string qgis_expression() const;
};

// One legend entry and its symbol. `value` is the class value as text; empty for other/missing.
struct ClassRule {
  enum class Kind { value, other, missing, single };
  Kind kind = Kind::value;
  std::string value;
  std::string label;
  Symbol symbol;
};

struct Classification {
  std::string field;  // empty: every feature gets the single symbol
  SourceLine field_where;
  std::vector<ClassRule> values;   // explicit classes in draw order: the first is drawn at the bottom
  bool automatic = false;          // `values: auto`: one class per distinct value, in sorted order
  // Automatic classes: the palette (see palette()); an ordered scheme such as ylgnbu takes as many
  // steps as there are values, a qualitative one repeats when there are more values than colours.
  std::string palette = "okabe-ito";
  std::string label_template = "{value}";  // legend text of an automatic class
  Symbol symbol;                           // stroke and opacity of automatic classes
  std::optional<ClassRule> other;  // a value that is not listed
  std::optional<ClassRule> missing;  // NULL or empty text
};

// Outlines drawn over every fill of the layer (e.g. zones shared across a border), in file order.
// `when` is one condition or a list that must all hold.
struct Overlay {
  std::string label;
  std::vector<Condition> when;
  Symbol symbol;

  bool matches(const Layer& layer, const Feature& feature) const;
  std::string qgis_expression() const;
};

struct LabelStyle {
  std::string field;
  SourceLine field_where;
  double size_pt = 8;
  bool bold = false;
  bool italic = false;
  Colour colour{0x33, 0x33, 0x33};
  Colour halo{0xff, 0xff, 0xff};
  double halo_mm = 0.35;
  // Polygons are labelled only when their area on the map could hold about this many characters,
  // so a label never covers a neighbour completely.
  double min_chars = 4;
};

// Lines between groups of features (national borders between the municipalities of two countries).
struct BorderStyle {
  std::string by;
  SourceLine by_where;
  std::string label;
  Symbol symbol;
};

struct LayerStyle {
  std::string layer;  // the layer (and file) name: zones, zone_parts, municipalities …
  std::string title;  // the legend heading
  GeometryFamily geometry = GeometryFamily::polygon;
  int draw_order = 50;  // lower is drawn first
  Classification classes;
  std::vector<Overlay> overlays;
  std::optional<LabelStyle> label;
  std::optional<BorderStyle> borders;
  // A context layer (municipalities, rivers) is drawn but does not widen a map's default extent,
  // so the map centres on the results rather than on every municipality loaded.
  bool context = false;
  std::string source;  // the file it was read from

  // Every field the style reads.
  std::vector<std::pair<std::string, SourceLine>> fields() const;
};

// Parses a style document; `source` names it in errors. Throws ConfigError with file:line.
LayerStyle parse_style(std::string_view yaml, const std::string& source);
LayerStyle load_style(const std::filesystem::path& file);

// The styles shipped in styles/*.yaml (embedded at build time), by layer name.
std::vector<std::string> builtin_style_names();
std::optional<LayerStyle> builtin_style(std::string_view layer);
// The built-in style for a layer: the output it is (LayerSchema::style), its own name, then the
// name without an `as:` prefix (hq100_zones → zones), then its role (municipalities, rivers,
// infrastructure). Without labels when the layer lacks the label field.
std::optional<LayerStyle> style_for(const Layer& layer);

// Throws ConfigError when the style reads a field the layer lacks, or suits another geometry.
void validate_style(const LayerStyle& style, const Layer& layer);

// The classes a layer's features fall into, in draw order (bottom first).
struct Classified {
  std::vector<ClassRule> rules;   // every possible class (automatic ones: one per value present)
  std::vector<int> rule_of;       // per feature: index into rules, -1 when no class applies
  std::vector<std::size_t> count; // per rule: features in it
};
Classified classify(const LayerStyle& style, const Layer& layer);
// The classes of a style without data (automatic ones have none): what QML and docs show.
std::vector<ClassRule> static_rules(const LayerStyle& style);

// A mixed style's class (`geometry: mixed`, exposure's asset pieces) as drawn on lines: in the
// marker's colour, a third of its size wide, on an edge of the marker's stroke. Its polygons are
// filled and outlined as the marker is; its points are the marker.
Symbol marker_as_line(const Symbol& marker);
Symbol marker_as_line_edge(const Symbol& marker);  // drawn first, under marker_as_line


// Palettes by name: okabe-ito (qualitative, 7 colours, colour-blind safe); ylgnbu (sequential, 3 to 7
// steps: `count` picks the scheme). nullopt for an unknown name.
std::optional<std::vector<Colour>> palette(std::string_view name, std::size_t count = 0);

}  // namespace twinrisk::render
