#pragma once
// intersection: the pieces where polygons of two layers overlap, with the attributes of both.

#include "twinrisk/core/registry.hpp"

namespace twinrisk::ops {

class Intersection final : public Algorithm {
 public:
  Intersection();
  std::string_view id() const override { return "intersection"; }
  std::string_view title() const override { return "Intersection of two polygon layers"; }
  std::string_view group() const override { return "Overlay"; }
  std::string_view help() const override;
  std::vector<std::string> tags() const override;
  StepOutput run(const StepInput& input, Progress& progress) const override;
};

}  // namespace twinrisk::ops
