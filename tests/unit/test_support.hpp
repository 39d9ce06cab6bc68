#pragma once
// Fixtures for the unit tests: temporary folders and tiny vector sources written with GDAL.

#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include "twinrisk/core/layer.hpp"
#include "twinrisk/io/gdal.hpp"
#include "twinrisk/io/loader.hpp"

namespace twinrisk::test {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "twinrisk-test-XXXXXX").string();
    m_path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return m_path; }
  fs::path operator/(const std::string& name) const { return m_path / name; }

 private:
  fs::path m_path;
};

using FieldValue = std::variant<std::string, long long, double>;

struct TestFeature {
  std::string wkt;  // empty: a feature without geometry
  std::vector<FieldValue> values;
};

// Writes one layer with the given CRS (0: none) to a GeoPackage (created or appended to).
inline void write_layer(const fs::path& file, const std::string& layer_name, int epsg,
                        const std::vector<std::string>& field_names, const std::vector<TestFeature>& features) {
  io::ensure_gdal_registered();
  GDALDatasetUniquePtr dataset;
  if (fs::exists(file)) {
    dataset.reset(GDALDataset::Open(file.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE));
  } else {
    dataset.reset(GetGDALDriverManager()->GetDriverByName("GPKG")->Create(file.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  }
  ASSERT_TRUE(dataset) << file;
  OGRSpatialReference crs;
  if (epsg) {
    crs.importFromEPSG(epsg);
    crs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  }
  OGRLayer* layer = dataset->CreateLayer(layer_name.c_str(), epsg ? &crs : nullptr, wkbUnknown, nullptr);
  ASSERT_NE(layer, nullptr);
  for (std::size_t i = 0; i < field_names.size(); ++i) {
    OGRFieldType type = OFTString;
    if (!features.empty() && std::holds_alternative<long long>(features[0].values[i])) type = OFTInteger64;
    if (!features.empty() && std::holds_alternative<double>(features[0].values[i])) type = OFTReal;
    OGRFieldDefn defn(field_names[i].c_str(), type);
    ASSERT_EQ(layer->CreateField(&defn), OGRERR_NONE);
  }
  for (const auto& item : features) {
    OGRFeature feature(layer->GetLayerDefn());
    if (!item.wkt.empty()) {
      OGRGeometry* geometry = nullptr;
      ASSERT_EQ(OGRGeometryFactory::createFromWkt(item.wkt.c_str(), nullptr, &geometry), OGRERR_NONE) << item.wkt;
      feature.SetGeometryDirectly(geometry);
    }
    for (std::size_t i = 0; i < item.values.size(); ++i) {
      const auto& value = item.values[i];
      if (const auto* s = std::get_if<std::string>(&value)) feature.SetField(static_cast<int>(i), s->c_str());
      if (const auto* n = std::get_if<long long>(&value)) feature.SetField(static_cast<int>(i), static_cast<GIntBig>(*n));
      if (const auto* d = std::get_if<double>(&value)) feature.SetField(static_cast<int>(i), *d);
    }
    ASSERT_EQ(layer->CreateFeature(&feature), OGRERR_NONE);
  }
}

inline io::LayerDefinition definition(const fs::path& file, const std::string& layer, Role role,
                                      std::vector<std::pair<std::string, std::string>> fields = {}) {
  io::LayerDefinition d;
  d.name = layer;
  d.source = file.string();
  d.layer = layer;
  d.role = role;
  d.fields = std::move(fields);
  d.origin.file = "test";
  return d;
}

inline std::string rectangle(double x0, double y0, double x1, double y1) {
  return "POLYGON((" + std::to_string(x0) + " " + std::to_string(y0) + "," + std::to_string(x1) + " " +
         std::to_string(y0) + "," + std::to_string(x1) + " " + std::to_string(y1) + "," + std::to_string(x0) + " " +
         std::to_string(y1) + "," + std::to_string(x0) + " " + std::to_string(y0) + "))";
}

}  // namespace twinrisk::test
