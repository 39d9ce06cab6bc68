// The demo pipeline on real data, checked against OGR computations made a different way.

#include <gtest/gtest.h>

#include <map>

#include "../test_support.hpp"
#include "twinrisk/ops/builtin.hpp"
#include "twinrisk/pipeline/pipeline.hpp"

namespace twinrisk {
namespace {

// The demo runs once for the suite. A failure there is recorded and fails every test with its
// message (an exception escaping SetUpTestSuite would end the whole test program instead).
class MeuseDemo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = new test::TempDir();
    try {
      NullProgress progress;
      pipeline::RunOptions options;
      options.output = (s_dir->path() / "out").string();
      const auto loaded = pipeline::load_pipeline(std::filesystem::path(TWINRISK_SOURCE_DIR) / "examples" / "meuse.yaml");
      pipeline::run(loaded, ops::builtin_registry(), options, progress);
      s_output.reset(GDALDataset::Open((s_dir->path() / "out" / "twinrisk.gpkg").c_str(), GDAL_OF_VECTOR));
      if (!s_output) s_setup_error = "the demo wrote no readable twinrisk.gpkg";
    } catch (const std::exception& error) {
      s_setup_error = error.what();
    }
  }
  static void TearDownTestSuite() {
    s_output.reset();
    delete s_dir;
  }
  void SetUp() override { ASSERT_TRUE(s_setup_error.empty()) << "the demo run failed: " << s_setup_error; }
  // A result layer of the demo; fails the test (instead of crashing) when it is missing.
  static OGRLayer& layer(const char* name) {
    OGRLayer* found = s_output->GetLayerByName(name);
    if (!found) throw std::runtime_error(std::string("no layer ") + name + " in the demo's twinrisk.gpkg");
    return *found;
  }
  static test::TempDir* s_dir;
  static GDALDatasetUniquePtr s_output;
  static std::string s_setup_error;
};
test::TempDir* MeuseDemo::s_dir = nullptr;
GDALDatasetUniquePtr MeuseDemo::s_output;
std::string MeuseDemo::s_setup_error;

double area_of(OGRFeature& feature) {
  return OGR_G_Area(OGRGeometry::ToHandle(feature.GetGeometryRef()));
}

TEST_F(MeuseDemo, PartsAddUpToTheirZone) {
  std::map<std::int64_t, double> zone_area, part_sum;
  for (auto& zone : layer("zones")) zone_area[zone->GetFieldAsInteger64("zone_id")] = area_of(*zone);
  for (auto& part : layer("zone_parts")) {
    part_sum[part->GetFieldAsInteger64("zone_id")] += area_of(*part);
  }
  ASSERT_EQ(zone_area.size(), 68u);  // the 68 flood-frequency polygons touch no polygon of their own class
  for (const auto& [id, area] : zone_area) {
    EXPECT_LE(std::abs(part_sum[id] - area) / area, 1e-9) << "zone " << id;
  }
}

// Every zone and part is a valid polygon by GEOS's rules (through OGR): the flood-frequency
// polygons follow grid cells, and holes touch outlines at cell corners.
TEST_F(MeuseDemo, ZonesAndPartsAreValidPolygons) {
  for (const char* name : {"zones", "zone_parts"}) {
    std::size_t count = 0;
    for (auto& feature : layer(name)) {
      ++count;
      EXPECT_TRUE(feature->GetGeometryRef()->IsValid()) << name << " feature " << feature->GetFID();
    }
    EXPECT_GT(count, 60u) << name;
  }
}

TEST_F(MeuseDemo, ZoneAreaPerClassEqualsTheUnionOfThatClass) {
  OGRLayer* zones = &layer("zones");
  OGRSpatialReference analysis = *zones->GetSpatialRef();
  analysis.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::map<std::string, double> twinrisk_area;
  for (auto& zone : *zones) twinrisk_area[zone->GetFieldAsString("class")] += area_of(*zone);

  // Independently: OGR reads the source, reprojects and unions each class pairwise.
  GDALDatasetUniquePtr source(GDALDataset::Open(
      (std::filesystem::path(TWINRISK_SOURCE_DIR) / "layers/demo/meuse_nl_be.gpkg").c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(source);
  OGRLayer* hazard = source->GetLayerByName("meuse_flood_freq_zones");
  ASSERT_NE(hazard, nullptr);
  OGRSpatialReference wgs84 = *hazard->GetSpatialRef();
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> transform(OGRCreateCoordinateTransformation(&wgs84, &analysis));
  std::map<std::string, std::unique_ptr<OGRGeometry>> unions;
  for (auto& feature : *hazard) {
    std::unique_ptr<OGRGeometry> geometry(feature->GetGeometryRef()->clone());
    ASSERT_EQ(geometry->transform(transform.get()), OGRERR_NONE);
    auto& u = unions[feature->GetFieldAsString("ffreq")];
    u = u ? std::unique_ptr<OGRGeometry>(u->Union(geometry.get())) : std::move(geometry);
  }
  ASSERT_EQ(unions.size(), 3u);
  for (const auto& [cls, geometry] : unions) {
    const double expected = OGR_G_Area(OGRGeometry::ToHandle(geometry.get()));
    EXPECT_LE(std::abs(twinrisk_area[cls] - expected) / expected, 1e-9) << "class " << cls;
  }
}

TEST_F(MeuseDemo, SomeZonesCrossTheNationalBorder) {
  // The Natural Earth provinces meet along the Meuse, so the floodplain straddles the border.
  int cross_national = 0;
  for (auto& zone : layer("zones")) {
    if (zone->GetFieldAsInteger("cross_national")) {
      ++cross_national;
      EXPECT_STREQ(zone->GetFieldAsString("countries"), "BE;NL");
      EXPECT_EQ(zone->GetFieldAsInteger("cross_border"), 1);
    }
  }
  EXPECT_GT(cross_national, 0);
}

}  // namespace
}  // namespace twinrisk
