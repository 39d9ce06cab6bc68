#include "twinrisk/ops/depth_polygons.hpp"

#include <cpl_error.h>
#include <gdal_alg.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <fmt/format.h>

#include <cstdint>

#include "twinrisk/core/error.hpp"
#include "twinrisk/io/gdal.hpp"

namespace twinrisk::ops {

namespace {

[[noreturn]] void gdal_failure(const io::RasterSource& raster, const std::string& what) {
  throw Error(ErrorKind::internal, fmt::format("{}: {}", what, io::last_gdal_error("GDAL failure")),
              {raster.info().path, {}, {}, {}, {}});
}

}  // namespace

std::vector<BandPolygon> depth_band_polygons(const io::RasterSource& raster, const DepthBands& bands) {
  io::ensure_gdal_registered();
  const RasterGrid& grid = raster.grid();
  const bool wide = bands.size() > 254;
  const GDALDataType type = wide ? GDT_UInt16 : GDT_Byte;
  CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
  GDALDatasetUniquePtr classes(
      GetGDALDriverManager()->GetDriverByName("MEM")->Create("", grid.width, grid.height, 1, type, nullptr));
  if (!classes) gdal_failure(raster, "cannot create the in-memory class raster");
  double gt[6] = {grid.x_min, grid.cell_width, 0, grid.y_max, 0, -grid.cell_height};
  classes->SetGeoTransform(gt);
  GDALRasterBand* class_band = classes->GetRasterBand(1);

  // Class 0: dry, no value, or in no band (left out by using the class band as its own mask);
  // class b + 1: depth band b.
  const CellWindow whole{0, 0, grid.height, grid.width};
  const int strip = raster.strip_rows(grid.width);
  io::RasterWindow values;
  std::vector<std::uint16_t> out;
  for (int row = 0; row < grid.height; row += strip) {
    const CellWindow part = intersect(whole, {row, 0, strip, grid.width});
    raster.read(part, values);
    out.assign(part.size(), 0);
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (!values.valid[i] || !(values.values[i] > 0)) continue;
      if (const auto band = bands.band_of(values.values[i])) out[i] = static_cast<std::uint16_t>(*band + 1);
    }
    if (class_band->RasterIO(GF_Write, part.col, part.row, part.cols, part.rows, out.data(), part.cols, part.rows,
                             GDT_UInt16, 0, 0, nullptr) != CE_None) {
      gdal_failure(raster, "cannot write the in-memory class raster");
    }
  }

  GDALDatasetUniquePtr memory(
      GetGDALDriverManager()->GetDriverByName("Memory")->Create("", 0, 0, 0, GDT_Unknown, nullptr));
  if (!memory) gdal_failure(raster, "cannot create the in-memory vector layer");
  OGRLayer* layer = memory->CreateLayer("bands", nullptr, wkbPolygon, nullptr);
  OGRFieldDefn field("class", OFTInteger);
  if (!layer || layer->CreateField(&field) != OGRERR_NONE) gdal_failure(raster, "cannot create the in-memory vector layer");
  if (GDALPolygonize(class_band, class_band, layer, 0, nullptr, nullptr, nullptr) != CE_None) {
    gdal_failure(raster, "polygonising the depth bands failed");
  }

  std::vector<BandPolygon> result;
  result.reserve(static_cast<std::size_t>(layer->GetFeatureCount()));
  std::vector<unsigned char> wkb;
  for (auto& feature : *layer) {
    const OGRGeometry* geometry = feature->GetGeometryRef();
    const int value = feature->GetFieldAsInteger(0);
    if (!geometry || value <= 0) continue;
    wkb.resize(static_cast<std::size_t>(geometry->WkbSize()));
    geometry->exportToWkb(wkbNDR, wkb.data(), wkbVariantIso);
    result.push_back({static_cast<std::size_t>(value - 1), geos::from_wkb(wkb)});
  }
  return result;
}

}  // namespace twinrisk::ops
