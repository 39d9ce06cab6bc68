#pragma once
// exposure: infrastructure (points, lines, polygons) split at zone and municipal boundaries, so
// that every metre and square metre lies in exactly one zone part of each hazard class.

#include "twinrisk/core/registry.hpp"

namespace twinrisk::ops {

class Exposure final : public Algorithm {
 public:
  Exposure();
  std::string_view id() const override { return "exposure"; }
  std::string_view title() const override { return "Exposure of infrastructure in shared zones"; }
  std::string_view group() const override { return "Exposure and damage"; }
  std::string_view help() const override;
  std::vector<std::string> tags() const override;
  StepOutput run(const StepInput& input, Progress& progress) const override;
};

}  // namespace twinrisk::ops
