#pragma once
// What the four issue-11 steps (river-reaches, basins, restoration, cooperation-network) share:
// parameter builders the registry lacks, errors that name a layer and feature, and the results of
// one step read back as the kernel's structures by the next (a `reaches` layer, a
// `border_reaches` table), so chained steps pass layers and tables, as every step does.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/layer.hpp"
#include "twinrisk/core/registry.hpp"
#include "twinrisk/ops/measure.hpp"
#include "twinrisk/ops/municipalities.hpp"
#include "twinrisk/ops/river_reaches.hpp"

namespace twinrisk::ops::steps {

ParamSpec integer_param(std::string name, std::string description, std::int64_t default_value,
                        std::optional<double> min, std::optional<double> max);
ParamSpec enum_param(std::string name, std::string description, std::vector<std::string> choices);

ErrorContext feature_context(const Layer& layer, std::size_t feature);
// A table row as the "feature" of an error: its 1-based data row (the CSV line minus the header).
ErrorContext row_context(const Table& table, std::size_t row);

// The field, or a ConfigError naming the parameter, the layer and its fields.
std::size_t required_field(const LayerSchema& layer, std::string_view field, std::string_view parameter,
                           std::string_view made_by);
std::size_t required_column(const Table& table, std::string_view column, std::string_view parameter,
                            std::string_view made_by);

// The group of a municipality id read from another layer or table, or an InputError naming where.
std::size_t municipality_of(const MunicipalityIndex& municipalities, const std::string& id, const ErrorContext& where,
                            std::string_view field);

// Lengths in metres as `measure` says, from any thread (one Measurer per thread).
LengthFunction length_function(const std::string& crs_wkt, MeasureMethod method);

// A `reaches` layer (river-reaches' output) as the kernel's reaches. Each reach feature is a line
// of its own, river = feature position, so a rivers kernel can run on the reaches layer itself;
// municipality is empty for a reach in a gap (in_gap = 1) or outside every municipality.
RiverReachesResult reaches_from_layer(const Layer& reaches, const MunicipalityIndex& municipalities,
                                      std::string_view parameter);

// One border_reaches row per municipality pair and river id.
struct BorderRow {
  std::size_t a = 0, b = 0;  // groups
  std::string river_id;
  double shared_length_m = 0;
};
std::vector<BorderRow> border_rows_from_table(const Table& table, const MunicipalityIndex& municipalities,
                                              std::string_view parameter);

}  // namespace twinrisk::ops::steps
