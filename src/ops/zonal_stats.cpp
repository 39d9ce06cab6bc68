#include "twinrisk/ops/zonal_stats.hpp"

#include <algorithm>

#include "twinrisk/ops/coverage_fraction.hpp"

namespace twinrisk::ops {

ZonalStats zonal_stats(const GEOSGeometry* polygonal, const io::RasterSource& raster, const DepthBands& bands,
                       std::size_t max_strip_cells) {
  const RasterGrid& grid = raster.grid();
  const PolygonCoverage coverage(polygonal, grid);
  ZonalStats stats;
  stats.bands.assign(bands.size(), 0.0);
  stats.polygon_cells = coverage.area_cells();
  stats.cell_area = grid.cell_area();
  const CellWindow& window = coverage.window();
  if (window.empty() || stats.polygon_cells <= 0) return stats;

  double valid_cells = 0, nodata_cells = 0, flooded_cells = 0, unbanded_cells = 0;
  double sum_value = 0, sum_flooded_value = 0;
  std::vector<double> band_cells(bands.size(), 0.0);
  std::optional<double> max_value;

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
      const double f = fractions[i];
      if (f == 0.0) continue;
      if (!values.valid[i]) {
        nodata_cells += f;
        continue;
      }
      const double v = values.values[i];
      valid_cells += f;
      sum_value += f * v;
      if (!max_value || v > *max_value) max_value = v;
      if (v > 0) {
        flooded_cells += f;
        sum_flooded_value += f * v;
        if (const auto band = bands.band_of(v)) {
          band_cells[*band] += f;
        } else {
          unbanded_cells += f;
        }
      }
    }
  }
  const double a = stats.polygon_cells;
  stats.covered_cells = valid_cells + nodata_cells;
  stats.covered = stats.covered_cells / a;
  stats.valid = valid_cells / a;
  stats.nodata = nodata_cells / a;
  stats.flooded = flooded_cells / a;
  stats.unbanded = unbanded_cells / a;
  for (std::size_t b = 0; b < band_cells.size(); ++b) stats.bands[b] = band_cells[b] / a;
  if (valid_cells > 0) stats.mean = sum_value / valid_cells;
  if (flooded_cells > 0) stats.mean_flooded = sum_flooded_value / flooded_cells;
  stats.max = max_value;
  return stats;
}

}  // namespace twinrisk::ops
