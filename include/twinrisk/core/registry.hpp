#pragma once
// Algorithms declare their parameters and outputs once; the CLI, the pipeline and the
// QGIS provider (through `twinrisk algorithms --json`) are all generated from this registry.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "twinrisk/core/layer.hpp"
#include "twinrisk/core/progress.hpp"
#include "twinrisk/core/stream.hpp"

namespace twinrisk {

enum class ParamType { layer, number, integer, boolean, enumeration, crs, string };
std::string_view to_string(ParamType type);

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::string;
  std::string description;
  Role role = Role::result;                        // layer parameters: the role expected
  GeometryFamily geometry = GeometryFamily::any;  // layer parameters: the geometry expected
  std::string unit;
  std::optional<double> min;
  std::optional<double> max;
  nlohmann::json default_value;  // null: the parameter is required
  std::vector<std::string> choices;
  // Layer parameters: the algorithm reads it batch by batch, so it need not fit in memory.
  bool streamable = false;

  static ParamSpec layer(std::string name, Role role, std::string description);
  static ParamSpec number(std::string name, std::string description, double default_value);
  ParamSpec& with_unit(std::string value);
  ParamSpec& with_range(std::optional<double> low, std::optional<double> high);

  bool required() const { return default_value.is_null(); }
  // The CLI flag this parameter becomes: `min_area_m2` → `--min-area-m2`.
  std::string cli_flag() const;
  // Parses and range-checks a value given as text (from YAML or the command line).
  nlohmann::json parse(std::string_view text) const;
};

enum class OutputKind { layer, table };

struct OutputSpec {
  std::string name;
  OutputKind kind = OutputKind::layer;
  GeometryFamily geometry = GeometryFamily::none;
  std::string description;
  std::vector<FieldDef> fields;
};

struct StepInput {
  std::map<std::string, const Layer*, std::less<>> layers;     // layers held in memory
  std::map<std::string, FeatureSource*, std::less<>> sources;  // streamable layers, in batches
  FeatureSink* sink = nullptr;  // where streaming steps write their result layers
  nlohmann::json values = nlohmann::json::object();  // every non-layer parameter, defaults filled in
  std::string analysis_crs_wkt;

  const Layer& layer(std::string_view name) const;
  FeatureSource& source(std::string_view name) const;
  double number(std::string_view name) const;
};

struct StepOutput {
  std::vector<Layer> layers;  // in-memory results; streamed results went to StepInput::sink
  std::vector<Table> tables;
  nlohmann::json stats = nlohmann::json::object();  // counts for the manifest and the summary
};

class Algorithm {
 public:
  virtual ~Algorithm() = default;
  virtual std::string_view id() const = 0;
  virtual std::string_view title() const = 0;
  virtual std::string_view group() const = 0;
  virtual std::string_view help() const = 0;
  virtual StepOutput run(const StepInput& input, Progress& progress) const = 0;

  const std::vector<ParamSpec>& parameters() const { return m_parameters; }
  const std::vector<OutputSpec>& outputs() const { return m_outputs; }
  const ParamSpec* parameter(std::string_view name) const;
  nlohmann::json describe() const;

 protected:
  // Parameters and outputs are declared once, when the algorithm is made.
  Algorithm(std::vector<ParamSpec> parameters, std::vector<OutputSpec> outputs)
      : m_parameters(std::move(parameters)), m_outputs(std::move(outputs)) {}

 private:
  std::vector<ParamSpec> m_parameters;
  std::vector<OutputSpec> m_outputs;
};

class Registry {
 public:
  void add(std::unique_ptr<Algorithm> algorithm);
  const Algorithm* find(std::string_view id) const;
  const std::vector<std::unique_ptr<Algorithm>>& algorithms() const { return m_algorithms; }
  // The document printed by `twinrisk algorithms --json`.
  nlohmann::json describe() const;

 private:
  std::vector<std::unique_ptr<Algorithm>> m_algorithms;
};

// Explicit registration (no static self-registration: see PDAL#3621).
void register_builtin_algorithms(Registry& registry);
const Registry& builtin_registry();

}  // namespace twinrisk
