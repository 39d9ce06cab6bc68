#pragma once
// apportion: counts (population, jobs, dwellings) of source polygons such as census units shared
// out to zone parts by area, optionally only where a built-up mask says people live; totals kept.

#include "twinrisk/core/registry.hpp"

namespace twinrisk::ops {

class Apportion final : public Algorithm {
 public:
  Apportion();
  std::string_view id() const override { return "apportion"; }
  std::string_view title() const override { return "Apportion counts to zone parts"; }
  std::string_view group() const override { return "Exposure and damage"; }
  std::string_view help() const override;
  std::vector<std::string> tags() const override;
  StepOutput run(const StepInput& input, Progress& progress) const override;
};

}  // namespace twinrisk::ops
