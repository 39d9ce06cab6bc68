#pragma once
// The algorithms twinrisk ships, registered explicitly (no static self-registration: see PDAL#3621).

#include "twinrisk/core/registry.hpp"

namespace twinrisk::ops {

void register_builtin_algorithms(Registry& registry);
const Registry& builtin_registry();

}  // namespace twinrisk::ops
