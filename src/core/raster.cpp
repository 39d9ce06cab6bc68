#include "twinrisk/core/raster.hpp"

#include <algorithm>
#include <cmath>

namespace twinrisk {

double RasterInfo::resolution_x() const { return std::hypot(geotransform[1], geotransform[4]); }
double RasterInfo::resolution_y() const { return std::hypot(geotransform[2], geotransform[5]); }

std::array<double, 4> RasterInfo::extent() const {
  // The four corners, so that a rotated grid gets its true bounding box too.
  double min_x = INFINITY, min_y = INFINITY, max_x = -INFINITY, max_y = -INFINITY;
  for (const auto& [col, row] : {std::pair{0, 0}, {width, 0}, {0, height}, {width, height}}) {
    const double x = geotransform[0] + col * geotransform[1] + row * geotransform[2];
    const double y = geotransform[3] + col * geotransform[4] + row * geotransform[5];
    min_x = std::min(min_x, x);
    max_x = std::max(max_x, x);
    min_y = std::min(min_y, y);
    max_y = std::max(max_y, y);
  }
  return {min_x, min_y, max_x, max_y};
}

}  // namespace twinrisk
