// The catalogue through whole runs, with algorithms made for the test: lists of layers, tables
// and rasters as inputs, outputs of every kind under a scenario prefix, and failures that must
// leave nothing behind.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "../test_support.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/pipeline/plan.hpp"

namespace twinrisk::pipeline {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Says what it was given: one `seen` row per input, the assets passed through as one layer, and
// a file naming the raster's grid.
class Describe final : public Algorithm {
 public:
  Describe()
      : Algorithm({ParamSpec::layer("assets", Role::infrastructure, "Assets").list(),
                   ParamSpec::table("pairs", Role::twinning, "Twinning pairs").optional(),
                   ParamSpec::raster("dem", "Elevation").optional()},
                  {{"echo", OutputKind::layer, GeometryFamily::any, "The assets", {{"from", FieldType::string}}},
                   {"seen", OutputKind::table, GeometryFamily::none, "What the step got",
                    {{"input", FieldType::string}, {"count", FieldType::integer}}},
                   {"grid.txt", OutputKind::file, GeometryFamily::none, "The raster's grid", {}}}) {}
  std::string_view id() const override { return "describe"; }
  std::string_view title() const override { return "Describe"; }
  std::string_view group() const override { return "Test"; }
  std::string_view help() const override { return "Says what it was given."; }

  StepOutput run(const StepInput& input, Progress&) const override {
    StepOutput output;
    Table seen{"seen", outputs()[1].fields, {}};
    Layer echo{result_schema("echo", GeometryFamily::any, input.analysis_crs_wkt, {{"from", FieldType::string}}), {}};
    for (const Layer* layer : input.layer_list("assets")) {
      seen.rows.push_back({layer->name, static_cast<std::int64_t>(layer->features.size())});
      for (const auto& feature : layer->features) {
        echo.features.push_back({feature.fid, geos::clone(feature.geometry.get()), {layer->name}});
      }
    }
    if (input.has("pairs")) {
      const Table& pairs = input.table("pairs");
      seen.rows.push_back({"pairs", static_cast<std::int64_t>(pairs.rows.size())});
      for (const auto& row : pairs.rows) {
        seen.rows.push_back({to_display_string(row[*pairs.column_index("a")]) + "|" +
                                 to_display_string(row[*pairs.column_index("b")]),
                             std::int64_t{0}});
      }
    }
    if (input.has("dem")) {
      const RasterInfo& dem = input.raster("dem");
      std::ofstream(input.stage_file("grid.txt"))
          << dem.width << "x" << dem.height << " " << dem.resolution_x() << " " << dem.resolution_y() << " "
          << (dem.bands.at(0).nodata ? *dem.bands.at(0).nodata : 0.0) << "\n";
    }
    output.layers.push_back(std::move(echo));
    output.tables.push_back(std::move(seen));
    return output;
  }
};

// Writes half a layer, then fails as a bad feature would.
class FailMidway final : public Algorithm {
 public:
  FailMidway()
      : Algorithm({ParamSpec::layer("input", Role::features, "Anything")},
                  {{"first", OutputKind::layer, GeometryFamily::any, "Written before the failure", {}},
                   {"second", OutputKind::table, GeometryFamily::none, "Never written", {}}}) {}
  std::string_view id() const override { return "fail-midway"; }
  std::string_view title() const override { return "Fail midway"; }
  std::string_view group() const override { return "Test"; }
  std::string_view help() const override { return "Fails after writing."; }
  StepOutput run(const StepInput& input, Progress&) const override {
    const Layer& layer = input.layer("input");
    input.sink->begin_layer(result_schema("first", GeometryFamily::any, input.analysis_crs_wkt, layer.fields));
    input.sink->write_view(layer.features);
    input.sink->end_layer();
    throw InputError("a feature no step can use", {{}, {}, layer.name, std::int64_t{2}, {}});
  }
};

Registry test_registry() {
  Registry registry;
  registry.add(std::make_unique<Describe>());
  registry.add(std::make_unique<FailMidway>());
  return registry;
}

const fs::path kData = TWINRISK_TEST_DATA_DIR;
const fs::path kDemo = fs::path(TWINRISK_SOURCE_DIR) / "layers" / "demo";

std::string layers_yaml() {
  return "layers:\n"
         "  roads: { source: " + (kDemo / "meuse_nl_be.gpkg").string() +
         ", layer: wdb_rivers, role: infrastructure, fields: { category: \"=river\" } }\n"
         "  samples: { source: " + (kDemo / "meuse_nl_be.gpkg").string() +
         ", layer: meuse_samples, role: infrastructure, fields: { category: \"=sample\" } }\n"
         "  twins: { source: " + (kData / "twinning.csv").string() + ", role: twinning }\n"
         "  dem: { source: " + (kDemo / "meuse_dem_idw40m.tif").string() + ", role: raster }\n";
}

TEST(Catalogue, ListsTablesRastersAndFilesUnderAScenario) {
  TempDir dir;
  write_text(dir / "p.yaml", "analysis_crs: EPSG:3035\n" + layers_yaml() +
                                 "steps:\n  - describe: { assets: [roads, samples], pairs: twins, dem: dem, as: s1 }\n");
  NullProgress progress;
  RunOptions options;
  options.output = (dir / "out").string();
  const auto registry = test_registry();
  run(load_pipeline(dir / "p.yaml"), registry, options, progress);

  // The list arrives in order, whole: `ogrinfo meuse_nl_be.gpkg` counts 2 rivers and 155 samples.
  const auto seen = read_text(dir / "out" / "tables" / "s1_seen.csv");
  EXPECT_NE(seen.find("roads,2\r\nsamples,155\r\n"), std::string::npos) << seen;
  // The CSV has no geometry: a table with every row, the one with an empty partner too.
  EXPECT_NE(seen.find("pairs,3\r\nNL-A|BE-C,0\r\nNL-B|BE-C,0\r\nBE-C|,0\r\n"), std::string::npos) << seen;
  // gdalinfo meuse_dem_idw40m.tif: Size is 90, 115; Pixel Size = (40,-40); NoData Value=-9999.
  EXPECT_EQ(read_text(dir / "out" / "s1_grid.txt"), "90x115 40 40 -9999\n");
  GDALDatasetUniquePtr gpkg(GDALDataset::Open((dir / "out" / "twinrisk.gpkg").c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(gpkg);
  ASSERT_NE(gpkg->GetLayerByName("s1_echo"), nullptr);
  EXPECT_EQ(gpkg->GetLayerByName("s1_echo")->GetFeatureCount(), 157);
  EXPECT_EQ(gpkg->GetLayerByName("echo"), nullptr);
  for (const auto& entry : fs::recursive_directory_iterator(dir / "out")) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
  }
}

std::string plan_error(const std::string& steps, const std::string& extra_layers = "") {
  TempDir dir;
  write_text(dir / "p.yaml", "analysis_crs: EPSG:3035\n" + layers_yaml() + extra_layers + "steps:\n" + steps);
  try {
    make_plan(load_pipeline(dir / "p.yaml"), test_registry());
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "no error";
}

TEST(Catalogue, BadReferencesAreConfigErrorsWithFileAndLine) {
  // Line numbers: 1 analysis_crs, 2 layers, 3-6 the layers, 7 steps, 8 the first step.
  const auto later = plan_error("  - describe: { assets: [roads, b_echo] }\n  - describe: { assets: [roads], as: b }\n");
  EXPECT_NE(later.find("p.yaml:8: step 'describe': assets refers to 'b_echo', which a later step produces "
                       "(describe at line 9)"),
            std::string::npos)
      << later;
  const auto twice = plan_error("  - describe: { assets: [roads] }\n  - describe: { assets: [samples] }\n");
  EXPECT_NE(twice.find("p.yaml:9: outputs 'echo', 'seen', 'grid.txt' are produced by two steps (also by describe at "
                       "line 8)"),
            std::string::npos)
      << twice;
  const auto bad_name = plan_error("  - describe: { assets: [roads], as: 'hq 100' }\n");
  EXPECT_NE(bad_name.find("p.yaml:8: step 'describe': as: 'hq 100' cannot prefix layer and file names"),
            std::string::npos)
      << bad_name;
  const auto raster_as_vector = plan_error("  - describe: { assets: [roads, dem] }\n");
  EXPECT_NE(raster_as_vector.find("p.yaml:8: step 'describe': assets needs a vector layer, but 'dem' is a raster"),
            std::string::npos)
      << raster_as_vector;
  const auto table_as_vector = plan_error("  - describe: { assets: [twins] }\n");
  EXPECT_NE(table_as_vector.find("assets needs a vector layer, but 'twins' is a table (role twinning); a table or "
                                 "raster cannot serve a spatial parameter"),
            std::string::npos)
      << table_as_vector;
  const auto vector_as_table = plan_error("  - describe: { assets: [roads], pairs: roads }\n");
  EXPECT_NE(vector_as_table.find("pairs needs a table, but 'roads' is a vector layer"), std::string::npos)
      << vector_as_table;
  const auto list_for_one = plan_error("  - describe: { assets: [roads], dem: [dem, dem] }\n");
  EXPECT_NE(list_for_one.find("dem takes one raster, not a list"), std::string::npos) << list_for_one;
  const auto table_result_as_layer =
      plan_error("  - describe: { assets: [roads], as: a }\n  - describe: { assets: [a_seen], as: b }\n");
  EXPECT_NE(table_result_as_layer.find("p.yaml:9: step 'describe': assets needs a vector layer, but 'a_seen' is a "
                                       "table"),
            std::string::npos)
      << table_result_as_layer;
}

TEST(Catalogue, ARasterSourceGivenAVectorRoleIsRefusedBeforeAnythingIsWritten) {
  TempDir dir;
  write_text(dir / "p.yaml", "analysis_crs: EPSG:3035\nlayers:\n  fake: { source: " +
                                 (kDemo / "meuse_dem_idw40m.tif").string() +
                                 ", role: infrastructure }\nsteps:\n  - describe: { assets: [fake] }\n");
  NullProgress progress;
  RunOptions options;
  options.output = (dir / "out").string();
  try {
    run(load_pipeline(dir / "p.yaml"), test_registry(), options, progress);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("p.yaml:3: layer 'fake': "), std::string::npos) << what;
    EXPECT_NE(what.find("is a raster, but role infrastructure needs a vector layer"), std::string::npos) << what;
  }
  EXPECT_FALSE(fs::exists(dir / "out" / "twinrisk.gpkg"));
  EXPECT_FALSE(fs::exists(dir / "out" / "manifest.json"));
}

TEST(Catalogue, AFailedStepLeavesTheOldOutputAsItWas) {
  TempDir dir;
  write_text(dir / "p.yaml", "analysis_crs: EPSG:3035\n" + layers_yaml() +
                                 "steps:\n  - describe: { assets: [roads] }\n  - fail-midway: { input: samples }\n");
  fs::create_directories(dir / "out" / "tables");
  write_text(dir / "out" / "twinrisk.gpkg", "old");
  write_text(dir / "out" / "manifest.json", "old");
  NullProgress progress;
  RunOptions options;
  options.output = (dir / "out").string();
  options.overwrite = true;
  try {
    run(load_pipeline(dir / "p.yaml"), test_registry(), options, progress);
    FAIL() << "expected the step to fail";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::input);
    EXPECT_NE(std::string(error.what()).find("p.yaml:9: step 'fail-midway': layer 'samples', feature 2"),
              std::string::npos)
        << error.what();
  }
  EXPECT_EQ(read_text(dir / "out" / "twinrisk.gpkg"), "old");
  EXPECT_EQ(read_text(dir / "out" / "manifest.json"), "old");
  EXPECT_FALSE(fs::exists(dir / "out" / "tables" / "seen.csv"));
  std::vector<std::string> left;
  for (const auto& entry : fs::recursive_directory_iterator(dir / "out")) left.push_back(entry.path().filename());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"manifest.json", "tables", "twinrisk.gpkg"}));
}

}  // namespace
}  // namespace twinrisk::pipeline
