#pragma once

#include <string_view>

namespace twinrisk::io {

// The QGIS style (QML) for an output layer, from styles/<layer>.qml; empty when there is none.
std::string_view qgis_style(std::string_view layer_name);

}  // namespace twinrisk::io
