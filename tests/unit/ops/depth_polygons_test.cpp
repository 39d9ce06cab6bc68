// Depth bands to polygons on a 3 × 3 raster whose polygons can be drawn by hand.

#include "twinrisk/ops/depth_polygons.hpp"

#include <gtest/gtest.h>

#include <map>

#include "../test_support.hpp"
#include "raster_fixture.hpp"

namespace twinrisk::ops {
namespace {

TEST(DepthPolygons, FourConnectedRegionsPerBand) {
  // x 0..30, y 0..30, 10 m cells; rows north to south, with the standard bands' index:
  //   0.2 (0)  0.4 (0)  0.6 (1)
  //   0.8 (1)  1.5 (2)  nodata
  //   2.5 (3)  0 (dry)  1.2 (2)
  test::TempDir dir;
  test::RasterSpec spec;
  spec.geotransform = {0, 10, 0, 30, 0, -10};
  spec.width = spec.height = 3;
  spec.values = {0.2, 0.4, 0.6, 0.8, 1.5, -9999, 2.5, 0, 1.2};
  spec.nodata = -9999;
  io::RasterSource raster(test::write_raster(dir / "depth.tif", spec));
  const auto polygons = depth_band_polygons(raster, DepthBands::standard());

  std::map<std::size_t, int> count;
  std::map<std::size_t, double> area;
  for (const auto& p : polygons) {
    ASSERT_TRUE(geos::is_valid(p.polygon.get())) << geos::to_wkt(p.polygon.get());
    count[p.band] += 1;
    area[p.band] += geos::area(p.polygon.get());
  }
  // Band 0: the two north-west cells joined; band 1: two cells apart; band 2: two cells touching
  // only at a corner, so two polygons (4-connected); band 3: one cell.
  EXPECT_EQ(count, (std::map<std::size_t, int>{{0, 1}, {1, 2}, {2, 2}, {3, 1}}));
  EXPECT_EQ(area, (std::map<std::size_t, double>{{0, 200}, {1, 200}, {2, 200}, {3, 100}}));
  for (const auto& p : polygons) {
    if (p.band != 0) continue;
    const auto expected = geos::from_wkt(test::rectangle(0, 20, 20, 30));
    EXPECT_EQ(GEOSEquals_r(geos::context(), p.polygon.get(), expected.get()), 1) << geos::to_wkt(p.polygon.get());
  }
}

}  // namespace
}  // namespace twinrisk::ops
