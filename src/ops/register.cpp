#include "twinrisk/ops/apportion.hpp"
#include "twinrisk/ops/basins.hpp"
#include "twinrisk/ops/builtin.hpp"
#include "twinrisk/ops/cooperation_network.hpp"
#include "twinrisk/ops/damage.hpp"
#include "twinrisk/ops/depth_stats.hpp"
#include "twinrisk/ops/exposure.hpp"
#include "twinrisk/ops/hazard_from_raster.hpp"
#include "twinrisk/ops/intersection.hpp"
#include "twinrisk/ops/map.hpp"
#include "twinrisk/ops/restoration.hpp"
#include "twinrisk/ops/river_reaches.hpp"
#include "twinrisk/ops/shared_zones.hpp"

namespace twinrisk::ops {

void register_builtin_algorithms(Registry& registry) {
  registry.add(std::make_unique<SharedZones>());
  registry.add(std::make_unique<Intersection>());
  registry.add(std::make_unique<RiverReaches>());
  registry.add(std::make_unique<Basins>());
  registry.add(std::make_unique<Restoration>());
  registry.add(std::make_unique<CooperationNetwork>());
  registry.add(std::make_unique<Exposure>());
  registry.add(std::make_unique<HazardFromRaster>());
  registry.add(std::make_unique<DepthStats>());
  registry.add(std::make_unique<Damage>());
  registry.add(std::make_unique<Apportion>());
  registry.add(std::make_unique<MapStep>());
  registry.add(std::make_unique<ReportStep>());
}

const Registry& builtin_registry() {
  static const Registry registry = [] {
    Registry r;
    register_builtin_algorithms(r);
    return r;
  }();
  return registry;
}

}  // namespace twinrisk::ops
