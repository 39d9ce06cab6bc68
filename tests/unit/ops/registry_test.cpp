// The registry document that the CLI and the QGIS provider are generated from.

#include "twinrisk/ops/builtin.hpp"

#include <gtest/gtest.h>

#include <algorithm>

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

TEST(Registry, EveryBuiltinAlgorithmHasShortUniqueLabelsAndTags) {
  const auto problems = builtin_registry().label_problems();
  EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
  // What the provider shows for the demo's dialog, as the issue asked for it.
  const auto doc = builtin_registry().describe();
  const auto& shared_zones = doc["algorithms"][0];
  EXPECT_EQ(shared_zones["parameters"][0]["label"], "Municipalities layer");
  EXPECT_EQ(shared_zones["parameters"][0]["field_parameters"][0]["name"], "municipalities_id_field");
  EXPECT_EQ(shared_zones["parameters"][0]["field_parameters"][0]["label"], "ID field");
  EXPECT_EQ(shared_zones["parameters"][1]["field_parameters"][0]["label"], "Hazard class field");
  EXPECT_EQ(shared_zones["parameters"][2]["label"], "Minimum part area (m²)");
  EXPECT_NE(std::find(shared_zones["tags"].begin(), shared_zones["tags"].end(), "border"), shared_zones["tags"].end());
}

// An algorithm as a careless author might declare it.
class Sloppy final : public Algorithm {
 public:
  explicit Sloppy(std::vector<ParamSpec> parameters, std::vector<std::string> tags = {"sloppy"})
      : Algorithm(std::move(parameters), {OutputSpec{"result", OutputKind::table, GeometryFamily::none, "help"}}),
        m_tags(std::move(tags)) {}
  std::string_view id() const override { return "sloppy"; }
  std::string_view title() const override { return "Sloppy"; }
  std::string_view group() const override { return "Tests and checks"; }
  std::string_view help() const override { return "Declared without care."; }
  std::vector<std::string> tags() const override { return m_tags; }
  StepOutput run(const StepInput&, Progress&) const override { return {}; }

 private:
  std::vector<std::string> m_tags;
};

std::vector<std::string> problems_of(std::unique_ptr<Algorithm> algorithm) {
  Registry registry;
  registry.add(std::move(algorithm));
  return registry.label_problems();
}

bool mentions(const std::vector<std::string>& problems, const std::string& text) {
  return std::any_of(problems.begin(), problems.end(), [&](const auto& p) { return p.find(text) != std::string::npos; });
}

TEST(Registry, LabelProblemsNameWhatIsMissingTooLongOrTwice) {
  auto problems = problems_of(std::make_unique<Sloppy>(std::vector<ParamSpec>{
      ParamSpec::number("a", "help", 0).labelled("Width (m)"),
      ParamSpec::number("b", "help", 0),
      ParamSpec::number("c", "help", 0).labelled("Width (m)"),
      // 41 characters, one of them two bytes long.
      ParamSpec::number("d", "help", 0).labelled("Minimum part area of every shared zone m²"),
      // 40 characters: fits.
      ParamSpec::number("e", "help", 0).labelled("Minimum part area of every shared zone ²"),
  }));
  EXPECT_TRUE(mentions(problems, "sloppy: parameter 'b' has no label")) << ::testing::PrintToString(problems);
  EXPECT_TRUE(mentions(problems, "parameter 'a' and parameter 'c' share the label 'Width (m)'"));
  EXPECT_TRUE(mentions(problems, "parameter 'd' label 'Minimum part area of every shared zone m²' is 41 characters"));
  EXPECT_FALSE(mentions(problems, "parameter 'e' label"));
  EXPECT_TRUE(mentions(problems, "output 'result' has no label"));
  EXPECT_EQ(problems.size(), 4u) << ::testing::PrintToString(problems);

  problems = problems_of(std::make_unique<Sloppy>(std::vector<ParamSpec>{}, std::vector<std::string>{}));
  EXPECT_TRUE(mentions(problems, "sloppy: no tags"));
}

TEST(Registry, FieldLabelsOfTwoLayersInOneRoleNameTheirLayer) {
  auto two = std::make_unique<Sloppy>(std::vector<ParamSpec>{
      ParamSpec::layer("towns", Role::municipalities, "help").labelled("Towns"),
      ParamSpec::layer("partners", Role::municipalities, "help").labelled("Partner towns"),
  });
  const auto doc = two->describe();
  EXPECT_EQ(doc["parameters"][0]["field_parameters"][0]["label"], "ID field (Towns)");
  EXPECT_EQ(doc["parameters"][1]["field_parameters"][0]["label"], "ID field (Partner towns)");
  EXPECT_EQ(doc["icon"], "tests-and-checks");
  auto problems = problems_of(std::move(two));
  EXPECT_FALSE(mentions(problems, "share the label")) << ::testing::PrintToString(problems);
}

TEST(Registry, RejectsDuplicateIds) {
  Registry registry;
  register_builtin_algorithms(registry);
  EXPECT_THROW(register_builtin_algorithms(registry), Error);
}

}  // namespace
}  // namespace twinrisk::ops
