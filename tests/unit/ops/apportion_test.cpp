// apportion on rectangles whose shares are worked out by hand, with and without a built-up mask,
// and conservation on random census units under zones that cover them all.

#include "twinrisk/ops/apportion.hpp"

#include <gtest/gtest.h>

#include <random>

#include "../test_support.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/ops/shared_zones.hpp"

namespace twinrisk::ops {
namespace {

using test::rectangle;

Layer census(const std::vector<std::tuple<std::string, double, double>>& units) {
  Layer layer;
  layer.name = "census";
  layer.role = Role::features;
  layer.geometry = GeometryFamily::polygon;
  layer.fields = {{"population", FieldType::real}, {"jobs", FieldType::real}};
  std::int64_t fid = 1;
  for (const auto& [wkt, population, jobs] : units) layer.features.push_back({fid++, geos::from_wkt(wkt), {population, jobs}});
  return layer;
}

Layer parts(const std::vector<std::pair<std::string, std::string>>& items) {
  Layer layer;
  layer.name = "zone_parts";
  layer.fields = {{"zone_id", FieldType::integer}, {"class", FieldType::string}, {"municipality_id", FieldType::string},
                  {"municipality_name", FieldType::string}, {"country", FieldType::string}};
  std::int64_t fid = 1;
  for (const auto& [municipality, wkt] : items) {
    layer.features.push_back({fid++, geos::from_wkt(wkt), {std::int64_t{1}, std::string("1"), municipality, municipality,
                                                          std::string("NL")}});
  }
  return layer;
}

StepOutput run(const Layer& zone_parts, const Layer& source, const Layer* mask = nullptr) {
  StepInput input;
  input.layers["zone_parts"] = {&zone_parts};
  LayerSource stream(source);
  input.sources["source"] = {&stream};
  if (mask) input.layers["mask"] = {mask};
  input.values["fields"] = std::vector<std::string>{"population", "jobs"};
  NullProgress progress;
  return Apportion().run(input, progress);
}

double cell(const Table& table, std::size_t row, const std::string& column) {
  return std::get<double>(table.rows.at(row).at(*table.column_index(column)));
}

TEST(Apportion, SharesByAreaAndWithinTheBuiltUpMask) {
  // U1 (0..100 × 0..100): 1000 people, no jobs; U2 (100..200): 500 people and 50 jobs.
  const auto units = census({{rectangle(0, 0, 100, 100), 1000, 0}, {rectangle(100, 0, 200, 100), 500, 50}});
  // Part A is the west half of U1; part B the south half of U2.
  const auto zone = parts({{"A", rectangle(0, 0, 50, 100)}, {"B", rectangle(100, 0, 200, 50)}});
  const auto out = run(zone, units);
  const Table& table = out.tables.at(0);
  EXPECT_EQ(table.name, "people_by_zone_part");
  EXPECT_NEAR(cell(table, 0, "population"), 500, 1e-9);
  EXPECT_NEAR(cell(table, 1, "population"), 250, 1e-9);
  EXPECT_NEAR(cell(table, 1, "jobs"), 25, 1e-9);
  EXPECT_NEAR(cell(table, 0, "basis_area_m2"), 5000, 1e-9);

  // Built-up only in U1's east half: its people all live outside part A. U2 meets no built-up area
  // and falls back to its whole area.
  Layer mask;
  mask.name = "built_up";
  mask.geometry = GeometryFamily::polygon;
  mask.features.push_back({1, geos::from_wkt(rectangle(50, 0, 100, 100)), {}});
  const auto masked = run(zone, units, &mask);
  const Table& masked_table = masked.tables.at(0);
  EXPECT_NEAR(cell(masked_table, 0, "population"), 0, 1e-9);
  EXPECT_NEAR(cell(masked_table, 1, "population"), 250, 1e-9);
  EXPECT_EQ(masked.stats["units_without_built_up_area"].get<std::int64_t>(), 1);
  EXPECT_NEAR(masked.stats["fields"]["population"]["classes"]["1"]["outside_zones"].get<double>(), 1250, 1e-9);
}

TEST(Apportion, TotalsAreConservedWhereZonesCoverEverything) {
  // 16 municipalities and one hazard polygon covering all of them: every census unit lies in zone
  // parts, so the parts must receive exactly the source totals.
  Layer municipalities;
  municipalities.name = "m";
  municipalities.fields = {{"id", FieldType::string}, {"name", FieldType::string}, {"country", FieldType::string}};
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      const auto id = std::to_string(i * 4 + j);
      municipalities.features.push_back({i * 4 + j, geos::from_wkt(rectangle(i * 250.0, j * 250.0, (i + 1) * 250.0, (j + 1) * 250.0)),
                                         {id, id, std::string(i < 2 ? "NL" : "BE")}});
    }
  }
  Layer hazard;
  hazard.name = "h";
  hazard.fields = {{"class", FieldType::integer}};
  hazard.features.push_back({1, geos::from_wkt(rectangle(-10, -10, 1010, 1010)), {std::int64_t{1}}});
  StepInput zones_input;
  zones_input.layers = {{"municipalities", {&municipalities}}, {"hazard", {&hazard}}};
  zones_input.values["min_area_m2"] = 0.0;
  NullProgress progress;
  const auto zones = SharedZones().run(zones_input, progress);

  std::mt19937 random(7);
  std::uniform_real_distribution<double> coordinate(0, 900), size(5, 100), count(0, 5000);
  std::vector<std::tuple<std::string, double, double>> items;
  double population = 0, jobs = 0;
  for (int k = 0; k < 200; ++k) {
    const double x = coordinate(random), y = coordinate(random);
    const double p = std::round(count(random)), w = std::round(count(random) / 10);
    items.emplace_back(rectangle(x, y, x + size(random), y + size(random)), p, w);
    population += p;
    jobs += w;
  }
  const auto units = census(items);
  const auto out = run(zones.layers.at(1), units);
  const Table& table = out.tables.at(0);
  double got_population = 0, got_jobs = 0;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    got_population += cell(table, r, "population");
    got_jobs += cell(table, r, "jobs");
  }
  EXPECT_LE(std::abs(got_population - population) / population, 1e-9);
  EXPECT_LE(std::abs(got_jobs - jobs) / jobs, 1e-9);
  EXPECT_NEAR(out.stats["fields"]["population"]["source_total"].get<double>(), population, 1e-6);
}

TEST(Apportion, AMissingFieldIsAConfigError) {
  const auto units = census({{rectangle(0, 0, 1, 1), 1, 1}});
  const auto zone = parts({{"A", rectangle(0, 0, 1, 1)}});
  StepInput input;
  input.layers["zone_parts"] = {&zone};
  LayerSource stream(units);
  input.sources["source"] = {&stream};
  input.values["fields"] = std::vector<std::string>{"inhabitants"};
  NullProgress progress;
  try {
    Apportion().run(input, progress);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("field 'inhabitants' not found in layer 'census' (fields: population, jobs)"),
              std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace twinrisk::ops
