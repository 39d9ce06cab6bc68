#pragma once
// A pipeline resolved: what to load (each layer in the role of its use), which catalogue entries
// each step reads, and what every step writes under which name. Making the plan is validation:
// every problem is found here, before any source is opened.

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "twinrisk/io/loader.hpp"
#include "twinrisk/io/result_writer.hpp"
#include "twinrisk/pipeline/pipeline.hpp"

namespace twinrisk::pipeline {

// One input as one step parameter uses it. A layer used in two roles is loaded once per role.
struct LoadItem {
  io::LayerDefinition definition;  // with the role (and geometry) of its use
  std::string key;                 // its catalogue name: the layer's name, or name@role for another use
  bool streamed = false;           // read batch by batch by its one step, never loaded whole
};

struct DataBinding {
  const ParamSpec* parameter;
  std::vector<std::string> keys;  // catalogue names, one per list item
};

struct PlannedOutput {
  const OutputSpec* spec;
  std::string name;  // with the step's scenario prefix (files: in the file name)
  bool consumed = false;  // a later step reads it
};

struct PlannedStep {
  const Algorithm* algorithm;
  const StepCall* call;
  std::string prefix;  // "hq100_" for `as: hq100`
  std::vector<DataBinding> data;
  nlohmann::json values = nlohmann::json::object();     // every value parameter, defaults filled in
  nlohmann::json arguments = nlohmann::json::object();  // as written, for the manifest
  std::vector<PlannedOutput> outputs;
  std::set<std::string> last_use;  // result entries no step after this one reads
};

struct Plan {
  std::vector<LoadItem> loads;
  std::vector<PlannedStep> steps;
  io::PlannedOutputs outputs;
};

// Throws one ConfigError listing every problem, each with file:line.
Plan make_plan(const Pipeline& pipeline, const Registry& registry);

// "hq100_" + "maps/overview.png" → "maps/hq100_overview.png".
std::string prefixed_file(const std::string& prefix, const std::string& relative_path);

}  // namespace twinrisk::pipeline
