// One subcommand per registered algorithm. It builds a one-step pipeline from its options and
// runs it exactly as `twinrisk run` would, so the two can never behave differently.

#include <fmt/format.h>

#include <map>

#include "commands.hpp"
#include "twinrisk/core/error.hpp"

namespace twinrisk::cli {
namespace {

struct LayerOptions {
  std::string source;
  std::string layer;
  std::vector<std::string> fields;
  std::string where;
  std::string crs;
};

struct AlgorithmOptions {
  std::map<std::string, LayerOptions> layers;
  std::map<std::string, std::string> values;
  pipeline::RunOptions run;
  std::string analysis_crs = "auto";
};

bool is_definition_file(const std::string& source) {
  const auto extension = std::filesystem::path(source).extension();
  return extension == ".yaml" || extension == ".yml";
}

io::LayerDefinition layer_from_options(const ParamSpec& spec, const LayerOptions& given) {
  if (is_definition_file(given.source)) {
    auto definition = pipeline::load_layer_definition(given.source, spec.name);
    if (!given.layer.empty() || !given.fields.empty() || !given.where.empty() || !given.crs.empty()) {
      throw ConfigError(fmt::format("{} is a layer definition file; put layer, fields, where and crs in it",
                                    given.source));
    }
    return definition;
  }
  io::LayerDefinition definition;
  definition.name = spec.name;
  definition.source = given.source;
  definition.layer = given.layer;
  definition.role = spec.role;
  definition.where = given.where;
  definition.crs = given.crs;
  definition.origin.file = spec.cli_flag();
  for (const auto& mapping : given.fields) {
    const auto equals = mapping.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw ConfigError(fmt::format("{}-field '{}' must be ROLE_FIELD=SOURCE_FIELD (or ROLE_FIELD==CONSTANT)",
                                    spec.cli_flag(), mapping));
    }
    definition.fields.emplace_back(mapping.substr(0, equals), mapping.substr(equals + 1));
  }
  return definition;
}

}  // namespace

void add_algorithm_commands(CLI::App& app, const GlobalOptions& global, Action& action) {
  for (const auto& algorithm_ptr : builtin_registry().algorithms()) {
    const Algorithm* algorithm = algorithm_ptr.get();
    auto options = std::make_shared<AlgorithmOptions>();
    auto* command = app.add_subcommand(std::string(algorithm->id()), std::string(algorithm->title()));
    command->footer(std::string(algorithm->help()) + "\n");
    for (const auto& spec : algorithm->parameters()) {
      if (spec.type == ParamType::layer) {
        auto& layer = options->layers[spec.name];
        const auto flag = spec.cli_flag();
        command->add_option(flag, layer.source,
                            fmt::format("{} (role {}): a GDAL vector source or a layer definition .yaml",
                                        spec.description, to_string(spec.role)))
            ->required();
        command->add_option(flag + "-layer", layer.layer, "Layer within the source");
        command->add_option(flag + "-field", layer.fields, "Field mapping ROLE_FIELD=SOURCE_FIELD, repeatable");
        command->add_option(flag + "-where", layer.where, "OGR SQL attribute filter");
        command->add_option(flag + "-crs", layer.crs, "CRS of a source that has none");
        continue;
      }
      auto* option = command->add_option(spec.cli_flag(), options->values[spec.name], spec.description);
      option->type_name(std::string(to_string(spec.type)));
      if (spec.required()) {
        option->required();
      } else {
        option->default_str(spec.default_value.dump());
      }
    }
    command->add_option("--analysis-crs", options->analysis_crs, "Analysis CRS (auto: equal-area centred on the data)")
        ->capture_default_str();
    command->add_option("-o,--output", options->run.output_folder, "Output folder")->required();
    command->add_flag("--overwrite", options->run.overwrite, "Replace outputs that already exist");
    command->add_option("--threads", options->run.threads, "Worker threads (0: every core)")
        ->check(CLI::NonNegativeNumber);
    command->callback([algorithm, options, command, &global, &action] {
      action = [algorithm, options, command, &global] {
        pipeline::Pipeline one_step;
        one_step.analysis_crs = options->analysis_crs;
        pipeline::StepCall call;
        call.algorithm = std::string(algorithm->id());
        call.origin.file = fmt::format("twinrisk {}", algorithm->id());
        for (const auto& spec : algorithm->parameters()) {
          if (spec.type == ParamType::layer) {
            one_step.layers.push_back(layer_from_options(spec, options->layers.at(spec.name)));
            call.arguments.emplace_back(spec.name, one_step.layers.back().name);
          } else if (command->count(spec.cli_flag()) > 0) {
            call.arguments.emplace_back(spec.name, options->values.at(spec.name));
          }
        }
        one_step.steps.push_back(std::move(call));
        auto progress = make_progress(global);
        print_run_summary(pipeline::run(one_step, builtin_registry(), options->run, *progress));
        return 0;
      };
    });
  }
}

}  // namespace twinrisk::cli
