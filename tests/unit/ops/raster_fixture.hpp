#pragma once
// Tiny GeoTIFFs for the raster kernels' tests, written cell by cell so every value is known.

#include <cpl_string.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "twinrisk/io/gdal.hpp"

namespace twinrisk::test {

struct RasterSpec {
  std::array<double, 6> geotransform{0, 1, 0, 0, 0, -1};
  int width = 0;
  int height = 0;
  std::vector<double> values;  // row-major, north row first
  std::optional<double> nodata;
  int epsg = 3035;             // 0: no CRS
  GDALDataType type = GDT_Float32;
  int block = 0;               // > 0: tiled with square blocks of this size
};

inline std::string write_raster(const std::filesystem::path& file, const RasterSpec& spec) {
  io::ensure_gdal_registered();
  CPLStringList options;
  if (spec.block > 0) {
    options.SetNameValue("TILED", "YES");
    options.SetNameValue("BLOCKXSIZE", std::to_string(spec.block).c_str());
    options.SetNameValue("BLOCKYSIZE", std::to_string(spec.block).c_str());
  }
  GDALDatasetUniquePtr dataset(GetGDALDriverManager()->GetDriverByName("GTiff")->Create(
      file.c_str(), spec.width, spec.height, 1, spec.type, options.List()));
  EXPECT_TRUE(dataset) << file;
  if (!dataset) return file.string();
  auto gt = spec.geotransform;
  dataset->SetGeoTransform(gt.data());
  if (spec.epsg) {
    OGRSpatialReference crs;
    crs.importFromEPSG(spec.epsg);
    dataset->SetSpatialRef(&crs);
  }
  GDALRasterBand* band = dataset->GetRasterBand(1);
  if (spec.nodata) band->SetNoDataValue(*spec.nodata);
  auto values = spec.values;
  EXPECT_EQ(values.size(), static_cast<std::size_t>(spec.width) * spec.height);
  EXPECT_EQ(band->RasterIO(GF_Write, 0, 0, spec.width, spec.height, values.data(), spec.width, spec.height, GDT_Float64,
                           0, 0, nullptr),
            CE_None);
  return file.string();
}

}  // namespace twinrisk::test
