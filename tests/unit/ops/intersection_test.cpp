// intersection on squares whose overlaps are worked out by hand.

#include "twinrisk/ops/intersection.hpp"

#include <gtest/gtest.h>

#include "../test_support.hpp"

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

}  // namespace
}  // namespace twinrisk::ops
