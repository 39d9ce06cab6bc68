#pragma once
// hazard-from-raster: a water-depth raster's flooded cells as polygons per depth band, in the
// analysis CRS, so that depth bands serve as hazard classes for shared-zones.

#include "twinrisk/core/registry.hpp"

namespace twinrisk::ops {

class HazardFromRaster final : public Algorithm {
 public:
  HazardFromRaster();
  std::string_view id() const override { return "hazard-from-raster"; }
  std::string_view title() const override { return "Hazard classes from a depth raster"; }
  std::string_view group() const override { return "Raster hazards"; }
  std::string_view help() const override;
  std::vector<std::string> tags() const override;
  StepOutput run(const StepInput& input, Progress& progress) const override;
  std::vector<std::string> check_arguments(const nlohmann::json& values,
                                           const std::map<std::string, std::vector<std::string>>& data) const override;
};

}  // namespace twinrisk::ops
