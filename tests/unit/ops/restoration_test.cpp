// restoration kernel: corridors whose areas are hand-computed buffers minus known rectangles.

#include "twinrisk/ops/restoration.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "../test_support.hpp"
#include "ops_fixtures.hpp"
#include "twinrisk/core/error.hpp"

namespace twinrisk::ops {
namespace {

using test::line;
using test::municipality_layer;
using test::rectangle;
using test::river_layer;

Layer polygons(const std::string& name, const std::vector<std::string>& wkts) {
  Layer layer;
  layer.name = name;
  layer.role = Role::features;
  std::int64_t fid = 1;
  for (const auto& wkt : wkts) layer.features.push_back({fid++, geos::from_wkt(wkt), {}});
  return layer;
}

RestorationOptions flat(double width_m) {
  RestorationOptions options;
  options.width_m = width_m;
  options.cap = geos::CapStyle::flat;
  return options;
}

RiverReachesResult reaches_of(const Layer& rivers, const MunicipalityIndex& m, double tolerance_m = 10) {
  RiverReachesOptions options;
  options.tolerance_m = tolerance_m;
  return river_reaches(rivers, m, options);
}

std::map<std::string, double> area_by_municipality(const RestorationResult& result, const MunicipalityIndex& m) {
  std::map<std::string, double> out;
  for (const auto& row : result.by_municipality) out[m.id(row.municipality)] = row.area_m2;
  return out;
}

// A = [0,100]², a straight river from (10, 50) to (90, 50): with flat caps and width 5 the
// corridor is the rectangle [10,90] × [45,55], 80 × 10 = 800 m².
struct Straight {
  Layer municipalities = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)}});
  Layer rivers = river_layer({{"r", line({{10, 50}, {90, 50}})}});
};

TEST(Restoration, FlatCorridorMinusABuilding) {
  const Straight s;
  const MunicipalityIndex m(s.municipalities);
  const auto reaches = reaches_of(s.rivers, m);
  // The building [40,45] × [48,60] covers [40,45] × [48,55] of the corridor: 5 × 7 = 35 m².
  const auto buildings = polygons("buildings", {rectangle(40, 48, 45, 60)});
  RestorationInputs inputs;
  inputs.footprints = {&buildings};
  const auto result = restoration(s.rivers, reaches, m, inputs, flat(5));
  ASSERT_EQ(result.candidates.size(), 1u);
  EXPECT_NEAR(result.candidates[0].area_m2, 800 - 35, 1e-9);
  EXPECT_NEAR(result.corridor_area_m2, 800, 1e-9);
  EXPECT_NEAR(result.excluded_area_m2, 35, 1e-9);
  EXPECT_FALSE(result.candidates[0].border);
}

TEST(Restoration, BufferedBuildingAndWater) {
  const Straight s;
  const MunicipalityIndex m(s.municipalities);
  const auto reaches = reaches_of(s.rivers, m);
  const auto buildings = polygons("buildings", {rectangle(40, 48, 45, 60)});
  const auto water = polygons("water", {rectangle(70, 40, 80, 60)});
  RestorationInputs inputs;
  inputs.footprints = {&buildings};
  inputs.water = {&water};
  auto options = flat(5);
  options.footprint_buffer_m = 1;
  const auto result = restoration(s.rivers, reaches, m, inputs, options);
  // Hand: the building grown by 1 m (round corners, 8 segments per quarter) inside the corridor
  // (y ≤ 55): [39,46] × [48,55] = 49, the strip [40,45] × [47,48] = 5, and two bottom corners, each
  // a quarter 8-gon of radius 1: 8 · ½ · sin(π/16) = 0.780361. The water takes [70,80] × [45,55].
  const double corner = 8 * 0.5 * std::sin(M_PI / 16);
  const double expected = 800 - (49 + 5 + 2 * corner) - 100;
  ASSERT_EQ(result.candidates.size(), 1u);
  EXPECT_NEAR(result.candidates[0].area_m2, expected, 1e-9);
}

TEST(Restoration, RoundCapsAreHalfPolygons) {
  const Straight s;
  const MunicipalityIndex m(s.municipalities);
  const auto reaches = reaches_of(s.rivers, m);
  RestorationOptions options;
  options.width_m = 5;
  options.quadrant_segments = 8;
  const auto result = restoration(s.rivers, reaches, m, {}, options);
  // Hand: 800 plus two half 16-gons of radius 5: 2 · 8 · 25 · sin(π/16).
  ASSERT_EQ(result.candidates.size(), 1u);
  EXPECT_NEAR(result.candidates[0].area_m2, 800 + 2 * 8 * 25 * std::sin(M_PI / 16), 1e-9);
}

TEST(Restoration, LimitedToHazardZones) {
  const Straight s;
  const MunicipalityIndex m(s.municipalities);
  const auto reaches = reaches_of(s.rivers, m);
  const auto zones = polygons("zones", {rectangle(0, 0, 60, 100), rectangle(50, 0, 70, 52)});
  RestorationInputs inputs;
  inputs.hazard = &zones;
  const auto result = restoration(s.rivers, reaches, m, inputs, flat(5));
  // Hand: x ≤ 60 gives [10,60] × [45,55] = 500; the second zone adds [60,70] × [45,52] = 70.
  ASSERT_EQ(result.candidates.size(), 1u);
  EXPECT_NEAR(result.candidates[0].area_m2, 570, 1e-9);
}

TEST(Restoration, ClippedPerMunicipality) {
  // A | B at x = 100; the river from (10, 50) to (190, 50): A gets [10,100] × [45,55], B [100,190] × …
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)}, {"B", "Y", rectangle(100, 0, 200, 100)}});
  const MunicipalityIndex m(layer);
  const auto rivers = river_layer({{"r", line({{10, 50}, {190, 50}})}});
  const auto result = restoration(rivers, reaches_of(rivers, m), m, {}, flat(5));
  const std::map<std::string, double> expected = {{"A", 900}, {"B", 900}};
  const auto got = area_by_municipality(result, m);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NEAR(got.at("A"), 900, 1e-9);
  EXPECT_NEAR(got.at("B"), 900, 1e-9);
  EXPECT_TRUE(result.joint.empty());
}

// The step hands candidates on while later municipalities are still being worked on: what `emit`
// receives, batch after batch, is what a run without it returns, in the same order (by
// municipality, a municipality's rows in layer order), and the result keeps none of it.
// 30 squares of 100 m along x, rows 20–29 being second rows of M0–M9; a river from x = 10 to
// x = 2990 with flat caps and width 5: 900 m² in the end squares, 1000 m² in the others.
TEST(Restoration, CandidatesHandedOnInBatchesComeInTheOrderOfTheResult) {
  std::vector<test::MunicipalityRow> rows;
  for (int i = 0; i < 30; ++i) rows.push_back({fmt::format("M{}", i % 20), "X", rectangle(100 * i, 0, 100 * (i + 1), 100)});
  const auto layer = municipality_layer(rows);
  const MunicipalityIndex m(layer);
  const auto rivers = river_layer({{"r", line({{10, 50}, {2990, 50}})}});
  const auto reaches = reaches_of(rivers, m);
  const auto whole = restoration(rivers, reaches, m, {}, flat(5));
  std::vector<RestorationCandidate> handed;
  std::size_t batches = 0;
  const auto streamed = restoration(rivers, reaches, m, {}, flat(5), [&](std::vector<RestorationCandidate>&& batch) {
    ++batches;
    for (auto& c : batch) handed.push_back(std::move(c));
  });
  EXPECT_TRUE(streamed.candidates.empty());
  EXPECT_GT(batches, 1u);
  ASSERT_EQ(whole.candidates.size(), 30u);
  ASSERT_EQ(handed.size(), whole.candidates.size());
  double total = 0;
  for (std::size_t i = 0; i < handed.size(); ++i) {
    EXPECT_EQ(m.id(handed[i].municipality), fmt::format("M{}", i / 2 < 10 ? i / 2 : i - 10)) << i;
    EXPECT_EQ(handed[i].municipality, whole.candidates[i].municipality) << i;
    EXPECT_EQ(geos::to_wkb(handed[i].geometry.get()), geos::to_wkb(whole.candidates[i].geometry.get())) << i;
    total += handed[i].area_m2;
  }
  EXPECT_NEAR(handed.front().area_m2, 900, 1e-9);  // M0's first row: x from 10 to 100
  EXPECT_NEAR(handed[1].area_m2, 1000, 1e-9);      // M0's second row, the 21st square
  EXPECT_NEAR(total, 2980 * 10, 1e-6);
  EXPECT_NEAR(streamed.corridor_area_m2, whole.corridor_area_m2, 0);
}

TEST(Restoration, OverlappingMunicipalitiesCountTheOverlapOnce) {
  // A = [0,60] and B = [40,100] (x) overlap on [40,60]; the corridor [10,90] × [45,55] (800 m²)
  // goes to A up to x = 60 (500 m², the overlap included: A is first) and to B beyond (300 m²).
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 60, 100)}, {"B", "Y", rectangle(40, 0, 100, 100)}});
  const MunicipalityIndex m(layer);
  const auto rivers = river_layer({{"r", line({{10, 50}, {90, 50}})}});
  const auto result = restoration(rivers, reaches_of(rivers, m, 0), m, {}, flat(5));
  const auto got = area_by_municipality(result, m);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NEAR(got.at("A"), 500, 1e-9);
  EXPECT_NEAR(got.at("B"), 300, 1e-9);
  EXPECT_NEAR(result.corridor_area_m2, 800, 1e-9);
}

TEST(Restoration, JointRestorationOnABorderReach) {
  // The river runs along the A | B line 1 m inside B (x = 101, y 0…100): a border reach. Its
  // corridor [96,106] × [0,100] is 400 m² on A's side and 600 m² on B's; both shared.
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)}, {"B", "Y", rectangle(100, 0, 200, 100)}});
  const MunicipalityIndex m(layer);
  const auto rivers = river_layer({{"r", line({{101, 0}, {101, 100}})}});
  const auto result = restoration(rivers, reaches_of(rivers, m), m, {}, flat(5));
  ASSERT_EQ(result.joint.size(), 1u);
  EXPECT_EQ(m.id(result.joint[0].a), "A");
  EXPECT_EQ(m.id(result.joint[0].b), "B");
  EXPECT_NEAR(result.joint[0].area_a_m2, 400, 1e-9);
  EXPECT_NEAR(result.joint[0].area_b_m2, 600, 1e-9);
  for (const auto& row : result.by_municipality) EXPECT_NEAR(row.shared_area_m2, row.area_m2, 1e-9);
}

TEST(Restoration, CrossingCorridorsCountOnce) {
  // Two rivers cross at (50, 50), width 5, flat caps: 800 + 800 − the 10 × 10 overlap, which goes
  // to the first river.
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)}});
  const MunicipalityIndex m(layer);
  const auto rivers = river_layer({{"h", line({{10, 50}, {90, 50}})}, {"v", line({{50, 10}, {50, 90}})}});
  const auto result = restoration(rivers, reaches_of(rivers, m), m, {}, flat(5));
  ASSERT_EQ(result.candidates.size(), 2u);
  EXPECT_EQ(result.candidates[0].river, 0u);
  EXPECT_NEAR(result.candidates[0].area_m2, 800, 1e-9);
  EXPECT_NEAR(result.candidates[1].area_m2, 700, 1e-9);
  EXPECT_NEAR(result.corridor_area_m2, 1500, 1e-9);
}

TEST(Restoration, ThreeOverlappingCorridorsGiveEachSquareMetreToTheFirst) {
  // Width 5, flat caps. h1 (y = 50) takes [10,90] × [45,55], 800. v (x = 50) takes its 800 less
  // the 10 × 10 in h1: 700. h2 (y = 54) would take [10,90] × [49,59], 800, less the 80 × 6 in h1
  // and the [45,55] × [55,59] in v: 280. The 10 × 6 that all three cover goes to h1.
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)}});
  const MunicipalityIndex m(layer);
  const auto rivers = river_layer({{"h1", line({{10, 50}, {90, 50}})},
                                   {"v", line({{50, 10}, {50, 90}})},
                                   {"h2", line({{10, 54}, {90, 54}})}});
  const auto result = restoration(rivers, reaches_of(rivers, m, 0), m, {}, flat(5));
  ASSERT_EQ(result.candidates.size(), 3u);
  std::map<std::size_t, double> by_river;
  for (const auto& c : result.candidates) by_river[c.river] += c.area_m2;
  EXPECT_NEAR(by_river.at(0), 800, 1e-9);
  EXPECT_NEAR(by_river.at(1), 700, 1e-9);
  EXPECT_NEAR(by_river.at(2), 280, 1e-9);
  EXPECT_NEAR(result.corridor_area_m2, 1780, 1e-9);
}

TEST(Restoration, OutsideAreaIsTheCorridorInNoMunicipality) {
  // A = [0,100]² and B = [110,200] × [0,100], a 10 m gap between them; width 5, flat caps.
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)}, {"B", "Y", rectangle(110, 0, 200, 100)}});
  const MunicipalityIndex m(layer);
  // Through the gap: [50,150] × [45,55], of which 100 m² in the gap.
  const auto across = river_layer({{"across", line({{50, 50}, {150, 50}})}});
  EXPECT_NEAR(restoration(across, reaches_of(across, m, 0), m, {}, flat(5)).outside_area_m2, 100, 1e-9);
  // Inside A, 3 m from its edge: [10,90] × [-2,8], of which 80 × 2 below A.
  const auto along = river_layer({{"along", line({{10, 3}, {90, 3}})}});
  EXPECT_NEAR(restoration(along, reaches_of(along, m, 0), m, {}, flat(5)).outside_area_m2, 160, 1e-9);
  // Across the shared edge of two neighbours, far from the rim: nothing outside.
  const auto pair = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)}, {"B", "Y", rectangle(100, 0, 200, 100)}});
  const MunicipalityIndex n(pair);
  const auto inner = river_layer({{"inner", line({{50, 50}, {150, 50}})}});
  const auto result = restoration(inner, reaches_of(inner, n, 0), n, {}, flat(5));
  EXPECT_NEAR(result.corridor_area_m2, 1000, 1e-9);
  EXPECT_NEAR(result.outside_area_m2, 0, 1e-9);
  // A stored counter-clockwise, B = [0,100] × [0,50] over its lower half stored clockwise: their
  // bottom edges run opposite ways but both have land above, so the edge is rim all the same.
  const auto stacked = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)},
                                           {"B", "X", "POLYGON((0 0,0 50,100 50,100 0,0 0))"}});
  const MunicipalityIndex s(stacked);
  EXPECT_NEAR(restoration(along, reaches_of(along, s, 0), s, {}, flat(5)).outside_area_m2, 160, 1e-9);
}

TEST(Restoration, WidthByStreamOrder) {
  // Order 1 → 2 m, order 2 → 4 m (flat caps): 80 × 4 + 80 × 8 = 960 on two parallel rivers.
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)}});
  const MunicipalityIndex m(layer);
  const auto rivers = river_layer({{"small", line({{10, 20}, {90, 20}}), 1}, {"big", line({{10, 70}, {90, 70}}), 2}});
  auto options = flat(0);
  options.width_m.reset();
  options.width_by_order = {{"1", 2}, {"2", 4}};
  const auto result = restoration(rivers, reaches_of(rivers, m), m, {}, options);
  EXPECT_NEAR(result.corridor_area_m2, 960, 1e-9);
  // An order the table lacks, without a default width: an error naming the river.
  options.width_by_order.erase("2");
  try {
    restoration(rivers, reaches_of(rivers, m), m, {}, options);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    EXPECT_EQ(e.context().feature, 102);
    EXPECT_NE(std::string(e.what()).find("river big has stream order '2'"), std::string::npos) << e.what();
  }
}

struct NegativeCase {
  const char* name;
  RestorationOptions options;
  const char* message;
};

void PrintTo(const NegativeCase& c, std::ostream* os) { *os << c.name; }

class NegativeWidth : public ::testing::TestWithParam<NegativeCase> {};

TEST_P(NegativeWidth, IsAConfigError) {
  const Straight s;
  const MunicipalityIndex m(s.municipalities);
  const auto reaches = reaches_of(s.rivers, m);
  try {
    restoration(s.rivers, reaches, m, {}, GetParam().options);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find(GetParam().message), std::string::npos) << e.what();
  }
}

RestorationOptions negative_width() {
  RestorationOptions o;
  o.width_m = -5;
  return o;
}
RestorationOptions negative_order_width() {
  RestorationOptions o;
  o.width_by_order = {{"3", -2}};
  return o;
}
RestorationOptions negative_footprint_buffer() {
  RestorationOptions o;
  o.footprint_buffer_m = -1;
  return o;
}

INSTANTIATE_TEST_SUITE_P(Restoration, NegativeWidth,
                         ::testing::Values(NegativeCase{"width", negative_width(), "width_m is -5"},
                                           NegativeCase{"order_width", negative_order_width(), "stream order 3 is -2"},
                                           NegativeCase{"footprint_buffer", negative_footprint_buffer(),
                                                        "footprint_buffer_m is -1"}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace twinrisk::ops
