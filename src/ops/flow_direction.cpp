#include "twinrisk/ops/flow_direction.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/geos.hpp"

namespace twinrisk::ops {
namespace {

std::size_t line_count(const Feature& feature) {
  if (!feature.geometry || geos::is_empty(feature.geometry.get())) return 0;
  return geos::line_views(feature.geometry.get()).size();
}

std::string normalised(std::string text) {
  const auto first = text.find_first_not_of(" \t");
  const auto last = text.find_last_not_of(" \t");
  text = first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::optional<FlowDirection> direction_of(const Value& value) {
  if (std::holds_alternative<std::monostate>(value)) return FlowDirection::unknown;
  if (const auto* integer = std::get_if<std::int64_t>(&value)) {
    if (*integer == 1) return FlowDirection::forward;
    if (*integer == -1) return FlowDirection::reverse;
    if (*integer == 0) return FlowDirection::unknown;
    return std::nullopt;
  }
  if (const auto* real = std::get_if<double>(&value)) {
    if (*real == 1) return FlowDirection::forward;
    if (*real == -1) return FlowDirection::reverse;
    if (*real == 0) return FlowDirection::unknown;
    return std::nullopt;
  }
  const auto text = normalised(std::get<std::string>(value));
  for (const char* word : {"1", "forward", "with", "downstream", "with digitized"}) {
    if (text == word) return FlowDirection::forward;
  }
  for (const char* word : {"-1", "reverse", "backward", "against", "upstream", "against digitized"}) {
    if (text == word) return FlowDirection::reverse;
  }
  for (const char* word : {"", "0", "unknown", "uninitialized"}) {
    if (text == word) return FlowDirection::unknown;
  }
  return std::nullopt;
}

}  // namespace

FlowDirections flow_from_vertex_order(const Layer& rivers) {
  FlowDirections out;
  out.reserve(rivers.features.size());
  for (const auto& feature : rivers.features) out.emplace_back(line_count(feature), FlowDirection::forward);
  return out;
}

FlowDirections flow_from_field(const Layer& rivers, std::string_view field) {
  const auto index = rivers.field_index(field);
  if (!index) {
    std::string fields;
    for (const auto& f : rivers.fields) fields += (fields.empty() ? "" : ", ") + f.name;
    ErrorContext context;
    context.layer = rivers.name;
    throw ConfigError(fmt::format("flow direction field '{}' is not a field of the rivers (fields: {})", field, fields),
                      context, "name one of the layer's fields, or take the direction from the vertex order");
  }
  FlowDirections out;
  out.reserve(rivers.features.size());
  for (const auto& feature : rivers.features) {
    const auto direction = direction_of(feature.values[*index]);
    if (!direction) {
      ErrorContext context;
      context.layer = rivers.name;
      context.feature = feature.fid;
      throw InputError(fmt::format("flow direction '{}' in field '{}' is not one of 1/forward/with/downstream, "
                                   "-1/reverse/backward/against/upstream or 0/unknown/empty",
                                   to_display_string(feature.values[*index]), field),
                       context);
    }
    out.emplace_back(line_count(feature), *direction);
  }
  return out;
}

FlowDirections flow_from_elevation(const Layer& rivers, const ElevationFunction& elevation, double min_drop_m) {
  if (!(min_drop_m >= 0)) throw ConfigError(fmt::format("min_drop_m is {}; it must be 0 or more", min_drop_m));
  FlowDirections out(rivers.features.size());
  tbb::parallel_for(std::size_t{0}, rivers.features.size(), [&](std::size_t r) {
    const auto& feature = rivers.features[r];
    if (!feature.geometry || geos::is_empty(feature.geometry.get())) return;
    for (const auto* line : geos::line_views(feature.geometry.get())) {
      const auto points = geos::coordinates(line);
      FlowDirection direction = FlowDirection::unknown;
      if (points.size() >= 2) {
        const auto start = elevation(points.front().x, points.front().y);
        const auto end = elevation(points.back().x, points.back().y);
        if (start && end && *start - *end > min_drop_m) direction = FlowDirection::forward;
        if (start && end && *end - *start > min_drop_m) direction = FlowDirection::reverse;
      }
      out[r].push_back(direction);
    }
  });
  return out;
}

}  // namespace twinrisk::ops
