#pragma once
// shared-zones: hazard polygons dissolved per class into connected zones, cut by municipality.

#include "twinrisk/core/registry.hpp"

namespace twinrisk::ops {

class SharedZones final : public Algorithm {
 public:
  SharedZones();
  std::string_view id() const override { return "shared-zones"; }
  std::string_view title() const override { return "Shared flood-risk zones"; }
  std::string_view group() const override { return "Overlay"; }
  std::string_view help() const override;
  std::vector<std::string> tags() const override;
  StepOutput run(const StepInput& input, Progress& progress) const override;
};

}  // namespace twinrisk::ops
