#pragma once
// A north-up raster grid (GDAL's geotransform without rotation) and windows of its cells.
// Cell (row, col) covers x in [x_min + col·cell_width, x_min + (col+1)·cell_width) and
// y in (y_max − (row+1)·cell_height, y_max − row·cell_height]; rows run north to south.

#include <array>
#include <cstddef>
#include <string>

#include "twinrisk/core/geos.hpp"

namespace twinrisk {

struct RasterGrid {
  double x_min = 0;        // west edge: geotransform[0]
  double y_max = 0;        // north edge: geotransform[3]
  double cell_width = 1;   // geotransform[1], > 0
  double cell_height = 1;  // −geotransform[5], > 0
  int width = 0;           // columns
  int height = 0;          // rows

  // Checks that the grid is north-up without rotation and has positive, finite cell sizes;
  // throws InputError naming `source` and how to fix it (gdalwarp) otherwise.
  static RasterGrid from_geotransform(const std::array<double, 6>& geotransform, int width, int height,
                                      const std::string& source);

  double cell_area() const { return cell_width * cell_height; }
  // Grid coordinates: u in columns from the west edge, v in rows from the north edge.
  double u_of(double x) const { return (x - x_min) / cell_width; }
  double v_of(double y) const { return (y_max - y) / cell_height; }
};

// A rectangle of cells: rows [row, row + rows), columns [col, col + cols).
struct CellWindow {
  int row = 0;
  int col = 0;
  int rows = 0;
  int cols = 0;

  bool empty() const { return rows <= 0 || cols <= 0; }
  std::size_t size() const { return empty() ? 0 : static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols); }
  bool contains(int r, int c) const { return r >= row && r < row + rows && c >= col && c < col + cols; }
  bool operator==(const CellWindow&) const = default;
};

// The cells an envelope touches, clipped to the grid; empty when it lies outside.
CellWindow cell_window(const RasterGrid& grid, const geos::Envelope& envelope);
// The intersection of two windows (empty when they do not overlap).
CellWindow intersect(const CellWindow& a, const CellWindow& b);

}  // namespace twinrisk
