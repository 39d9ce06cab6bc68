// The demo pipeline on real data, checked against OGR computations made a different way.

#include <gtest/gtest.h>

#include <map>

#include "../test_support.hpp"
#include "twinrisk/pipeline/pipeline.hpp"

namespace twinrisk {
namespace {

class MeuseDemo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = new test::TempDir();
    NullProgress progress;
    pipeline::RunOptions options;
    options.output_folder = s_dir->path() / "out";
    const auto loaded = pipeline::load_pipeline(std::filesystem::path(TWINRISK_SOURCE_DIR) / "examples" / "meuse.yaml");
    pipeline::run(loaded, builtin_registry(), options, progress);
    s_output.reset(GDALDataset::Open((options.output_folder / "twinrisk.gpkg").c_str(), GDAL_OF_VECTOR));
  }
  static void TearDownTestSuite() {
    s_output.reset();
    delete s_dir;
  }
  static test::TempDir* s_dir;
  static GDALDatasetUniquePtr s_output;
};
test::TempDir* MeuseDemo::s_dir = nullptr;
GDALDatasetUniquePtr MeuseDemo::s_output;

double area_of(OGRFeature& feature) {
  return OGR_G_Area(OGRGeometry::ToHandle(feature.GetGeometryRef()));
}

TEST_F(MeuseDemo, PartsAddUpToTheirZone) {
  ASSERT_TRUE(s_output);
  std::map<std::int64_t, double> zone_area, part_sum;
  for (auto& zone : *s_output->GetLayerByName("zones")) zone_area[zone->GetFieldAsInteger64("zone_id")] = area_of(*zone);
  for (auto& part : *s_output->GetLayerByName("zone_parts")) {
    part_sum[part->GetFieldAsInteger64("zone_id")] += area_of(*part);
  }
  ASSERT_EQ(zone_area.size(), 68u);  // the 68 flood-frequency polygons touch no polygon of their own class
  for (const auto& [id, area] : zone_area) {
    EXPECT_LE(std::abs(part_sum[id] - area) / area, 1e-9) << "zone " << id;
  }
}

TEST_F(MeuseDemo, ZoneAreaPerClassEqualsTheUnionOfThatClass) {
  ASSERT_TRUE(s_output);
  OGRLayer* zones = s_output->GetLayerByName("zones");
  OGRSpatialReference analysis = *zones->GetSpatialRef();
  analysis.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::map<std::string, double> twinrisk_area;
  for (auto& zone : *zones) twinrisk_area[zone->GetFieldAsString("class")] += area_of(*zone);

  // Independently: OGR reads the source, reprojects and unions each class pairwise.
  GDALDatasetUniquePtr source(GDALDataset::Open(
      (std::filesystem::path(TWINRISK_SOURCE_DIR) / "layers/demo/meuse_nl_be.gpkg").c_str(), GDAL_OF_VECTOR));
  OGRLayer* hazard = source->GetLayerByName("meuse_flood_freq_zones");
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
  for (auto& zone : *s_output->GetLayerByName("zones")) {
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
