#pragma once
// The faces of fully noded linework, for cutting zones by municipalities (ops/zone_cut).
//
// GEOS's polygonizer finds the same faces but checks every ring it traces with a full validity
// test: two thirds of its time, and 8 % of a shared-zones run at 20k × 5k. Linework that an
// overlay has noded needs no such test: its lines meet only at their ends, so the traced rings
// are simple. Private to src/ops.

#include <vector>

#include "twinrisk/core/geos.hpp"

namespace twinrisk::ops {

// The bounded faces of `noded_lines` (lines that meet only at their end points; a vertex inside a
// line where another line ends is made a node too), each a polygon with the rings of the faces
// it encloses as holes. Dangles and cut edges bound no face and are dropped, as GEOS's
// polygonizer drops them. Faces come in a deterministic order (of the lines given).
std::vector<geos::GeomPtr> planar_faces(const GEOSGeometry* noded_lines);

}  // namespace twinrisk::ops
