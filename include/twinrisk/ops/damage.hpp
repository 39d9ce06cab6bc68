#pragma once
// damage: flood damage of every exposed asset piece per event (a depth raster with a return
// period), by depth–damage curves, and Expected Annual Damage per municipality, country and zone part.

#include "twinrisk/core/registry.hpp"

namespace twinrisk::ops {

class Damage final : public Algorithm {
 public:
  Damage();
  std::string_view id() const override { return "damage"; }
  std::string_view title() const override { return "Flood damage and Expected Annual Damage"; }
  std::string_view group() const override { return "Exposure and damage"; }
  std::string_view help() const override;
  std::vector<std::string> tags() const override;
  StepOutput run(const StepInput& input, Progress& progress) const override;
  std::vector<std::string> check_arguments(const nlohmann::json& values,
                                           const std::map<std::string, std::vector<std::string>>& data) const override;
};

}  // namespace twinrisk::ops
