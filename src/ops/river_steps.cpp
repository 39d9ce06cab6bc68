#include "river_steps.hpp"

#include <fmt/format.h>
#include <tbb/enumerable_thread_specific.h>

#include <map>
#include <memory>

namespace twinrisk::ops::steps {

ParamSpec integer_param(std::string name, std::string description, std::int64_t default_value,
                        std::optional<double> min, std::optional<double> max) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = ParamType::integer;
  spec.description = std::move(description);
  spec.default_value = default_value;
  spec.min = min;
  spec.max = max;
  return spec;
}

ParamSpec enum_param(std::string name, std::string description, std::vector<std::string> choices) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = ParamType::enumeration;
  spec.description = std::move(description);
  spec.default_value = choices.front();
  spec.choices = std::move(choices);
  return spec;
}

ErrorContext feature_context(const Layer& layer, std::size_t feature) {
  ErrorContext context;
  context.layer = layer.name;
  context.feature = layer.features.at(feature).fid;
  return context;
}

ErrorContext row_context(const Table& table, std::size_t row) {
  ErrorContext context;
  context.layer = table.name;
  context.feature = static_cast<std::int64_t>(row + 1);
  return context;
}

namespace {

template <typename Fields>
std::string names_of(const Fields& fields) {
  std::vector<std::string_view> names;
  for (const auto& field : fields) names.push_back(field.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

std::size_t required_field(const LayerSchema& layer, std::string_view field, std::string_view parameter,
                           std::string_view made_by) {
  if (auto index = layer.field_index(field)) return *index;
  ErrorContext context;
  context.layer = layer.name;
  throw ConfigError(fmt::format("{} needs a field '{}', which the layer lacks (fields: {})", parameter, field,
                                names_of(layer.fields)),
                    context, fmt::format("give {} the {}", parameter, made_by));
}

std::size_t required_column(const Table& table, std::string_view column, std::string_view parameter,
                            std::string_view made_by) {
  if (auto index = table.column_index(column)) return *index;
  ErrorContext context;
  context.layer = table.name;
  throw ConfigError(fmt::format("{} needs a column '{}', which the table lacks (columns: {})", parameter, column,
                                names_of(table.columns)),
                    context, fmt::format("give {} the {}", parameter, made_by));
}

std::size_t municipality_of(const MunicipalityIndex& municipalities, const std::string& id, const ErrorContext& where,
                            std::string_view field) {
  if (auto group = municipalities.find(id)) return *group;
  throw InputError(fmt::format("{} '{}' is not the id of any municipality", field, id), where,
                   "run this step on the municipalities the earlier step used");
}

LengthFunction length_function(const std::string& crs_wkt, MeasureMethod method) {
  auto measurers = std::make_shared<tbb::enumerable_thread_specific<Measurer>>(Measurer(crs_wkt, method));
  return [measurers](const GEOSGeometry* line) { return measurers->local().length_m(line); };
}

namespace {

// 0/1 fields written by twinrisk, read back from any source (integer, real or text).
bool is_one(const Feature& feature, std::optional<std::size_t> field) { return key_text(feature, field) == "1"; }

}  // namespace

RiverReachesResult reaches_from_layer(const Layer& reaches, const MunicipalityIndex& municipalities,
                                      std::string_view parameter) {
  constexpr std::string_view kMadeBy = "reaches layer of river-reaches";
  const auto municipality_field = required_field(reaches, "municipality_id", parameter, kMadeBy);
  const auto border_field = required_field(reaches, "border", parameter, kMadeBy);
  const auto partner_field = required_field(reaches, "partner_municipality_id", parameter, kMadeBy);
  const auto gap_field = reaches.field_index("in_gap");
  RiverReachesResult result;
  for (std::size_t k = 0; k < reaches.features.size(); ++k) {
    const auto& feature = reaches.features[k];
    if (!feature.geometry || geos::is_empty(feature.geometry.get())) continue;
    const auto where = feature_context(reaches, k);
    const auto id = key_text(feature, municipality_field);
    std::optional<std::size_t> holder;
    if (!id.empty()) holder = municipality_of(municipalities, id, where, "municipality_id");
    std::optional<BorderSide> border;
    if (is_one(feature, border_field)) {
      if (!holder) {
        throw InputError("a border reach has no municipality_id", where, "border reaches name the bank they lie on");
      }
      border = BorderSide{*holder, municipality_of(municipalities, key_text(feature, partner_field), where,
                                                   "partner_municipality_id")};
    }
    const auto municipality = is_one(feature, gap_field) ? std::nullopt : holder;
    std::size_t part = 0;
    for (const auto* line : geos::line_views(feature.geometry.get())) {
      const double length = geos::length(line);
      result.reaches.push_back(Reach{k, part++, 0.0, length, municipality, border, geos::clone(line), length});
    }
  }
  return result;
}

std::vector<BorderRow> border_rows_from_table(const Table& table, const MunicipalityIndex& municipalities,
                                              std::string_view parameter) {
  constexpr std::string_view kMadeBy = "border_reaches table of river-reaches";
  const auto a = required_column(table, "municipality_a", parameter, kMadeBy);
  const auto b = required_column(table, "municipality_b", parameter, kMadeBy);
  const auto river = required_column(table, "river_id", parameter, kMadeBy);
  const auto length = required_column(table, "shared_length_m", parameter, kMadeBy);
  std::vector<BorderRow> rows;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    const auto where = row_context(table, r);
    auto text = [&](std::size_t column) {
      Feature cell{0, nullptr, {row[column]}};
      return key_text(cell, std::size_t{0});
    };
    double metres = 0;
    if (const auto* real = std::get_if<double>(&row[length])) metres = *real;
    else if (const auto* integer = std::get_if<std::int64_t>(&row[length])) metres = static_cast<double>(*integer);
    else if (const auto* s = std::get_if<std::string>(&row[length])) {
      try {
        metres = std::stod(*s);
      } catch (const std::exception&) {
        throw InputError(fmt::format("shared_length_m '{}' is not a number", *s), where);
      }
    }
    if (!(metres >= 0)) throw InputError(fmt::format("shared_length_m is {}; a length cannot be negative", metres), where);
    auto ga = municipality_of(municipalities, text(a), where, "municipality_a");
    auto gb = municipality_of(municipalities, text(b), where, "municipality_b");
    if (ga == gb) continue;
    if (gb < ga) std::swap(ga, gb);
    rows.push_back({ga, gb, text(river), metres});
  }
  return rows;
}

}  // namespace twinrisk::ops::steps
