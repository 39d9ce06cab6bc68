// Pipeline files: parsing errors with file:line, whole-pipeline validation, and a mixed-CRS run.

#include "twinrisk/pipeline/pipeline.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "../test_support.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/io/gdal.hpp"
#include "twinrisk/ops/builtin.hpp"

namespace twinrisk::pipeline {
namespace {

using ops::builtin_registry;

using test::rectangle;
using test::TempDir;

void write_text(const std::filesystem::path& path, const std::string& text) { std::ofstream(path) << text; }

TEST(Pipeline, MalformedYamlNamesFileAndLine) {
  TempDir dir;
  write_text(dir / "p.yaml", "analysis_crs: auto\nlayers:\n  m: { source: a.gpkg, role: municipalities\nsteps: []\n");
  try {
    load_pipeline(dir / "p.yaml");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.context().file, (dir / "p.yaml").string());
    ASSERT_TRUE(error.context().line.has_value());
    EXPECT_GE(*error.context().line, 3);
    EXPECT_NE(std::string(error.what()).find("malformed YAML"), std::string::npos);
  }
}

TEST(Pipeline, LayerDefinitionFilesAndSourcesResolveRelativeToTheirFile) {
  TempDir dir;
  std::filesystem::create_directories(dir / "layers");
  write_text(dir / "layers" / "m.yaml", "source: data/m.gpkg\nrole: municipalities\nfields: { id: code }\n");
  write_text(dir / "p.yaml", "layers:\n  towns: layers/m.yaml\n  flood: { source: f.gpkg, role: hazard }\nsteps:\n"
                             "  - shared-zones: { municipalities: towns, hazard: flood, min_area_m2: 5 }\n");
  const auto p = load_pipeline(dir / "p.yaml");
  EXPECT_EQ(p.analysis_crs, "auto");
  ASSERT_EQ(p.layers.size(), 2u);
  EXPECT_EQ(p.layers[0].name, "towns");
  EXPECT_EQ(p.layers[0].source, (dir / "layers" / "data" / "m.gpkg").string());
  EXPECT_EQ(p.layers[0].origin.file, (dir / "layers" / "m.yaml").string());
  EXPECT_EQ(p.layers[1].source, (dir / "f.gpkg").string());
  ASSERT_EQ(p.steps.size(), 1u);
  EXPECT_EQ(*p.steps[0].origin.line, 5);
  EXPECT_NO_THROW(validate(p, builtin_registry()));
}

TEST(Pipeline, ValidationReportsEveryProblemAtOnce) {
  TempDir dir;
  write_text(dir / "p.yaml",
             "layers:\n"
             "  m: { source: m.gpkg, role: municipalities }\n"
             "  r: { source: r.gpkg, role: rivers }\n"
             "steps:\n"
             "  - shared-zones: { municipalities: m, hazard: r, min_area_m2: -3 }\n"
             "  - shared-zonez: {}\n"
             "  - shared-zones: { municipalities: nowhere, hazard: r, colour: red }\n");
  try {
    validate(load_pipeline(dir / "p.yaml"), builtin_registry());
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("problems in the pipeline"), std::string::npos) << what;
    EXPECT_NE(what.find("p.yaml:5: step 'shared-zones': hazard needs polygon features, but 'r' has role rivers (line "
                        "features)"),
              std::string::npos) << what;
    EXPECT_NE(what.find("out of range"), std::string::npos) << what;
    EXPECT_NE(what.find("p.yaml:6: unknown step 'shared-zonez'"), std::string::npos) << what;
    EXPECT_NE(what.find("municipalities refers to 'nowhere', which is neither a layer nor an earlier step's output "
                        "(layers: m, r"),
              std::string::npos) << what;
    EXPECT_NE(what.find("no parameter 'colour'"), std::string::npos) << what;
    EXPECT_NE(what.find("p.yaml:7: outputs 'zones', 'zone_parts', 'zone_summary', 'municipality_summary' are "
                        "produced by two steps (also by shared-zones at line 5)"),
              std::string::npos) << what;
  }
}

TEST(Pipeline, LayersInDifferentCrsesAreOverlaidInTheAnalysisCrs) {
  TempDir dir;
  // Municipalities in EPSG:25832: W = [500000,505000] and E = [505000,510000] x [5600000,5610000].
  test::write_layer(dir / "m.gpkg", "m", 25832, {"id", "country"},
                    {{rectangle(500000, 5600000, 505000, 5610000), {std::string("W"), std::string("DE")}},
                     {rectangle(505000, 5600000, 510000, 5610000), {std::string("E"), std::string("NL")}}});
  // The hazard is the rectangle [502000,508000] x [5602000,5604000] in EPSG:25832 (12 km²),
  // stored in EPSG:4326: its corners converted with PROJ's cs2cs (lat/lon order):
  //   echo "502000 5602000" ... | cs2cs -f %.10f EPSG:25832 EPSG:4326   (prints lat lon)
  // Straight edges in UTM come back straight once the corners are projected back.
  const std::string hazard_4326 =
      "POLYGON((9.0282420812 50.5699153218,9.1129682153 50.5698639624,9.1130112475 50.5878502336,"
      "9.0282528393 50.5879016257,9.0282420812 50.5699153218))";
  test::write_layer(dir / "h.gpkg", "h", 4326, {"class"}, {{hazard_4326, {1LL}}});
  write_text(dir / "p.yaml",
             "analysis_crs: EPSG:25832\nlayers:\n"
             "  m: { source: m.gpkg, role: municipalities }\n"
             "  h: { source: h.gpkg, role: hazard }\n"
             "steps:\n  - shared-zones: { municipalities: m, hazard: h }\n");
  NullProgress progress;
  RunOptions options;
  options.output = (dir / "out").string();
  const auto summary = run(load_pipeline(dir / "p.yaml"), builtin_registry(), options, progress);
  EXPECT_TRUE(summary.loads[1].reprojected);
  EXPECT_FALSE(summary.loads[0].reprojected);

  GDALDatasetUniquePtr out(GDALDataset::Open((dir / "out" / "twinrisk.gpkg").c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(out);
  std::map<std::string, double> parts;
  for (auto& part : *out->GetLayerByName("zone_parts")) {
    parts[part->GetFieldAsString("municipality_id")] = part->GetFieldAsDouble("area_m2");
  }
  ASSERT_EQ(parts.size(), 2u);  // nothing outside
  // W gets [502000,505000] x 2000 = 6 km², E gets [505000,508000] x 2000 = 6 km²; the corners
  // were printed to 1e-10 degrees (about 0.01 mm), so allow 1 m² on 6 km².
  EXPECT_NEAR(parts["W"], 6e6, 1);
  EXPECT_NEAR(parts["E"], 6e6, 1);
  auto zone = std::unique_ptr<OGRFeature>(out->GetLayerByName("zones")->GetNextFeature());
  EXPECT_EQ(zone->GetFieldAsInteger("cross_national"), 1);
}

// GeoPackage connections skip SpatiaLite unless a definition brings SQL, which may call its
// functions: a where: with ST_IsValid (SpatiaLite's, not GDAL's own) still filters.
TEST(Pipeline, SpatiaLiteIsLoadedOnlyForSqlADefinitionBrings) {
  TempDir dir;
  test::write_layer(dir / "m.gpkg", "m", 3035, {"id"},
                    {{rectangle(0, 0, 100, 100), {std::string("A")}}, {rectangle(100, 0, 200, 100), {std::string("B")}}});
  test::write_layer(dir / "h.gpkg", "h", 3035, {"class"},
                    {{rectangle(50, 20, 150, 40), {1LL}},
                     {"POLYGON((60 60,90 90,90 60,60 90,60 60))", {2LL}}});  // a bow tie: ST_IsValid is 0
  const auto run_with = [&](const std::string& hazard_extra, const std::string& out) {
    write_text(dir / "p.yaml", "analysis_crs: EPSG:3035\nlayers:\n"
                               "  m: { source: m.gpkg, role: municipalities }\n"
                               "  h: { source: h.gpkg, role: hazard" + hazard_extra + " }\n"
                               "steps:\n  - shared-zones: { municipalities: m, hazard: h }\n");
    NullProgress progress;
    RunOptions options;
    options.output = (dir / out).string();
    return run(load_pipeline(dir / "p.yaml"), builtin_registry(), options, progress);
  };
  const auto plain = run_with("", "plain");
  EXPECT_EQ(plain.loads[1].loaded, 2);
  // Unset again after the run: a later reading in this process loads SpatiaLite as GDAL would.
  EXPECT_EQ(CPLGetConfigOption("SPATIALITE_LOAD", nullptr), nullptr);
  const auto filtered = run_with(", where: \"ST_IsValid(geom) = 1\"", "filtered");
  EXPECT_EQ(filtered.loads[1].read, 1);  // the bow tie filtered out by SpatiaLite's function
  EXPECT_EQ(filtered.loads[1].loaded, 1);

  // Runs side by side in one process: SpatiaLite is skipped only while no living run needs it.
  {
    const io::SpatialiteUse without_sql(false);
    EXPECT_STREQ(CPLGetConfigOption("SPATIALITE_LOAD", ""), "NO");
    {
      const io::SpatialiteUse with_sql(true);
      EXPECT_EQ(CPLGetConfigOption("SPATIALITE_LOAD", nullptr), nullptr);
      const auto meanwhile = run_with(", where: \"ST_IsValid(geom) = 1\"", "meanwhile");
      EXPECT_EQ(meanwhile.loads[1].loaded, 1);
      EXPECT_EQ(CPLGetConfigOption("SPATIALITE_LOAD", nullptr), nullptr);
    }
    EXPECT_STREQ(CPLGetConfigOption("SPATIALITE_LOAD", ""), "NO");
  }
  EXPECT_EQ(CPLGetConfigOption("SPATIALITE_LOAD", nullptr), nullptr);
}

// Result layers in another CRS: transformed geometries, areas as measured in the analysis CRS.
TEST(Pipeline, OutputCrsTransformsLayersButNotTheirAreas) {
  TempDir dir;
  test::write_layer(dir / "m.gpkg", "m", 25832, {"id"},
                    {{rectangle(500000, 5600000, 505000, 5610000), {std::string("W")}},
                     {rectangle(505000, 5600000, 510000, 5610000), {std::string("E")}}});
  test::write_layer(dir / "h.gpkg", "h", 25832, {"class"}, {{rectangle(502000, 5602000, 508000, 5604000), {1LL}}});
  auto run_with = [&](const std::string& output_crs, const std::string& folder) {
    write_text(dir / "p.yaml", "analysis_crs: EPSG:25832\noutput_crs: " + output_crs +
                                   "\nlayers:\n  m: { source: m.gpkg, role: municipalities }\n"
                                   "  h: { source: h.gpkg, role: hazard }\n"
                                   "steps:\n  - shared-zones: { municipalities: m, hazard: h }\n");
    NullProgress progress;
    RunOptions options;
    options.output = (dir / folder).string();
    run(load_pipeline(dir / "p.yaml"), builtin_registry(), options, progress);
    return GDALDatasetUniquePtr(GDALDataset::Open((dir / folder / "twinrisk.gpkg").c_str(), GDAL_OF_VECTOR));
  };
  auto analysis = run_with("analysis", "a");
  auto laea = run_with("EPSG:3035", "b");
  ASSERT_TRUE(analysis && laea);
  auto* parts_a = analysis->GetLayerByName("zone_parts");
  auto* parts_b = laea->GetLayerByName("zone_parts");
  EXPECT_STREQ(parts_a->GetSpatialRef()->GetAuthorityCode(nullptr), "25832");
  EXPECT_STREQ(parts_b->GetSpatialRef()->GetAuthorityCode(nullptr), "3035");
  // The hazard's corners, transformed here on their own: the zone's vertices are exactly these.
  OGRSpatialReference utm, etrs_laea;
  utm.importFromEPSG(25832);
  etrs_laea.importFromEPSG(3035);
  utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  etrs_laea.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> to_laea(OGRCreateCoordinateTransformation(&utm, &etrs_laea));
  OGREnvelope corners;
  for (auto [x, y] : {std::pair{502000.0, 5602000.0}, {508000.0, 5602000.0}, {508000.0, 5604000.0}, {502000.0, 5604000.0}}) {
    ASSERT_TRUE(to_laea->Transform(1, &x, &y));
    corners.Merge(x, y);
  }
  OGREnvelope zone;
  auto zone_b = std::unique_ptr<OGRFeature>(laea->GetLayerByName("zones")->GetNextFeature());
  zone_b->GetGeometryRef()->getEnvelope(&zone);
  EXPECT_NEAR(zone.MinX, corners.MinX, 1e-6);
  EXPECT_NEAR(zone.MinY, corners.MinY, 1e-6);
  EXPECT_NEAR(zone.MaxX, corners.MaxX, 1e-6);
  EXPECT_NEAR(zone.MaxY, corners.MaxY, 1e-6);
  std::vector<double> areas_a, areas_b;
  for (auto& part : *parts_a) areas_a.push_back(part->GetFieldAsDouble("area_m2"));
  for (auto& part : *parts_b) {
    areas_b.push_back(part->GetFieldAsDouble("area_m2"));
    // The geometry is LAEA's (equal-area: UTM's 6 km² shrink by its scale, about 0.08 %), the attribute is not.
    EXPECT_GT(std::abs(part->GetGeometryRef()->toMultiPolygon()->get_Area() - part->GetFieldAsDouble("area_m2")), 1000.0);
  }
  ASSERT_EQ(areas_a.size(), 2u);
  EXPECT_EQ(areas_a, areas_b);
  EXPECT_NEAR(areas_a[0], 6e6, 1e-3);

  // `input` is the first input layer's CRS.
  write_text(dir / "p.yaml", "analysis_crs: EPSG:3035\noutput_crs: input\nlayers:\n"
                             "  m: { source: m.gpkg, role: municipalities }\n  h: { source: h.gpkg, role: hazard }\n"
                             "steps:\n  - shared-zones: { municipalities: m, hazard: h }\n");
  NullProgress progress;
  RunOptions options;
  options.output = (dir / "c").string();
  run(load_pipeline(dir / "p.yaml"), builtin_registry(), options, progress);
  GDALDatasetUniquePtr input_crs(GDALDataset::Open((dir / "c" / "twinrisk.gpkg").c_str(), GDAL_OF_VECTOR));
  EXPECT_STREQ(input_crs->GetLayerByName("zones")->GetSpatialRef()->GetAuthorityCode(nullptr), "25832");
}

TEST(Pipeline, ExistingOutputIsRefusedBeforeAnyInputIsRead) {
  TempDir dir;
  write_text(dir / "p.yaml", "layers:\n  m: { source: missing.gpkg, role: municipalities }\n"
                             "  h: { source: missing2.gpkg, role: hazard }\n"
                             "steps:\n  - shared-zones: { municipalities: m, hazard: h }\n");
  std::filesystem::create_directories(dir / "out");
  write_text(dir / "out" / "twinrisk.gpkg", "precious");
  NullProgress progress;
  RunOptions options;
  options.output = (dir / "out").string();
  EXPECT_THROW(run(load_pipeline(dir / "p.yaml"), builtin_registry(), options, progress), OutputError);
  std::ifstream in(dir / "out" / "twinrisk.gpkg");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "precious");
  options.overwrite = true;
  try {
    run(load_pipeline(dir / "p.yaml"), builtin_registry(), options, progress);
    FAIL() << "expected the missing inputs to be reported";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::input);
    EXPECT_NE(std::string(error.what()).find("2 problems"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("missing2.gpkg"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace twinrisk::pipeline
