// shared-zones on rectangles whose areas are worked out by hand in the comments.

#include "twinrisk/ops/shared_zones.hpp"

#include <gtest/gtest.h>

#include <map>

#include "../test_support.hpp"

namespace twinrisk::ops {
namespace {

using test::rectangle;

struct Municipality {
  std::string id, country, wkt;
};

Layer municipalities(const std::vector<Municipality>& items) {
  Layer layer;
  layer.name = "municipalities";
  layer.role = Role::municipalities;
  layer.fields = {{"id", FieldType::string}, {"name", FieldType::string}, {"country", FieldType::string}};
  std::int64_t fid = 1;
  for (const auto& m : items) layer.features.push_back({fid++, geos::from_wkt(m.wkt), {m.id, "name " + m.id, m.country}});
  return layer;
}

Layer hazard(const std::vector<std::pair<std::int64_t, std::string>>& items) {
  Layer layer;
  layer.name = "hazard";
  layer.role = Role::hazard;
  layer.fields = {{"class", FieldType::integer}};
  std::int64_t fid = 1;
  for (const auto& [cls, wkt] : items) layer.features.push_back({fid++, geos::from_wkt(wkt), {cls}});
  return layer;
}

StepOutput run(const Layer& m, const Layer& h, double min_area_m2 = 0) {
  StepInput input;
  input.layers = {{"municipalities", {&m}}, {"hazard", {&h}}};
  input.values["min_area_m2"] = min_area_m2;
  NullProgress progress;
  return SharedZones().run(input, progress);
}

// Reads a field of a result feature by name.
const Value& field(const Layer& layer, const Feature& feature, const std::string& name) {
  return feature.values.at(*layer.field_index(name));
}
double real(const Layer& layer, const Feature& feature, const std::string& name) {
  return std::get<double>(field(layer, feature, name));
}
std::int64_t integer(const Layer& layer, const Feature& feature, const std::string& name) {
  return std::get<std::int64_t>(field(layer, feature, name));
}
std::string text(const Layer& layer, const Feature& feature, const std::string& name) {
  return std::get<std::string>(field(layer, feature, name));
}

// The zone parts' area by municipality id.
std::map<std::string, double> part_area_by_municipality(const StepOutput& out) {
  std::map<std::string, double> area;
  for (const auto& part : out.layers[1].features) {
    area[text(out.layers[1], part, "municipality_id")] += real(out.layers[1], part, "area_m2");
  }
  return area;
}

constexpr double kTolerance = 1e-9;

TEST(SharedZones, HazardAcrossThreeMunicipalitiesInTwoCountries) {
  // A and B in country X, C in country Y, each 100 x 100 = 10,000 m².
  const auto m = municipalities({{"A", "X", rectangle(0, 0, 100, 100)},
                                 {"B", "X", rectangle(100, 0, 200, 100)},
                                 {"C", "Y", rectangle(200, 0, 300, 100)}});
  // Class 1: 200 x 20 = 4,000 m²: A 50x20 = 1,000, B 100x20 = 2,000, C 50x20 = 1,000.
  // Class 2: 100 x 10 = 1,000 m², half in C (500), half outside every municipality (500).
  const auto h = hazard({{1, rectangle(50, 40, 250, 60)}, {2, rectangle(250, 0, 350, 10)}});
  const auto out = run(m, h);
  const Layer& zones = out.layers.at(0);
  const Layer& parts = out.layers.at(1);
  ASSERT_EQ(zones.name, "zones");
  ASSERT_EQ(zones.features.size(), 2u);

  const auto& z1 = zones.features[0];
  EXPECT_EQ(text(zones, z1, "class"), "1");
  EXPECT_NEAR(real(zones, z1, "area_m2"), 4000, kTolerance);
  EXPECT_EQ(integer(zones, z1, "n_municipalities"), 3);
  EXPECT_EQ(integer(zones, z1, "n_countries"), 2);
  EXPECT_EQ(integer(zones, z1, "cross_border"), 1);
  EXPECT_EQ(integer(zones, z1, "cross_national"), 1);
  EXPECT_EQ(text(zones, z1, "municipalities"), "A;B;C");
  EXPECT_EQ(text(zones, z1, "countries"), "X;Y");
  EXPECT_NEAR(real(zones, z1, "outside_area_m2"), 0, kTolerance);

  const auto& z2 = zones.features[1];
  EXPECT_EQ(text(zones, z2, "class"), "2");
  EXPECT_NEAR(real(zones, z2, "area_m2"), 1000, kTolerance);
  EXPECT_EQ(integer(zones, z2, "n_municipalities"), 1);
  EXPECT_EQ(integer(zones, z2, "cross_border"), 0);
  EXPECT_EQ(integer(zones, z2, "cross_national"), 0);
  EXPECT_NEAR(real(zones, z2, "outside_area_m2"), 500, kTolerance);

  struct Expected {
    double area, share_of_zone;
    std::optional<double> share_of_municipality;
  };
  const std::map<std::pair<std::int64_t, std::string>, Expected> expected = {
      {{1, "A"}, {1000, 0.25, 0.1}}, {{1, "B"}, {2000, 0.5, 0.2}}, {{1, "C"}, {1000, 0.25, 0.1}},
      {{2, "C"}, {500, 0.5, 0.05}},  {{2, ""}, {500, 0.5, std::nullopt}},
  };
  ASSERT_EQ(parts.features.size(), expected.size());
  for (const auto& part : parts.features) {
    const auto key = std::make_pair(integer(parts, part, "zone_id"), text(parts, part, "municipality_id"));
    ASSERT_TRUE(expected.count(key)) << key.first << " " << key.second;
    const auto& want = expected.at(key);
    EXPECT_NEAR(real(parts, part, "area_m2"), want.area, kTolerance);
    EXPECT_NEAR(geos::area(part.geometry.get()), want.area, kTolerance);
    EXPECT_NEAR(real(parts, part, "share_of_zone"), want.share_of_zone, kTolerance);
    if (want.share_of_municipality) {
      EXPECT_NEAR(real(parts, part, "share_of_municipality"), *want.share_of_municipality, kTolerance);
    } else {
      EXPECT_TRUE(std::holds_alternative<std::monostate>(field(parts, part, "share_of_municipality")));
    }
  }

  // municipality_summary: B, class 1, shares zone 1 with A and C.
  const Table& summary = out.tables.at(1);
  ASSERT_EQ(summary.name, "municipality_summary");
  bool found_b = false;
  for (const auto& row : summary.rows) {
    if (std::get<std::string>(row[0]) == "B" && std::get<std::string>(row[3]) == "1") {
      found_b = true;
      EXPECT_NEAR(std::get<double>(row[4]), 2000, kTolerance);
      EXPECT_NEAR(std::get<double>(row[5]), 0.2, kTolerance);
      EXPECT_EQ(std::get<std::int64_t>(row[6]), 1);
      EXPECT_EQ(std::get<std::int64_t>(row[7]), 1);
    }
  }
  EXPECT_TRUE(found_b);
  ASSERT_EQ(summary.rows.size(), 4u);  // A1, B1, C1, C2
  // Partners: the members whose part of the zone touches the row's own part. Zone 1's parts are
  // A [50,100], B [100,200], C [200,250] along x: A and C are both in the zone, but B lies between.
  const std::map<std::pair<std::string, std::string>, std::pair<std::string, std::int64_t>> partners = {
      {{"A", "1"}, {"B", 1}}, {{"B", "1"}, {"A;C", 2}}, {{"C", "1"}, {"B", 1}}, {{"C", "2"}, {"", 0}}};
  for (const auto& row : summary.rows) {
    const auto& want = partners.at({std::get<std::string>(row[0]), std::get<std::string>(row[3])});
    EXPECT_EQ(std::get<std::string>(row[8]), want.first);
    EXPECT_EQ(std::get<std::int64_t>(row[9]), want.second);
  }

  const Table& zone_summary = out.tables.at(0);
  ASSERT_EQ(zone_summary.rows.size(), 2u);
  EXPECT_NEAR(std::get<double>(zone_summary.rows[1][7]), 500, kTolerance);  // class 2 outside area
}

TEST(SharedZones, PartnersOfAMunicipalityInSeveralZonesAreMergedOnce) {
  const auto m = municipalities({{"A", "X", rectangle(0, 0, 100, 100)},
                                 {"B", "X", rectangle(100, 0, 200, 100)},
                                 {"C", "Y", rectangle(200, 0, 300, 100)}});
  // Three class-1 zones: A-B, B-C and A-B again, so B meets A twice and C once.
  const auto h = hazard({{1, rectangle(90, 0, 110, 10)}, {1, rectangle(190, 20, 210, 30)}, {1, rectangle(90, 40, 110, 50)}});
  const auto out = run(m, h);
  const Table& summary = out.tables.at(1);
  const std::map<std::string, std::tuple<std::int64_t, std::string, std::int64_t>> expected = {
      {"A", {2, "B", 1}}, {"B", {3, "A;C", 2}}, {"C", {1, "B", 1}}};
  ASSERT_EQ(summary.rows.size(), expected.size());
  for (const auto& row : summary.rows) {
    const auto& [zones, partners, count] = expected.at(std::get<std::string>(row[0]));
    EXPECT_EQ(std::get<std::int64_t>(row[6]), zones);
    EXPECT_EQ(std::get<std::string>(row[8]), partners);
    EXPECT_EQ(std::get<std::int64_t>(row[9]), count);
  }
}

TEST(SharedZones, OverlappingPolygonsOfOneClassBecomeOneZoneTouchingClassesStayApart) {
  const auto m = municipalities({{"A", "X", rectangle(-100, -100, 100, 100)}});
  // Class 1: [0,10]x[0,10] ∪ [5,15]x[0,10] = 15 x 10 = 150 m².
  // Class 2: [15,25]x[0,10] touches class 1 along x = 15: 100 m², a zone of its own.
  // Class 1 again: [0,10]x[20,30] and [10,20]x[20,30] share an edge: one zone of 200 m².
  const auto h = hazard({{1, rectangle(0, 0, 10, 10)},
                         {1, rectangle(5, 0, 15, 10)},
                         {2, rectangle(15, 0, 25, 10)},
                         {1, rectangle(0, 20, 10, 30)},
                         {1, rectangle(10, 20, 20, 30)}});
  const auto out = run(m, h);
  const Layer& zones = out.layers.at(0);
  std::multimap<std::string, double> areas;
  for (const auto& z : zones.features) areas.emplace(text(zones, z, "class"), real(zones, z, "area_m2"));
  ASSERT_EQ(areas.size(), 3u);
  ASSERT_EQ(areas.count("1"), 2u);
  auto [first, last] = areas.equal_range("1");
  std::vector<double> class1 = {first->second, std::next(first)->second};
  std::sort(class1.begin(), class1.end());
  EXPECT_NEAR(class1[0], 150, kTolerance);
  EXPECT_NEAR(class1[1], 200, kTolerance);
  EXPECT_NEAR(areas.find("2")->second, 100, kTolerance);
}

TEST(SharedZones, PolygonsTouchingAtOnePointAreSeparateZones) {
  const auto m = municipalities({{"A", "X", rectangle(-100, -100, 100, 100)}});
  const auto h = hazard({{1, rectangle(0, 0, 10, 10)}, {1, rectangle(10, 10, 20, 20)}});
  const auto out = run(m, h);
  ASSERT_EQ(out.layers.at(0).features.size(), 2u);
  for (const auto& z : out.layers.at(0).features) EXPECT_NEAR(real(out.layers[0], z, "area_m2"), 100, kTolerance);
}

TEST(SharedZones, OverlappingMunicipalitiesAreCountedOnceAndReported) {
  // A = [0,100], B = [90,200]: they overlap on x in [90,100].
  const auto m = municipalities({{"A", "X", rectangle(0, 0, 100, 100)}, {"B", "Y", rectangle(90, 0, 200, 100)}});
  // Hazard [50,150] x [0,10] = 1,000 m²: A keeps [50,100] = 500 (the overlap is A's, A comes first),
  // B gets [100,150] = 500; the overlap is 10 x 10 = 100 m².
  const auto h = hazard({{1, rectangle(50, 0, 150, 10)}});
  const auto out = run(m, h);
  const Layer& parts = out.layers.at(1);
  ASSERT_EQ(parts.features.size(), 2u);
  double sum = 0;
  for (const auto& part : parts.features) {
    EXPECT_NEAR(real(parts, part, "area_m2"), 500, kTolerance) << text(parts, part, "municipality_id");
    sum += geos::area(part.geometry.get());
  }
  EXPECT_NEAR(sum, 1000, kTolerance);
  EXPECT_NEAR(out.stats.at("municipality_overlap_m2").get<double>(), 100, kTolerance);
  EXPECT_EQ(out.stats.at("zones_with_municipality_overlap").get<int>(), 1);
}

TEST(SharedZones, ThreeOverlappingMunicipalitiesCountTheOverlapOnce) {
  // M1 = [0,100], M2 = M3 = [50,150]. Hazard [0,150] x [0,10] = 1,500 m².
  // [50,100] lies in all three, [100,150] in M2 and M3: 500 + 500 = 1,000 m² claimed more than once.
  // Parts: M1 keeps [0,100] = 1,000, M2 gets [100,150] = 500, M3 nothing.
  const auto m = municipalities({{"M1", "X", rectangle(0, 0, 100, 100)},
                                 {"M2", "X", rectangle(50, 0, 150, 100)},
                                 {"M3", "X", rectangle(50, 0, 150, 100)}});
  const auto out = run(m, hazard({{1, rectangle(0, 0, 150, 10)}}));
  auto parts = part_area_by_municipality(out);
  EXPECT_EQ(parts.size(), 2u);
  EXPECT_NEAR(parts["M1"], 1000, kTolerance);
  EXPECT_NEAR(parts["M2"], 500, kTolerance);
  EXPECT_NEAR(out.stats.at("municipality_overlap_m2").get<double>(), 1000, kTolerance);
}

TEST(SharedZones, RowsSharingAnIdAreOneMunicipality) {
  // Municipality A is stored as two rows, [0,100] and [100,200] x [0,100]: 20,000 m² in all.
  // The hazard [50,150] x [40,60] = 2,000 m² lies in A only: one part, share 2,000 / 20,000.
  const auto m = municipalities({{"A", "X", rectangle(0, 0, 100, 100)},
                                 {"A", "X", rectangle(100, 0, 200, 100)},
                                 {"B", "X", rectangle(200, 0, 300, 100)}});
  const auto out = run(m, hazard({{1, rectangle(50, 40, 150, 60)}}));
  const Layer& zones = out.layers[0];
  ASSERT_EQ(zones.features.size(), 1u);
  EXPECT_EQ(integer(zones, zones.features[0], "n_municipalities"), 1);
  EXPECT_EQ(integer(zones, zones.features[0], "cross_border"), 0);
  const Layer& parts = out.layers[1];
  ASSERT_EQ(parts.features.size(), 1u);
  EXPECT_NEAR(real(parts, parts.features[0], "area_m2"), 2000, kTolerance);
  EXPECT_NEAR(real(parts, parts.features[0], "share_of_municipality"), 0.1, kTolerance);
  ASSERT_EQ(out.tables.at(1).rows.size(), 1u);
  EXPECT_NEAR(std::get<double>(out.tables.at(1).rows[0][5]), 0.1, kTolerance);
}

TEST(SharedZones, SliversBelowMinAreaAreCountedThenDropped) {
  // B holds a 0.1 x 10 = 1 m² sliver of the hazard [0,100] x [0,10].
  const auto m = municipalities({{"A", "X", rectangle(-50, -50, 99.9, 50)}, {"B", "Y", rectangle(99.9, -50, 200, 50)}});
  const auto h = hazard({{1, rectangle(0, 0, 100, 10)}});
  const auto kept = run(m, h, 0);
  EXPECT_EQ(integer(kept.layers[0], kept.layers[0].features[0], "cross_border"), 1);

  const auto out = run(m, h, 5);
  const Layer& zones = out.layers.at(0);
  ASSERT_EQ(zones.features.size(), 1u);
  EXPECT_EQ(integer(zones, zones.features[0], "n_municipalities"), 1);
  EXPECT_EQ(integer(zones, zones.features[0], "cross_border"), 0);
  EXPECT_NEAR(real(zones, zones.features[0], "dropped_area_m2"), 1, 1e-6);
  EXPECT_NEAR(real(zones, zones.features[0], "area_m2"), 1000, kTolerance);
  EXPECT_EQ(out.layers.at(1).features.size(), 1u);
  EXPECT_EQ(out.stats.at("slivers_dropped").get<int>(), 1);
  EXPECT_NEAR(out.stats.at("sliver_area_m2").get<double>(), 1, 1e-6);
}

TEST(SharedZones, MultiPartHazardAndMunicipalityGeometries) {
  // Municipality A is two squares 100 x 100 far apart; the hazard is a multipolygon with one
  // 10 x 10 square in each: two zones (they are not connected), both in A only.
  const auto m = municipalities(
      {{"A", "X", "MULTIPOLYGON(((0 0,100 0,100 100,0 100,0 0)),((1000 0,1100 0,1100 100,1000 100,1000 0)))"}});
  const auto h = hazard({{1, "MULTIPOLYGON(((10 10,20 10,20 20,10 20,10 10)),((1010 10,1020 10,1020 20,1010 20,1010 10)))"}});
  const auto out = run(m, h);
  ASSERT_EQ(out.layers[0].features.size(), 2u);
  ASSERT_EQ(out.layers[1].features.size(), 2u);  // one part per zone, both in A
  for (const auto& part : out.layers[1].features) {
    EXPECT_EQ(text(out.layers[1], part, "municipality_id"), "A");
    EXPECT_NEAR(real(out.layers[1], part, "share_of_municipality"), 100.0 / 20000.0, kTolerance);
  }
}

TEST(SharedZones, AnLShapedZoneIsCutOnlyByTheMunicipalitiesItMeets) {
  // Hazard [0,10] x [0,2] and [0,2] x [0,10] make an L of 20 + 20 - 4 = 36. D fills the notch:
  // inside the zone's envelope but meeting neither hazard polygon's, so it is not even tested.
  // A holds [0,5] x [0,2] and [0,2] x [2,5] = 10 + 6; B [5,10] x [0,2] = 10; C [0,2] x [5,10] = 10.
  const auto m = municipalities({{"A", "X", rectangle(0, 0, 5, 5)},
                                 {"B", "X", rectangle(5, 0, 10, 5)},
                                 {"C", "Y", rectangle(0, 5, 5, 10)},
                                 {"D", "Y", rectangle(5, 5, 10, 10)}});
  const auto h = hazard({{1, rectangle(0, 0, 10, 2)}, {1, rectangle(0, 0, 2, 10)}});
  const auto out = run(m, h);
  ASSERT_EQ(out.layers[0].features.size(), 1u);
  EXPECT_NEAR(real(out.layers[0], out.layers[0].features[0], "area_m2"), 36, kTolerance);
  EXPECT_EQ(integer(out.layers[0], out.layers[0].features[0], "n_municipalities"), 3);
  auto area = part_area_by_municipality(out);
  const std::map<std::string, double> expected = {{"A", 16}, {"B", 10}, {"C", 10}};
  ASSERT_EQ(area.size(), expected.size());
  for (const auto& [id, value] : expected) EXPECT_NEAR(area[id], value, kTolerance) << id;
}

TEST(SharedZones, NeighboursAcrossADiagonalEdgeTouchInsideTheZone) {
  // From the generated 20k x 5k data: A and B share the edge (4270880.08 2886221.92) -
  // (4268104.74 2890178.73), A's ring running along it one way and B's the other. Where the zone's envelope
  // crosses it, a cut point worked out from either direction differs in the last digit
  // (4269824.010958114 or ...113): boundaries clipped to the envelope left a sliver 2.3e-10 m wide
  // between the two parts, so A and B did not touch and were not each other's partner (with B
  // first in the layer; the noding's outcome depends on the order of its lines).
  const auto m = municipalities({{"B", "Y",
                                  "POLYGON ((4269559.077829952 2891652.1152484547, 4272155.919515233 2892193.462909837, "
                                  "4274466.568550156 2888869.828750513, 4273705.439119254 2886621.6333939913, "
                                  "4273489.7484965185 2886510.683600322, 4270880.082132829 2886221.9232423976, "
                                  "4268104.74395669 2890178.7329559457, 4269559.077829952 2891652.1152484547))"},
                                 {"A", "X",
                                  "POLYGON ((4264374.315582351 2888546.5875107404, 4266063.135818214 2890118.4960583434, "
                                  "4268104.74395669 2890178.7329559457, 4270880.082132829 2886221.9232423976, "
                                  "4269298.037319357 2884219.4774411526, 4265504.429989544 2884480.600652313, "
                                  "4263758.831954407 2886895.7612111755, 4264374.315582351 2888546.5875107404))"}});
  const auto h = hazard({{1,
                          "POLYGON ((4270713.495122119 2887733.6573876413, 4269813.678803191 2888334.885055523, "
                          "4268864.013339946 2888764.6283310587, 4268823.227072331 2888791.8808437996, "
                          "4268795.97455959 2888832.667111415, 4268786.404749744 2888880.7777943886, "
                          "4268795.97455959 2888928.888477362, 4268823.227072331 2888969.6747449776, "
                          "4268864.013339946 2888996.9272577185, 4268912.12402292 2889006.497067565, "
                          "4268960.234705893 2888996.9272577185, 4269893.242449371 2888526.9686892047, "
                          "4269926.967850519 2888504.4340966023, 4270800.678339204 2887864.136292737, "
                          "4270818.02015931 2887838.182424831, 4270824.109796708 2887807.567750242, "
                          "4270818.02015931 2887776.953075653, 4270800.678339204 2887750.999207747, "
                          "4270774.724471298 2887733.6573876413, 4270744.109796708 2887727.567750242, "
                          "4270713.495122119 2887733.6573876413))"}});
  const auto out = run(m, h);
  auto area = part_area_by_municipality(out);
  // Each part as GEOS's overlay computes it, a different algorithm from the cut's noding; B is
  // the first municipality, A the second.
  ASSERT_EQ(area.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto expected = geos::area(geos::intersection(h.features[0].geometry.get(), m.features[1 - i].geometry.get()).get());
    EXPECT_NEAR(area[i == 0 ? "A" : "B"], expected, 1e-6) << i;
  }
  const Table& summary = out.tables.at(1);
  ASSERT_EQ(summary.rows.size(), 2u);
  for (const auto& row : summary.rows) {
    EXPECT_EQ(std::get<std::string>(row[8]), std::get<std::string>(row[0]) == "A" ? "B" : "A");
    EXPECT_EQ(std::get<std::int64_t>(row[9]), 1);
  }
}

TEST(SharedZones, APinholeFilledInTheZoneIsStillCutAtTheBorder) {
  // Four bars frame a 0.05 x 0.05 hole at the centre of [0,10]², under the 0.01 m² below which a
  // zone's holes are filled: the zone is the whole square. The border x = 5 has a vertex on
  // either side of the hole, so one segment lies inside it, outside every bar's envelope; it must
  // still cut the filled hole in two: A [0,5] x [0,10] = 50, B the other 50.
  const auto m = municipalities({{"A", "X", "POLYGON ((-10 -10, 5 -10, 5 4.99, 5 5.01, 5 20, -10 20, -10 -10))"},
                                 {"B", "Y", "POLYGON ((5 -10, 20 -10, 20 20, 5 20, 5 5.01, 5 4.99, 5 -10))"}});
  const auto h = hazard({{1, rectangle(0, 0, 10, 4.975)},
                         {1, rectangle(0, 5.025, 10, 10)},
                         {1, rectangle(0, 0, 4.975, 10)},
                         {1, rectangle(5.025, 0, 10, 10)}});
  const auto out = run(m, h);
  ASSERT_EQ(out.layers[0].features.size(), 1u);
  EXPECT_NEAR(real(out.layers[0], out.layers[0].features[0], "area_m2"), 100, kTolerance);
  auto area = part_area_by_municipality(out);
  ASSERT_EQ(area.size(), 2u);
  EXPECT_NEAR(area["A"], 50, kTolerance);
  EXPECT_NEAR(area["B"], 50, kTolerance);
}

TEST(SharedZones, NoClassFieldMeansOneClass) {
  const auto m = municipalities({{"A", "X", rectangle(0, 0, 100, 100)}});
  Layer h;
  h.name = "hazard";
  h.role = Role::hazard;
  h.features.push_back({1, geos::from_wkt(rectangle(0, 0, 10, 10)), {}});
  h.features.push_back({2, geos::from_wkt(rectangle(5, 5, 15, 15)), {}});
  const auto out = run(m, h);
  ASSERT_EQ(out.layers[0].features.size(), 1u);
  EXPECT_NEAR(real(out.layers[0], out.layers[0].features[0], "area_m2"), 175, kTolerance);  // 100 + 100 - 25
}

}  // namespace
}  // namespace twinrisk::ops
