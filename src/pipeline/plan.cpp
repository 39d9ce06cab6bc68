// Validation and resolution of a pipeline, in step order, before any source is opened.

#include "twinrisk/pipeline/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <regex>

namespace twinrisk::pipeline {

std::string prefixed_file(const std::string& prefix, const std::string& relative_path) {
  const auto slash = relative_path.rfind('/');
  if (slash == std::string::npos) return prefix + relative_path;
  return relative_path.substr(0, slash + 1) + prefix + relative_path.substr(slash + 1);
}

namespace {

// Every problem found, reported at once in the order of the file.
class Problems {
 public:
  void add(const ErrorContext& where, const std::string& text) {
    if (where.line) {
      m_list.emplace_back(*where.line, fmt::format("{}:{}: {}", where.file, *where.line, text));
    } else {
      m_list.emplace_back(0, where.file.empty() ? text : fmt::format("{}: {}", where.file, text));
    }
  }
  void throw_if_any() {
    std::stable_sort(m_list.begin(), m_list.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> texts;
    for (const auto& [line, text] : m_list) texts.push_back(text);
    if (texts.size() == 1) throw ConfigError(texts.front());
    if (!texts.empty()) {
      throw ConfigError(fmt::format("{} problems in the pipeline:\n  {}", texts.size(), fmt::join(texts, "\n  ")));
    }
  }

 private:
  std::vector<std::pair<int, std::string>> m_list;
};

std::string where_of(const StepCall& call) {
  return call.origin.line ? fmt::format("line {}", *call.origin.line) : fmt::format("'{}'", call.algorithm);
}

// What a step produces under each name; filled before references are resolved, so that a
// reference to a later step's output can be told from a typo.
struct Producer {
  std::size_t step;
  const OutputSpec* spec;
};

EntryKind kind_of(OutputKind kind) {
  return kind == OutputKind::table ? EntryKind::table : EntryKind::vector;
}

class Planner {
 public:
  Planner(const Pipeline& pipeline, const Registry& registry) : m_pipeline(pipeline), m_registry(registry) {
    for (const auto& layer : pipeline.layers) m_inputs[layer.name] = &layer;
  }

  Plan plan() {
    m_algorithms.resize(m_pipeline.steps.size(), nullptr);
    for (std::size_t i = 0; i < m_pipeline.steps.size(); ++i) name_outputs(i);
    for (std::size_t i = 0; i < m_pipeline.steps.size(); ++i) {
      if (m_algorithms[i]) resolve_step(i);
    }
    m_problems.throw_if_any();
    decide_streaming();
    decide_lifetimes();
    return std::move(m_plan);
  }

 private:
  void name_outputs(std::size_t i) {
    const auto& call = m_pipeline.steps[i];
    const Algorithm* algorithm = m_registry.find(call.algorithm);
    if (!algorithm) {
      std::vector<std::string_view> ids;
      for (const auto& a : m_registry.algorithms()) ids.push_back(a->id());
      m_problems.add(call.origin, fmt::format("unknown step '{}' (steps: {})", call.algorithm, fmt::join(ids, ", ")));
      return;
    }
    m_algorithms[i] = algorithm;
    static const std::regex valid_scenario("[A-Za-z][A-Za-z0-9_]{0,39}");
    std::string prefix;
    if (!call.scenario.empty()) {
      if (!std::regex_match(call.scenario, valid_scenario)) {
        m_problems.add(call.origin, fmt::format("step '{}': as: '{}' cannot prefix layer and file names; use a letter "
                                                "then letters, digits or _ (at most 40), e.g. hq100",
                                                call.algorithm, call.scenario));
      }
      prefix = call.scenario + "_";
    }
    PlannedStep step{algorithm, &call, prefix, {}, nlohmann::json::object(), nlohmann::json::object(), {}, {}};
    std::map<std::size_t, std::vector<std::string>> clashes;  // earlier step → names both produce
    for (const auto& output : algorithm->outputs()) {
      const std::string name =
          output.kind == OutputKind::file ? prefixed_file(prefix, output.name) : prefix + output.name;
      if (auto it = m_producers.find(name); it != m_producers.end()) {
        clashes[it->second.step].push_back(name);
        continue;
      }
      if (m_inputs.count(name)) {
        m_problems.add(call.origin, fmt::format("output '{}' has the name of an input layer; rename the layer or use "
                                                "as: NAME on the step",
                                                name));
      }
      m_producers[name] = Producer{i, &output};
      step.outputs.push_back(PlannedOutput{&output, name, false});
      switch (output.kind) {
        case OutputKind::layer: m_plan.outputs.layers.push_back(name); break;
        case OutputKind::table: m_plan.outputs.tables.push_back(name); break;
        case OutputKind::file: m_plan.outputs.files.push_back(name); break;
      }
    }
    for (const auto& [earlier, names] : clashes) {
      const auto& other = m_pipeline.steps[earlier];
      m_problems.add(call.origin, fmt::format("output{} '{}' {} produced by two steps (also by {} at {}){}",
                                              names.size() > 1 ? "s" : "", fmt::join(names, "', '"),
                                              names.size() > 1 ? "are" : "is", other.algorithm, where_of(other),
                                              call.scenario.empty() ? "; give one of them as: NAME" : ""));
    }
    m_steps_by_index[i] = m_plan.steps.size();
    m_plan.steps.push_back(std::move(step));
  }

  void resolve_step(std::size_t i) {
    const auto& call = m_pipeline.steps[i];
    const Algorithm& algorithm = *m_algorithms[i];
    PlannedStep& step = m_plan.steps[m_steps_by_index.at(i)];
    auto problem = [&](const std::string& text) {
      m_problems.add(call.origin, fmt::format("step '{}': {}", call.algorithm, text));
    };
    for (const auto& spec : algorithm.parameters()) {
      if (!spec.is_data() && !spec.required()) step.values[spec.name] = spec.default_value;
    }
    std::set<std::string> given;
    for (const auto& argument : call.arguments) {
      const ParamSpec* spec = algorithm.parameter(argument.name);
      if (!spec) {
        std::vector<std::string> names;
        for (const auto& p : algorithm.parameters()) names.push_back(p.name);
        problem(fmt::format("no parameter '{}' (parameters: {}, as)", argument.name, fmt::join(names, ", ")));
        continue;
      }
      given.insert(argument.name);
      step.arguments[argument.name] = argument.is_list ? nlohmann::json(argument.values)
                                                       : nlohmann::json(argument.values.front());
      if (!spec->is_data()) {
        if (argument.is_list && !spec->multiple) {
          problem(fmt::format("{} takes one value, not a list", argument.name));
          continue;
        }
        try {
          step.values[argument.name] =
              argument.is_list ? spec->parse_list(argument.values) : spec->parse(argument.values.front());
        } catch (const Error& error) {
          problem(error.message());
        }
        continue;
      }
      if (argument.is_list && !spec->multiple) {
        problem(fmt::format("{} takes one {}, not a list", argument.name, to_string(spec->kind())));
        continue;
      }
      if (argument.values.empty()) {
        problem(fmt::format("{} needs at least one {}", argument.name, to_string(spec->kind())));
        continue;
      }
      DataBinding binding{spec, {}};
      for (const auto& value : argument.values) {
        if (auto key = resolve(i, *spec, value, problem)) binding.keys.push_back(*key);
      }
      step.data.push_back(std::move(binding));
    }
    for (const auto& spec : algorithm.parameters()) {
      if (spec.required() && !given.count(spec.name)) {
        problem(fmt::format("needs parameter '{}' ({})", spec.name, spec.description));
      }
    }
  }

  template <typename Problem>
  std::optional<std::string> resolve(std::size_t step, const ParamSpec& spec, const std::string& name,
                                     Problem& problem) {
    if (auto input = m_inputs.find(name); input != m_inputs.end()) return resolve_input(spec, *input->second, problem);
    auto produced = m_producers.find(name);
    if (produced == m_producers.end()) {
      std::vector<std::string> layers;
      for (const auto& [n, d] : m_inputs) layers.push_back(n);
      std::vector<std::string> earlier;
      for (const auto& [n, p] : m_producers) {
        if (p.step < step && p.spec->kind != OutputKind::file) earlier.push_back(n);
      }
      problem(fmt::format("{} refers to '{}', which is neither a layer nor an earlier step's output (layers: {}{}{})",
                          spec.name, name, layers.empty() ? "none" : fmt::format("{}", fmt::join(layers, ", ")),
                          earlier.empty() ? "" : "; outputs so far: ", fmt::join(earlier, ", ")));
      return std::nullopt;
    }
    const auto& producer = produced->second;
    if (producer.step >= step) {
      const auto& call = m_pipeline.steps[producer.step];
      problem(fmt::format("{} refers to '{}', which {} produces{}; steps run in order, so move this step after it",
                          spec.name, name, producer.step == step ? "this step itself" : "a later step",
                          producer.step == step ? "" : fmt::format(" ({} at {})", call.algorithm, where_of(call))));
      return std::nullopt;
    }
    if (producer.spec->kind == OutputKind::file) {
      problem(fmt::format("{} refers to '{}', a file output; steps read layers, tables and rasters", spec.name, name));
      return std::nullopt;
    }
    const auto kind = kind_of(producer.spec->kind);
    if (kind != spec.kind()) {
      problem(fmt::format("{} needs a {}, but '{}' is a {}", spec.name, to_string(spec.kind()), name, to_string(kind)));
      return std::nullopt;
    }
    if (spec.type == ParamType::layer && spec.geometry != GeometryFamily::any &&
        producer.spec->geometry != GeometryFamily::any && producer.spec->geometry != spec.geometry) {
      problem(fmt::format("{} needs {} geometries, but '{}' holds {}", spec.name, to_string(spec.geometry), name,
                          to_string(producer.spec->geometry)));
      return std::nullopt;
    }
    const auto& role = role_spec(spec.role);
    if (!role.keeps_all_fields && !producer.spec->fields.empty()) {
      std::vector<std::string_view> missing;
      for (auto field : role.required_fields) {
        if (!find_field(producer.spec->fields, field)) missing.push_back(field);
      }
      if (!missing.empty()) {
        problem(fmt::format("{} needs a layer with field{} {} (role {}), which '{}' lacks", spec.name,
                            missing.size() > 1 ? "s" : "", fmt::join(missing, ", "), role.name, name));
        return std::nullopt;
      }
    }
    m_consumers[name].push_back(step);
    return name;
  }

  template <typename Problem>
  std::optional<std::string> resolve_input(const ParamSpec& spec, const io::LayerDefinition& definition,
                                           Problem& problem) {
    if (definition.kind() != spec.kind()) {
      problem(fmt::format("{} needs a {}, but '{}' is a {} (role {}){}", spec.name, to_string(spec.kind()),
                          definition.name, to_string(definition.kind()), to_string(definition.role),
                          spec.kind() == EntryKind::vector ? "; a table or raster cannot serve a spatial parameter"
                                                           : ""));
      return std::nullopt;
    }
    // Another role is fine where the geometry fits: any layer serves as features, but lines
    // cannot serve as hazard polygons.
    const auto have = role_spec(definition.role).geometry;
    const auto need = spec.type == ParamType::layer ? spec.geometry : GeometryFamily::any;
    if (have != GeometryFamily::any && need != GeometryFamily::any && have != need) {
      problem(fmt::format("{} needs {} features, but '{}' has role {} ({} features)", spec.name, to_string(need),
                          definition.name, to_string(definition.role), to_string(have)));
      return std::nullopt;
    }
    io::LayerDefinition use = definition.used_as(spec.role);
    std::string key = definition.name;
    if (use.role != definition.role) key += "@" + std::string(to_string(use.role));
    // A role that takes any geometry gets the one its step needs, so that points given to a
    // polygon overlay are refused instead of silently giving nothing.
    if (spec.type == ParamType::layer && spec.geometry != GeometryFamily::any &&
        role_spec(use.role).geometry == GeometryFamily::any) {
      use.geometry = spec.geometry;
      key += ":" + std::string(to_string(spec.geometry));
    }
    auto [it, added] = m_load_index.try_emplace(key, m_plan.loads.size());
    if (added) m_plan.loads.push_back(LoadItem{std::move(use), key, false});
    m_input_uses[key].push_back(spec.streamable);
    return key;
  }

  // An input used by exactly one streamable parameter is read batch by batch by its step.
  void decide_streaming() {
    for (auto& load : m_plan.loads) {
      const auto& uses = m_input_uses[load.key];
      load.streamed = load.definition.kind() == EntryKind::vector && uses.size() == 1 && uses.front();
    }
  }

  // A result stays in the catalogue until the last step that reads it.
  void decide_lifetimes() {
    for (auto& step : m_plan.steps) {
      for (auto& output : step.outputs) output.consumed = m_consumers.count(output.name) > 0;
    }
    for (const auto& [name, steps] : m_consumers) {
      const auto last = *std::max_element(steps.begin(), steps.end());
      m_plan.steps[m_steps_by_index.at(last)].last_use.insert(name);
    }
  }

  const Pipeline& m_pipeline;
  const Registry& m_registry;
  Problems m_problems;
  Plan m_plan;
  std::vector<const Algorithm*> m_algorithms;
  std::map<std::size_t, std::size_t> m_steps_by_index;  // pipeline step → planned step
  std::map<std::string, const io::LayerDefinition*> m_inputs;
  std::map<std::string, Producer> m_producers;
  std::map<std::string, std::size_t> m_load_index;
  std::map<std::string, std::vector<bool>> m_input_uses;   // key → streamable, per use
  std::map<std::string, std::vector<std::size_t>> m_consumers;
};

}  // namespace

Plan make_plan(const Pipeline& pipeline, const Registry& registry) { return Planner(pipeline, registry).plan(); }

void validate(const Pipeline& pipeline, const Registry& registry) { make_plan(pipeline, registry); }

}  // namespace twinrisk::pipeline
