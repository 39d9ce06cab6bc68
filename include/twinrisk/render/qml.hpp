#pragma once
// QGIS styles (QML, as QGIS 3.22 reads them from a GeoPackage's layer_styles) generated from a
// LayerStyle: a rule-based renderer with symbol levels, so classes are drawn in the style's order
// whatever the feature order, and the outlines on top; labels when the style has them.

#include <string>
#include <vector>

#include "twinrisk/render/style.hpp"

namespace twinrisk::render {

// The QML for a style. Automatic classes (`values: auto`) become one rule whose fill colour is a
// QGIS expression that ranks the layer's distinct values as classify() does, so QGIS and
// twinrisk's maps agree without knowing the values in advance.
std::string to_qml(const LayerStyle& style);

// In to_qml(style)'s text (escaped as there), the expression that lists an automatic style's
// values for QGIS to rank: an aggregate over the layer QGIS has open. Empty for other styles. A
// writer that knows the values puts their list in its place: QGIS opens a table of mixed
// geometries as one sublayer per type, each of which would rank only its own values, and sorts
// text that looks like numbers ("2", "10") as text.
std::string qml_values_expression(const LayerStyle& style);

// The QML with one rule per class present in the data (from classify()): what a caller that holds
// the layer can store instead, so QGIS's legend names each value.
std::string to_qml(const LayerStyle& style, const std::vector<ClassRule>& rules);

}  // namespace twinrisk::render
