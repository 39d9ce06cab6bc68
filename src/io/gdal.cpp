#include "twinrisk/io/gdal.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_spatialref.h>
#include <fmt/format.h>

#include <memory>
#include <mutex>
#include <utility>

namespace twinrisk::io {

// GDAL's raster block cache may grow to 5 % of RAM, and each thread's handle on a raster keeps
// its own copy of a block: a depth raster of 10k × 10k cells filled 800 MB with blocks mostly
// read once, and a third of the run's CPU went to touching that memory. Features are read in
// raster order (depth-stats), so neighbours find their blocks in far less. A user's
// GDAL_CACHEMAX (environment or GDAL configuration) is left as set.
constexpr GIntBig kRasterBlockCacheBytes = GIntBig{256} << 20;

void ensure_gdal_registered() {
  static std::once_flag once;
  std::call_once(once, [] {
    GDALAllRegister();
    if (!CPLGetConfigOption("GDAL_CACHEMAX", nullptr)) GDALSetCacheMax64(kRasterBlockCacheBytes);
  });
}

namespace {

struct SpatialiteUsers {
  std::mutex mutex;
  int living = 0, needing = 0;
  const bool set_by_user = CPLGetConfigOption("SPATIALITE_LOAD", nullptr) != nullptr;
  void apply() const {
    if (!set_by_user) CPLSetConfigOption("SPATIALITE_LOAD", living > 0 && needing == 0 ? "NO" : nullptr);
  }
};

SpatialiteUsers& spatialite_users() {
  static SpatialiteUsers users;
  return users;
}

}  // namespace

SpatialiteUse::SpatialiteUse(bool needed) : m_needed(needed) {
  auto& users = spatialite_users();
  const std::lock_guard lock(users.mutex);
  ++users.living;
  if (m_needed) ++users.needing;
  users.apply();
}

SpatialiteUse::~SpatialiteUse() {
  auto& users = spatialite_users();
  const std::lock_guard lock(users.mutex);
  --users.living;
  if (m_needed) --users.needing;
  users.apply();
}

std::string last_gdal_error(const std::string& fallback) {
  const char* message = CPLGetLastErrorMsg();
  return message && *message ? std::string(message) : fallback;
}

GdalErrorTrap::GdalErrorTrap() {
  CPLPushErrorHandlerEx([](CPLErr type, CPLErrorNum number, const char* message) {
    GdalErrorTrap::handle(static_cast<int>(type), number, message);
  }, this);
}

GdalErrorTrap::~GdalErrorTrap() { CPLPopErrorHandler(); }

void GdalErrorTrap::handle(int type, int, const char* message) {
  auto* self = static_cast<GdalErrorTrap*>(CPLGetErrorHandlerUserData());
  if (self && type >= CE_Failure && self->m_failure.empty()) {
    self->m_failure = message && *message ? message : "unknown GDAL failure";
  }
}

std::string GdalErrorTrap::take_failure() { return std::exchange(m_failure, {}); }

std::string crs_label(const OGRSpatialReference& crs) {
  const char* authority = crs.GetAuthorityName(nullptr);
  const char* code = crs.GetAuthorityCode(nullptr);
  const char* name = crs.GetName();
  if (authority && code) return fmt::format("{}:{} ({})", authority, code, name ? name : "unnamed");
  return name ? name : "unnamed CRS";
}

std::string to_wkt(const OGRSpatialReference& crs) {
  char* raw = nullptr;
  const char* options[] = {"FORMAT=WKT2_2019", nullptr};
  crs.exportToWkt(&raw, options);
  std::string wkt = raw ? raw : "";
  CPLFree(raw);
  return wkt;
}

}  // namespace twinrisk::io
