#pragma once

#include <string>

namespace twinrisk {

std::string version_string();
// "twinrisk 0.1.0 (GDAL 3.6.2, GEOS 3.11.1, PROJ 9.1.1)"
std::string version_banner();
std::string gdal_version();
std::string geos_version();
std::string proj_version();

}  // namespace twinrisk
