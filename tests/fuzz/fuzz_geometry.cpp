// libFuzzer: geometries through the loader, as a run reads them: GDAL opens a file in /vsimem/,
// LayerReader reprojects, checks, repairs and hands over features. The first byte picks the
// encoding (GeoJSON text, or WKB in a CSV's WKT column, which OGR reads as hex WKB), the second
// the geometry the step wants (polygon, line, point, any). Only twinrisk::Error may come out.

#include <cpl_vsi.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/progress.hpp"
#include "twinrisk/io/gdal.hpp"
#include "twinrisk/io/loader.hpp"

namespace {

void write_vsimem(const std::string& path, const std::string& bytes) {
  VSILFILE* file = VSIFOpenL(path.c_str(), "wb");
  VSIFWriteL(bytes.data(), 1, bytes.size(), file);
  VSIFCloseL(file);
}

std::string hex(const std::uint8_t* data, std::size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace twinrisk;
  if (size < 2) return 0;
  static const std::string analysis_crs = io::resolve_analysis_crs("EPSG:3035", {});
  const bool wkb = data[0] & 1;
  const GeometryFamily families[] = {GeometryFamily::polygon, GeometryFamily::line, GeometryFamily::point,
                                     GeometryFamily::any};
  io::LayerDefinition definition;
  definition.name = "fuzzed";
  definition.role = Role::features;
  definition.geometry = families[data[1] % 4];
  if (wkb) {
    definition.source = "/vsimem/fuzz.csv";
    definition.crs = "EPSG:4326";
    write_vsimem(definition.source, "id,WKT\n1," + hex(data + 2, size - 2) + "\n");
  } else {
    definition.source = "/vsimem/fuzz.geojson";
    write_vsimem(definition.source, std::string(reinterpret_cast<const char*>(data + 2), size - 2));
  }
  try {
    NullProgress progress;
    io::probe_source(definition, true);
    io::LoadReport report;
    io::load_layer(definition, analysis_crs, report, progress);
  } catch (const Error&) {
  }
  VSIUnlink(definition.source.c_str());
  return 0;
}
