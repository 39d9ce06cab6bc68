// Depth–damage curves, maximum damages and Expected Annual Damage against values worked out by
// hand, and the damage step end to end on rasters whose every cell is known.

#include "twinrisk/ops/damage.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "../test_support.hpp"
#include "raster_fixture.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/ops/damage_curves.hpp"

namespace twinrisk::ops {
namespace {

using test::rectangle;
using test::TempDir;

const DamageCurve& jrc(const std::string& name) {
  for (const auto& curve : jrc_europe_curves()) {
    if (curve.name() == name) return curve;
  }
  throw std::runtime_error("no curve " + name);
}

TEST(DamageCurve, AtBetweenAndBeyondThePoints) {
  const auto& residential = jrc("residential");  // 0 0, 0.5 0.25, 1 0.40, …, 5 0.95, 6 1.00
  EXPECT_DOUBLE_EQ(residential.at(0.5), 0.25);          // at a point
  EXPECT_DOUBLE_EQ(residential.at(1.0), 0.40);
  EXPECT_NEAR(residential.at(0.75), (0.25 + 0.40) / 2, 1e-15);  // halfway between
  EXPECT_NEAR(residential.at(2.5), 0.60 + (0.75 - 0.60) * 0.5, 1e-15);
  EXPECT_NEAR(residential.at(0.1), 0.25 * 0.1 / 0.5, 1e-15);   // between (0, 0) and (0.5, 0.25)
  EXPECT_DOUBLE_EQ(residential.at(8.0), 1.0);            // beyond the last point: its fraction
  EXPECT_DOUBLE_EQ(residential.at(0.0), 0.0);            // dry
  EXPECT_DOUBLE_EQ(residential.at(-0.3), 0.0);
  // A curve whose first point is above 0 m: shallower flooded water takes that point's fraction.
  const DamageCurve shed("shed", {{1.0, 0.5}, {0.3, 0.1}});  // given out of order
  EXPECT_DOUBLE_EQ(shed.at(0.1), 0.1);
  EXPECT_NEAR(shed.at(0.65), 0.3, 1e-15);
  EXPECT_DOUBLE_EQ(shed.at(3.0), 0.5);
}

std::string curve_error(std::vector<std::pair<double, double>> points) {
  try {
    DamageCurve("bad", std::move(points), "curves.csv");
  } catch (const InputError& error) {
    return error.what();
  }
  return "no error";
}

TEST(DamageCurve, BadCurvesAreRefused) {
  EXPECT_NE(curve_error({{0, 0}, {1, 0.6}, {2, 0.5}}).find("curves.csv: curve 'bad': is not monotonic: the fraction "
                                                           "falls from 0.6 at 1 m to 0.5 at 2 m"),
            std::string::npos);
  EXPECT_NE(curve_error({{0, 0}, {1, 1.2}}).find("fraction 1.2 at 1 m is outside 0..1"), std::string::npos);
  EXPECT_NE(curve_error({{0, -0.1}}).find("fraction -0.1 at 0 m is outside 0..1"), std::string::npos);
  EXPECT_NE(curve_error({{0, 0}, {1, 0.2}, {1, 0.3}}).find("depth 1 m is given twice"), std::string::npos);
  EXPECT_NE(curve_error({{-1, 0}}).find("depth -1 m is not a depth"), std::string::npos);
}

TEST(Ead, TrapezoidWithTails) {
  // Events at 2, 10 and 50 years (p = 0.5, 0.1, 0.02) doing 100, 1000 and 5000.
  // Trapezoid: (0.5 − 0.1)·(100 + 1000)/2 + (0.1 − 0.02)·(1000 + 5000)/2 = 220 + 240 = 460.
  // Rare tail, flat: + 0.02 · 5000 = 100. Frequent tail, linear to no damage at 1 year (p = 1):
  // + (1 − 0.5) · 100 / 2 = 25. The order of the events does not matter.
  const std::vector<double> periods = {10, 50, 2}, damages = {1000, 5000, 100};
  EadOptions none{RareTail::none, FrequentTail::none, 1};
  EXPECT_NEAR(expected_annual_damage(periods, damages, none), 460, 1e-12);
  EadOptions rare{RareTail::flat, FrequentTail::none, 1};
  EXPECT_NEAR(expected_annual_damage(periods, damages, rare), 560, 1e-12);
  EadOptions both{RareTail::flat, FrequentTail::linear, 1};
  EXPECT_NEAR(expected_annual_damage(periods, damages, both), 585, 1e-12);
  // Protection up to 1.25 years (p = 0.8): + (0.8 − 0.5) · 100 / 2 = 15.
  EadOptions protected_to{RareTail::none, FrequentTail::linear, 1.25};
  EXPECT_NEAR(expected_annual_damage(periods, damages, protected_to), 475, 1e-12);
  // One event: only the tails.
  EXPECT_NEAR(expected_annual_damage({100}, {1000}, rare), 10, 1e-12);
  EXPECT_NEAR(expected_annual_damage({100}, {1000}, none), 0, 1e-12);
}

TEST(Ead, BadReturnPeriodsAreRefused) {
  EXPECT_THROW(ead_weights({10, 50, 10}, {}), ConfigError);
  EXPECT_THROW(ead_weights({0.5, 10}, {}), ConfigError);
  EXPECT_THROW(ead_weights({2, 10}, {RareTail::flat, FrequentTail::linear, 2}), ConfigError);
}

TEST(DamageModel, JrcDefaultsForBuildingsPerCountry) {
  const DamageModel model(true, nullptr, nullptr);
  // JRC: residential construction cost = 24.078 · (GDP per capita, 2010 US$)^0.3852; NL 50338.25
  // (World Bank, via JRC's spreadsheet) gives 1558.8 €/m², the table's value; the maximum damage is
  // cost · 0.6 (depreciation) · 0.6 (damageable part) · 1.5 (content half the structure).
  EXPECT_NEAR(24.078 * std::pow(50338.25483, 0.3852), 1558.804244, 0.5);
  const auto nl = model.resolve("residential", "NL");
  EXPECT_NEAR(nl.max_damage, 1558.804244 * 0.6 * 0.6 * 1.5, 1e-9);
  EXPECT_EQ(nl.unit, DamageUnit::per_m2);
  EXPECT_EQ(nl.currency, "EUR");
  EXPECT_EQ(nl.curve->name(), "residential");
  // Industrial content is worth 1.5 times the structure.
  EXPECT_NEAR(model.resolve("industrial", "BE").max_damage, 996.9904855 * 0.36 * 2.5, 1e-9);
  // A category the defaults do not know, and a country they do not cover.
  try {
    model.resolve("house", "NL");
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("category 'house' has no damage curve"), std::string::npos) << error.what();
  }
  try {
    model.resolve("residential", "ID");
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("category 'residential' has no maximum damage for country 'ID'"),
              std::string::npos)
        << error.what();
    EXPECT_NE(error.hint().find("add a damage_values row: residential,max_damage,unit,currency,ID"), std::string::npos);
  }
}

Table table(const std::string& name, std::vector<FieldDef> columns, std::vector<std::vector<Value>> rows) {
  Table t{name, std::move(columns), std::move(rows)};
  t.source = name + ".csv";
  return t;
}

TEST(DamageModel, UserTablesOverrideAndMap) {
  const auto curves = table("curves", {{"category", FieldType::string}, {"depth_m", FieldType::real}, {"fraction", FieldType::real}},
                            {{"residential", 0.0, 0.0}, {"residential", 1.0, 1.0}, {"road", 0.0, 0.0}, {"road", 2.0, 0.5}});
  const auto values = table("values",
                            {{"category", FieldType::string}, {"max_damage", FieldType::real}, {"unit", FieldType::string},
                             {"currency", FieldType::string}, {"country", FieldType::string}, {"curve", FieldType::string}},
                            {{"school", Value(), Value(), Value(), std::string(), std::string("commercial")},
                             {"road", 200.0, std::string("m"), std::string("EUR"), std::string(), std::string()},
                             {"road", 150.0, std::string("m"), std::string("EUR"), std::string("BE"), std::string()}});
  const DamageModel model(true, &curves, &values);
  // The user's residential curve replaces JRC's.
  EXPECT_DOUBLE_EQ(model.resolve("residential", "NL").curve->at(0.5), 0.5);
  // A school takes the commercial curve and the commercial maximum damage of its country.
  const auto school = model.resolve("school", "BE");
  EXPECT_EQ(school.curve->name(), "commercial");
  EXPECT_NEAR(school.max_damage, 1540.673085 * 0.36 * 2, 1e-9);
  // Country rows win over the row for every country.
  EXPECT_DOUBLE_EQ(model.resolve("road", "BE").max_damage, 150);
  EXPECT_DOUBLE_EQ(model.resolve("road", "NL").max_damage, 200);
  EXPECT_EQ(model.resolve("road", "NL").unit, DamageUnit::per_m);

  const auto bad = table("curves", {{"category", FieldType::string}, {"depth_m", FieldType::real}, {"fraction", FieldType::real}},
                         {{"road", 0.0, 0.0}, {"road", 1.0, 0.7}, {"road", 2.0, 0.4}});
  try {
    DamageModel(true, &bad, nullptr);
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("curves.csv: curve 'road': is not monotonic"), std::string::npos)
        << error.what();
  }
}

// 2×1 cells of 10 m in EPSG:3035 (west edge 0, north edge 10): depths 0.5 and 1.5 m in the first
// event, twice that in the second.
std::string depth_raster(const std::filesystem::path& file, double scale) {
  test::RasterSpec spec;
  spec.geotransform = {0, 10, 0, 10, 0, -10};
  spec.width = 2;
  spec.height = 1;
  spec.values = {0.5 * scale, 1.5 * scale};
  return test::write_raster(file, spec);
}

TEST(Damage, PiecesEventsAndEad) {
  TempDir dir;
  RasterInfo frequent, rare;
  frequent.name = "hq10";
  frequent.source = depth_raster(dir / "a.tif", 1);
  frequent.crs_wkt = "EPSG:3035";
  rare.name = "hq100";
  rare.source = depth_raster(dir / "b.tif", 2);
  rare.crs_wkt = "EPSG:3035";
  Layer pieces;
  pieces.name = "exposed_assets";
  pieces.geometry = GeometryFamily::any;
  pieces.fields = {{"asset_layer", FieldType::string},     {"asset_id", FieldType::integer},
                   {"category", FieldType::string},        {"name", FieldType::string},
                   {"zone_id", FieldType::integer},        {"class", FieldType::string},
                   {"municipality_id", FieldType::string}, {"municipality_name", FieldType::string},
                   {"country", FieldType::string},         {"length_m", FieldType::real},
                   {"area_m2", FieldType::real},           {"share_of_asset", FieldType::real}};
  auto piece = [&](std::int64_t id, const std::string& category, const std::string& wkt, const std::string& m,
                   const std::string& country, double length, double area) {
    pieces.features.push_back({id, geos::from_wkt(wkt),
                               {std::string("a"), id, category, Value(), std::int64_t{1}, std::string("1"), m,
                                "name " + m, country, length, area, 1.0}});
  };
  // A house over the whole raster (200 m², NL): residential JRC. Event 1: mean fraction over the two
  // cells (0.25 at 0.5 m, 0.5 at 1.5 m) = 0.375; event 2 (1 and 3 m): (0.40 + 0.75)/2 = 0.575.
  piece(1, "residential", rectangle(0, 0, 20, 10), "A", "NL", 0, 200);
  // A road, 10 m in each cell (BE), per m: 100 €/m, curve fraction = depth / 4 up to 1.
  piece(2, "road", "LINESTRING(0 5,20 5)", "B", "BE", 20, 0);
  // A pump on the second cell, per item: 5000 € and the road curve.
  piece(3, "pump", "POINT(15 5)", "B", "BE", 0, 0);
  const auto curves = table("curves", {{"category", FieldType::string}, {"depth_m", FieldType::real}, {"fraction", FieldType::real}},
                            {{"road", 0.0, 0.0}, {"road", 4.0, 1.0}});
  const auto values = table("values",
                            {{"category", FieldType::string}, {"max_damage", FieldType::real}, {"unit", FieldType::string},
                             {"currency", FieldType::string}, {"curve", FieldType::string}},
                            {{"road", 100.0, std::string("m"), std::string("EUR"), std::string()},
                             {"pump", 5000.0, std::string("item"), std::string("EUR"), std::string("road")}});
  StepInput input;
  LayerSource source(pieces);
  input.sources["assets"] = {&source};
  input.rasters["events"] = {&frequent, &rare};
  input.tables["curves"] = {&curves};
  input.tables["damage_values"] = {&values};
  input.values = {{"return_periods", std::vector<double>{10, 100}}, {"defaults", "jrc_europe"}, {"band", 1},
                  {"sampling", "cell"}, {"polygon_depth", "coverage"}, {"rare_tail", "flat"},
                  {"frequent_tail", "none"}, {"no_damage_return_period", 1.0}};
  input.analysis_crs_wkt = "EPSG:3035";
  LayerSink sink;
  input.sink = &sink;
  NullProgress progress;
  const auto out = Damage().run(input, progress);
  const Layer& layer = sink.layers().at(0);
  ASSERT_EQ(layer.features.size(), 3u);
  const auto get = [&](std::size_t i, const std::string& field) {
    return std::get<double>(layer.features[i].values.at(*layer.field_index(field)));
  };
  const double house_max = 1558.804244 * 0.54;
  const std::vector<std::vector<double>> expected = {
      {0.375 * house_max * 200, 0.575 * house_max * 200},
      {(0.5 / 4 + 1.5 / 4) / 2 * 100 * 20, (1.0 / 4 + 3.0 / 4) / 2 * 100 * 20},
      {1.5 / 4 * 5000, 3.0 / 4 * 5000}};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(get(i, "damage_hq10"), expected[i][0], 1e-6) << i;
    EXPECT_NEAR(get(i, "damage_hq100"), expected[i][1], 1e-6) << i;
    // EAD: (0.1 − 0.01)·(D10 + D100)/2 + 0.01·D100.
    EXPECT_NEAR(get(i, "ead"), 0.09 * (expected[i][0] + expected[i][1]) / 2 + 0.01 * expected[i][1], 1e-6) << i;
  }
  const auto ead_of = [&](std::size_t i) { return 0.09 * (expected[i][0] + expected[i][1]) / 2 + 0.01 * expected[i][1]; };
  const Table* by_country = nullptr;
  const Table* by_part = nullptr;
  for (const auto& t : out.tables) {
    if (t.name == "ead_by_country") by_country = &t;
    if (t.name == "ead_by_zone_part") by_part = &t;
  }
  ASSERT_TRUE(by_country && by_part);
  ASSERT_EQ(by_country->rows.size(), 2u);  // BE, NL
  EXPECT_NEAR(std::get<double>(by_country->rows[0][1]), ead_of(1) + ead_of(2), 1e-6);
  EXPECT_NEAR(std::get<double>(by_country->rows[1][1]), ead_of(0), 1e-6);
  // One zone shared by A (NL) and B (BE): B's share of its EAD is the road's and the pump's.
  const double zone = ead_of(0) + ead_of(1) + ead_of(2);
  const auto share = *by_part->column_index("share_of_zone");
  EXPECT_NEAR(std::get<double>(by_part->rows[1][share]), (ead_of(1) + ead_of(2)) / zone, 1e-12);
  EXPECT_EQ(std::get<std::int64_t>(by_part->rows[1][*by_part->column_index("cross_national")]), 1);
  EXPECT_NEAR(out.stats["ead"].get<double>(), zone, 1e-6);
}

}  // namespace
}  // namespace twinrisk::ops
