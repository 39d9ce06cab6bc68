// twinrisk algorithms [--json]: the registry, as read by people and by the QGIS provider.

#include <fmt/format.h>

#include <iostream>

#include "commands.hpp"

namespace twinrisk::cli {

void add_algorithms_command(CLI::App& app, Action& action) {
  auto json = std::make_shared<bool>(false);
  auto* command = app.add_subcommand("algorithms", "List the algorithms with their parameters and outputs");
  command->add_flag("--json", *json, "Print the full description as JSON");
  command->callback([json, &action] {
    action = [json] {
      const auto& registry = builtin_registry();
      if (*json) {
        std::cout << registry.describe().dump(2) << '\n';
        return 0;
      }
      for (const auto& algorithm : registry.algorithms()) {
        std::cout << fmt::format("{:<20} {}\n", algorithm->id(), algorithm->title());
      }
      return 0;
    };
  });
}

}  // namespace twinrisk::cli
