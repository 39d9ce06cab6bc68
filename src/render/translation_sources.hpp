#pragma once
// translations/*.yaml as compiled in by cmake/TwinriskRender.cmake.

#include <string_view>
#include <utility>
#include <vector>

namespace twinrisk::render::detail {

// (language code, YAML text) per file in translations/, sorted by code.
const std::vector<std::pair<std::string_view, std::string_view>>& translation_sources();

}  // namespace twinrisk::render::detail
