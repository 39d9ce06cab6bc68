// intersection on squares whose overlaps are worked out by hand.

#include "twinrisk/ops/intersection.hpp"

#include <gtest/gtest.h>

#include "../test_support.hpp"
#include "twinrisk/core/error.hpp"

namespace twinrisk::ops {
namespace {

using test::rectangle;

Layer layer(const std::string& name, const std::vector<std::pair<std::string, std::string>>& items) {
  Layer l;
  l.name = name;
  l.role = Role::features;
  l.fields = {{"name", FieldType::string}};
  std::int64_t fid = 1;
  for (const auto& [label, wkt] : items) l.features.push_back({fid++, geos::from_wkt(wkt), {label}});
  return l;
}

// The value parameters as the pipeline fills them when none is given.
nlohmann::json defaults() {
  nlohmann::json values = nlohmann::json::object();
  const Intersection algorithm;
  for (const auto& spec : algorithm.parameters()) {
    if (!spec.is_data()) values[spec.name] = spec.default_value;
  }
  return values;
}

std::vector<std::string> field_names(const Layer& layer) {
  std::vector<std::string> names;
  for (const auto& field : layer.fields) names.push_back(field.name);
  return names;
}

TEST(Intersection, PiecesCarryBothAttributesAndHandComputedAreas) {
  const auto a = layer("a", {{"A1", rectangle(0, 0, 10, 10)}, {"A2", rectangle(20, 0, 30, 10)}});
  // B crosses both: [5,10]x[5,10] = 25 m² with A1, [20,25]x[5,10] = 25 m² with A2.
  // B2 lies inside A1 (1 m², copied whole); C only touches A1 along x = 10 (no area, no piece).
  const auto b = layer("b", {{"B", rectangle(5, 5, 25, 15)}, {"B2", rectangle(1, 1, 2, 2)}, {"C", rectangle(10, 0, 11, 1)}});
  LayerSource source(a);
  LayerSink sink;
  StepInput input;
  input.layers = {{"input", {&a}}, {"overlay", {&b}}};
  input.sources = {{"input", {&source}}};
  input.sink = &sink;
  input.values = defaults();
  NullProgress progress;
  const auto out = Intersection().run(input, progress);
  ASSERT_EQ(sink.layers().size(), 1u);
  const Layer& result = sink.layers()[0];
  ASSERT_EQ(result.fields.size(), 3u);
  EXPECT_EQ(result.fields[0].name, "name");
  EXPECT_EQ(result.fields[1].name, "name_2");
  EXPECT_EQ(result.fields[2].name, "area_m2");
  struct Expected {
    std::string a, b;
    double area;
  };
  const std::vector<Expected> expected = {{"A1", "B", 25}, {"A1", "B2", 1}, {"A2", "B", 25}};
  ASSERT_EQ(result.features.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& f = result.features[i];
    EXPECT_EQ(std::get<std::string>(f.values[0]), expected[i].a);
    EXPECT_EQ(std::get<std::string>(f.values[1]), expected[i].b);
    EXPECT_NEAR(std::get<double>(f.values[2]), expected[i].area, 1e-9);
    EXPECT_NEAR(geos::area(f.geometry.get()), expected[i].area, 1e-9);
  }
  EXPECT_EQ(out.stats.at("pieces").get<int>(), 3);
}

// Layers with several fields, the overlay with a GeoPackage fid column, as QGIS shows them.
struct Overlaid {
  Layer a, b;
  Overlaid() {
    a = layer("a", {{"A1", rectangle(0, 0, 10, 10)}});
    a.fields = {{"name", FieldType::string}, {"Code", FieldType::integer}, {"code_2", FieldType::string}};
    a.features[0].values = {std::string("A1"), std::int64_t{7}, std::string("x")};
    a.fid_column = "fid";
    b = layer("b", {{"B", rectangle(5, 5, 25, 15)}});
    b.fid_column = "fid";
    b.features[0].fid = 4643;
    b.fields = {{"code", FieldType::string}, {"name", FieldType::string}};
    b.features[0].values = {std::string("NL"), std::string("Limburg")};
  }

  Layer run(nlohmann::json values) const {
    LayerSource source(a);
    LayerSink sink;
    StepInput input;
    input.layers = {{"input", {&a}}, {"overlay", {&b}}};
    input.sources = {{"input", {&source}}};
    input.sink = &sink;
    input.values = defaults();
    input.values.update(values);
    NullProgress progress;
    Intersection().run(input, progress);
    return std::move(sink.layers().at(0));
  }
};

// Names as QGIS's combineFields gives them: a taken overlay name (without case) gets _2, or _3
// where _2 is taken too; the overlay's fid (taken by the output's own) becomes fid_2.
TEST(Intersection, OverlayFieldsAreNamedAsNativeIntersectionNamesThem) {
  const Overlaid data;
  const auto all = data.run(nlohmann::json::object());
  EXPECT_EQ(field_names(all), (std::vector<std::string>{"name", "Code", "code_2", "fid_2", "code_3", "name_2",
                                                        "area_m2"}));
  const auto& piece = all.features.at(0);
  EXPECT_EQ(std::get<std::int64_t>(piece.values[3]), 4643);
  EXPECT_EQ(std::get<std::string>(piece.values[4]), "NL");
  EXPECT_EQ(std::get<std::string>(piece.values[5]), "Limburg");
  EXPECT_NEAR(std::get<double>(piece.values[6]), 25.0, 1e-9);

  const auto prefixed = data.run({{"overlay_fields_prefix", "ov_"}});
  EXPECT_EQ(field_names(prefixed), (std::vector<std::string>{"name", "Code", "code_2", "ov_fid", "ov_code", "ov_name",
                                                             "area_m2"}));
}

TEST(Intersection, KeepsTheChosenFieldsInTheOrderGiven) {
  const Overlaid data;
  const auto chosen = data.run({{"input_fields", {"CODE", "fid"}}, {"overlay_fields", {"name", "FID"}}});
  // The input's fid is its own piece number's column, never an attribute; the overlay's is kept.
  EXPECT_EQ(field_names(chosen), (std::vector<std::string>{"Code", "name", "fid_2", "area_m2"}));
  const auto& piece = chosen.features.at(0);
  EXPECT_EQ(std::get<std::int64_t>(piece.values[0]), 7);
  EXPECT_EQ(std::get<std::string>(piece.values[1]), "Limburg");
  EXPECT_EQ(std::get<std::int64_t>(piece.values[2]), 4643);
}

TEST(Intersection, AFieldThatDoesNotExistIsAConfigErrorListingTheFields) {
  const Overlaid data;
  try {
    data.run({{"overlay_fields", {"nmae"}}});
    FAIL() << "an unknown field was accepted";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("overlay_fields: no field 'nmae' in layer 'b'"), std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("fields: fid, code, name"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace twinrisk::ops
