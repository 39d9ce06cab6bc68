// Reading pipeline and layer definition files (YAML), with file:line in every message.

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include "twinrisk/pipeline/pipeline.hpp"

namespace twinrisk::pipeline {

namespace fs = std::filesystem;

namespace {

ErrorContext at(const fs::path& file, const YAML::Node& node) {
  ErrorContext context;
  context.file = file.string();
  if (node.Mark().line >= 0) context.line = node.Mark().line + 1;
  return context;
}

YAML::Node load_yaml(const fs::path& file) {
  if (!fs::exists(file)) {
    throw ConfigError(fmt::format("file not found: {}", file.string()), {}, "check the path");
  }
  try {
    return YAML::LoadFile(file.string());
  } catch (const YAML::ParserException& error) {
    ErrorContext context;
    context.file = file.string();
    context.line = error.mark.line + 1;
    throw ConfigError(fmt::format("malformed YAML: {}", error.msg), context);
  } catch (const YAML::Exception& error) {
    ErrorContext context;
    context.file = file.string();
    throw ConfigError(fmt::format("cannot read YAML: {}", error.what()), context);
  }
}

std::string scalar(const YAML::Node& node, const fs::path& file, const std::string& key) {
  if (!node.IsScalar()) {
    throw ConfigError(fmt::format("'{}' must be a single value", key), at(file, node));
  }
  return node.as<std::string>();
}

// A path as written in a file is relative to that file; GDAL connection strings stay as they are.
std::string resolve_source(const std::string& source, const fs::path& base) {
  const bool is_connection = source.find(':') != std::string::npos && source.rfind('/', 0) != 0;
  // /vsizip/archive.zip/inner: the archive path may be relative too.
  for (const std::string prefix : {"/vsizip/", "/vsigzip/", "/vsitar/", "/vsi7z/"}) {
    if (source.rfind(prefix, 0) == 0 && source.size() > prefix.size() && source[prefix.size()] != '/') {
      return prefix + (base / source.substr(prefix.size())).lexically_normal().string();
    }
  }
  if (is_connection || source.rfind("/vsi", 0) == 0 || fs::path(source).is_absolute()) return source;
  return (base / source).lexically_normal().string();
}

io::LayerDefinition parse_layer_definition(const YAML::Node& node, const std::string& name, const fs::path& file) {
  io::LayerDefinition definition;
  definition.name = name;
  definition.origin = at(file, node);
  if (!node.IsMap()) {
    throw ConfigError("a layer definition must be a mapping with source, role and fields", definition.origin);
  }
  static const std::set<std::string> known = {"source", "layer", "role", "fields",      "crs",
                                              "where",  "sql",   "bbox", "attribution", "title"};
  for (const auto& entry : node) {
    const auto key = entry.first.as<std::string>();
    if (!known.count(key)) {
      throw ConfigError(
          fmt::format("unknown key '{}' in layer '{}' (keys: source, layer, role, fields, crs, where, sql, bbox, "
                      "attribution, title)",
                      key, name),
          at(file, entry.first));
    }
  }
  if (!node["source"]) throw ConfigError(fmt::format("layer '{}' has no source", name), definition.origin);
  definition.source = resolve_source(scalar(node["source"], file, "source"), file.parent_path());
  if (node["layer"]) definition.layer = scalar(node["layer"], file, "layer");
  if (node["crs"]) definition.crs = scalar(node["crs"], file, "crs");
  if (node["where"]) definition.where = scalar(node["where"], file, "where");
  if (node["sql"]) definition.sql = scalar(node["sql"], file, "sql");
  if (node["attribution"]) definition.attribution = scalar(node["attribution"], file, "attribution");
  if (node["title"]) definition.title = scalar(node["title"], file, "title");
  if (const auto bbox = node["bbox"]) {
    if (!bbox.IsSequence() || bbox.size() != 4) {
      throw ConfigError("bbox must be [min_x, min_y, max_x, max_y] in the source's CRS", at(file, bbox));
    }
    std::array<double, 4> box{};
    for (std::size_t i = 0; i < 4; ++i) {
      const auto text = scalar(bbox[i], file, "bbox");
      const auto parsed = ParamSpec::number("bbox", "", 0).parse(text);
      box[i] = parsed.get<double>();
    }
    if (box[0] > box[2] || box[1] > box[3]) {
      throw ConfigError("bbox must be [min_x, min_y, max_x, max_y] with min ≤ max", at(file, bbox));
    }
    definition.bbox = box;
  }
  std::vector<std::string_view> role_names;
  for (const auto& spec : role_specs()) {
    if (spec.role != Role::result) role_names.push_back(spec.name);
  }
  if (!node["role"]) {
    throw ConfigError(fmt::format("layer '{}' has no role", name), definition.origin,
                      fmt::format("add role: one of {}", fmt::join(role_names, ", ")));
  }
  const auto role_text = scalar(node["role"], file, "role");
  const auto role = role_from_name(role_text);
  if (!role) {
    throw ConfigError(fmt::format("unknown role '{}'", role_text), at(file, node["role"]),
                      fmt::format("use one of {}", fmt::join(role_names, ", ")));
  }
  definition.role = *role;
  if (const auto fields = node["fields"]) {
    if (!fields.IsMap()) throw ConfigError("fields must be a mapping such as { id: AGS, name: GEN }", at(file, fields));
    for (const auto& entry : fields) {
      definition.fields.emplace_back(entry.first.as<std::string>(), scalar(entry.second, file, "fields"));
    }
  }
  return definition;
}

}  // namespace

io::LayerDefinition load_layer_definition(const fs::path& file, const std::string& name) {
  return parse_layer_definition(load_yaml(file), name, file);
}

namespace {

// `output: DIR`, `output: "PG:…"`, or `output: { folder: DIR }` / `{ postgis: "PG:…", schema: NAME }`.
io::OutputTarget parse_output(const YAML::Node& node, const fs::path& file) {
  if (node.IsScalar()) {
    auto target = output_target(node.as<std::string>());
    if (!target.folder.empty()) target.folder = resolve_source(target.folder, file.parent_path());
    return target;
  }
  if (!node.IsMap()) throw ConfigError("output must be a folder or a mapping { postgis: …, schema: … }", at(file, node));
  io::OutputTarget target;
  for (const auto& entry : node) {
    const auto key = entry.first.as<std::string>();
    const auto value = scalar(entry.second, file, key);
    if (key == "folder") {
      target.folder = resolve_source(value, file.parent_path());
    } else if (key == "postgis") {
      target.postgis = value.rfind("PG:", 0) == 0 ? value : "PG:" + value;
    } else if (key == "schema") {
      target.schema = value;
    } else {
      throw ConfigError(fmt::format("unknown key '{}' in output (keys: folder, postgis, schema)", key),
                        at(file, entry.first));
    }
  }
  if (target.folder.empty() == target.postgis.empty()) {
    throw ConfigError("output needs exactly one of folder and postgis", at(file, node));
  }
  return target;
}

Pipeline parse_pipeline(const YAML::Node& root, const fs::path& file) {
  Pipeline pipeline;
  pipeline.file = file;
  if (!root.IsMap()) throw ConfigError("a pipeline must be a mapping with layers and steps", at(file, root));
  for (const auto& entry : root) {
    const auto key = entry.first.as<std::string>();
    if (key != "analysis_crs" && key != "output_crs" && key != "layers" && key != "steps" && key != "output") {
      throw ConfigError(fmt::format("unknown key '{}' (keys: analysis_crs, output_crs, layers, steps, output)", key),
                        at(file, entry.first));
    }
  }
  if (root["analysis_crs"]) pipeline.analysis_crs = scalar(root["analysis_crs"], file, "analysis_crs");
  if (root["output_crs"]) pipeline.output_crs = scalar(root["output_crs"], file, "output_crs");
  if (const auto output = root["output"]) pipeline.output = parse_output(output, file);
  const auto layers = root["layers"];
  if (!layers || !layers.IsMap()) throw ConfigError("a pipeline needs a 'layers' mapping", at(file, root));
  for (const auto& entry : layers) {
    const auto name = entry.first.as<std::string>();
    if (entry.second.IsScalar()) {
      const fs::path definition_file = file.parent_path() / entry.second.as<std::string>();
      if (!fs::exists(definition_file)) {
        throw ConfigError(fmt::format("layer definition file not found: {}", definition_file.string()),
                          at(file, entry.second));
      }
      pipeline.layers.push_back(load_layer_definition(definition_file.lexically_normal(), name));
    } else {
      pipeline.layers.push_back(parse_layer_definition(entry.second, name, file));
    }
  }
  const auto steps = root["steps"];
  if (steps && !steps.IsSequence()) throw ConfigError("'steps' must be a list", at(file, steps));
  for (const auto& step : steps) {
    if (!step.IsMap() || step.size() != 1) {
      throw ConfigError("each step is one algorithm with its parameters: - shared-zones: { ... }", at(file, step));
    }
    const auto& entry = *step.begin();
    StepCall call;
    call.algorithm = entry.first.as<std::string>();
    call.origin = at(file, entry.first);
    if (entry.second && !entry.second.IsNull()) {
      if (!entry.second.IsMap()) throw ConfigError("step parameters must be a mapping", at(file, entry.second));
      for (const auto& argument : entry.second) {
        const auto name = argument.first.as<std::string>();
        if (name == "as") {
          call.scenario = scalar(argument.second, file, name);
          continue;
        }
        Argument parsed{name, {}, argument.second.IsSequence()};
        if (parsed.is_list) {
          for (const auto& item : argument.second) parsed.values.push_back(scalar(item, file, name));
        } else {
          parsed.values.push_back(scalar(argument.second, file, name));
        }
        call.arguments.push_back(std::move(parsed));
      }
    }
    pipeline.steps.push_back(std::move(call));
  }
  return pipeline;
}

}  // namespace

Pipeline load_pipeline(const fs::path& file) {
  try {
    return parse_pipeline(load_yaml(file), file);
  } catch (const YAML::Exception& error) {
    // A well-formed file of the wrong shape (a list where a name belongs, …).
    ErrorContext context;
    context.file = file.string();
    if (error.mark.line >= 0) context.line = error.mark.line + 1;
    throw ConfigError(fmt::format("unexpected YAML structure: {}", error.msg), context,
                      "see examples/meuse.yaml for the shape of a pipeline");
  }
}

io::OutputTarget output_target(const std::string& text) {
  io::OutputTarget target;
  if (text.rfind("PG:", 0) != 0 && text.rfind("postgresql://", 0) != 0) {
    target.folder = text;
    return target;
  }
  target.postgis = text.rfind("PG:", 0) == 0 ? text : "PG:" + text;
  // libpq has no schema keyword; GDAL reads active_schema=NAME from the string.
  const auto at_key = target.postgis.find("active_schema=");
  if (at_key != std::string::npos) {
    const auto begin = at_key + std::string("active_schema=").size();
    const auto end = target.postgis.find_first_of(" \t", begin);
    target.schema = target.postgis.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  }
  return target;
}

}  // namespace twinrisk::pipeline
