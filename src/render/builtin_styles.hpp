#pragma once
// styles/*.yaml as compiled in by cmake/TwinriskStyles.cmake.

#include <string_view>
#include <utility>
#include <vector>

namespace twinrisk::render::detail {

// (layer name, YAML text) per file in styles/, sorted by name.
const std::vector<std::pair<std::string_view, std::string_view>>& builtin_style_sources();

}  // namespace twinrisk::render::detail
