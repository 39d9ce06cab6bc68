#pragma once
// Which way each river line flows: along its vertex order, against it, or unknown. Three sources:
// the vertex order itself (most river datasets are digitised downstream), a field, or the
// elevation at the two ends of each line (the algorithm binds the elevation function to a DEM).

#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "twinrisk/core/layer.hpp"

namespace twinrisk::ops {

enum class FlowDirection {
  forward,  // the first vertex is upstream, the last downstream
  reverse,  // the last vertex is upstream
  unknown,
};

// One direction per line of each river feature: directions[feature][line], where the lines of a
// feature are its LineStrings in order (as in Reach::part).
using FlowDirections = std::vector<std::vector<FlowDirection>>;

// Every line flows along its vertex order.
FlowDirections flow_from_vertex_order(const Layer& rivers);

// The field's value gives the direction of every line of the feature:
//   forward: 1, "1", "forward", "with", "downstream", "with digitized";
//   reverse: -1, "-1", "reverse", "backward", "against", "upstream", "against digitized";
//   unknown: NULL, 0, "0", "", "unknown", "uninitialized".
// Text is compared without case and surrounding spaces. Throws ConfigError when the field is
// missing and InputError naming the feature for any other value.
FlowDirections flow_from_field(const Layer& rivers, std::string_view field);

// Elevation at a point of the analysis CRS, nullopt where unknown (outside the DEM, nodata).
// Called from several threads at once.
using ElevationFunction = std::function<std::optional<double>(double x, double y)>;

// A line flows from its higher end to its lower end when they differ by more than `min_drop_m`;
// otherwise (flat, or an end without elevation) it is unknown. Throws ConfigError when
// min_drop_m < 0.
FlowDirections flow_from_elevation(const Layer& rivers, const ElevationFunction& elevation, double min_drop_m = 0);

}  // namespace twinrisk::ops
