#pragma once

#include <string_view>

namespace twinrisk::io {

// The QGIS style of an output layer, generated from styles/<layer>.yaml.
struct QgisStyle {
  std::string_view qml;
  // For automatic classes: the field they are of, and the text in `qml` that lists its values
  // (render::qml_values_expression); both empty otherwise.
  std::string_view class_field;
  std::string_view values_expression;
};
// Null when the layer has no style.
const QgisStyle* qgis_style(std::string_view layer_name);

}  // namespace twinrisk::io
