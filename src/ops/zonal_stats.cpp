#include "twinrisk/ops/zonal_stats.hpp"

namespace twinrisk::ops {

ZonalStats zonal_stats(const GEOSGeometry* polygonal, const io::RasterSource& raster, const DepthBands& bands,
                       std::size_t max_strip_cells) {
  ZonalStats stats;
  stats.bands.assign(bands.size(), 0.0);
  stats.cell_area = raster.grid().cell_area();
  double valid_cells = 0, nodata_cells = 0, flooded_cells = 0, unbanded_cells = 0;
  double sum_value = 0, sum_flooded_value = 0;
  std::vector<double> band_cells(bands.size(), 0.0);
  std::optional<double> max_value;
  stats.polygon_cells = for_each_covered_cell(
      polygonal, raster,
      [&](double f, bool valid, double v) {
        if (!valid) {
          nodata_cells += f;
          return;
        }
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
      },
      max_strip_cells);
  const double a = stats.polygon_cells;
  if (!(a > 0)) return stats;
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
