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
