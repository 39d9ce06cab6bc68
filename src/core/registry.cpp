#include "twinrisk/core/registry.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/version.hpp"

namespace twinrisk {

std::string_view to_string(ParamType type) {
  switch (type) {
    case ParamType::layer: return "layer";
    case ParamType::table: return "table";
    case ParamType::raster: return "raster";
    case ParamType::number: return "number";
    case ParamType::integer: return "integer";
    case ParamType::boolean: return "boolean";
    case ParamType::enumeration: return "enum";
    case ParamType::crs: return "crs";
    case ParamType::string: return "string";
  }
  return "string";
}

ParamSpec ParamSpec::layer(std::string name, Role role, std::string description) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = ParamType::layer;
  spec.role = role;
  spec.geometry = role_spec(role).geometry;
  spec.description = std::move(description);
  return spec;
}

ParamSpec ParamSpec::table(std::string name, Role role, std::string description) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = ParamType::table;
  spec.role = role;
  spec.geometry = GeometryFamily::none;
  spec.description = std::move(description);
  return spec;
}

ParamSpec ParamSpec::raster(std::string name, std::string description) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = ParamType::raster;
  spec.role = Role::raster;
  spec.geometry = GeometryFamily::none;
  spec.description = std::move(description);
  return spec;
}

ParamSpec ParamSpec::number(std::string name, std::string description, double default_value) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = ParamType::number;
  spec.description = std::move(description);
  spec.default_value = default_value;
  return spec;
}

ParamSpec ParamSpec::integer(std::string name, std::string description, std::int64_t default_value) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = ParamType::integer;
  spec.description = std::move(description);
  spec.default_value = default_value;
  return spec;
}

ParamSpec ParamSpec::flag(std::string name, std::string description, bool default_value) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = ParamType::boolean;
  spec.description = std::move(description);
  spec.default_value = default_value;
  return spec;
}

ParamSpec ParamSpec::choice(std::string name, std::string description, std::vector<std::string> choices,
                            std::string default_value) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = ParamType::enumeration;
  spec.description = std::move(description);
  spec.choices = std::move(choices);
  spec.default_value = std::move(default_value);
  return spec;
}

ParamSpec ParamSpec::text(std::string name, std::string description, std::string default_value) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = ParamType::string;
  spec.description = std::move(description);
  spec.default_value = std::move(default_value);
  return spec;
}

ParamSpec ParamSpec::numbers(std::string name, std::string description, std::vector<double> default_value) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = ParamType::number;
  spec.description = std::move(description);
  spec.default_value = std::move(default_value);
  spec.multiple = true;
  return spec;
}

ParamSpec ParamSpec::texts(std::string name, std::string description, std::vector<std::string> default_value) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = ParamType::string;
  spec.description = std::move(description);
  spec.default_value = std::move(default_value);
  spec.multiple = true;
  return spec;
}

ParamSpec& ParamSpec::with_unit(std::string value) {
  unit = std::move(value);
  return *this;
}

ParamSpec& ParamSpec::with_range(std::optional<double> low, std::optional<double> high) {
  min = low;
  max = high;
  return *this;
}

ParamSpec& ParamSpec::optional() {
  default_value = nlohmann::json::array();
  return *this;
}

ParamSpec& ParamSpec::list() {
  multiple = true;
  return *this;
}

bool ParamSpec::is_data() const {
  return type == ParamType::layer || type == ParamType::table || type == ParamType::raster;
}

EntryKind ParamSpec::kind() const {
  switch (type) {
    case ParamType::table: return EntryKind::table;
    case ParamType::raster: return EntryKind::raster;
    default: return EntryKind::vector;
  }
}

std::string_view to_string(OutputKind kind) {
  switch (kind) {
    case OutputKind::layer: return "layer";
    case OutputKind::table: return "table";
    case OutputKind::file: return "file";
  }
  return "layer";
}

std::string ParamSpec::cli_flag() const {
  std::string flag = "--" + name;
  for (auto& c : flag) {
    if (c == '_') c = '-';
  }
  return flag;
}

nlohmann::json ParamSpec::parse(std::string_view text) const {
  if (multiple && !is_data()) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size()) {
      const auto comma = text.find(',', start);
      const auto end = comma == std::string_view::npos ? text.size() : comma;
      items.emplace_back(text.substr(start, end - start));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    // An empty text is an empty list; otherwise every item must have a value.
    if (items.size() == 1 && items.front().find_first_not_of(" \t") == std::string::npos) items.clear();
    return parse_list(items);
  }
  auto range_checked = [&](double value) {
    if (!std::isfinite(value)) throw ConfigError(fmt::format("parameter '{}': '{}' is not a finite number", name, text));
    if ((min && value < *min) || (max && value > *max)) {
      throw ConfigError(fmt::format("parameter '{}': {} is out of range [{}, {}]", name, text,
                                    min ? fmt::format("{}", *min) : "-inf", max ? fmt::format("{}", *max) : "inf"));
    }
    return value;
  };
  switch (type) {
    case ParamType::number: {
      double value = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || end != text.data() + text.size()) {
        throw ConfigError(fmt::format("parameter '{}': '{}' is not a number", name, text));
      }
      return range_checked(value);
    }
    case ParamType::integer: {
      long long value = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || end != text.data() + text.size()) {
        throw ConfigError(fmt::format("parameter '{}': '{}' is not an integer", name, text));
      }
      range_checked(static_cast<double>(value));
      return value;
    }
    case ParamType::boolean:
      if (text == "true" || text == "1" || text == "yes") return true;
      if (text == "false" || text == "0" || text == "no") return false;
      throw ConfigError(fmt::format("parameter '{}': '{}' is not a boolean (use true or false)", name, text));
    case ParamType::enumeration:
      for (const auto& choice : choices) {
        if (choice == text) return choice;
      }
      throw ConfigError(fmt::format("parameter '{}': '{}' is not one of: {}", name, text, fmt::join(choices, ", ")));
    case ParamType::layer:
    case ParamType::table:
    case ParamType::raster:
    case ParamType::crs:
    case ParamType::string:
      return std::string(text);
  }
  return std::string(text);
}

nlohmann::json ParamSpec::parse_list(const std::vector<std::string>& items) const {
  ParamSpec one = *this;
  one.multiple = false;
  auto values = nlohmann::json::array();
  for (const auto& item : items) {
    const auto first = item.find_first_not_of(" \t");
    const auto last = item.find_last_not_of(" \t");
    if (first == std::string::npos) {
      throw ConfigError(fmt::format("parameter '{}': an empty item in the list", name));
    }
    values.push_back(one.parse(std::string_view(item).substr(first, last - first + 1)));
  }
  return values;
}

namespace {

template <typename Map>
const auto& bound(const Map& map, std::string_view name, std::string_view what) {
  auto it = map.find(name);
  if (it == map.end() || it->second.empty()) {
    throw Error(ErrorKind::internal, fmt::format("{} parameter '{}' not bound", what, name));
  }
  return it->second;
}

const nlohmann::json& value_of(const nlohmann::json& values, std::string_view name) {
  auto it = values.find(std::string(name));
  if (it == values.end()) throw Error(ErrorKind::internal, fmt::format("parameter '{}' not bound", name));
  return *it;
}

}  // namespace

bool StepInput::has(std::string_view name) const {
  auto bound_in = [&](const auto& map) {
    auto it = map.find(name);
    return it != map.end() && !it->second.empty();
  };
  return bound_in(layers) || bound_in(sources) || bound_in(tables) || bound_in(rasters);
}

const Layer& StepInput::layer(std::string_view name) const { return *bound(layers, name, "layer").front(); }
const std::vector<const Layer*>& StepInput::layer_list(std::string_view name) const {
  return bound(layers, name, "layer");
}
FeatureSource& StepInput::source(std::string_view name) const {
  return *bound(sources, name, "streamed layer").front();
}
const std::vector<FeatureSource*>& StepInput::source_list(std::string_view name) const {
  return bound(sources, name, "streamed layer");
}
const Table& StepInput::table(std::string_view name) const { return *bound(tables, name, "table").front(); }
const RasterInfo& StepInput::raster(std::string_view name) const { return *bound(rasters, name, "raster").front(); }

double StepInput::number(std::string_view name) const {
  const auto& value = value_of(values, name);
  if (!value.is_number()) throw Error(ErrorKind::internal, fmt::format("parameter '{}' is not a number", name));
  return value.get<double>();
}

std::int64_t StepInput::integer(std::string_view name) const {
  const auto& value = value_of(values, name);
  if (!value.is_number_integer()) {
    throw Error(ErrorKind::internal, fmt::format("parameter '{}' is not an integer", name));
  }
  return value.get<std::int64_t>();
}

bool StepInput::flag(std::string_view name) const {
  const auto& value = value_of(values, name);
  if (!value.is_boolean()) throw Error(ErrorKind::internal, fmt::format("parameter '{}' is not a boolean", name));
  return value.get<bool>();
}

std::string StepInput::text(std::string_view name) const {
  const auto& value = value_of(values, name);
  if (!value.is_string()) throw Error(ErrorKind::internal, fmt::format("parameter '{}' is not text", name));
  return value.get<std::string>();
}

std::vector<double> StepInput::numbers(std::string_view name) const {
  const auto& value = value_of(values, name);
  if (!value.is_array()) throw Error(ErrorKind::internal, fmt::format("parameter '{}' is not a list", name));
  std::vector<double> out;
  for (const auto& item : value) {
    if (!item.is_number()) throw Error(ErrorKind::internal, fmt::format("parameter '{}' is not a list of numbers", name));
    out.push_back(item.get<double>());
  }
  return out;
}

std::vector<std::string> StepInput::texts(std::string_view name) const {
  const auto& value = value_of(values, name);
  if (!value.is_array()) throw Error(ErrorKind::internal, fmt::format("parameter '{}' is not a list", name));
  std::vector<std::string> out;
  for (const auto& item : value) {
    if (!item.is_string()) throw Error(ErrorKind::internal, fmt::format("parameter '{}' is not a list of texts", name));
    out.push_back(item.get<std::string>());
  }
  return out;
}

const ParamSpec* Algorithm::parameter(std::string_view name) const {
  for (const auto& spec : parameters()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

const OutputSpec* Algorithm::output(std::string_view name) const {
  for (const auto& spec : outputs()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

namespace {

nlohmann::json describe_fields(const std::vector<FieldDef>& fields) {
  auto out = nlohmann::json::array();
  for (const auto& field : fields) out.push_back({{"name", field.name}, {"type", to_string(field.type)}});
  return out;
}

nlohmann::json describe_parameter(const ParamSpec& spec) {
  nlohmann::json p = {
      {"name", spec.name},
      {"type", to_string(spec.type)},
      {"description", spec.description},
      {"optional", !spec.required()},
      {"default", spec.default_value},
      {"cli_flag", spec.cli_flag()},
  };
  if (spec.is_data()) {
    const auto& role = role_spec(spec.role);
    p["role"] = role.name;
    p["multiple"] = spec.multiple;
    if (spec.type != ParamType::raster) {
      p["role_fields"] = {{"required", role.required_fields}, {"optional", role.optional_fields}};
      p["cli_layer_options"] = {{"layer", spec.cli_flag() + "-layer"}, {"field", spec.cli_flag() + "-field"},
                                {"where", spec.cli_flag() + "-where"}};
    }
  }
  if (spec.type == ParamType::layer) {
    p["geometry"] = to_string(spec.geometry);
    p["streamable"] = spec.streamable;
    p["cli_layer_options"]["crs"] = spec.cli_flag() + "-crs";
  }
  if (!spec.is_data() && spec.multiple) p["multiple"] = true;
  if (!spec.unit.empty()) p["unit"] = spec.unit;
  if (spec.min) p["min"] = *spec.min;
  if (spec.max) p["max"] = *spec.max;
  if (!spec.choices.empty()) p["choices"] = spec.choices;
  return p;
}

}  // namespace

nlohmann::json Algorithm::describe() const {
  auto params = nlohmann::json::array();
  for (const auto& spec : parameters()) params.push_back(describe_parameter(spec));
  auto outs = nlohmann::json::array();
  for (const auto& out : outputs()) {
    outs.push_back({{"name", out.name},
                    {"kind", to_string(out.kind)},
                    {"geometry", to_string(out.geometry)},
                    {"description", out.description},
                    {"fields", describe_fields(out.fields)}});
  }
  return {{"id", id()}, {"title", title()}, {"group", group()}, {"help", help()},
          {"parameters", params}, {"outputs", outs}};
}

void Registry::add(std::unique_ptr<Algorithm> algorithm) {
  if (find(algorithm->id())) {
    throw Error(ErrorKind::internal, fmt::format("algorithm '{}' registered twice", algorithm->id()));
  }
  m_algorithms.push_back(std::move(algorithm));
}

const Algorithm* Registry::find(std::string_view id) const {
  for (const auto& algorithm : m_algorithms) {
    if (algorithm->id() == id) return algorithm.get();
  }
  return nullptr;
}

nlohmann::json Registry::describe() const {
  auto algorithms = nlohmann::json::array();
  for (const auto& algorithm : m_algorithms) algorithms.push_back(algorithm->describe());
  nlohmann::json common = nlohmann::json::array({
      {{"name", "analysis_crs"}, {"type", "crs"}, {"default", "auto"}, {"cli_flag", "--analysis-crs"},
       {"description", "CRS of the analysis; 'auto' is a Lambert azimuthal equal-area projection centred on the data"}},
      {{"name", "output"}, {"type", "folder"}, {"default", nullptr}, {"cli_flag", "--output"},
       {"description", "folder receiving twinrisk.gpkg, tables/*.csv and manifest.json; on the command line also "
                       "a PostGIS database, PG:\"dbname=… active_schema=NAME\""}},
      {{"name", "overwrite"}, {"type", "boolean"}, {"default", false}, {"cli_flag", "--overwrite"},
       {"description", "replace outputs that already exist in the folder"}},
      {{"name", "threads"}, {"type", "integer"}, {"default", 0}, {"cli_flag", "--threads"},
       {"description", "worker threads; 0 uses every core"}},
  });
  nlohmann::json layer_options = {
      {"source", "any GDAL vector source, or a layer definition file (.yaml)"},
      {"layer", "layer name within the source (optional when it has one layer)"},
      {"field", "ROLE_FIELD=SOURCE_FIELD or ROLE_FIELD==CONSTANT, repeatable"},
      {"where", "OGR SQL attribute filter"},
      {"crs", "CRS of a source that has none"},
  };
  return {{"twinrisk_version", version_string()}, {"common_parameters", common},
          {"layer_options", layer_options}, {"algorithms", algorithms}};
}

}  // namespace twinrisk
