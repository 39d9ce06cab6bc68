#include "twinrisk/core/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>

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
    case ParamType::field: return "field";
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

ParamSpec ParamSpec::text(std::string name, std::string description, std::string default_value) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = ParamType::string;
  spec.description = std::move(description);
  spec.default_value = std::move(default_value);
  return spec;
}

ParamSpec ParamSpec::field(std::string name, std::string parent, std::string description) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = ParamType::field;
  spec.parent = std::move(parent);
  spec.description = std::move(description);
  spec.default_value = nlohmann::json::array();
  return spec;
}

ParamSpec& ParamSpec::labelled(std::string value) {
  label = std::move(value);
  return *this;
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
    case ParamType::field:
      if (multiple) return nlohmann::json::array({std::string(text)});
      return std::string(text);
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
  if (!multiple) throw ConfigError(fmt::format("parameter '{}' takes one value, not a list", name));
  auto values = nlohmann::json::array();
  for (const auto& item : items) {
    auto value = parse(item);
    if (value.is_array()) {
      values.insert(values.end(), value.begin(), value.end());
    } else {
      values.push_back(std::move(value));
    }
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

// Labels and help of the role fields, which QGIS shows as one field parameter each. A role field
// not listed here is labelled after its name ("category" → "Category field").
struct RoleFieldText {
  Role role;
  std::string_view field;
  std::string_view label;
  std::string_view help;
};

const std::vector<RoleFieldText>& role_field_texts() {
  static const std::vector<RoleFieldText> texts = {
      {Role::municipalities, "id", "ID field",
       "Field identifying each municipality; rows sharing an ID are one municipality (islands, exclaves)"},
      {Role::municipalities, "name", "Name field", "Field with the municipality's name, written next to its ID"},
      {Role::municipalities, "country", "Country field",
       "Field with the municipality's country; zones in two or more countries are cross-national"},
      {Role::hazard, "class", "Hazard class field",
       "Field with the hazard class (return period, depth class, …); polygons of one class are dissolved "
       "together. Without it every polygon is of one class"},
      {Role::basins, "id", "Basin ID field", "Field identifying each basin (HydroBASINS HYBAS_ID)"},
      {Role::basins, "next_down", "Downstream basin field",
       "Field with the ID of the basin downstream (HydroBASINS NEXT_DOWN)"},
      {Role::rivers, "name", "River name field", "Field with the river's name"},
      {Role::rivers, "order", "Stream order field", "Field with the stream order"},
      {Role::infrastructure, "category", "Category field", "Field with the asset's category (road, hospital, …)"},
      {Role::twinning, "a", "First municipality field", "Field with the ID of one municipality of the pair"},
      {Role::twinning, "b", "Second municipality field", "Field with the ID of the other municipality of the pair"},
  };
  return texts;
}

std::pair<std::string, std::string> role_field_text(Role role, std::string_view field) {
  for (const auto& text : role_field_texts()) {
    if (text.role == role && text.field == field) return {std::string(text.label), std::string(text.help)};
  }
  std::string label(field);
  std::replace(label.begin(), label.end(), '_', ' ');
  if (!label.empty()) label[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(label[0])));
  return {label + " field", fmt::format("Field used as '{}' (role {})", field, to_string(role))};
}

// One field parameter per role field of a layer or table parameter (`municipalities_id_field`). Where
// two parameters of an algorithm share a role, their field labels name the parameter.
nlohmann::json field_parameters(const ParamSpec& spec, bool role_shared) {
  auto out = nlohmann::json::array();
  const auto& role = role_spec(spec.role);
  auto add = [&](std::string_view field, bool optional) {
    auto [label, help] = role_field_text(spec.role, field);
    if (role_shared) label = fmt::format("{} ({})", label, spec.label);
    out.push_back({{"name", fmt::format("{}_{}_field", spec.name, field)},
                   {"field", field},
                   {"label", label},
                   {"help", help},
                   {"optional", optional}});
  };
  for (auto field : role.required_fields) add(field, false);
  for (auto field : role.optional_fields) add(field, true);
  return out;
}

nlohmann::json describe_parameter(const ParamSpec& spec, bool role_shared) {
  nlohmann::json p = {
      {"name", spec.name},
      {"type", to_string(spec.type)},
      {"label", spec.label},
      {"help", spec.description},
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
      p["field_parameters"] = field_parameters(spec, role_shared);
      p["cli_layer_options"] = {{"layer", spec.cli_flag() + "-layer"}, {"field", spec.cli_flag() + "-field"},
                                {"where", spec.cli_flag() + "-where"}};
    }
  }
  if (spec.type == ParamType::layer) {
    p["geometry"] = to_string(spec.geometry);
    p["streamable"] = spec.streamable;
    p["cli_layer_options"]["crs"] = spec.cli_flag() + "-crs";
  }
  if (spec.type == ParamType::field) {
    p["parent"] = spec.parent;
    p["multiple"] = spec.multiple;
  }
  if (!spec.unit.empty()) p["unit"] = spec.unit;
  if (spec.min) p["min"] = *spec.min;
  if (spec.max) p["max"] = *spec.max;
  if (!spec.choices.empty()) p["choices"] = spec.choices;
  return p;
}

nlohmann::json common_parameters() {
  auto common = [](const char* name, const char* type, nlohmann::json default_value, const char* cli_flag,
                   const char* label, const char* help) {
    return nlohmann::json{{"name", name},         {"type", type},   {"default", std::move(default_value)},
                          {"cli_flag", cli_flag}, {"label", label}, {"help", help}};
  };
  return nlohmann::json::array({
      common("analysis_crs", "crs", "auto", "--analysis-crs", "Analysis CRS (empty = auto)",
             "CRS in which every layer is overlaid and every area is measured. 'auto' (or empty in QGIS) is a "
             "Lambert azimuthal equal-area projection centred on the data, so areas are true"),
      common("output_crs", "crs", "analysis", "--output-crs", "Output CRS (empty = analysis CRS)",
             "CRS of the result layers: 'analysis' (or empty in QGIS) keeps the analysis CRS, 'input' takes the "
             "first input layer's, or any CRS such as EPSG:3035. Areas are measured in the analysis CRS whatever "
             "this is"),
      common("output", "folder", nullptr, "--output", "Output folder",
             "Folder receiving twinrisk.gpkg, tables/*.csv and manifest.json; on the command line also a PostGIS "
             "database, PG:\"dbname=… active_schema=NAME\""),
      common("overwrite", "boolean", false, "--overwrite", "Overwrite existing results",
             "Replace results that already exist in the output folder"),
      common("threads", "integer", 0, "--threads", "Threads (0 = all cores)",
             "Worker threads; 0 uses every core. Results do not depend on it"),
  });
}

std::size_t characters(const std::string& utf8) {
  return static_cast<std::size_t>(
      std::count_if(utf8.begin(), utf8.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

std::string Algorithm::icon() const {
  std::string slug;
  for (const char c : group()) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      slug += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

nlohmann::json Algorithm::describe() const {
  auto params = nlohmann::json::array();
  for (const auto& spec : parameters()) {
    const auto same_role = std::count_if(parameters().begin(), parameters().end(), [&](const ParamSpec& other) {
      return other.is_data() && spec.is_data() && other.role == spec.role;
    });
    params.push_back(describe_parameter(spec, same_role > 1));
  }
  auto outs = nlohmann::json::array();
  for (const auto& out : outputs()) {
    outs.push_back({{"name", out.name},
                    {"kind", to_string(out.kind)},
                    {"geometry", to_string(out.geometry)},
                    {"label", out.label},
                    {"help", out.description},
                    {"fields", describe_fields(out.fields)}});
  }
  return {{"id", id()},         {"title", title()},     {"group", group()},      {"help", help()},
          {"tags", tags()},     {"icon", icon()},       {"parameters", params}, {"outputs", outs}};
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
  nlohmann::json layer_options = {
      {"source", "any GDAL vector source, or a layer definition file (.yaml)"},
      {"layer", "layer name within the source (optional when it has one layer)"},
      {"field", "ROLE_FIELD=SOURCE_FIELD or ROLE_FIELD==CONSTANT, repeatable"},
      {"where", "OGR SQL attribute filter"},
      {"crs", "CRS of a source that has none"},
  };
  return {{"twinrisk_version", version_string()}, {"common_parameters", common_parameters()},
          {"layer_options", layer_options}, {"algorithms", algorithms}};
}

// Checked on the described document: it is exactly what the QGIS provider builds its dialogs from.
std::vector<std::string> Registry::label_problems() const {
  std::vector<std::string> problems;
  const auto document = describe();
  for (const auto& algorithm : document["algorithms"]) {
    const auto id = algorithm["id"].get<std::string>();
    // Label → what has it; a dialog shows the parameters together, a model the outputs.
    std::map<std::string, std::string> parameter_labels, output_labels;
    auto check = [&](const nlohmann::json& item, const std::string& what, std::map<std::string, std::string>& seen) {
      const auto label = item.value("label", std::string());
      if (label.empty()) {
        problems.push_back(fmt::format("{}: {} has no label", id, what));
        return;
      }
      if (characters(label) > kMaxLabelLength) {
        problems.push_back(fmt::format("{}: {} label '{}' is {} characters long (at most {})", id, what, label,
                                       characters(label), kMaxLabelLength));
      }
      if (auto [it, added] = seen.emplace(label, what); !added) {
        problems.push_back(fmt::format("{}: {} and {} share the label '{}'", id, it->second, what, label));
      }
    };
    for (const auto& parameter : algorithm["parameters"]) {
      check(parameter, fmt::format("parameter '{}'", parameter["name"].get<std::string>()), parameter_labels);
      for (const auto& field : parameter.value("field_parameters", nlohmann::json::array())) {
        check(field, fmt::format("field parameter '{}'", field["name"].get<std::string>()), parameter_labels);
      }
    }
    for (const auto& parameter : document["common_parameters"]) {
      check(parameter, fmt::format("common parameter '{}'", parameter["name"].get<std::string>()), parameter_labels);
    }
    for (const auto& output : algorithm["outputs"]) {
      check(output, fmt::format("output '{}'", output["name"].get<std::string>()), output_labels);
    }
    if (algorithm["tags"].empty()) problems.push_back(fmt::format("{}: no tags (words a search should find it by)", id));
  }
  return problems;
}

}  // namespace twinrisk
