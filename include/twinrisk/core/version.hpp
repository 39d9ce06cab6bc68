#pragma once

#include <string>
#include <string_view>

namespace twinrisk {

std::string version_string();
// "twinrisk 0.1.0 (GDAL 3.6.2, GEOS 3.11.1, PROJ 9.1.1, mimalloc 2.0.9)": the allocator is the
// program's, which links it.
std::string version_banner(std::string_view allocator = {});
std::string gdal_version();
std::string geos_version();
std::string proj_version();

}  // namespace twinrisk
