#pragma once
// A pipeline: layers, an analysis CRS, steps and where results go, validated as a whole before
// any work starts.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "twinrisk/core/registry.hpp"
#include "twinrisk/io/loader.hpp"
#include "twinrisk/io/result_writer.hpp"

namespace twinrisk::pipeline {

struct Argument {
  std::string name;
  std::vector<std::string> values;  // one, or the items of a list (`assets: [roads, hospitals]`)
  bool is_list = false;
};

struct StepCall {
  std::string algorithm;
  std::vector<Argument> arguments;  // as written
  std::string scenario;             // `as: hq100`: prefixes every output name with "hq100_"
  ErrorContext origin;
};

struct Pipeline {
  std::filesystem::path file;  // empty when built from the command line
  std::string analysis_crs = "auto";
  // CRS of the result layers: analysis, input (the first input layer's) or any CRS PROJ accepts.
  std::string output_crs = "analysis";
  std::vector<io::LayerDefinition> layers;
  std::vector<StepCall> steps;
  std::optional<io::OutputTarget> output;  // `output:`; the command line's -o takes precedence
};

// Parses a pipeline file; layer definition files are resolved relative to it. The file must be a
// regular file of at most 4 MiB in UTF-8; anything else is a ConfigError naming file and line.
Pipeline load_pipeline(const std::filesystem::path& file);
// Parses one layer definition file (`layers/NAME.yaml`).
io::LayerDefinition load_layer_definition(const std::filesystem::path& file, const std::string& name);
// The same from text already read; `file` names it in messages and anchors relative paths.
Pipeline parse_pipeline(std::string_view text, const std::filesystem::path& file);
io::LayerDefinition parse_layer_definition(std::string_view text, const std::filesystem::path& file,
                                           const std::string& name);
// `-o` as given on the command line: a folder, or a PostgreSQL connection ("PG:…", whose
// `active_schema=` names the schema).
io::OutputTarget output_target(const std::string& text);

// Every reference, parameter and role in the pipeline, in step order; throws one ConfigError
// listing all problems with file:line.
void validate(const Pipeline& pipeline, const Registry& registry);

struct RunOptions {
  std::string output;  // a folder or "PG:…"; empty: the pipeline's `output:`
  bool overwrite = false;
  int threads = 0;  // 0: every core
  std::string lang;  // the language of steps that print words (map, report) unless a step says; empty: theirs
};

// The first rows of a table, for the summary printed after a run.
constexpr std::size_t kPreviewRows = 12;
struct TablePreview {
  Table head;
  std::size_t total_rows = 0;
};

struct StepSummary {
  std::string algorithm;
  std::string scenario;
  nlohmann::json stats;
  std::vector<TablePreview> tables;
};

struct RunSummary {
  std::string location;             // the output folder or database
  std::vector<std::string> outputs;  // what was written
  std::vector<StepSummary> steps;
  std::vector<io::LoadReport> loads;
};

RunSummary run(const Pipeline& pipeline, const Registry& registry, const RunOptions& options, Progress& progress);

}  // namespace twinrisk::pipeline
