// Running a pipeline: plan → probe → load → execute → write, each a function of its own.

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fmt/format.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <exception>
#include <functional>
#include <map>
#include <future>
#include <mutex>
#include <optional>
#include <utility>

#include "twinrisk/core/catalogue.hpp"
#include "twinrisk/core/interrupt.hpp"
#include "twinrisk/core/redact.hpp"
#include "twinrisk/core/version.hpp"
#include "twinrisk/io/checksum_cache.hpp"
#include "twinrisk/io/gdal.hpp"
#include "twinrisk/io/reproject.hpp"
#include "twinrisk/io/writers.hpp"
#include "twinrisk/pipeline/plan.hpp"
#include "twinrisk/render/workbook.hpp"

namespace twinrisk::pipeline {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string utc_now() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

// A file system failure (a folder that cannot be read, a disk that is full) is the input's or the
// output's problem, named by its path — never an internal error.
template <typename F>
auto file_system_errors_as(ErrorKind kind, F&& work) {
  try {
    return work();
  } catch (const fs::filesystem_error& error) {
    throw Error(kind, fmt::format("{}: {}", error.path1().string(), error.code().message()));
  }
}

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

// ---------------------------------------------------------------------------------------- probe

struct Probed {
  std::vector<io::SourceInfo> infos;  // one per plan.loads entry
  std::string crs_wkt;
  bool equal_area = false;  // asked once: PROJ's answer costs ~8 ms of database lookups
  std::string output_crs_wkt;
};

// Opens every source before loading any, so all data problems are reported together. Sources
// are independent (each probe opens its own dataset): open them at the same time.
Probed probe(const Pipeline& pipeline, const Plan& plan, Progress& progress) {
  const bool with_extent = pipeline.analysis_crs == "auto";
  Probed probed;
  probed.infos.resize(plan.loads.size());
  struct Failure {
    std::exception_ptr error;  // rethrown as is when it is the only one
    std::string message;
    ErrorKind kind = ErrorKind::internal;
  };
  std::vector<Failure> failures(plan.loads.size());
  tbb::parallel_for(std::size_t{0}, plan.loads.size(), [&](std::size_t i) {
    try {
      probed.infos[i] = file_system_errors_as(ErrorKind::input,
                                              [&] { return io::probe_source(plan.loads[i].definition, with_extent); });
    } catch (const Error& error) {
      failures[i] = {std::current_exception(), error.what(), error.kind()};
    }
  });
  std::vector<std::string> problems;
  const Failure* first = nullptr;
  for (const auto& failure : failures) {
    if (!failure.error || std::find(problems.begin(), problems.end(), failure.message) != problems.end()) continue;
    problems.push_back(failure.message);
    if (!first) first = &failure;
  }
  if (problems.size() == 1) std::rethrow_exception(first->error);
  if (!problems.empty()) {
    throw Error(first->kind, fmt::format("{} problems with the input layers:\n  {}", problems.size(),
                                         fmt::join(problems, "\n  ")));
  }
  std::vector<io::LonLatExtent> extents;
  for (const auto& info : probed.infos) {
    if (info.extent) extents.push_back(*info.extent);
  }
  probed.crs_wkt = io::resolve_analysis_crs(pipeline.analysis_crs, extents);
  std::string input_crs_wkt;
  for (std::size_t i = 0; i < plan.loads.size() && input_crs_wkt.empty(); ++i) {
    if (plan.loads[i].definition.kind() == EntryKind::vector) input_crs_wkt = probed.infos[i].crs_wkt;
  }
  probed.output_crs_wkt = io::resolve_output_crs(pipeline.output_crs, probed.crs_wkt, input_crs_wkt);
  probed.equal_area = io::is_equal_area(probed.crs_wkt);
  if (!probed.equal_area) {
    progress.message(fmt::format("analysis_crs {} is not an equal-area projection: areas carry its scale distortion",
                                 pipeline.analysis_crs));
  }
  return probed;
}

// ----------------------------------------------------------------------------------- manifest

fs::path absolute_source(const std::string& source) { return fs::absolute(source).lexically_normal(); }

nlohmann::json input_entry(const io::LayerDefinition& definition, const io::LoadReport& report) {
  nlohmann::json entry = report.to_json();
  entry["source"] = redact_secrets(definition.source);
  entry["role"] = to_string(definition.role);
  entry["kind"] = to_string(definition.kind());
  if (fs::is_regular_file(definition.source)) {
    entry["source"] = absolute_source(definition.source).string();
    entry["size_bytes"] = fs::file_size(definition.source);
  }
  if (!definition.where.empty()) entry["where"] = definition.where;
  if (!definition.sql.empty()) entry["sql"] = definition.sql;
  if (definition.bbox) entry["bbox"] = *definition.bbox;
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& [key, value] : definition.fields) fields[key] = value;
  entry["fields"] = fields;
  return entry;
}

nlohmann::json raster_entry(const io::LayerDefinition& definition, const RasterInfo& raster) {
  io::LoadReport report;
  report.name = definition.name;
  report.source = definition.source;
  nlohmann::json entry = input_entry(definition, report);
  for (const char* count : {"read", "loaded", "repaired", "empty", "dropped", "reprojected", "layer"}) {
    entry.erase(count);
  }
  entry["width"] = raster.width;
  entry["height"] = raster.height;
  entry["resolution"] = {raster.resolution_x(), raster.resolution_y()};
  entry["bands"] = raster.bands.size();
  return entry;
}

// The SHA-256 of every input file for the manifest, computed on a thread of its own from the start
// of the run: read at the end, it held up the first step (0.2 s of one core for a 150 MB
// GeoPackage). An unfinished run stops it at the next megabyte. Files unchanged since an earlier
// run are not read again (io::ChecksumCache).
class InputChecksums {
 public:
  explicit InputChecksums(const Plan& plan) {
    std::vector<fs::path> files;
    for (const auto& item : plan.loads) {
      std::error_code not_a_file;
      if (!fs::is_regular_file(item.definition.source, not_a_file)) continue;
      auto file = absolute_source(item.definition.source);
      if (std::find(files.begin(), files.end(), file) == files.end()) files.push_back(std::move(file));
    }
    m_digests = std::async(std::launch::async, [files = std::move(files), &stop = m_stop] {
      io::ChecksumCache cache(io::ChecksumCache::default_file());
      std::map<std::string, std::string> digests;
      for (const auto& file : files) digests.emplace(file.string(), cache.sha256(file, &stop));
      if (!stop) cache.save();
      return digests;
    });
  }
  InputChecksums(const InputChecksums&) = delete;
  InputChecksums& operator=(const InputChecksums&) = delete;
  ~InputChecksums() {
    m_stop = true;
    if (m_digests.valid()) m_digests.wait();
  }

  // Adds "sha256" to the entries of input files.
  void add_to(nlohmann::json& inputs) {
    const auto digests = m_digests.get();
    for (auto& entry : inputs) {
      if (!entry.contains("size_bytes")) continue;
      if (auto digest = digests.find(entry["source"].get<std::string>()); digest != digests.end()) {
        entry["sha256"] = digest->second;
      }
    }
  }

 private:
  std::atomic<bool> m_stop{false};
  std::future<std::map<std::string, std::string>> m_digests;
};

// -------------------------------------------------------------------------------------- a run

// A copy of a layer whose geometries are its own, for a thread that writes it while the
// original is read by the next step (GEOS geometries are not shared across threads).
Layer copy_of(const Layer& layer) {
  Layer copy;
  static_cast<LayerSchema&>(copy) = layer;
  copy.features.resize(layer.features.size());
  tbb::parallel_for(std::size_t{0}, layer.features.size(), [&](std::size_t i) {
    const auto& feature = layer.features[i];
    copy.features[i] = {feature.fid, feature.geometry ? geos::clone(feature.geometry.get()) : nullptr, feature.values};
  });
  return copy;
}

// A step's in-memory result layers, written on a thread of their own while the next step
// computes: river-reaches' 63k reaches took a second of one core between the steps while the
// other idled. The GeoPackage takes one layer at a time, so whatever writes layers next waits
// for it (Run::settle).
class BackgroundWrite {
 public:
  BackgroundWrite(FeatureSink& target, std::string prefix, std::vector<Layer> layers)
      : m_layers(std::move(layers)), m_renamed(target, std::move(prefix)),
        m_sink(m_renamed) {
    for (const auto& layer : m_layers) m_sink.write_layer(layer);
  }
  void finish() { m_sink.finish(); }

 private:
  std::vector<Layer> m_layers;
  RenamingSink m_renamed;
  AsyncSink m_sink;
};

// Waits for the background write before a step streams a layer of its own to the writer.
class SettlingSink final : public FeatureSink {
 public:
  SettlingSink(FeatureSink& target, std::function<void()> settle) : m_target(target), m_settle(std::move(settle)) {}
  void begin_layer(const LayerSchema& schema) override {
    m_settle();
    m_target.begin_layer(schema);
  }
  void write(std::vector<Feature> batch) override { m_target.write(std::move(batch)); }
  void write_view(std::span<const Feature> features) override { m_target.write_view(features); }
  void end_layer() override { m_target.end_layer(); }

 private:
  FeatureSink& m_target;
  std::function<void()> m_settle;
};

class Run {
 public:
  Run(const Pipeline& pipeline, const Plan& plan, io::ResultWriter& writer, Progress& progress)
      : m_pipeline(pipeline), m_plan(plan), m_writer(writer), m_progress(progress),
        m_stages(plan.steps.size() + 2) {}

  RunSummary run(int threads, const std::string& lang) {
    m_started = Clock::now();
    m_started_at = utc_now();
    m_threads = threads;
    m_lang = lang;
    const auto& started = m_started;
    const auto& started_at = m_started_at;
    for (const auto& definition : m_pipeline.layers) {
      if (!definition.attribution.empty()) m_attributions.emplace_back(definition.name, definition.attribution);
    }
    InputChecksums checksums(m_plan);
    auto probed = file_system_errors_as(ErrorKind::input, [&] { return probe(m_pipeline, m_plan, m_progress); });
    m_crs_wkt = probed.crs_wkt;
    m_crs_equal_area = probed.equal_area;
    m_output_crs_wkt = probed.output_crs_wkt;
    if (m_output_crs_wkt != m_crs_wkt) {
      m_reprojecting = std::make_unique<io::ReprojectingSink>(m_writer.layers(), m_crs_wkt, m_output_crs_wkt);
    }
    const auto load_start = Clock::now();
    file_system_errors_as(ErrorKind::input, [&] { load(probed); });
    const double load_seconds = seconds_since(load_start);
    for (std::size_t i = 0; i < m_plan.steps.size(); ++i) execute(i);
    m_scratch.clear();
    const auto write_start = Clock::now();
    file_system_errors_as(ErrorKind::output, [&] {
      m_progress.stage(m_stages - 1, m_stages);
      m_progress.start("write", 1);
      settle();
      for (const auto& [position, name] : m_described_later) m_outputs[position] = m_writer.describe_layer(name);
      if (!m_workbook_output.is_null()) m_outputs.push_back(m_workbook_output);
      checksums.add_to(m_inputs);
      m_writer.commit(manifest(started_at, threads,
                               {{"load_seconds", load_seconds}, {"write_seconds", seconds_since(write_start)},
                                {"total_seconds", seconds_since(started)}}));
      m_progress.advance();
      m_progress.finish();
    });
    m_summary.location = m_writer.location();
    m_summary.outputs = m_writer.written();
    return std::move(m_summary);
  }

 private:
  // Inputs that are not streamed enter the catalogue; layers load concurrently (each has its own
  // GDAL dataset) and their progress adds up to one bar.
  void load(Probed& probed) {
    std::vector<std::size_t> to_load;
    std::size_t total_features = 0;
    for (std::size_t i = 0; i < m_plan.loads.size(); ++i) {
      const auto& item = m_plan.loads[i];
      if (item.definition.kind() == EntryKind::raster) {
        m_catalogue.add(item.key, RasterInfo(*probed.infos[i].raster));
        m_inputs.push_back(raster_entry(item.definition, *probed.infos[i].raster));
        continue;
      }
      if (item.streamed) {
        m_opened.emplace(item.key, std::move(probed.infos[i].opened));
        continue;
      }
      to_load.push_back(i);
      total_features += static_cast<std::size_t>(std::max<std::int64_t>(probed.infos[i].feature_count, 0));
    }
    m_progress.stage(0, m_stages);
    m_progress.start("load", total_features);
    SharedProgress shared(m_progress);
    std::vector<Layer> layers(to_load.size());
    std::vector<Table> tables(to_load.size());
    std::vector<io::LoadReport> reports(to_load.size());
    tbb::parallel_for(std::size_t{0}, to_load.size(), [&](std::size_t k) {
      const auto& definition = m_plan.loads[to_load[k]].definition;
      if (definition.kind() == EntryKind::table) {
        tables[k] = io::load_table(definition, reports[k]);
      } else {
        layers[k] = io::load_layer(definition, m_crs_wkt, reports[k], shared, std::move(probed.infos[to_load[k]].opened));
      }
    });
    m_progress.finish();
    for (std::size_t k = 0; k < to_load.size(); ++k) {
      const auto& item = m_plan.loads[to_load[k]];
      m_inputs.push_back(input_entry(item.definition, reports[k]));
      m_summary.loads.push_back(std::move(reports[k]));
      if (item.definition.kind() == EntryKind::table) {
        m_catalogue.add(item.key, std::move(tables[k]));
      } else {
        m_catalogue.add(item.key, std::move(layers[k]));
      }
    }
  }

  // Where result layers go: the writer, in the output CRS.
  FeatureSink& output_layers() { return m_reprojecting ? *m_reprojecting : m_writer.layers(); }

  // Waits for the layers still being written in the background, and rethrows their failure.
  void settle() {
    std::lock_guard lock(m_background_mutex);
    if (auto pending = std::move(m_background)) pending->finish();
  }

  const LoadItem* streamed_input(const std::string& key) const {
    for (const auto& item : m_plan.loads) {
      if (item.key == key && item.streamed) return &item;
    }
    return nullptr;
  }

  // What a step reads, bound to its parameters. Streamed layers are opened here and read by the step.
  struct Bound {
    StepInput input;
    std::vector<std::unique_ptr<FeatureSource>> sources;
    std::vector<std::pair<const io::LayerDefinition*, io::LayerReader*>> readers;  // streamed inputs
    std::vector<std::unique_ptr<Layer>> reloaded;  // stored results a step needs whole
  };

  void bind(const PlannedStep& step, Bound& bound) {
    for (const auto& binding : step.data) {
      const ParamSpec& spec = *binding.parameter;
      for (const auto& key : binding.keys) {
        switch (spec.kind()) {
          case EntryKind::raster:
            bound.input.rasters[spec.name].push_back(in_catalogue(m_catalogue.raster(key), key));
            continue;
          case EntryKind::table:
            bound.input.tables[spec.name].push_back(in_catalogue(m_catalogue.table(key), key));
            continue;
          case EntryKind::vector: break;
        }
        if (const auto* item = streamed_input(key)) {
          std::shared_ptr<io::OpenedSource> opened;
          if (auto it = m_opened.find(key); it != m_opened.end()) opened = std::exchange(it->second, nullptr);
          auto reader = std::make_unique<io::LayerReader>(item->definition, m_crs_wkt, m_progress, std::move(opened));
          bound.readers.emplace_back(&item->definition, reader.get());
          bound.input.sources[spec.name].push_back(reader.get());
          bound.sources.push_back(std::move(reader));
          continue;
        }
        if (auto stored = m_stored.find(key); stored != m_stored.end()) {
          // Read back in the role of this use, so that its fields are checked as an input's are.
          auto use = stored->second.used_as(spec.role);
          if (role_spec(use.role).geometry != GeometryFamily::any) use.geometry.reset();
          use.origin = step.call->origin;
          if (spec.streamable) {
            auto reader = std::make_unique<io::LayerReader>(use, m_crs_wkt, m_progress);
            bound.input.sources[spec.name].push_back(reader.get());
            bound.sources.push_back(std::move(reader));
            continue;
          }
          io::LoadReport ignored;
          bound.reloaded.push_back(std::make_unique<Layer>(io::load_layer(use, m_crs_wkt, ignored, m_progress)));
          bound.input.layers[spec.name].push_back(bound.reloaded.back().get());
          continue;
        }
        const Layer* layer = in_catalogue(m_catalogue.layer(key), key);
        check_role_fields(spec, *layer);
        bound.input.layers[spec.name].push_back(layer);
        if (spec.streamable) {
          bound.sources.push_back(std::make_unique<LayerSource>(*layer));
          bound.input.sources[spec.name].push_back(bound.sources.back().get());
        }
      }
    }
  }

  // Errors of a step name the step and, when they lack a place of their own, its line in the pipeline.
  template <typename F>
  static void in_step_context(const StepCall& call, F&& action) {
    try {
      action();
    } catch (const Error& error) {
      ErrorContext context = error.context();
      if (context.step.empty()) context.step = call.scenario.empty() ? call.algorithm : call.algorithm + " as " + call.scenario;
      if (context.file.empty()) context = ErrorContext{call.origin.file, call.origin.line, context.layer, context.feature, context.step};
      throw Error(error.kind(), error.message(), context, error.hint());
    }
  }

  // The plan resolved every reference, so a missing entry is twinrisk's fault: an internal error
  // that names it, not a crash.
  template <typename T>
  static const T* in_catalogue(const T* entry, const std::string& key) {
    if (!entry) throw Error(ErrorKind::internal, fmt::format("'{}' is not in the catalogue when a step needs it", key));
    return entry;
  }

  // A result whose fields depend on its inputs can only be checked now.
  static void check_role_fields(const ParamSpec& spec, const Layer& layer) {
    const auto& role = role_spec(spec.role);
    if (role.keeps_all_fields || layer.role != Role::result) return;
    for (auto field : role.required_fields) {
      if (!layer.field_index(field)) {
        throw ConfigError(fmt::format("{} needs a layer with field '{}' (role {}), which '{}' lacks", spec.name, field,
                                      role.name, layer.name));
      }
    }
  }

  void execute(std::size_t index) {
    const PlannedStep& step = m_plan.steps[index];
    const auto& call = *step.call;
    m_progress.stage(index + 1, m_stages);
    const auto step_start = Clock::now();

    // Streamed result layers: writer ← renamed (as:) [← tee to a scratch file a later step reads] ← async.
    const bool keeps_streamed =
        std::any_of(step.outputs.begin(), step.outputs.end(),
                    [](const auto& out) { return out.consumed && out.spec->kind == OutputKind::layer; });
    SettlingSink settled(output_layers(), [this] { settle(); });
    std::unique_ptr<io::GeoPackageWriter> scratch;
    std::unique_ptr<TeeSink> tee;
    if (keeps_streamed) {
      scratch = std::make_unique<io::GeoPackageWriter>(scratch_path(index));
      tee = std::make_unique<TeeSink>(settled, *scratch);
    }
    RenamingSink renamed(tee ? static_cast<FeatureSink&>(*tee) : settled, step.prefix);
    std::vector<Layer> written_early;  // before the sink, which may still read them as it closes
    AsyncSink sink(renamed);
    const bool last_step = index + 1 == m_plan.steps.size();

    Bound bound;
    bound.input.analysis_crs_wkt = m_crs_wkt;
    bound.input.values = step.values;
    if (!m_lang.empty() && bound.input.values.contains("lang") && !step.arguments.contains("lang")) {
      bound.input.values["lang"] = m_lang;
    }
    bound.input.sink = &sink;
    // Before the last step a layer's writing overlaps the next step already (write_results).
    if (last_step) {
      bound.input.write_early = [&](Layer layer) {
        written_early.push_back(std::move(layer));
        sink.write_layer(written_early.back());  // a moved Layer keeps its features where they are
      };
    }
    bound.input.attributions = m_attributions;
    bound.input.run_record = manifest(m_started_at, m_threads, {{"total_seconds", seconds_since(m_started)}});
    std::set<std::string> staged;
    bound.input.stage_file = [&](const std::string& name) {
      const std::string path = prefixed_file(step.prefix, name);
      const bool declared = std::any_of(step.outputs.begin(), step.outputs.end(),
                                        [&](const auto& out) { return out.name == path; });
      if (!declared) throw Error(ErrorKind::internal, fmt::format("file output '{}' is not declared", name));
      staged.insert(path);
      return file_system_errors_as(ErrorKind::output, [&] { return m_writer.stage_file(path); });
    };
    StepOutput output;
    in_step_context(call, [&] {
      file_system_errors_as(ErrorKind::input, [&] { bind(step, bound); });
      output = step.algorithm->run(bound.input, m_progress);
    });
    for (const auto& [definition, reader] : bound.readers) {
      m_inputs.push_back(input_entry(*definition, reader->report()));
      m_summary.loads.push_back(reader->report());
    }
    // Called by write_results once the workbook is under way: a big streamed layer ends with its
    // R-tree's bulk load (50 ms of one core for exposure's 100k pieces), which the run waited for.
    auto finish_streamed = [&] {
      in_step_context(call, [&] { sink.finish(); });
      if (scratch) scratch->close();
    };
    std::set<std::string> early_names;
    for (const auto& layer : written_early) early_names.insert(layer.name);
    output.layers.insert(output.layers.begin(), std::make_move_iterator(written_early.begin()),
                         std::make_move_iterator(written_early.end()));
    write_results(step, output, last_step, early_names, tee ? nullptr : &sink, finish_streamed);
    record(step, output, staged, seconds_since(step_start));
    keep_for_later(step, output, scratch.get(), index);
    for (const auto& name : step.last_use) {
      if (auto entry = m_catalogue.take(name)) discard(std::move(*entry));
      m_stored.erase(name);
    }
    discard(std::move(output));
  }

  // What the run no longer needs is freed on a thread of its own: the GEOS geometries of a step's
  // inputs and results took 10 to 30 ms of the main thread before the commit.
  template <typename T>
  void discard(T&& unused) {
    m_freeing.push_back(std::async(std::launch::async, [unused = std::move(unused)]() mutable { T gone = std::move(unused); }));
  }

  // After the last step the workbook, the longest of the tables, is started first, before the
  // step's streamed layers are finished. In-memory layers then go to the writer on a thread of
  // their own while the tables are written here; before the last step they go on being written
  // while the next step runs, and a layer that step reads is copied for the writer.
  // `step_sink` (null when it also feeds a scratch file) is the step's own writer thread: it
  // takes the in-memory layers too, for a new thread's first layer waited 16 ms for PROJ to open
  // its database (GDAL's PROJ contexts are per thread).
  void write_results(const PlannedStep& step, StepOutput& output, bool last_step,
                     const std::set<std::string>& written_early, AsyncSink* step_sink,
                     const std::function<void()>& finish_streamed) {
    file_system_errors_as(ErrorKind::output, [&] {
      settle();
      for (auto& table : output.tables) table.name = step.prefix + table.name;
      auto workbook = last_step ? start_workbook(output.tables) : std::future<render::WorkbookReport>();
      const bool in_background = !last_step && m_writer.tables_alongside_layers() && !output.layers.empty();
      if (in_background || !step_sink) finish_streamed();
      if (in_background) {
        std::vector<Layer> to_write;
        std::vector<Layer> kept;
        for (auto& layer : output.layers) {
          if (consumed_later(step, step.prefix + layer.name)) {
            to_write.push_back(copy_of(layer));
            kept.push_back(std::move(layer));
          } else {
            to_write.push_back(std::move(layer));
          }
        }
        output.layers = std::move(kept);
        std::lock_guard lock(m_background_mutex);
        m_background = std::make_unique<BackgroundWrite>(output_layers(), step.prefix, std::move(to_write));
        for (const auto& table : output.tables) m_writer.write_table(table);
        return;
      }
      RenamingSink renamed(output_layers(), step.prefix);
      std::optional<AsyncSink> own_sink;
      FeatureSink& layers_to = step_sink ? static_cast<FeatureSink&>(*step_sink) : own_sink.emplace(renamed);
      const auto finish_layers = [&] { step_sink ? finish_streamed() : own_sink->finish(); };
      for (const auto& layer : output.layers) {
        if (!written_early.contains(layer.name)) layers_to.write_layer(layer);
      }
      if (!m_writer.tables_alongside_layers()) finish_layers();
      for (const auto& table : output.tables) m_writer.write_table(table);
      finish_layers();
      if (last_step) m_writer.layers_done();
      if (workbook.valid()) report_workbook(workbook.get());
    });
    for (auto& layer : output.layers) {
      layer.style = layer.style_name();
      layer.name = step.prefix + layer.name;
    }
  }

  void record(const PlannedStep& step, const StepOutput& output, const std::set<std::string>& staged, double seconds) {
    const auto& call = *step.call;
    nlohmann::json entry = {{"algorithm", call.algorithm}, {"parameters", step.arguments}, {"stats", output.stats},
                            {"wall_seconds", seconds}};
    if (!call.scenario.empty()) entry["as"] = call.scenario;
    m_steps.push_back(std::move(entry));
    StepSummary summary{call.algorithm, call.scenario, output.stats, {}};
    for (const auto& table : output.tables) {
      Table head{table.name, table.columns, {}, table.role};
      const auto shown = std::min(table.rows.size(), kPreviewRows);
      head.rows.assign(table.rows.begin(), table.rows.begin() + static_cast<std::ptrdiff_t>(shown));
      summary.tables.push_back({std::move(head), table.rows.size()});
    }
    m_summary.steps.push_back(std::move(summary));
    for (const auto& out : step.outputs) {
      if (out.spec->kind == OutputKind::layer) {
        m_described_later.emplace_back(m_outputs.size(), out.name);  // it may still be being written
        m_outputs.push_back({{"layer", out.name}});
      }
      if (out.spec->kind == OutputKind::file && staged.count(out.name)) m_outputs.push_back({{"file", out.name}});
    }
    for (const auto& table : output.tables) m_outputs.push_back(m_writer.describe_table(table));
  }

  static bool consumed_later(const PlannedStep& step, const std::string& name) {
    return std::any_of(step.outputs.begin(), step.outputs.end(),
                       [&](const auto& out) { return out.consumed && out.name == name; });
  }

  // Results a later step reads join the catalogue (streamed ones are read back from the scratch file).
  void keep_for_later(const PlannedStep& step, StepOutput& output, const io::GeoPackageWriter* scratch,
                      std::size_t index) {
    auto consumed = [&](const std::string& name) { return consumed_later(step, name); };
    for (auto& layer : output.layers) {
      if (std::string name = layer.name; consumed(name)) m_catalogue.add(std::move(name), std::move(layer));
    }
    for (auto& table : output.tables) {
      if (std::string name = table.name; consumed(name)) m_catalogue.add(std::move(name), Table(table));
      if (index + 1 < m_plan.steps.size()) m_workbook_tables.push_back(std::move(table));
    }
    if (!scratch) return;
    for (const auto& name : scratch->layer_names()) {
      if (!consumed(name) || m_catalogue.contains(name)) continue;
      io::LayerDefinition stored;
      stored.name = name;
      stored.source = scratch_path(index).string();
      stored.layer = name;
      stored.role = Role::result;
      const auto* out = std::find_if(step.outputs.begin(), step.outputs.end(),
                                     [&](const auto& o) { return o.name == name; })->spec;
      stored.geometry = out->geometry == GeometryFamily::none ? GeometryFamily::any : out->geometry;
      stored.origin.file = fmt::format("output of step {}", step.call->algorithm);
      m_stored.emplace(name, std::move(stored));
    }
  }

  // tables.xlsx: every table of the run, one sheet each, beside the CSVs of a folder output. It is
  // the longest of the tables (0.3 s of one core for exposure's 60k rows), so it is written on a
  // thread of its own while the CSVs are written here.
  std::future<render::WorkbookReport> start_workbook(const std::vector<Table>& last_step_tables) {
    if (!m_writer.takes_files()) return {};
    std::vector<const Table*> tables;
    for (const auto& table : m_workbook_tables) tables.push_back(&table);
    for (const auto& table : last_step_tables) tables.push_back(&table);
    if (tables.empty()) return {};
    m_workbook_output = {{"file", kWorkbook}, {"tables", tables.size()}};
    // Staged here: the writer's list of staged files is not for two threads.
    auto path = m_writer.stage_file(kWorkbook);
    return std::async(std::launch::async, [path = std::move(path), tables = std::move(tables)] {
      return render::write_workbook(path, tables);
    });
  }

  void report_workbook(const render::WorkbookReport& report) {
    m_workbook_tables.clear();
    if (report.truncated_cells > 0) {
      m_progress.message(fmt::format("tables.xlsx: {} texts longer than a spreadsheet cell holds (32,767 characters) "
                                     "are cut; the CSVs have them whole",
                                     report.truncated_cells));
    }
    if (report.omitted_rows > 0) {
      m_progress.message(fmt::format("tables.xlsx: {} rows beyond a sheet's 1,048,575 are left out; the CSVs have them",
                                     report.omitted_rows));
    }
  }

  fs::path scratch_path(std::size_t step) {
    if (m_scratch.path().empty()) m_scratch.create();
    return m_scratch.path() / fmt::format("step-{}.gpkg", step + 1);
  }

  nlohmann::json manifest(const std::string& started_at, int threads, nlohmann::json timings) const {
    return {
        {"twinrisk", version_string()},
        {"libraries", {{"gdal", gdal_version()}, {"geos", geos_version()}, {"proj", proj_version()}}},
        {"started_at", started_at},
        {"pipeline", m_pipeline.file.empty() ? nlohmann::json(nullptr) : nlohmann::json(m_pipeline.file.string())},
        {"analysis_crs",
         {{"requested", m_pipeline.analysis_crs}, {"equal_area", m_crs_equal_area}, {"wkt", m_crs_wkt}}},
        {"output_crs", {{"requested", m_pipeline.output_crs}, {"wkt", m_output_crs_wkt}}},
        {"threads", threads},
        {"output", m_writer.location()},
        {"inputs", m_inputs},
        {"steps", m_steps},
        {"outputs", m_outputs},
        {"timings", std::move(timings)},
    };
  }

  // A private temporary folder for results that later steps read back; removed with the run,
  // also when it is interrupted. Its name holds the process id, so that the next run can remove
  // those of runs that were killed.
  class ScratchFolder {
   public:
    ~ScratchFolder() { clear(); }
    void create() {
      remove_abandoned();
      // Made and registered as one, so an interruption cannot come between and miss it.
      const auto hold = hold_interrupt_cleanup();
      std::string pattern = (fs::temp_directory_path() / fmt::format("{}{}-XXXXXX", kPrefix, ::getpid())).string();
      if (!::mkdtemp(pattern.data())) throw OutputError(fmt::format("cannot create a temporary folder {}", pattern));
      m_path = pattern;
      m_on_interrupt = std::make_unique<InterruptCleanup>([path = m_path] { remove_staged_tree(path); });
    }
    void clear() {
      std::error_code ignored;
      m_on_interrupt.reset();
      if (!m_path.empty()) fs::remove_all(m_path, ignored);
      m_path.clear();
    }
    const fs::path& path() const { return m_path; }

   private:
    static constexpr const char* kPrefix = "twinrisk-scratch-";

    static void remove_abandoned() {
      std::error_code error;
      for (const auto& entry : fs::directory_iterator(fs::temp_directory_path(error), error)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(kPrefix, 0) != 0) continue;
        const long pid = std::strtol(name.c_str() + std::strlen(kPrefix), nullptr, 10);
        struct stat info {};
        const bool ours = ::lstat(entry.path().c_str(), &info) == 0 && info.st_uid == ::geteuid();
        if (pid > 0 && ours && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
          std::error_code ignored;
          fs::remove_all(entry.path(), ignored);
        }
      }
    }

    fs::path m_path;
    std::unique_ptr<InterruptCleanup> m_on_interrupt;
  };

  static constexpr const char* kWorkbook = "tables.xlsx";

  const Pipeline& m_pipeline;
  const Plan& m_plan;
  Clock::time_point m_started;
  std::string m_started_at;
  int m_threads = 0;
  std::string m_lang;
  std::vector<std::pair<std::string, std::string>> m_attributions;
  std::vector<Table> m_workbook_tables;  // of the steps before the last
  nlohmann::json m_workbook_output;
  io::ResultWriter& m_writer;
  Progress& m_progress;
  const std::size_t m_stages;  // load, each step, write
  std::string m_crs_wkt;
  bool m_crs_equal_area = false;
  std::string m_output_crs_wkt;
  std::unique_ptr<io::ReprojectingSink> m_reprojecting;  // when the output CRS is not the analysis CRS
  Catalogue m_catalogue;
  std::map<std::string, io::LayerDefinition> m_stored;  // streamed results a later step reads
  ScratchFolder m_scratch;
  nlohmann::json m_inputs = nlohmann::json::array();
  std::map<std::string, std::shared_ptr<io::OpenedSource>> m_opened;  // streamed inputs as the probe opened them
  nlohmann::json m_steps = nlohmann::json::array();
  nlohmann::json m_outputs = nlohmann::json::array();
  std::vector<std::pair<std::size_t, std::string>> m_described_later;  // layer outputs: position, name
  RunSummary m_summary;
  std::mutex m_background_mutex;
  std::vector<std::future<void>> m_freeing;        // joined before the members above are destroyed
  std::unique_ptr<BackgroundWrite> m_background;  // last, so that it is done before the rest goes
};

}  // namespace

RunSummary run(const Pipeline& pipeline, const Registry& registry, const RunOptions& options, Progress& progress) {
  proj_version();  // for the manifest, before any thread uses PROJ (see proj_version)
  const Plan plan = make_plan(pipeline, registry);
  // 2.5 % of exposure at 20k × 5k went to loading SpatiaLite into each GeoPackage connection.
  const io::SpatialiteUse spatialite(std::any_of(pipeline.layers.begin(), pipeline.layers.end(), [](const auto& layer) {
    return !layer.sql.empty() || !layer.where.empty();
  }));
  io::OutputTarget target;
  if (!options.output.empty()) {
    target = output_target(options.output);
  } else if (pipeline.output) {
    target = *pipeline.output;
  } else {
    throw ConfigError("no output given", {}, "use -o FOLDER (or -o PG:\"dbname=…\"), or `output:` in the pipeline");
  }
  // The output is checked (and an existing one refused) before any input is read.
  auto outputs = plan.outputs;
  if (target.postgis.empty() && !outputs.tables.empty()) outputs.files.push_back("tables.xlsx");
  auto writer = file_system_errors_as(ErrorKind::output,
                                      [&] { return io::open_result_writer(target, outputs, options.overwrite); });
  std::optional<tbb::global_control> thread_limit;
  if (options.threads > 0) {
    thread_limit.emplace(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(options.threads));
  }
  const int threads = options.threads > 0 ? options.threads : tbb::info::default_concurrency();
  return Run(pipeline, plan, *writer, progress).run(threads, options.lang);
}

}  // namespace twinrisk::pipeline
