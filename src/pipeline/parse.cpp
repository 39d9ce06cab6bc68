// Reading pipeline and layer definition files (YAML), with file:line in every message.

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "twinrisk/core/text.hpp"
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

ErrorContext at_line(const fs::path& file, int line) {
  ErrorContext context;
  context.file = file.string();
  context.line = line;
  return context;
}

// Pipeline and layer files are a few kilobytes; a bigger one is a mistake (a data file given
// as the pipeline), refused before it is read into memory.
constexpr std::uintmax_t kMaxConfigBytes = 4 << 20;

// The file's text, checked: a regular file (not a folder, FIFO or device), small, UTF-8.
std::string read_config_file(const fs::path& file, std::string_view what) {
  std::error_code error;
  const auto status = fs::status(file, error);
  if (error && error != std::errc::no_such_file_or_directory) {
    throw ConfigError(fmt::format("cannot read {}: {}", file.string(), error.message()), {}, "check the path");
  }
  if (!fs::exists(status)) throw ConfigError(fmt::format("file not found: {}", file.string()), {}, "check the path");
  if (fs::is_directory(status)) {
    throw ConfigError(fmt::format("{} is a folder, not a {}", file.string(), what), {},
                      fmt::format("give the path of the {} (a .yaml file)", what));
  }
  if (!fs::is_regular_file(status)) {
    throw ConfigError(fmt::format("{} is not a regular file (a FIFO, socket or device)", file.string()), {},
                      fmt::format("give the path of the {} (a .yaml file)", what));
  }
  const auto size = fs::file_size(file, error);
  if (!error && size > kMaxConfigBytes) {
    throw ConfigError(fmt::format("{} is {} bytes; a {} is at most {} bytes", file.string(), size, what,
                                  kMaxConfigBytes),
                      {}, "is this a data file? data goes in `source:`");
  }
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad() || (!in.eof() && in.fail())) {
    throw ConfigError(fmt::format("cannot read {}", file.string()), {}, "check its permissions");
  }
  return text;
}

// YAML text must be UTF-8 (an optional BOM is fine) without NUL bytes; the first offending byte
// is named by line and column, before anything else happens.
void check_utf8(std::string_view text, const fs::path& file) {
  const auto bad = first_invalid_utf8(text);
  const auto nul = text.find('\0');
  if (!bad && nul == std::string_view::npos) return;
  const std::size_t offset = std::min(bad.value_or(text.size()), nul);
  const auto line_start = text.rfind('\n', offset == 0 ? std::string_view::npos : offset - 1);
  const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
  const std::size_t column = offset - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1;
  if (offset == nul) {
    throw ConfigError(fmt::format("a NUL byte at column {}: the file is not UTF-8 text (UTF-16?)", column),
                      at_line(file, line), "save it as UTF-8");
  }
  throw ConfigError(fmt::format("byte 0x{:02X} at column {} is not UTF-8 (the file looks like Latin-1 or another "
                                "legacy encoding)",
                                static_cast<unsigned char>(text[offset]), column),
                    at_line(file, line),
                    "save the file as UTF-8 (an editor's Save As → UTF-8, or iconv -f latin1 -t utf-8)");
}

YAML::Node parse_yaml(std::string_view text, const fs::path& file) {
  check_utf8(text, file);
  try {
    auto root = YAML::Load(std::string(text));
    if (root.IsNull()) {
      ErrorContext context;
      context.file = file.string();
      throw ConfigError("the file is empty (or holds only comments)", context,
                        "see examples/meuse.yaml and layers/demo/*.yaml for what goes in it");
    }
    return root;
  } catch (const YAML::DeepRecursion& error) {
    throw ConfigError("nested too deeply (more than 2000 levels)", at_line(file, error.mark.line + 1));
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

// The entries of a mapping with their keys as text: a key that is not a plain name, or one
// given twice (YAML parsers keep one of the two silently), is an error naming both lines.
std::vector<std::pair<std::string, YAML::Node>> entries(const YAML::Node& map, const fs::path& file,
                                                        std::string_view where) {
  std::vector<std::pair<std::string, YAML::Node>> out;
  std::map<std::string, int> lines;
  for (const auto& entry : map) {
    if (!entry.first.IsScalar()) {
      throw ConfigError(fmt::format("a key in {} must be a name, not a list or mapping", where), at(file, entry.first));
    }
    auto key = entry.first.as<std::string>();
    const int line = entry.first.Mark().line + 1;
    if (auto [it, added] = lines.emplace(key, line); !added) {
      throw ConfigError(fmt::format("'{}' appears twice in {} (lines {} and {})", key, where, it->second, line),
                        at(file, entry.first), "keep one of them");
    }
    out.emplace_back(std::move(key), entry.second);
  }
  return out;
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

// Catalogue keys are the layer's name, or name@role:geometry for another use (see plan.cpp).
void check_layer_name(const std::string& name, const fs::path& file, const YAML::Node& where) {
  const bool control = std::any_of(name.begin(), name.end(), [](unsigned char c) { return c < 0x20 || c == 0x7F; });
  if (name.empty() || control || name.find_first_of("@:") != std::string::npos) {
    throw ConfigError(fmt::format("'{}' cannot name a layer", name), at(file, where),
                      "use letters, digits, _ or - (no @, : or control characters)");
  }
}

io::LayerDefinition layer_definition(const YAML::Node& node, const std::string& name, const fs::path& file) {
  io::LayerDefinition definition;
  definition.name = name;
  definition.origin = at(file, node);
  if (!node.IsMap()) {
    throw ConfigError("a layer definition must be a mapping with source, role and fields", definition.origin);
  }
  static const std::set<std::string> known = {"source", "layer", "role", "fields",      "crs",
                                              "where",  "sql",   "bbox", "attribution", "title"};
  for (const auto& [key, value] : entries(node, file, fmt::format("layer '{}'", name))) {
    if (!known.count(key)) {
      throw ConfigError(
          fmt::format("unknown key '{}' in layer '{}' (keys: source, layer, role, fields, crs, where, sql, bbox, "
                      "attribution, title)",
                      key, name),
          at(file, value));
    }
  }
  if (!node["source"]) throw ConfigError(fmt::format("layer '{}' has no source", name), definition.origin);
  const auto source = scalar(node["source"], file, "source");
  if (source.empty()) throw ConfigError(fmt::format("layer '{}' has an empty source", name), at(file, node["source"]));
  definition.source = resolve_source(source, file.parent_path());
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
      try {
        box[i] = ParamSpec::number("bbox", "", 0).parse(text).get<double>();
      } catch (const ConfigError& error) {
        throw ConfigError(error.message(), at(file, bbox[i]));
      }
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
  if (!role || *role == Role::result) {
    throw ConfigError(fmt::format("unknown role '{}'", role_text), at(file, node["role"]),
                      fmt::format("use one of {}", fmt::join(role_names, ", ")));
  }
  definition.role = *role;
  if (const auto fields = node["fields"]) {
    if (!fields.IsMap()) throw ConfigError("fields must be a mapping such as { id: AGS, name: GEN }", at(file, fields));
    for (const auto& [key, value] : entries(fields, file, "fields")) {
      definition.fields.emplace_back(key, scalar(value, file, "fields"));
    }
  }
  return definition;
}

// `output: DIR`, `output: "PG:…"`, or `output: { folder: DIR }` / `{ postgis: "PG:…", schema: NAME }`.
io::OutputTarget parse_output(const YAML::Node& node, const fs::path& file) {
  if (node.IsScalar()) {
    auto target = output_target(node.as<std::string>());
    if (target.folder.empty() && target.postgis.empty()) throw ConfigError("output is empty", at(file, node));
    if (!target.folder.empty()) target.folder = resolve_source(target.folder, file.parent_path());
    return target;
  }
  if (!node.IsMap()) throw ConfigError("output must be a folder or a mapping { postgis: …, schema: … }", at(file, node));
  io::OutputTarget target;
  for (const auto& [key, entry] : entries(node, file, "output")) {
    const auto value = scalar(entry, file, key);
    if (key == "folder") {
      if (!value.empty()) target.folder = resolve_source(value, file.parent_path());
    } else if (key == "postgis") {
      target.postgis = value.rfind("PG:", 0) == 0 ? value : "PG:" + value;
    } else if (key == "schema") {
      target.schema = value;
    } else {
      throw ConfigError(fmt::format("unknown key '{}' in output (keys: folder, postgis, schema)", key), at(file, entry));
    }
  }
  if (target.folder.empty() == target.postgis.empty()) {
    throw ConfigError("output needs exactly one of folder and postgis", at(file, node));
  }
  return target;
}

StepCall step_call(const YAML::Node& step, const fs::path& file) {
  if (!step.IsMap() || step.size() != 1) {
    throw ConfigError("each step is one algorithm with its parameters: - shared-zones: { ... }", at(file, step));
  }
  const auto [algorithm, parameters] = entries(step, file, "a step").front();
  StepCall call;
  call.algorithm = algorithm;
  call.origin = at(file, step.begin()->first);
  if (!parameters || parameters.IsNull()) return call;
  if (!parameters.IsMap()) throw ConfigError("step parameters must be a mapping", at(file, parameters));
  for (const auto& [name, value] : entries(parameters, file, fmt::format("step '{}'", algorithm))) {
    if (name == "as") {
      call.scenario = scalar(value, file, name);
      continue;
    }
    Argument parsed{name, {}, value.IsSequence()};
    if (parsed.is_list) {
      for (const auto& item : value) parsed.values.push_back(scalar(item, file, name));
    } else {
      parsed.values.push_back(scalar(value, file, name));
    }
    call.arguments.push_back(std::move(parsed));
  }
  return call;
}

Pipeline pipeline_of(const YAML::Node& root, const fs::path& file) {
  Pipeline pipeline;
  pipeline.file = file;
  if (!root.IsMap()) throw ConfigError("a pipeline must be a mapping with layers and steps", at(file, root));
  for (const auto& [key, value] : entries(root, file, "the pipeline")) {
    if (key != "analysis_crs" && key != "output_crs" && key != "layers" && key != "steps" && key != "output") {
      throw ConfigError(fmt::format("unknown key '{}' (keys: analysis_crs, output_crs, layers, steps, output)", key),
                        at(file, value));
    }
  }
  if (root["analysis_crs"]) pipeline.analysis_crs = scalar(root["analysis_crs"], file, "analysis_crs");
  if (root["output_crs"]) pipeline.output_crs = scalar(root["output_crs"], file, "output_crs");
  if (const auto output = root["output"]) pipeline.output = parse_output(output, file);
  const auto layers = root["layers"];
  if (!layers || !layers.IsMap()) throw ConfigError("a pipeline needs a 'layers' mapping", at(file, root));
  for (const auto& [name, value] : entries(layers, file, "layers")) {
    check_layer_name(name, file, value);
    if (value.IsScalar()) {
      const fs::path definition_file = (file.parent_path() / value.as<std::string>()).lexically_normal();
      try {
        pipeline.layers.push_back(load_layer_definition(definition_file, name));
      } catch (const ConfigError& error) {
        // Named from the line that refers to it, when the file itself cannot be read.
        if (!error.context().file.empty()) throw;
        throw ConfigError(error.message(), at(file, value), error.hint());
      }
    } else {
      pipeline.layers.push_back(layer_definition(value, name, file));
    }
  }
  const auto steps = root["steps"];
  if (steps && !steps.IsSequence() && !steps.IsNull()) throw ConfigError("'steps' must be a list", at(file, steps));
  if (steps && steps.IsSequence()) {
    for (const auto& step : steps) pipeline.steps.push_back(step_call(step, file));
  }
  return pipeline;
}

// A well-formed file of the wrong shape (a list where a name belongs, …) surfaces as a YAML
// exception from a conversion.
template <typename F>
auto yaml_shape_errors(const fs::path& file, F&& parse) {
  try {
    return parse();
  } catch (const YAML::Exception& error) {
    ErrorContext context;
    context.file = file.string();
    if (error.mark.line >= 0) context.line = error.mark.line + 1;
    throw ConfigError(fmt::format("unexpected YAML structure: {}", error.msg), context,
                      "see examples/meuse.yaml for the shape of a pipeline");
  }
}

}  // namespace

Pipeline parse_pipeline(std::string_view text, const fs::path& file) {
  return yaml_shape_errors(file, [&] { return pipeline_of(parse_yaml(text, file), file); });
}

io::LayerDefinition parse_layer_definition(std::string_view text, const fs::path& file, const std::string& name) {
  return yaml_shape_errors(file, [&] { return layer_definition(parse_yaml(text, file), name, file); });
}

Pipeline load_pipeline(const fs::path& file) { return parse_pipeline(read_config_file(file, "pipeline file"), file); }

io::LayerDefinition load_layer_definition(const fs::path& file, const std::string& name) {
  return parse_layer_definition(read_config_file(file, "layer definition file"), file, name);
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
