// The options every command that runs a pipeline shares.

#include "commands.hpp"

namespace twinrisk::cli {

void add_run_options(CLI::App& command, pipeline::RunOptions& options, bool output_required) {
  auto* output = command.add_option(
      "-o,--output", options.output,
      "Output folder, or a PostGIS database: PG:\"dbname=… host=… user=… active_schema=NAME\"");
  if (output_required) output->required();
  command.add_flag("--overwrite", options.overwrite, "Replace outputs that already exist");
  command.add_option("--threads", options.threads, "Worker threads (0: every core)")->check(CLI::NonNegativeNumber);
  // An algorithm with a lang parameter of its own (map, report) has the option already.
  if (command.get_option_no_throw("--lang")) return;
  command.add_option("--lang", options.lang,
                     "Language of maps and reports: en, de, fr, nl, pl, or two joined by + (de+fr) for both partners");
}

}  // namespace twinrisk::cli
