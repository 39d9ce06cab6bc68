#include "twinrisk/pipeline/pipeline.hpp"

#include <fmt/format.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_invoke.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <ctime>
#include <algorithm>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "twinrisk/core/version.hpp"
#include "twinrisk/io/writers.hpp"

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
  static const std::set<std::string> known = {"source", "layer", "role", "fields", "crs", "where", "sql"};
  for (const auto& entry : node) {
    const auto key = entry.first.as<std::string>();
    if (!known.count(key)) {
      throw ConfigError(fmt::format("unknown key '{}' in layer '{}' (keys: source, layer, role, fields, crs, where, sql)",
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

Pipeline parse_pipeline(const YAML::Node& root, const fs::path& file) {
  Pipeline pipeline;
  pipeline.file = file;
  if (!root.IsMap()) throw ConfigError("a pipeline must be a mapping with layers and steps", at(file, root));
  for (const auto& entry : root) {
    const auto key = entry.first.as<std::string>();
    if (key != "analysis_crs" && key != "layers" && key != "steps") {
      throw ConfigError(fmt::format("unknown key '{}' (keys: analysis_crs, layers, steps)", key), at(file, entry.first));
    }
  }
  if (root["analysis_crs"]) pipeline.analysis_crs = scalar(root["analysis_crs"], file, "analysis_crs");
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
        call.arguments.emplace_back(name, scalar(argument.second, file, name));
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

void validate(const Pipeline& pipeline, const Registry& registry) {
  std::vector<std::string> problems;
  auto problem = [&](const ErrorContext& where, const std::string& text) {
    problems.push_back(where.line ? fmt::format("{}:{}: {}", where.file, *where.line, text)
                                  : where.file.empty() ? text : fmt::format("{}: {}", where.file, text));
  };
  std::map<std::string, const io::LayerDefinition*> layers;
  for (const auto& layer : pipeline.layers) layers[layer.name] = &layer;
  std::set<std::string> outputs;
  for (const auto& step : pipeline.steps) {
    const Algorithm* algorithm = registry.find(step.algorithm);
    if (!algorithm) {
      std::vector<std::string_view> ids;
      for (const auto& a : registry.algorithms()) ids.push_back(a->id());
      problem(step.origin, fmt::format("unknown step '{}' (steps: {})", step.algorithm, fmt::join(ids, ", ")));
      continue;
    }
    std::set<std::string> given;
    for (const auto& [name, value] : step.arguments) {
      given.insert(name);
      const ParamSpec* spec = algorithm->parameter(name);
      if (!spec) {
        std::vector<std::string> names;
        for (const auto& p : algorithm->parameters()) names.push_back(p.name);
        problem(step.origin, fmt::format("step '{}' has no parameter '{}' (parameters: {})", step.algorithm, name,
                                         fmt::join(names, ", ")));
        continue;
      }
      if (spec->type == ParamType::layer) {
        auto it = layers.find(value);
        if (it == layers.end()) {
          std::vector<std::string> names;
          for (const auto& [n, l] : layers) names.push_back(n);
          problem(step.origin, fmt::format("step '{}': {} refers to layer '{}', which is not defined (layers: {})",
                                           step.algorithm, name, value, fmt::join(names, ", ")));
        } else if (it->second->role != spec->role) {
          problem(step.origin, fmt::format("step '{}': {} needs a layer with role {}, but '{}' has role {}",
                                           step.algorithm, name, to_string(spec->role), value,
                                           to_string(it->second->role)));
        }
        continue;
      }
      try {
        spec->parse(value);
      } catch (const Error& error) {
        problem(step.origin, fmt::format("step '{}': {}", step.algorithm, error.message()));
      }
    }
    for (const auto& spec : algorithm->parameters()) {
      if (spec.required() && !given.count(spec.name)) {
        problem(step.origin, fmt::format("step '{}' needs parameter '{}' ({})", step.algorithm, spec.name,
                                         spec.description));
      }
    }
    for (const auto& output : algorithm->outputs()) {
      if (!outputs.insert(output.name).second) {
        problem(step.origin, fmt::format("output '{}' is produced by two steps", output.name));
      }
    }
  }
  if (problems.size() == 1) throw ConfigError(problems.front());
  if (!problems.empty()) {
    throw ConfigError(fmt::format("{} problems in the pipeline:\n  {}", problems.size(), fmt::join(problems, "\n  ")));
  }
}

namespace {

using Clock = std::chrono::steady_clock;

// Lets concurrent loads advance one progress bar: their own start and finish are ignored.
class SharedProgress final : public Progress {
 public:
  explicit SharedProgress(Progress& target) : m_target(target) {}
  void start(std::string_view, std::size_t) override {}
  void advance(std::size_t done) override { m_target.advance(done); }
  void finish() override {}
  void message(std::string_view text) override {
    std::lock_guard lock(m_mutex);
    m_target.message(text);
  }

 private:
  Progress& m_target;
  std::mutex m_mutex;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

// Opens every source before loading any, so all data problems are reported together.
std::vector<io::SourceInfo> probe_all(const Pipeline& pipeline) {
  // Sources are independent (each probe opens its own dataset): open them at the same time.
  const bool with_extent = pipeline.analysis_crs == "auto";
  std::vector<io::SourceInfo> infos(pipeline.layers.size());
  struct Failure {
    std::exception_ptr error;  // rethrown as is when it is the only one
    std::string message;
    ErrorKind kind = ErrorKind::internal;
  };
  std::vector<Failure> failures(pipeline.layers.size());
  tbb::parallel_for(std::size_t{0}, pipeline.layers.size(), [&](std::size_t i) {
    try {
      infos[i] = io::probe_source(pipeline.layers[i], with_extent);
    } catch (const Error& error) {
      failures[i] = {std::current_exception(), error.what(), error.kind()};
    }
  });
  std::vector<std::string> problems;
  const Failure* first = nullptr;
  for (const auto& failure : failures) {
    if (!failure.error) continue;
    problems.push_back(failure.message);
    if (!first) first = &failure;
  }
  if (problems.size() == 1) std::rethrow_exception(first->error);
  if (!problems.empty()) {
    throw Error(first->kind, fmt::format("{} problems with the input layers:\n  {}", problems.size(),
                                         fmt::join(problems, "\n  ")));
  }
  return infos;
}

// `checksums` remembers each file's digest: several layers often come from one GeoPackage.
nlohmann::json input_entry(const io::LayerDefinition& definition, const io::LoadReport& report,
                           std::map<std::string, std::string>& checksums) {
  nlohmann::json entry = report.to_json();
  entry["role"] = to_string(definition.role);
  if (fs::is_regular_file(definition.source)) {
    entry["source"] = fs::absolute(definition.source).lexically_normal().string();
    entry["size_bytes"] = fs::file_size(definition.source);
    auto [it, added] = checksums.try_emplace(definition.source);
    if (added) it->second = io::sha256_file(definition.source);
    entry["sha256"] = it->second;
  }
  if (!definition.where.empty()) entry["where"] = definition.where;
  if (!definition.sql.empty()) entry["sql"] = definition.sql;
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& [key, value] : definition.fields) fields[key] = value;
  entry["fields"] = fields;
  return entry;
}

}  // namespace

namespace {

// A layer of a role that takes any geometry (features) gets the geometry its step asks for, so
// that points given to a polygon overlay are refused instead of silently giving nothing.
Pipeline with_step_geometry(const Pipeline& pipeline, const Registry& registry) {
  Pipeline resolved = pipeline;
  for (const auto& call : pipeline.steps) {
    const Algorithm& algorithm = *registry.find(call.algorithm);
    for (const auto& [name, value] : call.arguments) {
      const ParamSpec& spec = *algorithm.parameter(name);
      if (spec.type != ParamType::layer || spec.geometry == GeometryFamily::any) continue;
      for (auto& layer : resolved.layers) {
        if (layer.name == value && role_spec(layer.role).geometry == GeometryFamily::any) layer.geometry = spec.geometry;
      }
    }
  }
  return resolved;
}

// Layers that can stream: passed to exactly one streamable parameter and used nowhere else.
std::set<std::string> streamed_layers(const Pipeline& pipeline, const Registry& registry) {
  std::map<std::string, int> uses;
  std::set<std::string> streamable;
  for (const auto& call : pipeline.steps) {
    const Algorithm& algorithm = *registry.find(call.algorithm);
    for (const auto& [name, value] : call.arguments) {
      const ParamSpec& spec = *algorithm.parameter(name);
      if (spec.type != ParamType::layer) continue;
      ++uses[value];
      if (spec.streamable) streamable.insert(value);
    }
  }
  std::set<std::string> streamed;
  for (const auto& name : streamable) {
    if (uses[name] == 1) streamed.insert(name);
  }
  return streamed;
}

}  // namespace

RunSummary run(const Pipeline& requested, const Registry& registry, const RunOptions& options, Progress& progress) {
  const auto started = Clock::now();
  const auto started_at = utc_now();
  validate(requested, registry);
  const Pipeline pipeline = with_step_geometry(requested, registry);

  std::vector<std::string> planned = {"twinrisk.gpkg", "manifest.json"};
  for (const auto& step : pipeline.steps) {
    for (const auto& output : registry.find(step.algorithm)->outputs()) {
      if (output.kind == OutputKind::table) planned.push_back("tables/" + output.name + ".csv");
    }
  }
  io::OutputFolder folder(options.output_folder, planned, options.overwrite);

  std::optional<tbb::global_control> thread_limit;
  if (options.threads > 0) {
    thread_limit.emplace(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(options.threads));
  }
  const int threads = options.threads > 0 ? options.threads : tbb::info::default_concurrency();

  const auto infos = probe_all(pipeline);
  std::vector<io::LonLatExtent> extents;
  for (const auto& info : infos) {
    if (info.extent) extents.push_back(*info.extent);
  }
  const std::string crs_wkt = io::resolve_analysis_crs(pipeline.analysis_crs, extents);
  if (!io::is_equal_area(crs_wkt)) {
    progress.message(fmt::format("analysis_crs {} is not an equal-area projection: areas carry its scale distortion",
                                 pipeline.analysis_crs));
  }

  // Layers load concurrently (each has its own GDAL dataset); their progress adds up to one bar.
  // A streamed layer is not loaded here: its step reads it batch by batch.
  const auto streamed = streamed_layers(pipeline, registry);
  std::vector<std::size_t> to_load;
  std::size_t total_features = 0;
  for (std::size_t i = 0; i < pipeline.layers.size(); ++i) {
    if (streamed.count(pipeline.layers[i].name)) continue;
    to_load.push_back(i);
    total_features += static_cast<std::size_t>(std::max<std::int64_t>(infos[i].feature_count, 0));
  }
  RunSummary summary;
  std::map<std::string, Layer, std::less<>> catalogue;
  nlohmann::json inputs = nlohmann::json::array();
  std::map<std::string, std::string> checksums;
  const auto load_start = Clock::now();
  const std::size_t stages = pipeline.steps.size() + 2;  // load, each step, write
  progress.stage(0, stages);
  progress.start("load", total_features);
  SharedProgress shared(progress);
  std::vector<Layer> loaded(to_load.size());
  std::vector<io::LoadReport> reports(to_load.size());
  tbb::parallel_for(std::size_t{0}, to_load.size(), [&](std::size_t k) {
    loaded[k] = io::load_layer(pipeline.layers[to_load[k]], crs_wkt, reports[k], shared);
  });
  progress.finish();
  for (std::size_t k = 0; k < to_load.size(); ++k) {
    const auto& definition = pipeline.layers[to_load[k]];
    if (reports[k].loaded == 0) {
      progress.message(fmt::format("layer '{}' has no usable features ({} read{})", definition.name, reports[k].read,
                                   definition.where.empty() ? "" : ", where: " + definition.where));
    }
    inputs.push_back(input_entry(definition, reports[k], checksums));
    summary.loads.push_back(std::move(reports[k]));
    catalogue[definition.name] = std::move(loaded[k]);
  }
  const double load_seconds = seconds_since(load_start);

  io::GeoPackageWriter geopackage(folder.stage("twinrisk.gpkg"));
  summary.geopackage = folder.folder() / "twinrisk.gpkg";
  std::vector<Layer> results;
  std::vector<std::string> streamed_results;
  std::vector<Table> tables;
  nlohmann::json steps = nlohmann::json::array();
  for (std::size_t step_index = 0; step_index < pipeline.steps.size(); ++step_index) {
    const auto& call = pipeline.steps[step_index];
    const Algorithm& algorithm = *registry.find(call.algorithm);
    progress.stage(step_index + 1, stages);
    StepInput input;
    input.analysis_crs_wkt = crs_wkt;
    AsyncSink sink(geopackage);
    input.sink = &sink;
    std::vector<std::unique_ptr<io::LayerReader>> readers;
    std::vector<std::unique_ptr<LayerSource>> in_memory;
    std::vector<const io::LayerDefinition*> read_here;
    nlohmann::json parameters = nlohmann::json::object();
    for (const auto& spec : algorithm.parameters()) {
      if (spec.type != ParamType::layer && !spec.required()) input.values[spec.name] = spec.default_value;
    }
    for (const auto& [name, value] : call.arguments) {
      const ParamSpec& spec = *algorithm.parameter(name);
      parameters[name] = value;
      if (spec.type != ParamType::layer) {
        input.values[name] = spec.parse(value);
      } else if (streamed.count(value)) {
        const auto& definition = *std::find_if(pipeline.layers.begin(), pipeline.layers.end(),
                                               [&](const auto& d) { return d.name == value; });
        readers.push_back(std::make_unique<io::LayerReader>(definition, crs_wkt, progress));
        read_here.push_back(&definition);
        input.sources[name] = readers.back().get();
      } else {
        input.layers[name] = &catalogue.at(value);
        if (spec.streamable) {
          in_memory.push_back(std::make_unique<LayerSource>(catalogue.at(value)));
          input.sources[name] = in_memory.back().get();
        }
      }
    }
    const auto step_start = Clock::now();
    StepOutput output;
    try {
      output = algorithm.run(input, progress);
      sink.finish();
    } catch (const Error& error) {
      ErrorContext context = error.context();
      if (context.step.empty()) context.step = call.algorithm;
      throw Error(error.kind(), error.message(), context, error.hint());
    }
    for (std::size_t r = 0; r < readers.size(); ++r) {
      inputs.push_back(input_entry(*read_here[r], readers[r]->report(), checksums));
      summary.loads.push_back(readers[r]->report());
    }
    for (const auto& out : algorithm.outputs()) {
      const bool in_memory_result = std::any_of(output.layers.begin(), output.layers.end(),
                                                [&](const Layer& l) { return l.name == out.name; });
      if (out.kind == OutputKind::layer && !in_memory_result) streamed_results.push_back(out.name);
    }
    steps.push_back({{"algorithm", call.algorithm},
                     {"parameters", parameters},
                     {"stats", output.stats},
                     {"wall_seconds", seconds_since(step_start)}});
    StepSummary step_summary{call.algorithm, output.stats, {}};
    for (const auto& table : output.tables) {
      Table head{table.name, table.columns, {}};
      const auto shown = std::min(table.rows.size(), kPreviewRows);
      head.rows.assign(table.rows.begin(), table.rows.begin() + static_cast<std::ptrdiff_t>(shown));
      step_summary.tables.push_back({std::move(head), table.rows.size()});
    }
    summary.steps.push_back(std::move(step_summary));
    for (auto& layer : output.layers) results.push_back(std::move(layer));
    for (auto& table : output.tables) tables.push_back(std::move(table));
  }
  catalogue.clear();

  const auto write_start = Clock::now();
  progress.stage(stages - 1, stages);
  progress.start("write", 1);
  nlohmann::json outputs = nlohmann::json::array();
  for (const auto& name : streamed_results) {
    outputs.push_back({{"file", "twinrisk.gpkg"}, {"layer", name}, {"features", geopackage.count(name)}});
  }
  for (const auto& layer : results) {
    outputs.push_back({{"file", "twinrisk.gpkg"}, {"layer", layer.name}, {"features", layer.features.size()}});
  }
  std::vector<fs::path> table_paths;
  for (const auto& table : tables) {
    const std::string relative = "tables/" + table.name + ".csv";
    table_paths.push_back(folder.stage(relative));
    summary.tables.push_back(folder.folder() / relative);
    outputs.push_back({{"file", relative}, {"rows", table.rows.size()}});
  }
  // The GeoPackage and the tables are independent files: write them at the same time.
  tbb::parallel_invoke(
      [&] {
        for (const auto& layer : results) geopackage.write_layer(layer);
        geopackage.close();
      },
      [&] {
        for (std::size_t t = 0; t < tables.size(); ++t) io::write_csv(table_paths[t], tables[t]);
      });
  progress.advance();
  progress.finish();
  const double write_seconds = seconds_since(write_start);

  nlohmann::json manifest = {
      {"twinrisk", version_string()},
      {"libraries", {{"gdal", gdal_version()}, {"geos", geos_version()}, {"proj", proj_version()}}},
      {"started_at", started_at},
      {"pipeline", pipeline.file.empty() ? nlohmann::json(nullptr) : nlohmann::json(pipeline.file.string())},
      {"analysis_crs", {{"requested", pipeline.analysis_crs}, {"equal_area", io::is_equal_area(crs_wkt)}, {"wkt", crs_wkt}}},
      {"threads", threads},
      {"inputs", inputs},
      {"steps", steps},
      {"outputs", outputs},
      {"timings", {{"load_seconds", load_seconds}, {"write_seconds", write_seconds},
                   {"total_seconds", seconds_since(started)}}},
  };
  io::write_json(folder.stage("manifest.json"), manifest);
  summary.manifest = folder.folder() / "manifest.json";
  folder.commit();
  return summary;
}

}  // namespace twinrisk::pipeline
