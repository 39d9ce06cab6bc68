// twinrisk info SOURCE [--json]: what GDAL sees in a source, with invalid geometries counted.

#include <fmt/format.h>

#include <iostream>

#include "commands.hpp"
#include "twinrisk/io/loader.hpp"

namespace twinrisk::cli {

void add_info_command(CLI::App& app, Action& action) {
  struct Options {
    std::string source;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  auto* command = app.add_subcommand("info", "List a source's layers: CRS, feature counts, fields, invalid geometries");
  command->add_option("source", options->source, "Any GDAL vector source")->required();
  command->add_flag("--json", options->json, "Print JSON");
  command->callback([options, &action] {
    action = [options] {
      const auto info = io::describe_source(options->source);
      if (options->json) {
        std::cout << info.dump(2) << '\n';
        return 0;
      }
      std::cout << fmt::format("{} ({})\n", info["source"].get<std::string>(), info["driver"].get<std::string>());
      for (const auto& layer : info["layers"]) {
        std::cout << fmt::format("\n  layer {}: {} features, {}, CRS {}\n", layer["name"].get<std::string>(),
                                 layer["features"].get<long long>(), layer["geometry_type"].get<std::string>(),
                                 layer["crs"].get<std::string>());
        std::cout << fmt::format("    empty geometries: {}, invalid geometries: {}\n",
                                 layer["empty_geometries"].get<long long>(), layer["invalid_geometries"].get<long long>());
        for (const auto& example : layer["invalid_examples"]) {
          std::cout << fmt::format("      feature {}: {}\n", example["fid"].get<long long>(),
                                   example["reason"].get<std::string>());
        }
        std::cout << "    fields:";
        for (const auto& field : layer["fields"]) {
          std::cout << fmt::format(" {} ({})", field["name"].get<std::string>(), field["type"].get<std::string>());
        }
        std::cout << '\n';
      }
      return 0;
    };
  });
}

}  // namespace twinrisk::cli
