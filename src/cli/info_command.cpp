// twinrisk info SOURCE [--json]: what GDAL sees in a source, with invalid geometries counted.

#include <fmt/format.h>

#include <iostream>

#include "commands.hpp"
#include "twinrisk/core/text.hpp"
#include "twinrisk/io/loader.hpp"

namespace twinrisk::cli {
namespace {

void print_raster(const nlohmann::json& info) {
  std::cout << fmt::format("\n  raster: {} x {} cells, {} band{}, CRS {}\n", info["width"].get<long long>(),
                           info["height"].get<long long>(), info["bands"].size(), info["bands"].size() == 1 ? "" : "s",
                           info["crs"].get<std::string>());
  if (info["resolution"].is_null()) {
    std::cout << "    no georeferencing (no geotransform)\n";
  } else {
    std::cout << fmt::format("    resolution: {:.10g} x {:.10g}{}, origin {:.10g}, {:.10g}\n",
                             info["resolution"][0].get<double>(), info["resolution"][1].get<double>(),
                             info["rotated"].get<bool>() ? " (rotated)" : "", info["origin"][0].get<double>(),
                             info["origin"][1].get<double>());
  }
  for (const auto& band : info["bands"]) {
    std::cout << fmt::format("    band {}: {}, nodata {}{}\n", band["band"].get<int>(), band["type"].get<std::string>(),
                             band["nodata"].is_null() ? std::string("none") : fmt::format("{:.10g}", band["nodata"].get<double>()),
                             band["description"].get<std::string>().empty()
                                 ? std::string()
                                 : " (" + band["description"].get<std::string>() + ")");
  }
}

}  // namespace

void add_info_command(CLI::App& app, Action& action) {
  struct Options {
    std::string source;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  auto* command = app.add_subcommand(
      "info", "Describe a source: layers (CRS, counts, fields, invalid geometries) or a raster (CRS, size, bands)");
  command->add_option("source", options->source, "Any GDAL vector or raster source")->required();
  command->add_flag("--json", options->json, "Print JSON");
  command->callback([options, &action] {
    action = [options] {
      const auto info = io::describe_source(options->source);
      if (options->json) {
        std::cout << json_text(info, 2) << '\n';
        return 0;
      }
      std::cout << fmt::format("{} ({})\n", info["source"].get<std::string>(), info["driver"].get<std::string>());
      if (info["kind"] == "raster") {
        print_raster(info);
        return 0;
      }
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
