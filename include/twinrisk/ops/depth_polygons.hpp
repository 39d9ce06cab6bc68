#pragma once
// The hazard-from-raster path: a depth raster's flooded cells (value > 0, with a value) as polygons
// per depth band, ready to serve as hazard classes for shared-zones. The polygons follow cell edges
// (GDALPolygonize on the classified band, 4-connected: cells touching only at a corner are separate
// polygons) and are in the raster's CRS; the caller reprojects them to the analysis CRS and may
// dissolve them per band.

#include <cstddef>
#include <vector>

#include "twinrisk/core/geos.hpp"
#include "twinrisk/io/raster.hpp"
#include "twinrisk/ops/depth_bands.hpp"

namespace twinrisk::ops {

struct BandPolygon {
  std::size_t band = 0;  // index into the DepthBands
  geos::GeomPtr polygon;
};

// Classifies the whole band in memory (one byte per cell, two for more than 254 bands; flooded
// depths outside every band are left out), then polygonises it. Throws InputError on read failure.
std::vector<BandPolygon> depth_band_polygons(const io::RasterSource& raster, const DepthBands& bands);

}  // namespace twinrisk::ops
