#pragma once
// map and report: what a planner takes to a council meeting. Every layer is drawn with its style
// (styles/<output>.yaml, or a style folder of the user's), so a new result layer appears on the
// maps by having a style, not by new code here.

#include "twinrisk/core/registry.hpp"

namespace twinrisk::ops {

// maps/overview.{png,pdf,svg} and maps/atlas.pdf (one page per cross-border zone or per pair of
// municipalities sharing zones).
class MapStep final : public Algorithm {
 public:
  MapStep();
  std::string_view id() const override { return "map"; }
  std::string_view title() const override { return "Overview map and atlas"; }
  std::string_view group() const override { return "Maps and reports"; }
  std::vector<std::string> tags() const override;
  std::string_view help() const override;
  StepOutput run(const StepInput& input, Progress& progress) const override;
};

// report/index.html (self-contained) and report/report.pdf, in one language or two side by side.
class ReportStep final : public Algorithm {
 public:
  ReportStep();
  std::string_view id() const override { return "report"; }
  std::string_view title() const override { return "Report for the partner councils"; }
  std::string_view group() const override { return "Maps and reports"; }
  std::vector<std::string> tags() const override;
  std::string_view help() const override;
  StepOutput run(const StepInput& input, Progress& progress) const override;
};

}  // namespace twinrisk::ops
