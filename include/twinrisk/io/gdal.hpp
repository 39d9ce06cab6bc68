#pragma once
// Small shared helpers over GDAL/OGR: registration, error text, CRS labels.

#include <string>

class OGRSpatialReference;

namespace twinrisk::io {

void ensure_gdal_registered();
// The last CPL error message of this thread, or `fallback` when there is none.
std::string last_gdal_error(const std::string& fallback);
// "EPSG:4326 (WGS 84)" or the CRS's name.
std::string crs_label(const OGRSpatialReference& crs);
std::string to_wkt(const OGRSpatialReference& crs);

}  // namespace twinrisk::io
