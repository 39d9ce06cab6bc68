#pragma once

#include <string>

#include "twinrisk/render/map.hpp"

namespace twinrisk::render::detail {

// "1,234.5" with the texts' separators; decimals < 0: as few as needed (at most 6). In i18n.cpp,
// apart from the drawing code, which the CLI loads only to draw (maps_module.hpp).
std::string format_number(double value, int decimals, const MapTexts& texts);

}  // namespace twinrisk::render::detail
