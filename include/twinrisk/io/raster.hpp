#pragma once
// One band of a GDAL raster, opened and checked once, then read from any number of threads:
// GDAL dataset handles are not thread-safe, so each thread reads through its own handle, opened on
// its first read and kept until the RasterSource is destroyed (a small per-thread handle cache).

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "twinrisk/core/raster_grid.hpp"

namespace twinrisk::io {

// What a RasterSource reads: one band and its grid.
struct BandInfo {
  std::string path;
  int band = 1;                   // 1-based, as in GDAL
  RasterGrid grid;
  std::string crs_wkt;            // WKT2 of the raster's CRS (never empty: a raster without one is refused)
  std::optional<double> nodata;   // the band's nodata value, if any
  bool has_mask = false;          // a per-dataset or alpha mask marks further cells as having no value
  int block_width = 0;            // the band's natural block size, for aligned reads
  int block_height = 0;
};

// Values of a window, row-major; valid[i] == 0 where the cell has no value (the nodata value,
// NaN, or masked out), and then values[i] is meaningless.
struct RasterWindow {
  CellWindow window;
  std::vector<double> values;
  std::vector<unsigned char> valid;
};

class RasterSource {
 public:
  // Opens `path` and checks it: readable as a raster, `band` in range, a CRS, a north-up grid.
  // Throws InputError naming the file and what to do. `crs_wkt` is the CRS of a file that has none
  // (a layer definition's `crs:`); a file's own CRS always wins.
  explicit RasterSource(std::string path, int band = 1, const std::string& crs_wkt = {});
  ~RasterSource();
  RasterSource(const RasterSource&) = delete;
  RasterSource& operator=(const RasterSource&) = delete;

  const BandInfo& info() const { return m_info; }
  const RasterGrid& grid() const { return m_info.grid; }

  // Reads `window` (inside the grid) into `out`, reusing its buffers. Thread-safe.
  void read(const CellWindow& window, RasterWindow& out) const;
  // The value of each (row, col) cell, nullopt where it has none or lies outside the grid; cells
  // are grouped by block so each block is read once. Thread-safe.
  struct Cell {
    int row = 0;
    int col = 0;
  };
  std::vector<std::optional<double>> values_at(std::span<const Cell> cells) const;

  // Rows per strip when reading a window of `cols` columns in bounded memory: a multiple of the
  // block height, at most ~`max_cells` cells (at least one block row).
  int strip_rows(int cols, std::size_t max_cells = std::size_t{1} << 20) const;

  // Dataset handles open now: one per thread that has read (the opening thread's included).
  std::size_t open_handles() const;

 private:
  struct Handles;
  BandInfo m_info;
  std::unique_ptr<Handles> m_handles;
};

}  // namespace twinrisk::io
