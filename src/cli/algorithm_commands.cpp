// One subcommand per registered algorithm. It builds a one-step pipeline from its options and
// runs it exactly as `twinrisk run` would, so the two can never behave differently.

#include <fmt/format.h>

#include <map>

#include "commands.hpp"
#include "twinrisk/core/error.hpp"

namespace twinrisk::cli {
namespace {

struct DataOptions {
  std::vector<std::string> sources;  // one, or several for a list parameter
  std::string layer;
  std::vector<std::string> fields;
  std::string where;
  std::string crs;
};

struct AlgorithmOptions {
  std::map<std::string, DataOptions> data;
  std::map<std::string, std::string> values;
  std::map<std::string, std::vector<std::string>> lists;  // value parameters taking several values
  pipeline::RunOptions run;
  std::string analysis_crs = "auto";
  std::string output_crs = "analysis";
};

// `--help` shows the label, then the help: "Minimum part area (m²): Zone parts smaller than …".
std::string option_help(const ParamSpec& spec) {
  return spec.label.empty() ? spec.description : fmt::format("{}: {}", spec.label, spec.description);
}

bool is_definition_file(const std::string& source) {
  const auto extension = std::filesystem::path(source).extension();
  return extension == ".yaml" || extension == ".yml";
}

io::LayerDefinition definition_from_options(const ParamSpec& spec, const std::string& name, const std::string& source,
                                            const DataOptions& given) {
  if (is_definition_file(source)) {
    auto definition = pipeline::load_layer_definition(source, name);
    if (!given.layer.empty() || !given.fields.empty() || !given.where.empty() || !given.crs.empty()) {
      throw ConfigError(fmt::format("{} is a layer definition file; put layer, fields, where and crs in it", source));
    }
    return definition;
  }
  io::LayerDefinition definition;
  definition.name = name;
  definition.source = source;
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

void add_data_options(CLI::App& command, const ParamSpec& spec, DataOptions& options) {
  const auto flag = spec.cli_flag();
  const std::string what = spec.type == ParamType::raster ? "a GDAL raster source"
                           : spec.type == ParamType::table ? "a GDAL table source (CSV, XLSX, a database table)"
                                                           : "a GDAL vector source";
  auto* source = command.add_option(flag, options.sources,
                                    fmt::format("{} (role {}): {} or a layer definition .yaml{}", option_help(spec),
                                                to_string(spec.role), what, spec.multiple ? "; repeatable" : ""));
  if (!spec.multiple) source->expected(1);
  if (spec.required()) source->required();
  if (spec.type == ParamType::raster) {
    command.add_option(flag + "-crs", options.crs, "CRS of a raster that has none");
    return;
  }
  command.add_option(flag + "-layer", options.layer, "Layer within the source");
  command.add_option(flag + "-field", options.fields, "Field mapping ROLE_FIELD=SOURCE_FIELD, repeatable");
  command.add_option(flag + "-where", options.where, "OGR SQL attribute filter");
  if (spec.type == ParamType::layer) command.add_option(flag + "-crs", options.crs, "CRS of a source that has none");
}

pipeline::Pipeline one_step_pipeline(const Algorithm& algorithm, const AlgorithmOptions& options,
                                     const CLI::App& command) {
  pipeline::Pipeline one_step;
  one_step.analysis_crs = options.analysis_crs;
  one_step.output_crs = options.output_crs;
  pipeline::StepCall call;
  call.algorithm = std::string(algorithm.id());
  call.origin.file = fmt::format("twinrisk {}", algorithm.id());
  for (const auto& spec : algorithm.parameters()) {
    if (spec.is_data()) {
      const auto& given = options.data.at(spec.name);
      if (given.sources.empty()) continue;
      pipeline::Argument argument{spec.name, {}, spec.multiple};
      for (std::size_t k = 0; k < given.sources.size(); ++k) {
        const auto name = given.sources.size() == 1 ? spec.name : fmt::format("{}_{}", spec.name, k + 1);
        one_step.layers.push_back(definition_from_options(spec, name, given.sources[k], given));
        argument.values.push_back(name);
      }
      call.arguments.push_back(std::move(argument));
    } else if (command.count(spec.cli_flag()) > 0) {
      if (spec.multiple) {
        call.arguments.push_back({spec.name, options.lists.at(spec.name), true});
      } else {
        call.arguments.push_back({spec.name, {options.values.at(spec.name)}, false});
      }
    }
  }
  one_step.steps.push_back(std::move(call));
  return one_step;
}

}  // namespace

void add_algorithm_commands(CLI::App& app, const GlobalOptions& global, Action& action) {
  for (const auto& algorithm_ptr : builtin_registry().algorithms()) {
    const Algorithm* algorithm = algorithm_ptr.get();
    auto options = std::make_shared<AlgorithmOptions>();
    auto* command = app.add_subcommand(std::string(algorithm->id()), std::string(algorithm->title()));
    command->footer(std::string(algorithm->help()) + "\n");
    for (const auto& spec : algorithm->parameters()) {
      if (spec.is_data()) {
        add_data_options(*command, spec, options->data[spec.name]);
        continue;
      }
      auto* option = spec.multiple
                         ? command->add_option(spec.cli_flag(), options->lists[spec.name], option_help(spec) + "; repeatable")
                         : command->add_option(spec.cli_flag(), options->values[spec.name], option_help(spec));
      option->type_name(std::string(to_string(spec.type)));
      if (spec.required()) {
        option->required();
      } else {
        option->default_str(spec.default_value.dump());
      }
    }
    command->add_option("--analysis-crs", options->analysis_crs, "Analysis CRS (auto: equal-area centred on the data)")
        ->capture_default_str();
    command
        ->add_option("--output-crs", options->output_crs,
                     "CRS of the result layers: analysis, input (the first input layer's) or any CRS such as "
                     "EPSG:3035; areas are measured in the analysis CRS")
        ->capture_default_str();
    add_run_options(*command, options->run, true);
    command->callback([algorithm, options, command, &global, &action] {
      action = [algorithm, options, command, &global] {
        auto progress = make_progress(global);
        print_run_summary(
            pipeline::run(one_step_pipeline(*algorithm, *options, *command), builtin_registry(), options->run, *progress));
        return 0;
      };
    });
  }
}

}  // namespace twinrisk::cli
