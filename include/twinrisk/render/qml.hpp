#pragma once
// QGIS styles (QML, as QGIS 3.22 reads them from a GeoPackage's layer_styles) generated from a
// LayerStyle: a rule-based renderer with symbol levels, so classes are drawn in the style's order
// whatever the feature order, and the outlines on top; labels when the style has them.

#include <string>
#include <vector>

#include "twinrisk/render/style.hpp"

namespace twinrisk::render {

// The QML for a style. Automatic classes (`values: auto`) become one rule whose fill colour is a
// QGIS expression that ranks the layer's distinct values exactly as classify() does, so QGIS and
// twinrisk's maps agree without knowing the values in advance.
std::string to_qml(const LayerStyle& style);

// The QML with one rule per class present in the data (from classify()): what a caller that holds
// the layer can store instead, so QGIS's legend names each value.
std::string to_qml(const LayerStyle& style, const std::vector<ClassRule>& rules);

}  // namespace twinrisk::render
