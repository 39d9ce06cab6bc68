#pragma once
// Each subcommand registers itself on the CLI11 app and, when chosen, sets the action main runs.

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "twinrisk/core/progress.hpp"
#include "twinrisk/ops/builtin.hpp"
#include "twinrisk/pipeline/pipeline.hpp"

namespace twinrisk::cli {

struct GlobalOptions {
  std::string progress = "auto";  // auto | bar | json | none (warnings still shown)
};

using Action = std::function<int()>;
using ops::builtin_registry;

// -o/--output, --overwrite and --threads, declared once for every command that runs a pipeline.
void add_run_options(CLI::App& command, pipeline::RunOptions& options, bool output_required);

std::unique_ptr<Progress> make_progress(const GlobalOptions& options);

// Every line twinrisk writes to stderr goes out whole under one lock, so that a progress line and
// the error that an interrupt reports from the signal thread never share a line (the QGIS provider
// reads them as JSON lines). write_final_stderr keeps the lock and silences stderr for everyone
// else, runs `last_line` (the cleanup) and writes what it returns: nothing follows it.
void write_stderr(std::string_view text);
void write_final_stderr(const std::function<std::string()>& last_line);
// Prints where the outputs are, the load counts and each step's small tables (only those named in
// `tables`, when it is not empty).
void print_run_summary(const pipeline::RunSummary& summary, const std::vector<std::string>& tables = {});

void add_run_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_demo_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_info_command(CLI::App& app, Action& action);
void add_algorithms_command(CLI::App& app, Action& action);
// One subcommand per registered algorithm, with options generated from its parameters.
void add_algorithm_commands(CLI::App& app, const GlobalOptions& global, Action& action);

}  // namespace twinrisk::cli
