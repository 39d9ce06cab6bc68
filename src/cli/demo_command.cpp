// twinrisk demo [-o DIR]: the Meuse (NL/BE) pipeline on the embedded data.

#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "twinrisk/core/error.hpp"

namespace twinrisk::cli {
namespace {

namespace fs = std::filesystem;

// The demo pipeline next to the binary's source tree: $TWINRISK_HOME, then ../ of the binary, then the build's source.
fs::path find_demo_pipeline() {
  std::vector<fs::path> roots;
  if (const char* home = std::getenv("TWINRISK_HOME")) roots.emplace_back(home);
  std::error_code error;
  const auto executable = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    roots.push_back(executable.parent_path().parent_path());
    roots.push_back(executable.parent_path().parent_path() / "share" / "twinrisk");
  }
  roots.emplace_back(TWINRISK_SOURCE_DIR);
  for (const auto& root : roots) {
    const auto candidate = root / "examples" / "meuse.yaml";
    if (fs::exists(candidate)) return candidate;
  }
  throw ConfigError("the demo pipeline examples/meuse.yaml was not found", {},
                    "set TWINRISK_HOME to the twinrisk source folder");
}

}  // namespace

void add_demo_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto options = std::make_shared<pipeline::RunOptions>();
  options->output = "twinrisk-demo";
  auto* command = app.add_subcommand("demo", "Run the Meuse (Netherlands/Belgium) demo on the embedded data");
  add_run_options(*command, *options, false);
  command->callback([options, &global, &action] {
    action = [options, &global] {
      const auto file = find_demo_pipeline();
      std::cout << "twinrisk demo: flood-frequency zones of the Meuse at Stein (NL) / Maasmechelen (BE)\n"
                << "pipeline: " << file.string() << "\n\n";
      auto progress = make_progress(global);
      print_run_summary(pipeline::run(pipeline::load_pipeline(file), builtin_registry(), *options, *progress));
      if (pipeline::output_target(options->output).postgis.empty()) {
        const std::filesystem::path folder = options->output;
        std::cout << "\nOpen " << (folder / "report" / "index.html").string() << " in a browser, "
                  << (folder / "maps" / "overview.png").string() << " and maps/atlas.pdf, "
                  << (folder / "tables.xlsx").string() << " in a spreadsheet, or "
                  << (folder / "twinrisk.gpkg").string() << " in QGIS (styled layers zones and zone_parts).\n";
      }
      return 0;
    };
  });
}

}  // namespace twinrisk::cli
