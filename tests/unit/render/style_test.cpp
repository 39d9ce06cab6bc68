// Styles: parsing with file:line errors, classification as QGIS compares values, palettes that
// stay apart for colour-blind readers, and QML that draws classes in the style's order.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <regex>
#include <string>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/text.hpp"
#include "twinrisk/render/mapnik_style.hpp"
#include "twinrisk/render/qml.hpp"
#include "twinrisk/render/style.hpp"

namespace twinrisk::render {
namespace {

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

Layer layer_with(std::vector<FieldDef> fields, std::vector<std::vector<Value>> rows) {
  Layer layer;
  layer.name = "zones";
  layer.fields = std::move(fields);
  for (auto& row : rows) layer.features.push_back(Feature{0, geos::from_wkt("POLYGON((0 0,1 0,1 1,0 0))"), std::move(row)});
  return layer;
}

TEST(Style, EveryBuiltinStyleParses) {
  const auto names = builtin_style_names();
  for (const char* expected : {"zones", "zone_parts", "municipalities", "rivers"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }
  for (const auto& name : names) EXPECT_NO_THROW((void)builtin_style(name)) << name;
}

struct BadStyle {
  std::string yaml;
  int line;
  std::string says;
};
class BadStyles : public ::testing::TestWithParam<BadStyle> {};

TEST_P(BadStyles, AreConfigErrorsWithTheLine) {
  try {
    (void)parse_style(GetParam().yaml, "styles/test.yaml");
    FAIL() << "no error for:\n" << GetParam().yaml;
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::config);
    EXPECT_EQ(error.context().file, "styles/test.yaml");
    EXPECT_EQ(error.context().line, GetParam().line) << error.what();
    EXPECT_NE(std::string(error.what()).find(GetParam().says), std::string::npos) << error.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Style, BadStyles,
    ::testing::Values(BadStyle{"layer: zones\ncolour: red\n", 2, "unknown key 'colour'"},
                      BadStyle{"layer: zones\nsymbol: { fill: red }\n", 2, "'red' is not a colour"},
                      BadStyle{"layer: zones\nclasses:\n  field: class\n  values:\n    - { value: 1, fill: \"#ffffff\" }\n", 5,
                               "needs a label"},
                      BadStyle{"layer: zones\nclasses: { field: class, values: auto, palette: rainbow }\n", 2,
                               "unknown palette 'rainbow'"},
                      BadStyle{"title: no layer\n", 1, "needs 'layer'"},
                      BadStyle{"layer: zones\nsymbol: { fill_opacity: 2 }\n", 2, "between 0 and 1"},
                      BadStyle{"layer: [unclosed\n", 2, "not a valid YAML"}));

TEST(Style, NamingAMissingFieldIsAConfigErrorThatListsTheFields) {
  const auto style = parse_style("layer: zones\nclasses:\n  field: klass\n  values: auto\n", "styles/zones.yaml");
  const auto layer = layer_with({{"class", FieldType::string}, {"area_m2", FieldType::real}}, {{Value("1"), Value(2.0)}});
  try {
    validate_style(style, layer);
    FAIL();
  } catch (const ConfigError& error) {
    const std::string what = error.what();
    EXPECT_EQ(error.context().line, 3);
    EXPECT_NE(what.find("'klass'"), std::string::npos) << what;
    EXPECT_NE(what.find("class, area_m2"), std::string::npos) << what;
  }
}

TEST(Style, ClassesMatchAsQgisComparesNumbersAndText) {
  const auto style = *builtin_style("zones");
  // Text "1", integer 1, real 1.0 are one class; "01" too (numbers compare as numbers); NULL and ""
  // are the missing class; "HQ100" is other.
  const auto layer = layer_with({{"class", FieldType::string}, {"cross_border", FieldType::integer}, {"cross_national", FieldType::integer}},
                                {{Value("1"), Value(std::int64_t{0}), Value(std::int64_t{0})},
                                 {Value(std::int64_t{1}), Value(std::int64_t{1}), Value(std::int64_t{0})},
                                 {Value(1.0), Value(std::int64_t{1}), Value(std::int64_t{1})},
                                 {Value("01"), Value(std::int64_t{0}), Value(std::int64_t{0})},
                                 {Value("3"), Value(std::int64_t{0}), Value(std::int64_t{0})},
                                 {Value(), Value(std::int64_t{0}), Value(std::int64_t{0})},
                                 {Value(""), Value(std::int64_t{0}), Value(std::int64_t{0})},
                                 {Value("HQ100"), Value(std::int64_t{0}), Value(std::int64_t{0})}});
  const auto c = classify(style, layer);
  auto label_of = [&](std::size_t i) { return c.rule_of[i] < 0 ? std::string("-") : c.rules[c.rule_of[i]].label; };
  EXPECT_EQ(label_of(0), "Class 1 (frequent)");
  EXPECT_EQ(label_of(1), "Class 1 (frequent)");
  EXPECT_EQ(label_of(2), "Class 1 (frequent)");
  EXPECT_EQ(label_of(3), "Class 1 (frequent)");
  EXPECT_EQ(label_of(4), "Class 3 (rare)");
  EXPECT_EQ(label_of(5), "No class");
  EXPECT_EQ(label_of(6), "No class");
  EXPECT_EQ(label_of(7), "Other class");
  // Draw order: missing at the bottom, then 3, 2, 1, then other.
  std::vector<std::string> order;
  for (const auto& rule : c.rules) order.push_back(rule.label);
  EXPECT_EQ(order, (std::vector<std::string>{"No class", "Class 3 (rare)", "Class 2", "Class 1 (frequent)", "Other class"}));
}

TEST(Style, AutomaticClassesTakePaletteColoursInSortedOrder) {
  const auto style = *builtin_style("zone_parts");
  const auto layer = layer_with({{"country", FieldType::string}},
                                {{Value("NL")}, {Value("BE")}, {Value("")}, {Value("DE")}, {Value("NL")}});
  const auto c = classify(style, layer);
  // Okabe & Ito's palette in its published order: orange, sky blue, bluish green …
  ASSERT_EQ(c.rules.size(), 4u);  // missing + BE, DE, NL
  EXPECT_EQ(c.rules[0].kind, ClassRule::Kind::missing);
  EXPECT_EQ(c.rules[1].value, "BE");
  EXPECT_EQ(c.rules[1].symbol.fill->hex(), "#e69f00");
  EXPECT_EQ(c.rules[2].value, "DE");
  EXPECT_EQ(c.rules[2].symbol.fill->hex(), "#56b4e9");
  EXPECT_EQ(c.rules[3].value, "NL");
  EXPECT_EQ(c.rules[3].symbol.fill->hex(), "#009e73");
  EXPECT_EQ(c.count, (std::vector<std::size_t>{1, 1, 1, 2}));
}

TEST(Style, NumericValuesSortAsNumbers) {
  EXPECT_TRUE(value_less("2", "10"));
  EXPECT_FALSE(value_less("10", "2"));
  EXPECT_TRUE(value_less("9", "HQ10"));
  EXPECT_TRUE(value_less("HQ10", "HQ100"));
}

// ---- colour-vision deficiency: Machado, Oliveira & Fernandes (2009), severity 1.0, applied in
// linear RGB; distances as CIE76 ΔE in CIELAB (D65).
using Matrix = std::array<std::array<double, 3>, 3>;
const Matrix kProtanopia{{{0.152286, 1.052583, -0.204868}, {0.114503, 0.786281, 0.099216}, {-0.003882, -0.048116, 1.051998}}};
const Matrix kDeuteranopia{{{0.367322, 0.860646, -0.227968}, {0.280085, 0.672501, 0.047413}, {-0.011820, 0.042940, 0.968881}}};
const Matrix kTritanopia{{{1.255528, -0.076749, -0.178779}, {-0.078411, 0.930809, 0.147602}, {0.004733, 0.691367, 0.303900}}};
const Matrix kIdentity{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};

std::array<double, 3> lab(const Colour& c, const Matrix& m) {
  auto linear = [](double v) { v /= 255; return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
  const std::array<double, 3> in{linear(c.r), linear(c.g), linear(c.b)};
  std::array<double, 3> rgb{};
  for (int i = 0; i < 3; ++i) rgb[i] = std::clamp(m[i][0] * in[0] + m[i][1] * in[1] + m[i][2] * in[2], 0.0, 1.0);
  const double x = (0.4124 * rgb[0] + 0.3576 * rgb[1] + 0.1805 * rgb[2]) / 0.95047;
  const double y = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
  const double z = (0.0193 * rgb[0] + 0.1192 * rgb[1] + 0.9505 * rgb[2]) / 1.08883;
  auto f = [](double t) { return t > 0.008856 ? std::cbrt(t) : 7.787 * t + 16.0 / 116; };
  return {116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))};
}

double worst_distance(const std::vector<Colour>& colours, const Matrix& m) {
  double worst = 1e9;
  for (std::size_t i = 0; i < colours.size(); ++i) {
    for (std::size_t j = i + 1; j < colours.size(); ++j) {
      const auto a = lab(colours[i], m), b = lab(colours[j], m);
      worst = std::min(worst, std::hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]));
    }
  }
  return worst;
}

TEST(Style, HazardClassesStayApartForColourBlindReaders) {
  const auto style = *builtin_style("zones");
  std::vector<Colour> fills;
  for (const auto& rule : style.classes.values) fills.push_back(*rule.symbol.fill);
  ASSERT_EQ(fills.size(), 3u);
  for (const auto* m : {&kIdentity, &kProtanopia, &kDeuteranopia, &kTritanopia}) {
    EXPECT_GT(worst_distance(fills, *m), 20.0);  // clearly different at a glance
  }
  // Sequential: lightness falls from class 3 (rare) to class 1 (frequent), for every reader.
  for (const auto* m : {&kIdentity, &kProtanopia, &kDeuteranopia, &kTritanopia}) {
    EXPECT_GT(lab(fills[0], *m)[0], lab(fills[1], *m)[0]);
    EXPECT_GT(lab(fills[1], *m)[0], lab(fills[2], *m)[0]);
  }
}

TEST(Style, CountryPaletteStaysApartForColourBlindReaders) {
  const auto colours = *palette("okabe-ito");
  // The first four colours (the most countries a cross-border map usually shows).
  const std::vector<Colour> first(colours.begin(), colours.begin() + 4);
  for (const auto* m : {&kIdentity, &kProtanopia, &kDeuteranopia, &kTritanopia}) EXPECT_GT(worst_distance(first, *m), 10.0);
}

TEST(Style, QmlDrawsClassesInTheStyleOrderWithSymbolLevels) {
  const auto qml = to_qml(*builtin_style("zones"));
  EXPECT_NE(qml.find(R"(symbollevels="1")"), std::string::npos);
  const auto rare = qml.find("Class 3 (rare)"), middle = qml.find("Class 2"), frequent = qml.find("Class 1 (frequent)");
  ASSERT_NE(rare, std::string::npos);
  EXPECT_LT(rare, middle);
  EXPECT_LT(middle, frequent);
  // Passes 0 (missing), 1, 2, 3 for classes 3, 2, 1: each symbol layer carries its pass.
  for (int pass = 0; pass <= 6; ++pass) {
    EXPECT_NE(qml.find("pass=\"" + std::to_string(pass) + "\""), std::string::npos) << pass;
  }
}

// A mixed style's class is a fill, a line and a marker rule, each for its geometry type; the
// lines' edges are one pass below every class's line (as Mapnik's edge style), and QGIS applies
// the style to a sublayer of any type. A point style stays a point style.
TEST(Style, QmlOfAMixedStyleHasARulePerGeometryAndTheEdgesBelowEveryLine) {
  const auto style = parse_style(R"(
layer: pieces
title: Pieces
geometry: mixed
symbol: { stroke: "#000000", stroke_width_mm: 0.2, marker_size_mm: 2 }
classes:
  field: category
  values:
    - { value: road, label: Road, fill: "#009e73" }
    - { value: school, label: School, fill: "#f0e442" }
)", "pieces.yaml");
  const auto qml = to_qml(style);
  EXPECT_NE(qml.find("<layerGeometryType>3</layerGeometryType>"), std::string::npos);
  for (const char* type : {"Point", "Line", "Polygon"}) {
    EXPECT_EQ(count_of(qml, fmt::format("geometry_type($geometry) = &apos;{}&apos;", type)), 2u) << type;
  }
  // Line layers: black edges (the marker's stroke) and coloured lines, with their passes.
  std::vector<int> edges, lines;
  const std::regex line_layer(R"re(<layer class="SimpleLine" enabled="1" locked="0" pass="(\d+)">.*?name="line_color" type="QString" value="([^"]*)")re");
  for (std::sregex_iterator it(qml.begin(), qml.end(), line_layer), end; it != end; ++it) {
    ((*it)[2] == "0,0,0,255" ? edges : lines).push_back(std::stoi((*it)[1]));
  }
  ASSERT_EQ(edges.size(), 2u);
  ASSERT_EQ(lines.size(), 2u);
  for (int edge : edges) {
    for (int line : lines) EXPECT_LT(edge, line);
  }
  try {
    parse_style("layer: pieces\ngeometry: mixed\noutlines:\n  - { label: x, when: { field: category, equals: road } }\n", "mixed.yaml");
    FAIL() << "outlines on a mixed style were accepted";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("not on a mixed layer"), std::string::npos) << error.what();
  }
  const auto point = to_qml(*builtin_style("critical_facilities"));
  EXPECT_NE(point.find("<layerGeometryType>0</layerGeometryType>"), std::string::npos);
  EXPECT_EQ(point.find("geometry_type("), std::string::npos);
}

}  // namespace
}  // namespace twinrisk::render
