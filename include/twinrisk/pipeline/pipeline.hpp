#pragma once
// A pipeline: layers, an analysis CRS and steps, validated as a whole before any work starts.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "twinrisk/core/registry.hpp"
#include "twinrisk/io/loader.hpp"

namespace twinrisk::pipeline {

struct StepCall {
  std::string algorithm;
  std::vector<std::pair<std::string, std::string>> arguments;  // parameter → value as written
  ErrorContext origin;
};

struct Pipeline {
  std::filesystem::path file;  // empty when built from the command line
  std::string analysis_crs = "auto";
  std::vector<io::LayerDefinition> layers;
  std::vector<StepCall> steps;
};

// Parses a pipeline file; layer definition files are resolved relative to it.
Pipeline load_pipeline(const std::filesystem::path& file);
// Parses one layer definition file (`layers/NAME.yaml`).
io::LayerDefinition load_layer_definition(const std::filesystem::path& file, const std::string& name);

// Every layer reference, parameter and role in the pipeline; throws one ConfigError listing all problems.
void validate(const Pipeline& pipeline, const Registry& registry);

struct RunOptions {
  std::filesystem::path output_folder;
  bool overwrite = false;
  int threads = 0;  // 0: every core
};

// The first rows of a table, for the summary printed after a run.
constexpr std::size_t kPreviewRows = 12;
struct TablePreview {
  Table head;
  std::size_t total_rows = 0;
};

struct StepSummary {
  std::string algorithm;
  nlohmann::json stats;
  std::vector<TablePreview> tables;
};

struct RunSummary {
  std::filesystem::path geopackage;
  std::vector<std::filesystem::path> tables;
  std::filesystem::path manifest;
  std::vector<StepSummary> steps;
  std::vector<io::LoadReport> loads;
};

RunSummary run(const Pipeline& pipeline, const Registry& registry, const RunOptions& options, Progress& progress);

}  // namespace twinrisk::pipeline
