// twinrisk run PIPELINE.yaml -o DIR [--overwrite] [--threads N]

#include "commands.hpp"

namespace twinrisk::cli {

void add_run_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  struct Options {
    std::string pipeline;
    pipeline::RunOptions run;
  };
  auto options = std::make_shared<Options>();
  auto* command = app.add_subcommand("run", "Run a pipeline file and write its outputs to a folder");
  command->add_option("pipeline", options->pipeline, "Pipeline file (YAML)")->required();
  add_run_options(*command, options->run, false);  // the pipeline's `output:` may say where
  command->callback([options, &global, &action] {
    action = [options, &global] {
      const auto loaded = pipeline::load_pipeline(options->pipeline);
      auto progress = make_progress(global);
      print_run_summary(pipeline::run(loaded, builtin_registry(), options->run, *progress));
      return 0;
    };
  });
}

}  // namespace twinrisk::cli
