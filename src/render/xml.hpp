#pragma once
// XML text for the generated QML and Mapnik styles.

#include "twinrisk/core/text.hpp"

namespace twinrisk::render::detail {

using twinrisk::xml_escape;

}  // namespace twinrisk::render::detail
