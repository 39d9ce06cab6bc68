#include "twinrisk/core/version.hpp"

#include <gdal.h>
#include <geos_c.h>
#include <proj.h>

#include <fmt/format.h>

namespace twinrisk {

std::string version_string() { return TWINRISK_VERSION; }

std::string gdal_version() { return GDALVersionInfo("RELEASE_NAME"); }
std::string geos_version() { return GEOSversion(); }
// proj_info() writes PROJ's default context (its search paths) while other threads may be using
// PROJ (ThreadSanitizer saw it race with a GeoPackage being created): asked once, and early
// (pipeline::run asks before it starts a thread).
std::string proj_version() {
  static const std::string release = proj_info().release;
  return release;
}

std::string version_banner(std::string_view allocator) {
  return fmt::format("twinrisk {} (GDAL {}, GEOS {}, PROJ {}{}{})", version_string(), gdal_version(), geos_version(),
                     proj_version(), allocator.empty() ? "" : ", ", allocator);
}

}  // namespace twinrisk
