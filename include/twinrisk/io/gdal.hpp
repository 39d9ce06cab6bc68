#pragma once
// Small shared helpers over GDAL/OGR: registration, error text, CRS labels.

#include <string>

class OGRSpatialReference;

namespace twinrisk::io {

void ensure_gdal_registered();
// GDAL loads SpatiaLite into every GeoPackage connection it opens (a few hundred SQL functions
// registered each time), which only SQL a layer definition brings (sql:, where:) can use. While
// one lives (a run), connections skip SpatiaLite unless a living one needs it: GDAL's option is
// process-wide and runs may share a process. SPATIALITE_LOAD set by the user stands.
class SpatialiteUse {
 public:
  explicit SpatialiteUse(bool needed);
  ~SpatialiteUse();
  SpatialiteUse(const SpatialiteUse&) = delete;
  SpatialiteUse& operator=(const SpatialiteUse&) = delete;

 private:
  bool m_needed;
};
// The last CPL error message of this thread, or `fallback` when there is none.
std::string last_gdal_error(const std::string& fallback);

// Catches the GDAL errors raised on this thread while it lives (GDAL keeps one handler stack per
// thread) and keeps them quiet: a failure GDAL reports while still returning (a damaged page
// ends a read loop as if the layer were exhausted) is kept to be turned into an error.
class GdalErrorTrap {
 public:
  GdalErrorTrap();
  ~GdalErrorTrap();
  GdalErrorTrap(const GdalErrorTrap&) = delete;
  GdalErrorTrap& operator=(const GdalErrorTrap&) = delete;

  // The first failure since the last call, and forgets it; empty when there was none.
  std::string take_failure();
  bool failed() const { return !m_failure.empty(); }

 private:
  static void handle(int type, int number, const char* message);
  std::string m_failure;
};
// "EPSG:4326 (WGS 84)" or the CRS's name.
std::string crs_label(const OGRSpatialReference& crs);
std::string to_wkt(const OGRSpatialReference& crs);

}  // namespace twinrisk::io
