// The registry document that the CLI and the QGIS provider are generated from.

#include "twinrisk/ops/builtin.hpp"

#include <gtest/gtest.h>

#include "twinrisk/core/error.hpp"

namespace twinrisk::ops {
namespace {

TEST(Registry, DescribesSharedZonesWithEveryParameterAndOutput) {
  const auto doc = builtin_registry().describe();
  ASSERT_TRUE(doc.contains("algorithms"));
  const auto& algorithms = doc["algorithms"];
  auto it = std::find_if(algorithms.begin(), algorithms.end(), [](const auto& a) { return a["id"] == "shared-zones"; });
  ASSERT_NE(it, algorithms.end());
  const auto& params = (*it)["parameters"];
  ASSERT_EQ(params.size(), 3u);
  EXPECT_EQ(params[0]["name"], "municipalities");
  EXPECT_EQ(params[0]["type"], "layer");
  EXPECT_EQ(params[0]["role"], "municipalities");
  EXPECT_EQ(params[0]["geometry"], "polygon");
  EXPECT_EQ(params[0]["optional"], false);
  EXPECT_EQ(params[1]["role"], "hazard");
  EXPECT_EQ(params[2]["name"], "min_area_m2");
  EXPECT_EQ(params[2]["type"], "number");
  EXPECT_EQ(params[2]["default"], 0.0);
  EXPECT_EQ(params[2]["min"], 0.0);
  EXPECT_EQ(params[2]["unit"], "m2");
  EXPECT_EQ(params[2]["cli_flag"], "--min-area-m2");
  std::vector<std::string> outputs;
  for (const auto& out : (*it)["outputs"]) outputs.push_back(out["name"]);
  EXPECT_EQ(outputs, (std::vector<std::string>{"zones", "zone_parts", "zone_summary", "municipality_summary"}));
  std::vector<std::string> zone_fields;
  for (const auto& f : (*it)["outputs"][0]["fields"]) zone_fields.push_back(f["name"]);
  for (const char* contract : {"zone_id", "class", "area_m2", "n_municipalities", "n_countries", "cross_border",
                               "cross_national", "municipalities", "countries"}) {
    EXPECT_NE(std::find(zone_fields.begin(), zone_fields.end(), contract), zone_fields.end()) << contract;
  }
}

TEST(Registry, ParameterParsingChecksTypeAndRange) {
  const auto* spec = builtin_registry().find("shared-zones")->parameter("min_area_m2");
  ASSERT_NE(spec, nullptr);
  EXPECT_DOUBLE_EQ(spec->parse("12.5").get<double>(), 12.5);
  EXPECT_THROW(spec->parse("-1"), ConfigError);
  EXPECT_THROW(spec->parse("ten"), ConfigError);
  EXPECT_THROW(spec->parse("5m"), ConfigError);
}

TEST(Registry, RejectsDuplicateIds) {
  Registry registry;
  register_builtin_algorithms(registry);
  EXPECT_THROW(register_builtin_algorithms(registry), Error);
}

}  // namespace
}  // namespace twinrisk::ops
