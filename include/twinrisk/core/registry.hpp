#pragma once
// Algorithms declare their parameters and outputs once; the CLI, the pipeline and the
// QGIS provider (through `twinrisk algorithms --json`) are all generated from this registry.

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "twinrisk/core/layer.hpp"
#include "twinrisk/core/progress.hpp"
#include "twinrisk/core/raster.hpp"
#include "twinrisk/core/stream.hpp"

namespace twinrisk {

// `layer` is a vector layer (the name the QGIS provider and the docs have always used); `field`
// names fields of another layer parameter (its `parent`).
enum class ParamType { layer, table, raster, number, integer, boolean, enumeration, crs, string, field };
std::string_view to_string(ParamType type);

// Dialog labels are short (QGIS's own are "Input layer", "Overlay fields prefix"); the longer
// help goes to tooltips, `--help` and the docs.
constexpr std::size_t kMaxLabelLength = 40;

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::string;
  std::string label;        // Title Case, at most kMaxLabelLength characters: "Minimum part area (m²)"
  std::string description;  // the help: what it does, in sentences
  Role role = Role::result;                        // data parameters: the role expected
  GeometryFamily geometry = GeometryFamily::any;  // layer parameters: the geometry expected
  std::string unit;
  std::optional<double> min;
  std::optional<double> max;
  nlohmann::json default_value;  // null: the parameter is required
  std::vector<std::string> choices;
  // Layer parameters: the algorithm reads it batch by batch, so it need not fit in memory.
  bool streamable = false;
  // Data and field parameters: takes a list (`assets: [roads, hospitals]`, `input_fields: [a, b]`).
  // Other value parameters: a list of values (`depth_bands: [0, 0.5, 1]`, on the command line
  // `0,0.5,1` or the option repeated).
  bool multiple = false;
  std::string parent;  // field parameters: the layer parameter whose fields it names

  static ParamSpec layer(std::string name, Role role, std::string description);
  static ParamSpec table(std::string name, Role role, std::string description);
  static ParamSpec raster(std::string name, std::string description);
  static ParamSpec number(std::string name, std::string description, double default_value);
  static ParamSpec integer(std::string name, std::string description, std::int64_t default_value);
  static ParamSpec flag(std::string name, std::string description, bool default_value);
  static ParamSpec choice(std::string name, std::string description, std::vector<std::string> choices,
                          std::string default_value);
  static ParamSpec text(std::string name, std::string description, std::string default_value);
  // Several numbers or texts (`.list()` made): the default is their list.
  static ParamSpec numbers(std::string name, std::string description, std::vector<double> default_value);
  static ParamSpec texts(std::string name, std::string description, std::vector<std::string> default_value);
  // Fields of the layer parameter `parent`; optional (empty) unless made otherwise.
  static ParamSpec field(std::string name, std::string parent, std::string description);
  ParamSpec& labelled(std::string value);
  ParamSpec& with_unit(std::string value);
  ParamSpec& with_range(std::optional<double> low, std::optional<double> high);
  ParamSpec& optional();  // a data parameter that may be left out
  ParamSpec& list();      // a data or field parameter taking several entries

  bool required() const { return default_value.is_null(); }
  // Layer, table and raster parameters name catalogue entries; the others carry values.
  bool is_data() const;
  EntryKind kind() const;  // for data parameters
  // The CLI flag this parameter becomes: `min_area_m2` → `--min-area-m2`.
  std::string cli_flag() const;
  // Parses and range-checks a value given as text (from YAML or the command line). A list parameter
  // takes comma-separated items and gives a JSON array.
  nlohmann::json parse(std::string_view text) const;
  // Parses the items of a list value (a `multiple` value parameter: YAML's `[0, 0.5, 1]`, a repeated
  // option) into a JSON array.
  nlohmann::json parse_list(const std::vector<std::string>& items) const;
};

// A result: a vector layer, an attribute table, or a file (a map, a report, a GraphML graph)
// whose name is its path relative to the output folder.
enum class OutputKind { layer, table, file };
std::string_view to_string(OutputKind kind);

struct OutputSpec {
  OutputSpec() = default;
  // Not an aggregate, so that declarations without a label (caught by Registry::label_problems)
  // compile without -Wmissing-field-initializers.
  OutputSpec(std::string name_, OutputKind kind_, GeometryFamily geometry_, std::string description_,
             std::vector<FieldDef> fields_ = {}, std::string label_ = {})
      : name(std::move(name_)), kind(kind_), geometry(geometry_), description(std::move(description_)),
        fields(std::move(fields_)), label(std::move(label_)) {}

  std::string name;
  OutputKind kind = OutputKind::layer;
  GeometryFamily geometry = GeometryFamily::none;
  std::string description;       // the help
  std::vector<FieldDef> fields;  // empty where they depend on the inputs
  std::string label;             // Title Case, at most kMaxLabelLength characters: "Zone parts"

  OutputSpec& labelled(std::string value) {
    label = std::move(value);
    return *this;
  }
};

// What a step is given: its data parameters bound to catalogue entries, its values, and where its
// streamed layers and files go. A data parameter left out (optional) has no entry.
struct StepInput {
  std::map<std::string, std::vector<const Layer*>, std::less<>> layers;     // held in memory
  std::map<std::string, std::vector<FeatureSource*>, std::less<>> sources;  // streamable, in batches
  std::map<std::string, std::vector<const Table*>, std::less<>> tables;
  std::map<std::string, std::vector<const RasterInfo*>, std::less<>> rasters;
  FeatureSink* sink = nullptr;  // where streaming steps write their result layers
  // Set when the run can take a finished in-memory result layer before the step returns: it is
  // written while the step works on, and joins StepOutput::layers ahead of those returned.
  std::function<void(Layer layer)> write_early;
  // A path to write the file output `name` to (staged: renamed into place when the run succeeds).
  std::function<std::filesystem::path(const std::string& name)> stage_file;
  nlohmann::json values = nlohmann::json::object();  // every value parameter, defaults filled in
  std::string analysis_crs_wkt;
  // Credits for the maps and the report: each input layer's `attribution:`, by layer name.
  std::vector<std::pair<std::string, std::string>> attributions;
  // The run so far, as manifest.json will record it (inputs, earlier steps, versions, CRS).
  nlohmann::json run_record = nlohmann::json::object();

  bool has(std::string_view name) const;
  const Layer& layer(std::string_view name) const;
  const std::vector<const Layer*>& layer_list(std::string_view name) const;
  FeatureSource& source(std::string_view name) const;
  const std::vector<FeatureSource*>& source_list(std::string_view name) const;
  const Table& table(std::string_view name) const;
  const RasterInfo& raster(std::string_view name) const;
  double number(std::string_view name) const;
  std::int64_t integer(std::string_view name) const;
  bool flag(std::string_view name) const;
  std::string text(std::string_view name) const;
  // List value parameters.
  std::vector<double> numbers(std::string_view name) const;
  std::vector<std::string> texts(std::string_view name) const;
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
  // Words a search for the algorithm may use ("border", "municipal"), beyond its title.
  virtual std::vector<std::string> tags() const { return {}; }
  // The QGIS provider's icon (qgis/twinrisk_provider/icons/<icon>.svg): by default its group's.
  virtual std::string icon() const;
  virtual StepOutput run(const StepInput& input, Progress& progress) const = 0;
  // Problems with a step's arguments that only the algorithm can see (one list against another,
  // band edges that do not increase), found when the pipeline is validated: `values` as run() gets
  // them, `data` the catalogue names bound to each data parameter. Empty: nothing to say.
  virtual std::vector<std::string> check_arguments(const nlohmann::json& values,
                                                   const std::map<std::string, std::vector<std::string>>& data) const {
    static_cast<void>(values);
    static_cast<void>(data);
    return {};
  }

  const std::vector<ParamSpec>& parameters() const { return m_parameters; }
  const std::vector<OutputSpec>& outputs() const { return m_outputs; }
  const ParamSpec* parameter(std::string_view name) const;
  const OutputSpec* output(std::string_view name) const;
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
  // What dialogs would lack, one line per problem: a parameter, field parameter, common parameter
  // or output without a label, a label longer than kMaxLabelLength characters or used twice in
  // one algorithm, an algorithm without tags. Empty when every algorithm is fit for QGIS.
  std::vector<std::string> label_problems() const;

 private:
  std::vector<std::unique_ptr<Algorithm>> m_algorithms;
};

}  // namespace twinrisk
