// Lines and points over a 3 × 3 depth raster of 10 m cells; lengths worked out by hand.

#include "twinrisk/ops/raster_sampling.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "../test_support.hpp"
#include "raster_fixture.hpp"

namespace twinrisk::ops {
namespace {

// x 0..30, y 0..30; rows north to south:
//   0.2  0.4  0.6
//   0.8  1.5  nodata
//   2.5  0    3.0
class RasterSamplingTest : public ::testing::Test {
 protected:
  test::TempDir dir;
  io::RasterSource raster{[this] {
    test::RasterSpec spec;
    spec.geotransform = {0, 10, 0, 30, 0, -10};
    spec.width = spec.height = 3;
    spec.values = {0.2, 0.4, 0.6, 0.8, 1.5, -9999, 2.5, 0, 3.0};
    spec.nodata = -9999;
    spec.type = GDT_Float64;
    return test::write_raster(dir / "depth.tif", spec);
  }()};
  DepthBands bands = DepthBands::standard();  // [0,0.5) [0.5,1) [1,2) [2,inf)
};

TEST_F(RasterSamplingTest, ShallowDiagonalIsSplitAtEveryCellLine) {
  // (5,5)→(25,15), slope ½: crosses x = 10 at y = 7.5, y = 10 at x = 15, x = 20 at y = 12.5.
  // Four pieces of √(5² + 2.5²) = √31.25 each, in cells (2,0) (2,1) (1,1) (1,2).
  const auto cells = line_cells(geos::from_wkt("LINESTRING(5 5,25 15)").get(), raster.grid());
  const double piece = std::sqrt(31.25);
  ASSERT_EQ(cells.pieces.size(), 4u);
  const int expected[4][2] = {{2, 0}, {2, 1}, {1, 1}, {1, 2}};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(cells.pieces[i].row, expected[i][0]) << "piece " << i;
    EXPECT_EQ(cells.pieces[i].col, expected[i][1]) << "piece " << i;
    EXPECT_NEAR(cells.pieces[i].length, piece, 1e-12) << "piece " << i;
  }
  EXPECT_NEAR(cells.total_length, std::sqrt(500.0), 1e-12);
  EXPECT_EQ(cells.outside_length, 0);

  // Values 2.5, 0, 1.5, nodata: a quarter each.
  const auto d = line_depths(geos::from_wkt("LINESTRING(5 5,25 15)").get(), raster, bands);
  EXPECT_NEAR(d.length, std::sqrt(500.0), 1e-12);
  EXPECT_NEAR(d.flooded, 0.5, 1e-12);
  EXPECT_NEAR(d.dry, 0.25, 1e-12);
  EXPECT_NEAR(d.nodata, 0.25, 1e-12);
  EXPECT_NEAR(d.outside, 0, 1e-12);
  EXPECT_NEAR(d.bands[2], 0.25, 1e-12);
  EXPECT_NEAR(d.bands[3], 0.25, 1e-12);
  EXPECT_DOUBLE_EQ(d.max.value(), 2.5);
  EXPECT_NEAR(d.bands[3] * d.length, piece, 1e-12);  // the 2 m+ stretch in metres
}

TEST_F(RasterSamplingTest, DiagonalThroughCellCorners) {
  // (0,0)→(30,30): three pieces of √200 in cells (2,0)=2.5, (1,1)=1.5, (0,2)=0.6.
  const auto d = line_depths(geos::from_wkt("LINESTRING(0 0,30 30)").get(), raster, bands);
  EXPECT_NEAR(d.length, std::sqrt(1800.0), 1e-12);
  EXPECT_NEAR(d.flooded, 1, 1e-12);
  EXPECT_NEAR(d.bands[1], 1.0 / 3, 1e-12);
  EXPECT_NEAR(d.bands[2], 1.0 / 3, 1e-12);
  EXPECT_NEAR(d.bands[3], 1.0 / 3, 1e-12);
}

TEST_F(RasterSamplingTest, PartlyOutsideAndMultiLine) {
  // (−10,25)→(20,25): 10 m outside, 10 m on 0.2, 10 m on 0.4; plus (5,5)→(25,15) from above.
  const auto line = geos::from_wkt("MULTILINESTRING((-10 25,20 25),(5 5,25 15))");
  const auto d = line_depths(line.get(), raster, bands);
  const double total = 30 + std::sqrt(500.0);
  EXPECT_NEAR(d.length, total, 1e-12);
  EXPECT_NEAR(d.outside * total, 10, 1e-12);
  EXPECT_NEAR(d.bands[0] * total, 20, 1e-12);
  EXPECT_NEAR(d.outside + d.nodata + d.dry + d.flooded, 1, 1e-12);
}

TEST_F(RasterSamplingTest, StretchOnAColumnLineGoesToTheCellEastOfIt) {
  // x = 10, y 5..25: 5 m in (2,1)=0, 10 m in (1,1)=1.5, 5 m in (0,1)=0.4.
  const auto cells = line_cells(geos::from_wkt("LINESTRING(10 5,10 25)").get(), raster.grid());
  ASSERT_EQ(cells.pieces.size(), 3u);
  EXPECT_EQ(cells.pieces[0].col, 1);
  EXPECT_EQ(cells.pieces[1].col, 1);
  EXPECT_NEAR(cells.pieces[1].length, 10, 1e-12);
  const auto d = line_depths(geos::from_wkt("LINESTRING(10 5,10 25)").get(), raster, bands);
  EXPECT_NEAR(d.dry * 20, 5, 1e-12);
  EXPECT_NEAR(d.bands[2] * 20, 10, 1e-12);
  EXPECT_NEAR(d.bands[0] * 20, 5, 1e-12);
}

TEST_F(RasterSamplingTest, PointsTakeTheirCellsValue) {
  const std::vector<geos::XY> points = {
      {15, 15},   // centre cell: 1.5
      {25, 15},   // nodata
      {35, 5},    // east of the raster
      {10, 20},   // corner of four cells: the one east and south of it, (1,1)
      {30, 5},    // on the raster's east edge: outside
      {0, 30},    // north-west corner of the raster: (0,0)
      {29.999, 0.001},  // just inside the south-east corner: (2,2)
  };
  const auto values = point_values(points, raster);
  ASSERT_EQ(values.size(), points.size());
  EXPECT_EQ(values[0], 1.5);
  EXPECT_EQ(values[1], std::nullopt);
  EXPECT_EQ(values[2], std::nullopt);
  EXPECT_EQ(values[3], 1.5);
  EXPECT_EQ(values[4], std::nullopt);
  EXPECT_EQ(values[5], 0.2);
  EXPECT_EQ(values[6], 3.0);
  EXPECT_EQ(point_value(geos::from_wkt("POINT(5 5)").get(), raster), 2.5);
}

}  // namespace
}  // namespace twinrisk::ops
