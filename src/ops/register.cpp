#include "twinrisk/ops/builtin.hpp"
#include "twinrisk/ops/intersection.hpp"
#include "twinrisk/ops/map.hpp"
#include "twinrisk/ops/shared_zones.hpp"

namespace twinrisk::ops {

void register_builtin_algorithms(Registry& registry) {
  registry.add(std::make_unique<SharedZones>());
  registry.add(std::make_unique<Intersection>());
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
