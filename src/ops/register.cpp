#include "twinrisk/core/registry.hpp"
#include "twinrisk/ops/intersection.hpp"
#include "twinrisk/ops/shared_zones.hpp"

namespace twinrisk {

void register_builtin_algorithms(Registry& registry) {
  registry.add(std::make_unique<ops::SharedZones>());
  registry.add(std::make_unique<ops::Intersection>());
}

}  // namespace twinrisk
