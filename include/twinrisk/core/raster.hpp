#pragma once
// A raster in the catalogue: where it is and what its grid is. It is never reprojected on load;
// steps transform vectors into its grid, and each worker thread opens its own dataset handle.

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace twinrisk {

struct RasterBand {
  int index = 1;           // GDAL's band number, from 1
  std::string data_type;   // "Float32", "Byte", …
  std::optional<double> nodata;
  std::string description;
};

struct RasterInfo {
  std::string name;    // the catalogue name
  std::string source;  // what GDAL opens
  std::string crs_wkt;
  int width = 0;
  int height = 0;
  // GDAL's affine geotransform: x = gt[0] + col·gt[1] + row·gt[2], y = gt[3] + col·gt[4] + row·gt[5].
  std::array<double, 6> geotransform{0, 1, 0, 0, 0, 1};
  std::vector<RasterBand> bands;

  double resolution_x() const;
  double resolution_y() const;  // positive for a north-up grid
  // min x, min y, max x, max y in the raster's CRS.
  std::array<double, 4> extent() const;
};

}  // namespace twinrisk
