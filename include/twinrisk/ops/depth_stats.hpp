#pragma once
// depth-stats: water depth under every feature of a layer: a point's cell (or bilinear) value, a
// line's length per depth band, a polygon's exact coverage-fraction statistics (exactextract's).

#include "twinrisk/core/registry.hpp"

namespace twinrisk::ops {

class DepthStats final : public Algorithm {
 public:
  DepthStats();
  std::string_view id() const override { return "depth-stats"; }
  std::string_view title() const override { return "Water depth under features"; }
  std::string_view group() const override { return "Raster hazards"; }
  std::string_view help() const override;
  std::vector<std::string> tags() const override;
  StepOutput run(const StepInput& input, Progress& progress) const override;
  std::vector<std::string> check_arguments(const nlohmann::json& values,
                                           const std::map<std::string, std::vector<std::string>>& data) const override;
};

}  // namespace twinrisk::ops
