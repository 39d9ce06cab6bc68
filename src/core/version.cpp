#include "twinrisk/core/version.hpp"

#include <gdal.h>
#include <geos_c.h>
#include <proj.h>

#include <fmt/format.h>

namespace twinrisk {

std::string version_string() { return TWINRISK_VERSION; }

std::string gdal_version() { return GDALVersionInfo("RELEASE_NAME"); }
std::string geos_version() { return GEOSversion(); }
std::string proj_version() { return proj_info().release; }

std::string version_banner(std::string_view allocator) {
  return fmt::format("twinrisk {} (GDAL {}, GEOS {}, PROJ {}{}{})", version_string(), gdal_version(), geos_version(),
                     proj_version(), allocator.empty() ? "" : ", ", allocator);
}

}  // namespace twinrisk
