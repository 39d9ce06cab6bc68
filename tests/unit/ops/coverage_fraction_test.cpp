// Exact coverage fractions against hand-computed fractions (table-driven) and, for a complicated
// polygon, against an independent computation: one GEOS intersection per cell.

#include "twinrisk/ops/coverage_fraction.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "twinrisk/core/error.hpp"

namespace twinrisk::ops {
namespace {

// 3 × 3 unit cells, x 0..3, y 0..3; row 0 is the north row (y 2..3).
RasterGrid grid3() { return RasterGrid::from_geotransform({0, 1, 0, 3, 0, -1}, 3, 3, "test"); }

// Fractions over the whole grid (zero outside the polygon's window), row-major, north row first.
std::vector<double> full_grid(const PolygonCoverage& coverage, const RasterGrid& grid) {
  const auto fractions = coverage.fractions();
  std::vector<double> out(static_cast<std::size_t>(grid.width) * grid.height, 0.0);
  for (int r = 0; r < grid.height; ++r) {
    for (int c = 0; c < grid.width; ++c) {
      if (fractions.window.contains(r, c)) out[static_cast<std::size_t>(r) * grid.width + c] = fractions.at(r, c);
    }
  }
  return out;
}

struct HandCase {
  std::string name;
  std::string wkt;
  std::vector<double> expected;  // 3 × 3, north row first
  double area_cells;             // the whole polygon's area in cells, by hand
};

class CoverageByHand : public ::testing::TestWithParam<HandCase> {};

TEST_P(CoverageByHand, FractionsAndArea) {
  const HandCase& c = GetParam();
  const RasterGrid grid = grid3();
  const PolygonCoverage coverage(geos::from_wkt(c.wkt).get(), grid);
  const auto got = full_grid(coverage, grid);
  ASSERT_EQ(got.size(), c.expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], c.expected[i], 1e-12) << c.name << ": row " << i / 3 << ", col " << i % 3;
  }
  EXPECT_NEAR(coverage.area_cells(), c.area_cells, 1e-12) << c.name;
}

// Each expectation worked out on paper from the cell edges (x = col, y = 3 − row).
INSTANTIATE_TEST_SUITE_P(
    Coverage, CoverageByHand,
    ::testing::Values(
        // x 1..1.5 of the centre cell (row 1, col 1): half of it.
        HandCase{"half_of_centre_cell", "POLYGON((1 1,1.5 1,1.5 2,1 2,1 1))", {0, 0, 0, 0, 0.5, 0, 0, 0, 0}, 0.5},
        // Exactly the north-west cell: edges on grid lines.
        HandCase{"whole_cell_on_grid_lines", "POLYGON((0 2,1 2,1 3,0 3,0 2))", {1, 0, 0, 0, 0, 0, 0, 0, 0}, 1},
        // Below x + y = 3: cells with col < row are inside, col == row are cut corner to corner (½).
        HandCase{"triangle", "POLYGON((0 0,3 0,0 3,0 0))", {0.5, 0, 0, 1, 0.5, 0, 1, 1, 0.5}, 4.5},
        // |x − 1.5| + |y − 1.5| ≤ 1: the centre cell whole, the four edge cells a triangle of ½ · 1 · ½.
        HandCase{"diamond_through_cell_corners", "POLYGON((1.5 0.5,2.5 1.5,1.5 2.5,0.5 1.5,1.5 0.5))",
                 {0, 0.25, 0, 0.25, 1, 0.25, 0, 0.25, 0}, 2},
        // The hole x, y 0.5..1.5 takes a quarter of four cells.
        HandCase{"hole_ccw_shell_cw_hole", "POLYGON((0 0,3 0,3 3,0 3,0 0),(0.5 0.5,0.5 1.5,1.5 1.5,1.5 0.5,0.5 0.5))",
                 {1, 1, 1, 0.75, 0.75, 1, 0.75, 0.75, 1}, 8},
        HandCase{"hole_cw_shell_ccw_hole", "POLYGON((0 0,0 3,3 3,3 0,0 0),(0.5 0.5,1.5 0.5,1.5 1.5,0.5 1.5,0.5 0.5))",
                 {1, 1, 1, 0.75, 0.75, 1, 0.75, 0.75, 1}, 8},
        HandCase{"hole_same_orientation_as_shell",
                 "POLYGON((0 0,3 0,3 3,0 3,0 0),(0.5 0.5,1.5 0.5,1.5 1.5,0.5 1.5,0.5 0.5))",
                 {1, 1, 1, 0.75, 0.75, 1, 0.75, 0.75, 1}, 8},
        // x, y −1..1.5: the south-west cell whole, its neighbours half, the centre a quarter.
        HandCase{"partly_outside_south_west", "POLYGON((-1 -1,1.5 -1,1.5 1.5,-1 1.5,-1 -1))",
                 {0, 0, 0, 0.5, 0.25, 0, 1, 0.5, 0}, 6.25},
        // x 2.5..10, y 0.5..1.5: only pieces east of the raster carry into col 2.
        HandCase{"partly_outside_east", "POLYGON((2.5 0.5,10 0.5,10 1.5,2.5 1.5,2.5 0.5))",
                 {0, 0, 0, 0, 0, 0.25, 0, 0, 0.25}, 7.5},
        HandCase{"partly_outside_west", "POLYGON((-5 0,0.5 0,0.5 3,-5 3,-5 0))", {0.5, 0, 0, 0.5, 0, 0, 0.5, 0, 0}, 16.5},
        HandCase{"through_north_and_south", "POLYGON((1.25 -2,1.75 -2,1.75 5,1.25 5,1.25 -2))",
                 {0, 0.5, 0, 0, 0.5, 0, 0, 0.5, 0}, 3.5},
        HandCase{"covers_whole_raster", "POLYGON((-10 -10,10 -10,10 10,-10 10,-10 -10))", {1, 1, 1, 1, 1, 1, 1, 1, 1}, 400},
        HandCase{"outside", "POLYGON((5 5,6 5,6 6,5 6,5 5))", {0, 0, 0, 0, 0, 0, 0, 0, 0}, 1},
        // Two half cells in opposite corners.
        HandCase{"multipolygon", "MULTIPOLYGON(((0 2,0.5 2,0.5 3,0 3,0 2)),((2 0,3 0,3 0.5,2 0.5,2 0)))",
                 {0.5, 0, 0, 0, 0, 0, 0, 0, 0.5}, 1}),
    [](const auto& info) { return info.param.name; });

TEST(Coverage, CellsOfAnyShapeAndOrigin) {
  // x 100..140 by 10, y 180..200 by 5; the rectangle x 105..125, y 190..197.5 takes half a column
  // at each end and half of row 0 (y 195..200).
  const RasterGrid grid = RasterGrid::from_geotransform({100, 10, 0, 200, 0, -5}, 4, 4, "test");
  const PolygonCoverage coverage(geos::from_wkt("POLYGON((105 190,125 190,125 197.5,105 197.5,105 190))").get(), grid);
  const std::vector<double> expected = {0.25, 0.5, 0.25, 0, 0.5, 1, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const auto got = full_grid(coverage, grid);
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-12) << "cell " << i;
  EXPECT_NEAR(coverage.area_cells() * grid.cell_area(), 20 * 7.5, 1e-9);
  EXPECT_EQ(coverage.window(), (CellWindow{0, 0, 2, 3}));
}

// An irregular two-part polygon with a hole on a grid of non-square cells: every cell's fraction
// equals the GEOS area of (polygon ∩ cell) / cell area, computed independently per cell; strips of
// any height and sub-windows give the same.
TEST(Coverage, MatchesGeosIntersectionPerCell) {
  const RasterGrid grid = RasterGrid::from_geotransform({-0.3, 0.7, 0, 7.1, 0, -0.45}, 20, 15, "test");
  const auto star = geos::from_wkt(
      "MULTIPOLYGON(((1 1,4.2 0.3,7 1.9,11 1.2,13.5 5,9.3 6.1,8.1 9.7,5 6.4,0.2 8,2.6 4.1,1 1),"
      "(4 2,6.5 2.2,7.3 4.4,4.9 4.8,4 2)),((10.5 6.5,15 6,14.2 10,10.9 8.8,10.5 6.5)))");
  ASSERT_TRUE(geos::is_valid(star.get())) << geos::invalid_reason(star.get());
  const PolygonCoverage coverage(star.get(), grid);
  const auto fractions = coverage.fractions();
  double sum = 0;
  for (int r = 0; r < grid.height; ++r) {
    for (int c = 0; c < grid.width; ++c) {
      const double x0 = grid.x_min + c * grid.cell_width, y1 = grid.y_max - r * grid.cell_height;
      const auto cell = geos::clip_by_rect(star.get(), {x0, y1 - grid.cell_height, x0 + grid.cell_width, y1});
      const double expected = geos::area(cell.get()) / grid.cell_area();
      const double got = fractions.window.contains(r, c) ? fractions.at(r, c) : 0.0;
      EXPECT_NEAR(got, expected, 1e-9) << "row " << r << ", col " << c;
      sum += got;
    }
  }
  // The polygon reaches beyond the grid's east (x 13.7) and north (y 7.1) edges.
  const auto inside = geos::clip_by_rect(star.get(), {grid.x_min, grid.y_max - 15 * 0.45, grid.x_min + 20 * 0.7, grid.y_max});
  EXPECT_NEAR(sum * grid.cell_area(), geos::area(inside.get()), 1e-9);
  EXPECT_NEAR(coverage.area_cells() * grid.cell_area(), geos::area(star.get()), 1e-9);
  EXPECT_LT(geos::area(inside.get()), geos::area(star.get()) - 1);  // the test does cover the outside case

  // Strips of 4 rows over a sub-window of columns 3..11.
  const CellWindow& w = coverage.window();
  for (int row = w.row; row < w.row + w.rows; row += 4) {
    const CellWindow part = intersect(w, {row, 3, 4, 9});
    std::vector<double> strip(part.size());
    coverage.fractions(part, strip);
    for (int r = part.row; r < part.row + part.rows; ++r) {
      for (int c = part.col; c < part.col + part.cols; ++c) {
        EXPECT_NEAR(strip[static_cast<std::size_t>(r - part.row) * part.cols + (c - part.col)], fractions.at(r, c), 1e-12);
      }
    }
  }
}

// A star across the north edge of a large raster far from its origin (EPSG:3035 coordinates):
// where GEOS finds no area in a cell, the fraction is exactly 0. Rounding residue there (3.6e-15
// before the fix) counted the cell for max: the zonal bench's max differed from exactextract's.
TEST(Coverage, CellsThePolygonDoesNotReachAreExactlyZero) {
  const RasterGrid grid = RasterGrid::from_geotransform({4000000, 10, 0, 3100000, 0, -10}, 10000, 10000, "test");
  // Polygon 10200 of `twinrisk-zonal-bench generate --size 10000 --polygons 20000 --seed 1`, exact
  // (ogr2ogr -f GeoJSON -lco SIGNIFICANT_FIGURES=17).
  const std::string wkt =
      "POLYGON((4076899.729753647 3101746.3632540475,4076985.102721742 3102046.6563356905,"
      "4077152.79199289 3101738.4206874054,4077302.120964763 3102034.8285867944,"
      "4077403.7720114137 3101753.48140753,4077610.1359470915 3101971.798962801,"
      "4077763.0442293156 3101927.4058084376,4077824.2704323293 3101724.323866666,"
      "4077957.6729993816 3101664.3720956543,4078030.2824877156 3101532.128383962,"
      "4078060.0563461124 3101378.5406424766,4078057.23363611 3101224.4497777317,"
      "4078608.8839016035 3101348.361726783,4078562.0589326136 3101140.649680247,"
      "4078700.312138643 3100996.544154793,4078199.6781439446 3100773.37704654,"
      "4078215.5616196925 3100654.08189653,4078604.0891195056 3100474.5829862133,"
      "4078397.5344533445 3100357.412223224,4078403.264271344 3100197.4618658596,"
      "4078296.469419117 3100081.459061966,4078059.5781437973 3100068.008132584,"
      "4078195.1898795213 3099779.224113191,4078094.983431406 3099653.9844196043,"
      "4078010.788882908 3099494.6322929543,4077736.68246823 3099649.088015787,"
      "4077635.045608563 3099534.199220246,4077563.172748393 3099243.980651575,"
      "4077335.3568437234 3099610.7087026276,4077214.433964108 3099408.5881682187,"
      "4077060.0908814436 3099349.9840640402,4076897.692735468 3099334.764983262,"
      "4076760.843656552 3099431.239178773,4076753.099873149 3099776.402203641,"
      "4076527.349719315 3099634.052972849,4076391.837623918 3099694.7495386903,"
      "4076150.8793532904 3099662.6123285005,4076046.8807879915 3099795.3386540106,"
      "4076296.3382505383 3100144.7137944577,4076046.942410897 3100161.9245158047,"
      "4076181.14239782 3100358.6624751016,4076094.904949937 3100465.7311826083,"
      "4076016.768282929 3100588.196927603,4076083.2274127873 3100721.755314223,"
      "4075963.612874769 3100868.471734374,4075726.087783471 3101080.7808263046,"
      "4076053.061413148 3101138.321717865,4076058.164037407 3101295.97277855,"
      "4076045.208818283 3101486.416573258,4076443.7633050717 3101346.1580940355,"
      "4076280.725216636 3101703.508472076,4076389.8554307004 3101822.6083477666,"
      "4076473.972266839 3102005.787696686,4076784.7046641856 3101691.1974397562,"
      "4076899.729753647 3101746.3632540475))";
  const auto polygon = geos::from_wkt(wkt);
  const PolygonCoverage coverage(polygon.get(), grid);
  const auto fractions = coverage.fractions();
  ASSERT_EQ(fractions.window.row, 0);  // it does cross the north edge
  int zeros = 0;
  for (int r = fractions.window.row; r < fractions.window.row + fractions.window.rows; ++r) {
    for (int c = fractions.window.col; c < fractions.window.col + fractions.window.cols; ++c) {
      const double x0 = grid.x_min + c * grid.cell_width, y1 = grid.y_max - r * grid.cell_height;
      const auto cell = geos::clip_by_rect(polygon.get(), {x0, y1 - grid.cell_height, x0 + grid.cell_width, y1});
      const double expected = geos::area(cell.get()) / grid.cell_area();
      if (expected == 0) {
        EXPECT_EQ(fractions.at(r, c), 0.0) << "row " << r << ", col " << c;
        ++zeros;
      } else {
        EXPECT_NEAR(fractions.at(r, c), expected, 1e-9) << "row " << r << ", col " << c;
      }
    }
  }
  EXPECT_GT(zeros, 1000);
}

TEST(Coverage, DiamondLargerThanTheRasterCutsItsCorners) {
  // 100 × 100 cells of 1 km, x and y −50..50 km; the diamond |x|/70 + |y|/100 ≤ 1 (km) leaves out
  // of each corner the part above y = 100 − 100x/70 for x 35..50:
  //   ∫₃₅⁵⁰ (100x/70 − 50) dx = [50x²/70 − 50x]₃₅⁵⁰ = 1125/7 km², four times: 4500/7.
  const RasterGrid grid = RasterGrid::from_geotransform({-50000, 1000, 0, 50000, 0, -1000}, 100, 100, "test");
  const PolygonCoverage coverage(
      geos::from_wkt("POLYGON((0 -100000,70000 0,0 100000,-70000 0,0 -100000))").get(), grid);
  EXPECT_NEAR(coverage.fractions().sum(), 10000 - 4500.0 / 7, 1e-8);
  EXPECT_NEAR(coverage.area_cells(), 14000, 1e-8);  // ½ · 140 · 200 km²
}

TEST(Coverage, TriangleFractionsSumToItsAreaInCells) {
  // A thin sliver across many cells: Σ fractions · cell area = ½ |base × height|.
  const RasterGrid grid = RasterGrid::from_geotransform({0, 0.25, 0, 10, 0, -0.25}, 40, 40, "test");
  const PolygonCoverage coverage(geos::from_wkt("POLYGON((0.1 0.2,9.7 3.3,2.2 9.9,0.1 0.2))").get(), grid);
  // Shoelace by hand: ½ |(9.6)(9.7) − (2.1)(3.1)| = ½ (93.12 − 6.51) = 43.305.
  EXPECT_NEAR(coverage.fractions().sum() * grid.cell_area(), 43.305, 1e-9);
}

TEST(RasterGrid, RefusesRotatedAndSouthUpGrids) {
  try {
    RasterGrid::from_geotransform({0, 1, 0.1, 3, 0, -1}, 3, 3, "depth.tif");
    FAIL() << "a rotated grid was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("depth.tif"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("rotated"), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("gdalwarp"), std::string::npos);
  }
  EXPECT_THROW(RasterGrid::from_geotransform({0, 1, 0, 3, 0, 1}, 3, 3, "depth.tif"), InputError);
}

}  // namespace
}  // namespace twinrisk::ops
