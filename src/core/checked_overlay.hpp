// Intersection and difference through CheckedNoder (geos_overlay.cpp), for core/geos.cpp.
#pragma once

#include "twinrisk/core/geos.hpp"

namespace twinrisk::geos {

enum class OverlayOp { intersection, difference };

// The overlay as GEOS's first, floating-point attempt computes it, noded by CheckedNoder: the
// same result GEOSIntersection_r or GEOSDifference_r gives where that attempt succeeds. Null
// where it fails (GEOS would go on to snapping), or where an input is empty: then call those.
GeomPtr floating_overlay(const GEOSGeometry* a, const GEOSGeometry* b, OverlayOp op);

}  // namespace twinrisk::geos
