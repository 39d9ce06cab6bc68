// exposure on zone parts drawn by hand: lengths and areas worked out in the comments, ellipsoidal
// lengths from PROJ's geod CLI, and conservation (exposed + unexposed = the unsplit input) on
// hundreds of random assets over the parts shared-zones makes.

#include "twinrisk/ops/exposure.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include "../test_support.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/io/loader.hpp"
#include "twinrisk/ops/measure.hpp"
#include "twinrisk/ops/shared_zones.hpp"

namespace twinrisk::ops {
namespace {

using test::rectangle;

struct PartSpec {
  std::int64_t zone_id;
  std::string class_value;
  std::string municipality, country, wkt;
};

Layer zone_parts(const std::vector<PartSpec>& items) {
  Layer layer;
  layer.name = "zone_parts";
  layer.role = Role::result;
  layer.fields = {{"zone_id", FieldType::integer},         {"class", FieldType::string},
                  {"municipality_id", FieldType::string},  {"municipality_name", FieldType::string},
                  {"country", FieldType::string}};
  std::int64_t fid = 1;
  for (const auto& p : items) {
    layer.features.push_back({fid++, geos::from_wkt(p.wkt),
                              {p.zone_id, p.class_value, p.municipality, "name " + p.municipality, p.country}});
  }
  return layer;
}

struct AssetSpec {
  std::string category, wkt;
  std::string name = {};
};

Layer assets(const std::string& name, const std::vector<AssetSpec>& items) {
  Layer layer;
  layer.name = name;
  layer.role = Role::infrastructure;
  layer.geometry = GeometryFamily::any;
  layer.fields = {{"category", FieldType::string}, {"name", FieldType::string}};
  std::int64_t fid = 1;
  for (const auto& a : items) layer.features.push_back({fid++, geos::from_wkt(a.wkt), {a.category, a.name}});
  return layer;
}

struct Options {
  std::string measure = "planar";
  std::string polygons = "split";
  std::vector<std::string> class_order = {};
  std::vector<std::string> critical = {"hospital"};
  std::string whole_part = "largest";
  std::string crs = "EPSG:3035";
};

struct Result {
  StepOutput output;
  Layer pieces;
};

Result run_sources(const Layer& parts, const std::vector<FeatureSource*>& sources, const Options& options = {}) {
  StepInput input;
  input.layers["zone_parts"] = {&parts};
  input.sources["assets"] = sources;
  input.values = {{"measure", options.measure},
                  {"polygons", options.polygons},
                  {"class_order", options.class_order},
                  {"whole_part", options.whole_part},
                  {"critical", options.critical}};
  input.analysis_crs_wkt = options.crs;
  LayerSink sink;
  input.sink = &sink;
  NullProgress progress;
  Result result{Exposure().run(input, progress), {}};
  EXPECT_EQ(sink.layers().size(), 1u);
  if (!sink.layers().empty()) result.pieces = std::move(sink.layers().front());
  EXPECT_EQ(result.pieces.name, "exposed_assets");
  return result;
}

Result run(const Layer& parts, const std::vector<const Layer*>& layers, const Options& options = {}) {
  std::vector<std::unique_ptr<LayerSource>> owned;
  std::vector<FeatureSource*> sources;
  for (const auto* layer : layers) {
    owned.push_back(std::make_unique<LayerSource>(*layer));
    sources.push_back(owned.back().get());
  }
  return run_sources(parts, sources, options);
}

// Passes a source's batches on, counting the features that came as their vertices.
class CountingSource final : public FeatureSource {
 public:
  explicit CountingSource(FeatureSource& source) : m_source(source) {}
  const LayerSchema& schema() const override { return m_source.schema(); }
  std::span<const Feature> next_batch(std::size_t max_features) override {
    const auto batch = m_source.next_batch(max_features);
    for (const auto& feature : batch) m_as_vertices += feature.geometry ? 0 : 1;
    return batch;
  }
  void use_plain_vertices() override { m_source.use_plain_vertices(); }
  std::span<const geos::XY> vertices(std::size_t feature) const override { return m_source.vertices(feature); }
  std::size_t as_vertices() const { return m_as_vertices; }

 private:
  FeatureSource& m_source;
  std::size_t m_as_vertices = 0;
};

const Table& table(const StepOutput& output, const std::string& name) {
  for (const auto& t : output.tables) {
    if (t.name == name) return t;
  }
  throw std::runtime_error("no table " + name);
}

const Value& at(const Table& t, const std::vector<Value>& row, const std::string& column) {
  return row.at(*t.column_index(column));
}
double real(const Table& t, const std::vector<Value>& row, const std::string& column) {
  return std::get<double>(at(t, row, column));
}
std::int64_t integer(const Table& t, const std::vector<Value>& row, const std::string& column) {
  return std::get<std::int64_t>(at(t, row, column));
}
std::string text(const Table& t, const std::vector<Value>& row, const std::string& column) {
  return to_display_string(at(t, row, column));
}
const Value& field(const Layer& layer, const Feature& feature, const std::string& name) {
  return feature.values.at(*layer.field_index(name));
}

constexpr double kTolerance = 1e-9;

// Two municipalities of one zone: A (country X) west of x = 100, B (country Y) east of it; the
// zone is 0 ≤ x ≤ 200, 0 ≤ y ≤ 100.
Layer two_parts() {
  return zone_parts({{1, "high", "A", "X", rectangle(0, 0, 100, 100)}, {1, "high", "B", "Y", rectangle(100, 0, 200, 100)}});
}

TEST(Exposure, RoadAcrossTheBorderAndBeyondTheZone) {
  const auto parts = two_parts();
  // 50 m in A, 100 m in B, 60 m east of the zone.
  const auto roads = assets("roads", {{"road", "LINESTRING(50 50,260 50)"}});
  const auto result = run(parts, {&roads});
  const auto& pieces = result.pieces;
  ASSERT_EQ(pieces.features.size(), 2u);
  EXPECT_EQ(to_display_string(field(pieces, pieces.features[0], "municipality_id")), "A");
  EXPECT_NEAR(std::get<double>(field(pieces, pieces.features[0], "length_m")), 50, kTolerance);
  EXPECT_NEAR(std::get<double>(field(pieces, pieces.features[0], "share_of_asset")), 50.0 / 210, kTolerance);
  EXPECT_EQ(to_display_string(field(pieces, pieces.features[1], "municipality_id")), "B");
  EXPECT_NEAR(std::get<double>(field(pieces, pieces.features[1], "length_m")), 100, kTolerance);
  EXPECT_NEAR(geos::length(pieces.features[1].geometry.get()), 100, kTolerance);
  EXPECT_EQ(std::get<std::int64_t>(field(pieces, pieces.features[1], "asset_id")), 1);
  EXPECT_EQ(to_display_string(field(pieces, pieces.features[1], "asset_layer")), "roads");

  const auto& by_municipality = table(result.output, "exposure_by_municipality");
  ASSERT_EQ(by_municipality.rows.size(), 2u);
  EXPECT_EQ(integer(by_municipality, by_municipality.rows[1], "count"), 1);
  EXPECT_NEAR(real(by_municipality, by_municipality.rows[1], "length_m"), 100, kTolerance);
  const auto& by_zone = table(result.output, "exposure_by_zone");
  ASSERT_EQ(by_zone.rows.size(), 1u);
  EXPECT_EQ(integer(by_zone, by_zone.rows[0], "count"), 1);  // one road, two pieces
  EXPECT_NEAR(real(by_zone, by_zone.rows[0], "length_m"), 150, kTolerance);
  EXPECT_EQ(integer(by_zone, by_zone.rows[0], "n_municipalities"), 2);
  EXPECT_EQ(integer(by_zone, by_zone.rows[0], "cross_national"), 1);

  const auto& unexposed = result.output.stats["unexposed_by_category"]["road"];
  EXPECT_NEAR(unexposed["length_m"].get<double>(), 60, kTolerance);
  EXPECT_NEAR(unexposed["of_length_m"].get<double>(), 210, kTolerance);
  EXPECT_EQ(unexposed["assets"].get<std::int64_t>(), 0);  // the road is exposed, in part
}

TEST(Exposure, WhatLiesInNoZoneOfSeveralClassesIsCountedOnce) {
  // One road along y = 5 from x = -20 to 200: 220 m. In `overlapping` the class "low" zone covers
  // x in [0,100] and "high" [50,150]: each holds 100 m, and 120 m lie outside each, but only
  // [-20,0] and [150,200] = 70 m outside both. In `nested` "low" [0,150] holds "high" [20,80]:
  // 150 m and 60 m, and again 70 m outside both. The first case needs the other class's part
  // taken from what the fuller class leaves; the second leaves it nothing to take.
  const auto roads = assets("roads", {{"road", "LINESTRING(-20 5,200 5)"}});
  const auto overlapping = zone_parts({{1, "low", "A", "X", rectangle(0, 0, 100, 10)},
                                       {2, "high", "A", "X", rectangle(50, 0, 150, 10)}});
  const auto nested = zone_parts({{1, "low", "A", "X", rectangle(0, 0, 150, 10)},
                                  {2, "high", "A", "X", rectangle(20, 0, 80, 10)}});
  for (const auto& [parts, low, high] : {std::tuple{&overlapping, 100.0, 100.0}, std::tuple{&nested, 150.0, 60.0}}) {
    const auto result = run(*parts, {&roads});
    std::map<std::string, double> length;
    for (const auto& piece : result.pieces.features) {
      length[to_display_string(field(result.pieces, piece, "class"))] += std::get<double>(field(result.pieces, piece, "length_m"));
    }
    EXPECT_NEAR(length["low"], low, kTolerance);
    EXPECT_NEAR(length["high"], high, kTolerance);
    const auto& outside = result.output.stats["unexposed_by_category"]["road"];
    EXPECT_NEAR(outside["length_m"].get<double>(), 70, kTolerance);
    EXPECT_NEAR(outside["of_length_m"].get<double>(), 220, kTolerance);
    const auto& totals = table(result.output, "exposure_totals");
    for (const auto& row : totals.rows) {
      const double exposed = text(totals, row, "class") == "low" ? low : high;
      EXPECT_NEAR(real(totals, row, "unexposed_length_m"), 220 - exposed, kTolerance) << text(totals, row, "class");
    }
  }
}

TEST(Exposure, EllipsoidalLengthsOfARoadCrossingABorderMatchGeod) {
  // EPSG:3035 (ETRS89-LAEA, GRS80). A municipality either side of E = 4040000; the road runs from
  // (E 4037000, N 3100000) to (E 4042000, N 3101000) and so crosses at N 3100600.
  // printf '3100000 4037000\n3100600 4040000\n3101000 4042000\n' | cs2cs -f "%.12f" EPSG:3035 EPSG:4326
  //   → 50.940737549549 5.957145319915 / 50.947603626992 5.999309213566 / 50.952172507156 6.027425252516
  // geod +ellps=GRS80 -I +units=m -F "%.6f" on the two halves and the whole:
  //   → 3060.217272, 2040.135548 and 5100.352821
  const auto parts = zone_parts({{1, "1", "W", "NL", rectangle(4030000, 3090000, 4040000, 3110000)},
                                 {1, "1", "E", "BE", rectangle(4040000, 3090000, 4050000, 3110000)}});
  const auto roads = assets("roads", {{"road", "LINESTRING(4037000 3100000,4042000 3101000)"}});
  Options options;
  options.measure = "ellipsoidal";
  const auto result = run(parts, {&roads}, options);
  const auto& pieces = result.pieces;
  ASSERT_EQ(pieces.features.size(), 2u);
  EXPECT_NEAR(std::get<double>(field(pieces, pieces.features[0], "length_m")), 3060.217272, 1e-5);
  EXPECT_NEAR(std::get<double>(field(pieces, pieces.features[1], "length_m")), 2040.135548, 1e-5);
  const auto& totals = table(result.output, "exposure_totals");
  ASSERT_EQ(totals.rows.size(), 1u);
  EXPECT_NEAR(real(totals, totals.rows[0], "total_length_m"), 5100.352821, 1e-5);
  EXPECT_NEAR(real(totals, totals.rows[0], "unexposed_length_m"), 0, 1e-9);
  // The plane of EPSG:3035 is 1.3 m shorter here (scale distortion): planar could not pass above.
  EXPECT_GT(std::abs(std::hypot(5000.0, 1000.0) - 5100.352821), 1.0);
}

TEST(Exposure, ARoadAlongTheBorderIsCountedOnce) {
  const auto parts = two_parts();
  // 80 m exactly on x = 100, the line between A and B: both parts cover it; it goes to A, the first.
  const auto roads = assets("roads", {{"road", "LINESTRING(100 10,100 90)"}});
  const auto result = run(parts, {&roads});
  ASSERT_EQ(result.pieces.features.size(), 1u);
  EXPECT_EQ(to_display_string(field(result.pieces, result.pieces.features[0], "municipality_id")), "A");
  const auto& totals = table(result.output, "exposure_totals");
  EXPECT_NEAR(real(totals, totals.rows[0], "exposed_length_m"), 80, kTolerance);
  EXPECT_NEAR(real(totals, totals.rows[0], "unexposed_length_m"), 0, kTolerance);
}

TEST(Exposure, ARoadAlongTheZonesOuterEdgeIsExposed) {
  // y = 0 is the zone's southern edge: 100 m along A's, 100 m along B's; an overlay of the road
  // with a part keeps what lies on the part's outline, and so does the split.
  const auto roads = assets("roads", {{"road", "LINESTRING(0 0,200 0)"}});
  const auto result = run(two_parts(), {&roads});
  ASSERT_EQ(result.pieces.features.size(), 2u);
  for (const auto& piece : result.pieces.features) {
    EXPECT_NEAR(std::get<double>(field(result.pieces, piece, "length_m")), 100, kTolerance);
  }
  const auto& totals = table(result.output, "exposure_totals");
  EXPECT_NEAR(real(totals, totals.rows[0], "unexposed_length_m"), 0, kTolerance);
}

TEST(Exposure, ARoadOnASlantedEdgeStaysInItsPartWhereAnotherZoneCutsIt) {
  // The road runs on the slanted edge of triangle P (class "high") from (0 0) to (110 201); Q
  // (class "low", x ≥ 79) cuts it at x = 79. The midpoint of the stretch beyond the cut,
  // (94.5, 172.67727272727274) in doubles, lies a rounding error outside P: only knowing that the
  // stretch runs along P's outline keeps it in P. High holds the whole road, low its last 31/110.
  const double length = std::hypot(110.0, 201.0);
  const auto parts = zone_parts({{1, "high", "A", "X", "POLYGON((0 0,110 0,110 201,0 0))"},
                                 {2, "low", "A", "X", rectangle(79, -10, 200, 300)}});
  const auto roads = assets("roads", {{"road", "LINESTRING(0 0,110 201)"}});
  const auto result = run(parts, {&roads});
  std::map<std::string, double> exposed;
  for (const auto& piece : result.pieces.features) {
    exposed[to_display_string(field(result.pieces, piece, "class"))] += std::get<double>(field(result.pieces, piece, "length_m"));
  }
  EXPECT_NEAR(exposed["high"], length, kTolerance);
  EXPECT_NEAR(exposed["low"], length * 31 / 110, kTolerance);
  EXPECT_NEAR(result.output.stats["unexposed_by_category"]["road"]["length_m"].get<double>(), 0, kTolerance);
}

TEST(Exposure, ARoadLeavingAndReenteringAPartIsOnePieceOfTwoLines) {
  // In A (0..100 × 0..100): from x = 0 to (50 50) 50 m, up to y = 100 50 m; out 10 + 20 + 10 m;
  // back in down x = 70 50 m and on to (90 50) 20 m: 170 m in A as two lines, 50 m outside.
  // A second member only touches A's corner (0 0): it leaves nothing in A.
  const auto roads = assets(
      "roads", {{"road", "MULTILINESTRING((-10 50,50 50,50 110,70 110,70 50,90 50),(-10 -10,0 0,-10 10))"}});
  const auto result = run(two_parts(), {&roads});
  ASSERT_EQ(result.pieces.features.size(), 1u);
  const auto& piece = result.pieces.features[0];
  EXPECT_EQ(to_display_string(field(result.pieces, piece, "municipality_id")), "A");
  EXPECT_NEAR(std::get<double>(field(result.pieces, piece, "length_m")), 170, kTolerance);
  EXPECT_EQ(geos::type_id(piece.geometry.get()), GEOS_MULTILINESTRING);
  EXPECT_EQ(geos::line_views(piece.geometry.get()).size(), 2u);
  const double touching = 2 * std::hypot(10.0, 10.0);
  const auto& outside = result.output.stats["unexposed_by_category"]["road"];
  EXPECT_NEAR(outside["length_m"].get<double>(), 50 + touching, kTolerance);
  EXPECT_NEAR(outside["of_length_m"].get<double>(), 220 + touching, kTolerance);
}

TEST(Exposure, ACriticalFacilityListsThePartnersWhosePartsTouchItsPart) {
  // One zone across A | B | C in a row (and a part outside every municipality beyond C): a hospital
  // in A concerns A and B, whose parts touch A's, not C, whose part lies 100 m away.
  const auto parts = zone_parts({{1, "1", "A", "X", rectangle(0, 0, 100, 100)},
                                 {1, "1", "B", "Y", rectangle(100, 0, 200, 100)},
                                 {1, "1", "C", "Z", rectangle(200, 0, 300, 100)},
                                 {1, "1", "", "", rectangle(300, 0, 400, 100)}});
  const auto sites = assets("sites", {{"hospital", "POINT(50 50)"}, {"hospital", "POINT(250 50)"},
                                      {"hospital", "POINT(350 50)"}});
  const auto result = run(parts, {&sites});
  const auto& critical = table(result.output, "critical_facilities");
  ASSERT_EQ(critical.rows.size(), 3u);
  EXPECT_EQ(text(critical, critical.rows[0], "zone_municipalities"), "A;B");
  EXPECT_EQ(text(critical, critical.rows[0], "zone_countries"), "X;Y");
  EXPECT_EQ(text(critical, critical.rows[1], "zone_municipalities"), "B;C");
  EXPECT_EQ(text(critical, critical.rows[1], "zone_countries"), "Y;Z");
  EXPECT_EQ(text(critical, critical.rows[2], "zone_municipalities"), "C");  // outside: C's part touches it
}

TEST(Exposure, PointsLieInOnePartOfEachClass) {
  // Class 1 (frequent) inside class 2 (rare), as nested return periods are: the point at (50 50)
  // is in both; the point at (150 50) only in class 2; (100 50) is on the line between the two class-2
  // parts and goes to the first; (500 500) is in no zone.
  const auto parts = zone_parts({{1, "1", "A", "X", rectangle(25, 25, 75, 75)},
                                 {2, "2", "A", "X", rectangle(0, 0, 100, 100)},
                                 {2, "2", "B", "Y", rectangle(100, 0, 200, 100)}});
  const auto sites = assets("sites", {{"hospital", "POINT(50 50)", "St. Anna"},
                                      {"school", "POINT(150 50)"},
                                      {"school", "POINT(100 50)"},
                                      {"school", "POINT(500 500)"}});
  const auto result = run(parts, {&sites});
  ASSERT_EQ(result.pieces.features.size(), 4u);
  std::vector<std::string> where;
  for (const auto& f : result.pieces.features) {
    where.push_back(std::to_string(std::get<std::int64_t>(field(result.pieces, f, "asset_id"))) + ":" +
                    to_display_string(field(result.pieces, f, "class")) +
                    to_display_string(field(result.pieces, f, "municipality_id")));
  }
  EXPECT_EQ(where, (std::vector<std::string>{"1:1A", "1:2A", "2:2B", "3:2A"}));
  EXPECT_EQ(result.output.stats["unexposed_assets"].get<std::int64_t>(), 1);
  EXPECT_EQ(result.output.stats["unexposed_by_category"]["school"]["assets"].get<std::int64_t>(), 1);

  // The hospital is critical; its zones' partners are listed: zone 1 is A's alone, zone 2 A's and B's.
  const auto& critical = table(result.output, "critical_facilities");
  ASSERT_EQ(critical.rows.size(), 2u);
  EXPECT_EQ(text(critical, critical.rows[0], "name"), "St. Anna");
  EXPECT_EQ(text(critical, critical.rows[0], "zone_municipalities"), "A");
  EXPECT_EQ(text(critical, critical.rows[1], "zone_municipalities"), "A;B");
  EXPECT_EQ(text(critical, critical.rows[1], "zone_countries"), "X;Y");

  // exposure_totals per class: class 1 holds 1 of 4 assets, class 2 holds 3.
  const auto& totals = table(result.output, "exposure_totals");
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> counts;
  for (const auto& row : totals.rows) {
    auto& [exposed, unexposed] = counts[text(totals, row, "class")];
    exposed += integer(totals, row, "exposed_assets");
    unexposed += integer(totals, row, "unexposed_assets");
  }
  EXPECT_EQ(counts["1"], (std::pair<std::int64_t, std::int64_t>{1, 3}));
  EXPECT_EQ(counts["2"], (std::pair<std::int64_t, std::int64_t>{3, 1}));
}

// Points are located without GEOS (a ray-crossing count on each part's outline, GEOS's own
// orientation test); here each must land where GEOS's unprepared covers (its relate machinery)
// puts it: on vertices, on slanted edges (midpoints that round off the edge), in a hole and on its
// rim, on the line between two parts of a class, and at random.
TEST(Exposure, EachPointLiesInThePartsGeosCoversItWith) {
  const std::vector<PartSpec> specs = {
      {1, "1", "A", "X", "POLYGON((0 0,110 0,110 201,0 0))"},
      {2, "1", "B", "X", "POLYGON((110 0,300 0,300 201,110 201,110 0),(150 50,250 50,250 150,150 150,150 50))"},
      {3, "2", "A", "X", "POLYGON((0 0,300 0,300 201,0 201,0 0),(33.3 40.7,66.1 44.9,50.2 80.3,33.3 40.7))"},
      {4, "2", "C", "Y", "POLYGON((-50 -50,37 170.5,-50 201,-50 -50))"},
  };
  const auto parts = zone_parts(specs);
  std::vector<geos::XY> at = {{0, 0}, {110, 0}, {110, 201}, {150, 50}, {200, 50}, {250, 100}, {200, 100},
                              {33.3, 40.7}, {50.2, 80.3}, {37, 170.5}, {110, 100}, {300, 201}, {-50, 201}};
  // Points along the slanted edges, at fractions whose coordinates round off the edges.
  const std::vector<std::pair<geos::XY, geos::XY>> slanted = {
      {{0, 0}, {110, 201}}, {{33.3, 40.7}, {66.1, 44.9}}, {{66.1, 44.9}, {50.2, 80.3}}, {{-50, -50}, {37, 170.5}}};
  for (const auto& [a, b] : slanted) {
    for (double t : {0.1, 0.3, 1.0 / 3, 0.5, 0.7, 0.9}) at.push_back({a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)});
  }
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> x(-60, 310), y(-60, 210);
  for (int k = 0; k < 400; ++k) at.push_back({x(random), y(random)});
  std::vector<AssetSpec> items;
  for (const auto& p : at) items.push_back({"site", fmt::format("POINT({} {})", p.x, p.y)});
  const auto sites = assets("sites", items);

  // Expected: per point and class, the first part in the layer whose geometry GEOS says covers it.
  std::set<std::string> expected;
  for (std::size_t i = 0; i < sites.features.size(); ++i) {
    std::set<std::string> classes_done;
    for (std::size_t p = 0; p < specs.size(); ++p) {
      if (classes_done.count(specs[p].class_value)) continue;
      const char covered = GEOSCovers_r(geos::context(), parts.features[p].geometry.get(), sites.features[i].geometry.get());
      ASSERT_NE(covered, 2);
      if (covered) {
        classes_done.insert(specs[p].class_value);
        expected.insert(fmt::format("{}:{}:{}", i + 1, specs[p].class_value, specs[p].municipality));
      }
    }
  }
  auto found_in = [](const Result& result) {
    std::set<std::string> found;
    for (const auto& f : result.pieces.features) {
      found.insert(fmt::format("{}:{}:{}", std::get<std::int64_t>(field(result.pieces, f, "asset_id")),
                               to_display_string(field(result.pieces, f, "class")),
                               to_display_string(field(result.pieces, f, "municipality_id"))));
    }
    EXPECT_EQ(found.size(), result.pieces.features.size());  // no point twice in one class
    return found;
  };
  const auto result = run(parts, {&sites});
  EXPECT_EQ(found_in(result), expected);

  // The same points from a GeoPackage, which the reader hands over as vertices, not GEOS points.
  test::TempDir dir;
  std::vector<test::TestFeature> rows;
  for (const auto& item : items) rows.push_back({item.wkt, {item.category}});
  test::write_layer(dir / "sites.gpkg", "sites", 3035, {"category"}, rows);
  NullProgress progress;
  io::LayerReader reader(test::definition(dir / "sites.gpkg", "sites", Role::infrastructure),
                         io::resolve_analysis_crs("EPSG:3035", {}), progress);
  CountingSource counted(reader);
  const auto read = run_sources(parts, {&counted});
  EXPECT_EQ(counted.as_vertices(), items.size());
  EXPECT_EQ(found_in(read), expected);
  ASSERT_EQ(read.output.tables.size(), result.output.tables.size());
  for (std::size_t t = 0; t < read.output.tables.size(); ++t) {
    EXPECT_TRUE(read.output.tables[t].rows == result.output.tables[t].rows) << read.output.tables[t].name;
  }
  // The hole's rim is part 3's, its inside is not; vertex (110, 0) of parts 1 and 2 goes to the first.
  EXPECT_TRUE(expected.count("8:2:A"));   // (33.3, 40.7): a vertex of the hole
  EXPECT_FALSE(expected.count("6:1:A"));  // (250, 100) is on part 2's hole rim: part 2's, class 1
  EXPECT_TRUE(expected.count("6:1:B"));
  EXPECT_TRUE(expected.count("2:1:A"));
  EXPECT_FALSE(expected.count("2:1:B"));
}

// Roads from a GeoPackage, which the reader hands over as their vertices, are split and measured
// as the same roads as GEOS lines: every piece, length and table the same, planar and ellipsoidal.
// Random roads over hand-drawn parts, some along their edges and through their vertices.
TEST(Exposure, RoadsReadAsVerticesAreSplitAsTheirGeosLines) {
  const auto parts = zone_parts({{1, "1", "A", "X", "POLYGON((0 0,110 0,110 201,0 0))"},
                                 {1, "1", "B", "Y", "POLYGON((110 0,300 0,300 201,110 201,110 0))"},
                                 {2, "2", "A", "X", rectangle(0, 0, 300, 201)}});
  std::mt19937_64 random(5);
  std::uniform_real_distribution<double> x(-100, 400), y(-100, 300);
  std::vector<AssetSpec> items = {{"local", "LINESTRING(0 0,110 201,300 201)"}, {"local", "LINESTRING(110 -50,110 250)"}};
  for (int k = 0; k < 300; ++k) {
    std::string wkt = "LINESTRING(";
    for (int v = 0; v < 2 + k % 4; ++v) wkt += fmt::format("{}{} {}", v ? "," : "", x(random), y(random));
    items.push_back({k % 2 ? "primary" : "local", wkt + ")"});
  }
  const auto roads = assets("roads", items);
  test::TempDir dir;
  std::vector<test::TestFeature> rows;
  for (const auto& item : items) rows.push_back({item.wkt, {item.category, item.name}});
  test::write_layer(dir / "roads.gpkg", "roads", 3035, {"category", "name"}, rows);
  for (const std::string measure : {"planar", "ellipsoidal"}) {
    Options options;
    options.measure = measure;
    const auto result = run(parts, {&roads}, options);
    NullProgress progress;
    io::LayerReader reader(test::definition(dir / "roads.gpkg", "roads", Role::infrastructure),
                           io::resolve_analysis_crs("EPSG:3035", {}), progress);
    CountingSource counted(reader);
    const auto read = run_sources(parts, {&counted}, options);
    EXPECT_EQ(counted.as_vertices(), items.size());
    ASSERT_EQ(read.pieces.features.size(), result.pieces.features.size()) << measure;
    ASSERT_GT(result.pieces.features.size(), 100u);
    for (std::size_t i = 0; i < read.pieces.features.size(); ++i) {
      const auto& a = read.pieces.features[i];
      const auto& b = result.pieces.features[i];
      EXPECT_TRUE(a.values == b.values) << measure << " piece " << i;
      EXPECT_TRUE(GEOSEqualsExact_r(geos::context(), a.geometry.get(), b.geometry.get(), 0.0)) << measure << " piece " << i;
    }
    ASSERT_EQ(read.output.tables.size(), result.output.tables.size());
    for (std::size_t t = 0; t < read.output.tables.size(); ++t) {
      EXPECT_TRUE(read.output.tables[t].rows == result.output.tables[t].rows) << measure << " " << read.output.tables[t].name;
    }
    EXPECT_EQ(read.output.stats, result.output.stats) << measure;
  }
}

TEST(Exposure, PolygonsSplitOrWhole) {
  // Parts: low 0..100 (A), high 100..200 split between A (y < 50) and B (y ≥ 50).
  const auto parts = zone_parts({{1, "low", "A", "X", rectangle(0, 0, 100, 100)},
                                 {2, "high", "A", "X", rectangle(100, 0, 200, 50)},
                                 {2, "high", "B", "Y", rectangle(100, 50, 200, 100)}});
  // A building 80..130 × 40..70: 20×30 = 600 m² low (A), 30×10 = 300 high A, 30×20 = 600 high B.
  const auto buildings = assets("buildings", {{"house", rectangle(80, 40, 130, 70)}});
  const auto split = run(parts, {&buildings});
  ASSERT_EQ(split.pieces.features.size(), 3u);
  // Pieces come by class (as text: high before low), then in the order of the parts.
  const std::vector<double> areas = {300, 600, 600};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(std::get<double>(field(split.pieces, split.pieces.features[i], "area_m2")), areas[i], kTolerance) << i;
  }

  Options whole;
  whole.polygons = "whole";
  whole.class_order = {"low", "high"};
  const auto counted = run(parts, {&buildings}, whole);
  // Highest class touched: high; of its parts the building overlaps B most (600 > 300).
  ASSERT_EQ(counted.pieces.features.size(), 1u);
  const auto& piece = counted.pieces.features[0];
  EXPECT_EQ(to_display_string(field(counted.pieces, piece, "class")), "high");
  EXPECT_EQ(to_display_string(field(counted.pieces, piece, "municipality_id")), "B");
  EXPECT_NEAR(std::get<double>(field(counted.pieces, piece, "area_m2")), 1500, kTolerance);
  EXPECT_NEAR(geos::area(piece.geometry.get()), 1500, kTolerance);
  // InaSAFE's rule instead: the first part of the highest class in the layer, A.
  whole.whole_part = "first";
  const auto first = run(parts, {&buildings}, whole);
  ASSERT_EQ(first.pieces.features.size(), 1u);
  EXPECT_EQ(to_display_string(field(first.pieces, first.pieces.features[0], "municipality_id")), "A");
  whole.whole_part = "largest";

  // Classes that are not numbers need an order.
  whole.class_order.clear();
  try {
    run(parts, {&buildings}, whole);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("classes (high, low) have no order of their own"), std::string::npos)
        << error.what();
    EXPECT_NE(error.hint().find("class_order"), std::string::npos);
  }
  whole.class_order = {"low"};
  try {
    run(parts, {&buildings}, whole);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("class_order lacks the hazard class high"), std::string::npos)
        << error.what();
  }
}

TEST(Exposure, DepthBandClassesAreOrderedByTheirLowerEdge) {
  // "0.5-1" sorts after "2+" as text; ranked by the number it starts with, 2+ is the highest.
  const auto parts = zone_parts({{1, "0.5-1", "A", "X", rectangle(0, 0, 100, 100)},
                                 {2, "2+", "A", "X", rectangle(100, 0, 200, 100)},
                                 {3, "10-20", "A", "X", rectangle(200, 0, 300, 100)}});
  const auto buildings = assets("b", {{"house", rectangle(90, 10, 110, 20)}, {"house", rectangle(190, 10, 210, 20)}});
  Options whole;
  whole.polygons = "whole";
  const auto result = run(parts, {&buildings}, whole);
  ASSERT_EQ(result.pieces.features.size(), 2u);
  EXPECT_EQ(to_display_string(field(result.pieces, result.pieces.features[0], "class")), "2+");
  EXPECT_EQ(to_display_string(field(result.pieces, result.pieces.features[1], "class")), "10-20");
}

// Random assets over the parts shared-zones cuts: per category and class, what lies in the zones
// plus what does not equals the input measured whole, and the parts of one class never overlap.
void check_conservation(const std::string& measure) {
  std::mt19937 random(20240517);
  std::uniform_real_distribution<double> coordinate(-200, 1200);
  Layer municipalities;
  municipalities.name = "m";
  municipalities.role = Role::municipalities;
  municipalities.fields = {{"id", FieldType::string}, {"name", FieldType::string}, {"country", FieldType::string}};
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      const std::string id = std::to_string(i) + std::to_string(j);
      municipalities.features.push_back({i * 4 + j, geos::from_wkt(rectangle(i * 250.0, j * 250.0, (i + 1) * 250.0, (j + 1) * 250.0)),
                                         {id, id, i < 2 ? std::string("NL") : std::string("BE")}});
    }
  }
  Layer hazard;
  hazard.name = "h";
  hazard.role = Role::hazard;
  hazard.fields = {{"class", FieldType::integer}};
  for (int k = 0; k < 12; ++k) {
    const double x = coordinate(random), y = coordinate(random);
    hazard.features.push_back({k, geos::from_wkt(rectangle(x, y, x + 150 + k * 20, y + 90 + k * 10)), {std::int64_t{k % 2 + 1}}});
  }
  StepInput zones_input;
  zones_input.layers = {{"municipalities", {&municipalities}}, {"hazard", {&hazard}}};
  zones_input.values["min_area_m2"] = 0.0;
  NullProgress progress;
  auto zones = SharedZones().run(zones_input, progress);
  const Layer& parts = zones.layers.at(1);
  ASSERT_GT(parts.features.size(), 10u);

  std::vector<AssetSpec> items;
  for (int k = 0; k < 300; ++k) {
    const double x = coordinate(random), y = coordinate(random);
    const double dx = coordinate(random) / 3, dy = coordinate(random) / 3;
    items.push_back({"road", "LINESTRING(" + std::to_string(x) + " " + std::to_string(y) + "," +
                                 std::to_string(x + dx) + " " + std::to_string(y - dy) + "," +
                                 std::to_string(x + 2 * dx) + " " + std::to_string(y + dy) + ")"});
    items.push_back({"house", rectangle(x, y, x + std::abs(dx) / 4 + 1, y + std::abs(dy) / 4 + 1)});
    items.push_back({"site", "POINT(" + std::to_string(x) + " " + std::to_string(y) + ")"});
  }
  const auto layer = assets("mixed", items);
  Options options;
  options.measure = measure;
  // Centred on the test square so that the ellipsoidal measure is meaningful (LAEA at 51 N 6 E).
  options.crs = "+proj=laea +lat_0=51 +lon_0=6 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs";
  const auto result = run(parts, {&layer}, options);

  // Independent totals: the unsplit input measured directly.
  Measurer measurer(options.crs, measure == "planar" ? MeasureMethod::planar : MeasureMethod::ellipsoidal);
  double road_length = 0, house_area = 0;
  for (const auto& f : layer.features) {
    road_length += measurer.length_m(f.geometry.get());
    house_area += measurer.area_m2(f.geometry.get());
  }
  const auto& totals = table(result.output, "exposure_totals");
  int checked = 0;
  for (const auto& row : totals.rows) {
    const auto category = text(totals, row, "category");
    EXPECT_EQ(integer(totals, row, "exposed_assets") + integer(totals, row, "unexposed_assets"), 300) << category;
    if (category == "road") {
      const double exposed = real(totals, row, "exposed_length_m"), unexposed = real(totals, row, "unexposed_length_m");
      EXPECT_GT(exposed, 0.05 * road_length);
      EXPECT_LE(std::abs(exposed + unexposed - road_length) / road_length, 1e-9) << measure;
      EXPECT_LE(std::abs(real(totals, row, "total_length_m") - road_length) / road_length, 1e-12);
      ++checked;
    }
    if (category == "house") {
      const double exposed = real(totals, row, "exposed_area_m2"), unexposed = real(totals, row, "unexposed_area_m2");
      EXPECT_GT(exposed, 0.05 * house_area);
      EXPECT_LE(std::abs(exposed + unexposed - house_area) / house_area, 1e-9) << measure;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 4);  // two classes
  // The pieces themselves add up to the exposed totals.
  std::map<std::string, double> piece_length;
  for (const auto& f : result.pieces.features) {
    piece_length[to_display_string(field(result.pieces, f, "class"))] +=
        std::get<double>(field(result.pieces, f, "length_m"));
  }
  for (const auto& row : totals.rows) {
    if (text(totals, row, "category") != "road") continue;
    EXPECT_NEAR(piece_length[text(totals, row, "class")], real(totals, row, "exposed_length_m"), 1e-6);
  }
  // Classes 1 and 2 overlap here, so what lies in no zone at all is less than either class's rest.
  const auto& outside = result.output.stats["unexposed_by_category"]["road"];
  for (const auto& row : totals.rows) {
    if (text(totals, row, "category") == "road") {
      EXPECT_LE(outside["length_m"].get<double>(), real(totals, row, "unexposed_length_m") + 1e-6);
    }
  }
}

// A category field of numbers (a land-use code) is tallied by the number's text, mixed freely with
// text categories of the same spelling: 7 and "7" are one category.
TEST(Exposure, CategoriesThatAreNumbersAreTalliedByTheirText) {
  const auto parts = two_parts();
  Layer sites;
  sites.name = "sites";
  sites.role = Role::infrastructure;
  sites.geometry = GeometryFamily::any;
  sites.fields = {{"category", FieldType::integer}};
  const std::vector<std::pair<Value, std::string>> items = {{std::int64_t{7}, "POINT(50 50)"},
                                                            {std::int64_t{12}, "POINT(150 50)"},
                                                            {std::string("7"), "POINT(500 500)"},
                                                            {std::int64_t{7}, "POINT(150 60)"},
                                                            {std::int64_t{12}, "POINT(-50 50)"}};
  std::int64_t fid = 1;
  for (const auto& [category, wkt] : items) sites.features.push_back({fid++, geos::from_wkt(wkt), {category}});
  const auto result = run(parts, {&sites});

  std::vector<std::string> pieces;
  for (const auto& f : result.pieces.features) {
    pieces.push_back(to_display_string(field(result.pieces, f, "category")) + "@" +
                     to_display_string(field(result.pieces, f, "municipality_id")));
  }
  EXPECT_EQ(pieces, (std::vector<std::string>{"7@A", "12@B", "7@B"}));
  const auto& totals = table(result.output, "exposure_totals");
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> counts;  // exposed, unexposed
  for (const auto& row : totals.rows) {
    counts[text(totals, row, "category")] = {integer(totals, row, "exposed_assets"),
                                             integer(totals, row, "unexposed_assets")};
  }
  EXPECT_EQ(counts, (std::map<std::string, std::pair<std::int64_t, std::int64_t>>{{"7", {2, 1}}, {"12", {1, 1}}}));
  EXPECT_EQ(result.output.stats["unexposed_by_category"]["7"]["assets"].get<std::int64_t>(), 1);
  EXPECT_EQ(result.output.stats["unexposed_by_category"]["12"]["assets"].get<std::int64_t>(), 1);
}

TEST(Exposure, ConservationPlanar) { check_conservation("planar"); }
TEST(Exposure, ConservationEllipsoidal) { check_conservation("ellipsoidal"); }

TEST(Exposure, AnAssetLayerWithoutCategoryIsRefused) {
  const auto parts = two_parts();
  Layer roads;
  roads.name = "roads";
  roads.fields = {{"kind", FieldType::string}};
  roads.features.push_back({1, geos::from_wkt("LINESTRING(0 0,1 1)"), {std::string("x")}});
  try {
    run(parts, {&roads});
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("layer 'roads' has no category field"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace twinrisk::ops
