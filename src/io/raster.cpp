#include "twinrisk/io/raster.hpp"

#include <cpl_error.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "twinrisk/core/error.hpp"
#include "twinrisk/io/gdal.hpp"

namespace twinrisk::io {

struct RasterSource::Handles {
  std::mutex mutex;
  std::unordered_map<std::thread::id, GDALDatasetUniquePtr> by_thread;
  bool float32 = false;  // compare nodata in single precision, as GDAL stores it
};

namespace {

GDALDatasetUniquePtr open_raster(const std::string& path) {
  CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
  CPLErrorReset();
  return GDALDatasetUniquePtr(
      GDALDataset::FromHandle(GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr)));
}

}  // namespace

RasterSource::RasterSource(std::string path, int band, const std::string& crs_wkt)
    : m_handles(std::make_unique<Handles>()) {
  ensure_gdal_registered();
  const ErrorContext context{path, {}, {}, {}, {}};
  const bool virtual_path = path.rfind("/vsi", 0) == 0;
  if (!virtual_path && !std::filesystem::exists(path)) {
    throw InputError("raster file not found", context, "check the path (relative paths are relative to the pipeline file)");
  }
  GDALDatasetUniquePtr dataset = open_raster(path);
  if (!dataset) {
    throw InputError(fmt::format("cannot open as a raster: {}", last_gdal_error("unknown format")), context,
                     "give a GDAL-readable raster (GeoTIFF, VRT, …); `gdalinfo` shows what GDAL makes of it");
  }
  const int bands = dataset->GetRasterCount();
  if (band < 1 || band > bands) {
    throw InputError(fmt::format("band {} does not exist: the raster has {} band{}", band, bands, bands == 1 ? "" : "s"),
                     context, bands == 0 ? "give a raster with a band" : fmt::format("set band to a number from 1 to {}", bands));
  }
  const OGRSpatialReference* crs = dataset->GetSpatialRef();
  OGRSpatialReference declared;
  if ((!crs || crs->IsEmpty()) && !crs_wkt.empty() && declared.importFromWkt(crs_wkt.c_str()) == OGRERR_NONE) {
    crs = &declared;
  }
  if (!crs || crs->IsEmpty()) {
    throw InputError("raster has no CRS", context,
                     "assign the CRS it was made in, e.g. gdal_edit.py -a_srs EPSG:3035 FILE, or a .prj/.aux.xml beside it");
  }
  std::array<double, 6> gt{};
  if (dataset->GetGeoTransform(gt.data()) != CE_None) {
    throw InputError("raster has no geotransform (no georeferencing)", context,
                     "georeference it, e.g. gdal_translate -a_ullr ULX ULY LRX LRY in.tif out.tif");
  }
  m_info.path = std::move(path);
  m_info.band = band;
  m_info.grid = RasterGrid::from_geotransform(gt, dataset->GetRasterXSize(), dataset->GetRasterYSize(), m_info.path);
  m_info.crs_wkt = to_wkt(*crs);
  GDALRasterBand* raster_band = dataset->GetRasterBand(band);
  int has_nodata = 0;
  const double nodata = raster_band->GetNoDataValue(&has_nodata);
  if (has_nodata) m_info.nodata = nodata;
  const int mask_flags = raster_band->GetMaskFlags();
  m_info.has_mask = (mask_flags & (GMF_PER_DATASET | GMF_ALPHA)) != 0 && (mask_flags & GMF_ALL_VALID) == 0;
  raster_band->GetBlockSize(&m_info.block_width, &m_info.block_height);
  m_handles->float32 = raster_band->GetRasterDataType() == GDT_Float32;
  // The opening thread keeps this handle for its own reads.
  m_handles->by_thread.emplace(std::this_thread::get_id(), std::move(dataset));
}

RasterSource::~RasterSource() = default;

void RasterSource::read(const CellWindow& window, RasterWindow& out) const {
  const ErrorContext context{m_info.path, {}, {}, {}, {}};
  out.window = window;
  out.values.resize(window.size());
  out.valid.resize(window.size());
  if (window.empty()) return;
  if (window.row < 0 || window.col < 0 || window.row + window.rows > m_info.grid.height ||
      window.col + window.cols > m_info.grid.width) {
    throw Error(ErrorKind::internal, fmt::format("read window {}x{} at row {}, col {} outside the raster", window.cols,
                                                 window.rows, window.row, window.col), context);
  }
  GDALRasterBand* band = nullptr;
  {
    std::lock_guard lock(m_handles->mutex);
    auto& handle = m_handles->by_thread[std::this_thread::get_id()];
    if (!handle) {
      handle = open_raster(m_info.path);
      if (!handle) {
        throw InputError(fmt::format("cannot reopen the raster: {}", last_gdal_error("unknown error")), context,
                         "check that the file was not moved or changed during the run");
      }
    }
    band = handle->GetRasterBand(m_info.band);
  }
  CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
  CPLErrorReset();
  if (band->RasterIO(GF_Read, window.col, window.row, window.cols, window.rows, out.values.data(), window.cols,
                     window.rows, GDT_Float64, 0, 0, nullptr) != CE_None) {
    throw InputError(fmt::format("cannot read band {}: {}", m_info.band, last_gdal_error("read error")), context,
                     "check the file with gdalinfo -checksum");
  }
  if (m_info.has_mask) {
    if (band->GetMaskBand()->RasterIO(GF_Read, window.col, window.row, window.cols, window.rows, out.valid.data(),
                                      window.cols, window.rows, GDT_Byte, 0, 0, nullptr) != CE_None) {
      throw InputError(fmt::format("cannot read the mask of band {}: {}", m_info.band, last_gdal_error("read error")),
                       context, "check the file with gdalinfo -checksum");
    }
  }
  const bool has_mask = m_info.has_mask;
  const bool has_nodata = m_info.nodata.has_value();
  const double nodata = has_nodata ? *m_info.nodata : 0.0;
  const bool float32 = m_handles->float32;
  const float nodata32 = static_cast<float>(nodata);
  for (std::size_t i = 0; i < out.values.size(); ++i) {
    const double v = out.values[i];
    bool ok = (!has_mask || out.valid[i] != 0) && !std::isnan(v);
    if (ok && has_nodata) ok = float32 ? static_cast<float>(v) != nodata32 : v != nodata;
    out.valid[i] = ok ? 1 : 0;
  }
}

std::vector<std::optional<double>> RasterSource::values_at(std::span<const Cell> cells) const {
  std::vector<std::optional<double>> result(cells.size());
  const RasterGrid& grid = m_info.grid;
  const int bw = std::max(1, m_info.block_width);
  const int bh = std::max(1, m_info.block_height);
  std::vector<std::size_t> order;
  order.reserve(cells.size());
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const Cell& c = cells[i];
    if (c.row >= 0 && c.row < grid.height && c.col >= 0 && c.col < grid.width) order.push_back(i);
  }
  auto block_of = [&](std::size_t i) { return std::pair(cells[i].row / bh, cells[i].col / bw); };
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return block_of(a) < block_of(b); });
  RasterWindow block;
  for (std::size_t i = 0; i < order.size();) {
    const auto [brow, bcol] = block_of(order[i]);
    const CellWindow window = intersect({brow * bh, bcol * bw, bh, bw}, {0, 0, grid.height, grid.width});
    read(window, block);
    for (; i < order.size() && block_of(order[i]) == std::pair(brow, bcol); ++i) {
      const Cell& c = cells[order[i]];
      const std::size_t at = static_cast<std::size_t>(c.row - window.row) * static_cast<std::size_t>(window.cols) +
                             static_cast<std::size_t>(c.col - window.col);
      if (block.valid[at]) result[order[i]] = block.values[at];
    }
  }
  return result;
}

std::size_t RasterSource::open_handles() const {
  std::lock_guard lock(m_handles->mutex);
  return m_handles->by_thread.size();
}

int RasterSource::strip_rows(int cols, std::size_t max_cells) const {
  const std::size_t width = static_cast<std::size_t>(std::max(1, cols));
  const int fit = static_cast<int>(std::clamp<std::size_t>(max_cells / width, 1, static_cast<std::size_t>(m_info.grid.height)));
  const int bh = std::max(1, m_info.block_height);
  return fit >= bh ? fit / bh * bh : fit;
}

}  // namespace twinrisk::io
