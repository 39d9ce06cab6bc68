#include "twinrisk/core/raster_grid.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "twinrisk/core/error.hpp"

namespace twinrisk {

RasterGrid RasterGrid::from_geotransform(const std::array<double, 6>& gt, int width, int height,
                                         const std::string& source) {
  const ErrorContext context{source, {}, {}, {}, {}};
  if (gt[2] != 0.0 || gt[4] != 0.0) {
    throw InputError(fmt::format("raster grid is rotated (geotransform terms {} and {})", gt[2], gt[4]), context,
                     "warp it to a north-up grid first, e.g. gdalwarp -overwrite in.tif north_up.tif");
  }
  for (double value : gt) {
    if (!std::isfinite(value)) throw InputError("raster geotransform is not finite", context, "fix the file's georeferencing");
  }
  if (!(gt[1] > 0.0)) {
    throw InputError(fmt::format("raster cell width is {} (must be positive)", gt[1]), context,
                     "warp it to a north-up grid first, e.g. gdalwarp -overwrite in.tif north_up.tif");
  }
  if (!(gt[5] < 0.0)) {
    throw InputError(fmt::format("raster is not north-up (geotransform[5] = {}, must be negative)", gt[5]), context,
                     "warp it to a north-up grid first, e.g. gdalwarp -overwrite in.tif north_up.tif");
  }
  if (width <= 0 || height <= 0) {
    throw InputError(fmt::format("raster has {} x {} cells", width, height), context, "use a raster with cells");
  }
  RasterGrid grid;
  grid.x_min = gt[0];
  grid.y_max = gt[3];
  grid.cell_width = gt[1];
  grid.cell_height = -gt[5];
  grid.width = width;
  grid.height = height;
  return grid;
}

namespace {
// floor/ceil clamped to [lo, hi] before converting, so an envelope far off the grid cannot overflow.
int clamped_floor(double value, int lo, int hi) {
  if (std::isnan(value)) return lo;
  return static_cast<int>(std::clamp(std::floor(value), static_cast<double>(lo), static_cast<double>(hi)));
}
int clamped_ceil(double value, int lo, int hi) {
  if (std::isnan(value)) return lo;
  return static_cast<int>(std::clamp(std::ceil(value), static_cast<double>(lo), static_cast<double>(hi)));
}
}  // namespace

CellWindow cell_window(const RasterGrid& grid, const geos::Envelope& envelope) {
  const int col0 = clamped_floor(grid.u_of(envelope.min_x), 0, grid.width);
  const int col1 = clamped_ceil(grid.u_of(envelope.max_x), 0, grid.width);
  const int row0 = clamped_floor(grid.v_of(envelope.max_y), 0, grid.height);
  const int row1 = clamped_ceil(grid.v_of(envelope.min_y), 0, grid.height);
  if (col1 <= col0 || row1 <= row0) return {};
  return {row0, col0, row1 - row0, col1 - col0};
}

CellWindow intersect(const CellWindow& a, const CellWindow& b) {
  const int row0 = std::max(a.row, b.row);
  const int col0 = std::max(a.col, b.col);
  const int row1 = std::min(a.row + a.rows, b.row + b.rows);
  const int col1 = std::min(a.col + a.cols, b.col + b.cols);
  if (row1 <= row0 || col1 <= col0) return {};
  return {row0, col0, row1 - row0, col1 - col0};
}

}  // namespace twinrisk
