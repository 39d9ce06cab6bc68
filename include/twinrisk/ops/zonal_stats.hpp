#pragma once
// Zonal statistics of a depth raster over a polygon, weighted by exact coverage fractions
// (ops/coverage_fraction.hpp). The raster is never resampled: the polygon comes in the raster's CRS.
// Areas are returned as shares of the polygon's area, because the raster CRS need not be equal-area:
// the caller multiplies each share by the polygon's area in the equal-area analysis CRS.

#include <algorithm>
#include <cstddef>
#include <optional>
#include <vector>

#include "twinrisk/core/geos.hpp"
#include "twinrisk/io/raster.hpp"
#include "twinrisk/ops/coverage_fraction.hpp"
#include "twinrisk/ops/depth_bands.hpp"

namespace twinrisk::ops {

struct ZonalStats {
  // Shares of the polygon's area (0..1). covered = valid + nodata; outside = 1 − covered is the part
  // beyond the raster's extent; flooded = Σ bands + unbanded.
  double covered = 0;   // on raster cells
  double valid = 0;     // on cells with a value
  double nodata = 0;    // on cells without one (nodata value, NaN, mask)
  double flooded = 0;   // on cells with value > 0
  double unbanded = 0;  // flooded, but in no depth band
  std::vector<double> bands;  // flooded share per depth band
  double outside() const { return 1.0 - covered; }

  // Coverage-weighted depths in raster units; nullopt when no cell qualifies.
  std::optional<double> mean;          // over cells with a value (dry cells included): exactextract's "mean"
  std::optional<double> mean_flooded;  // over flooded cells only
  std::optional<double> max;           // over cells with a value and a fraction > 0: exactextract's "max"

  // The same sums in cells (a cell's area = 1), and both areas in raster-CRS units, for callers that
  // want them and for checks.
  double polygon_cells = 0;   // the polygon's whole area, inside the raster or not
  double covered_cells = 0;
  double cell_area = 0;       // raster CRS units²
};

// Calls visit(fraction, valid, value) for every cell the polygon covers (fraction > 0; `value` is
// meaningless where `valid` is false), reading only the polygon's window strip by strip (about
// `max_strip_cells` cells at a time, aligned to the band's blocks) and skipping strips it does not
// cover. Returns the polygon's whole area in cells (including any part beyond the raster).
// Thread-safe for different polygons.
template <typename Visit>
double for_each_covered_cell(const GEOSGeometry* polygonal, const io::RasterSource& raster, Visit&& visit,
                             std::size_t max_strip_cells = std::size_t{1} << 20) {
  const PolygonCoverage coverage(polygonal, raster.grid());
  const CellWindow& window = coverage.window();
  if (window.empty() || coverage.area_cells() <= 0) return coverage.area_cells();
  const int strip = raster.strip_rows(window.cols, max_strip_cells);
  // Per-thread buffers: a fresh vector per polygon would be zero-filled again for every polygon.
  thread_local std::vector<double> fractions;
  thread_local io::RasterWindow values;
  // Strips start on multiples of `strip` rows, so they line up with the band's blocks.
  for (int row = window.row / strip * strip; row < window.row + window.rows; row += strip) {
    const CellWindow part = intersect(window, {row, window.col, strip, window.cols});
    if (part.empty()) continue;
    fractions.resize(part.size());  // overwritten by fractions()
    coverage.fractions(part, fractions);
    if (std::all_of(fractions.begin(), fractions.end(), [](double f) { return f == 0.0; })) continue;
    raster.read(part, values);
    for (std::size_t i = 0; i < fractions.size(); ++i) {
      if (fractions[i] != 0.0) visit(fractions[i], values.valid[i] != 0, values.values[i]);
    }
  }
  return coverage.area_cells();
}

// Reads only the polygon's window of the band, strip by strip (about `max_strip_cells` cells at a
// time, aligned to the band's blocks), skipping strips the polygon does not cover. Thread-safe for
// different polygons (each thread reads through its own dataset handle). An empty or zero-area
// polygon gives all zeros.
ZonalStats zonal_stats(const GEOSGeometry* polygonal, const io::RasterSource& raster, const DepthBands& bands,
                       std::size_t max_strip_cells = std::size_t{1} << 20);

}  // namespace twinrisk::ops
