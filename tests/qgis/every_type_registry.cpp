// Prints `algorithms --json` for a registry of one test algorithm that declares every parameter
// type and output kind, so that the QGIS provider's generic mapping is tested on what the registry
// really emits (tables, rasters, lists of layers, fields, file outputs), not only on today's algorithms.

#include <iostream>

#include "twinrisk/core/registry.hpp"

namespace {

using namespace twinrisk;

ParamSpec value(std::string name, ParamType type, std::string label, nlohmann::json default_value) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.description = "Help of " + spec.name;
  spec.default_value = std::move(default_value);
  return spec.labelled(std::move(label));
}

class EveryType final : public Algorithm {
 public:
  EveryType() : Algorithm(parameters_(), outputs_()) {}
  std::string_view id() const override { return "every-type"; }
  std::string_view title() const override { return "Every parameter type"; }
  std::string_view group() const override { return "Tests"; }
  std::string_view help() const override { return "Declares every type. Runs nowhere."; }
  std::vector<std::string> tags() const override { return {"test"}; }
  StepOutput run(const StepInput&, Progress&) const override { return {}; }

 private:
  static std::vector<ParamSpec> parameters_() {
    auto choice = value("method", ParamType::enumeration, "Method", "max");
    choice.choices = {"mean", "max"};
    return {
        ParamSpec::layer("zones", Role::hazard, "Hazard zones").labelled("Zones layer"),
        ParamSpec::layer("assets", Role::infrastructure, "Assets").labelled("Asset layers").list(),
        ParamSpec::table("pairs", Role::twinning, "Twinned pairs").labelled("Twinning table").optional(),
        ParamSpec::raster("dem", "Elevation").labelled("Elevation raster"),
        ParamSpec::field("keep", "zones", "Fields to keep").labelled("Fields to keep").list(),
        ParamSpec::number("buffer_m", "Buffer", 10.0).labelled("Buffer (m)").with_range(0.0, std::nullopt),
        value("count", ParamType::integer, "Count", 3),
        value("strict", ParamType::boolean, "Strict", false),
        choice,
        value("label_crs", ParamType::crs, "Label CRS", "EPSG:4326"),
        ParamSpec::text("title", "Title", "Risk").labelled("Title"),
    };
  }
  static std::vector<OutputSpec> outputs_() {
    return {
        OutputSpec{"exposed", OutputKind::layer, GeometryFamily::point, "Exposed assets"}.labelled("Exposed assets"),
        OutputSpec{"by_zone", OutputKind::table, GeometryFamily::none, "Per zone"}.labelled("Exposure by zone"),
        OutputSpec{"maps/overview.png", OutputKind::file, GeometryFamily::none, "Map"}.labelled("Overview map"),
        OutputSpec{"report/index.html", OutputKind::file, GeometryFamily::none, "Report"}.labelled("Report"),
    };
  }
};

}  // namespace

int main() {
  Registry registry;
  registry.add(std::make_unique<EveryType>());
  if (const auto problems = registry.label_problems(); !problems.empty()) {
    for (const auto& problem : problems) std::cerr << problem << '\n';
    return 1;
  }
  std::cout << registry.describe().dump(2) << '\n';
  return 0;
}
