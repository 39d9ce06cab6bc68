#pragma once
// Partners that touch (issue 11, item 5): within one zone, the municipality pairs whose parts touch.
// A river-long zone lies in thousands of municipalities, but each part touches only its neighbours'
// parts; shared-zones' municipality_summary lists those, and cooperation-network counts them as
// shared_zones.
//
// Rule. Parts of one zone in municipalities a ≠ b touch when they are at most tolerance_m apart
// (0: they share at least a point, GEOSIntersects). Parts cut from one zone in one noding pass
// (shared-zones) share their common edges exactly, so 0 finds every adjacent pair. Where two
// national datasets leave a gap between municipalities, the zone's area in the gap is a part of no
// municipality and the two parts do not touch: a tolerance as wide as the gap (as in river-reaches)
// makes them partners again.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "twinrisk/core/geos.hpp"

namespace twinrisk::ops {

struct ZonePart {
  std::int64_t zone = 0;
  std::size_t municipality = 0;  // group (or any key naming the municipality)
  const GEOSGeometry* geometry = nullptr;
  double area_m2 = 0;
};

struct TouchingPair {
  std::int64_t zone = 0;
  std::size_t a = 0, b = 0;  // a < b
  double area_a_m2 = 0, area_b_m2 = 0;  // the two municipalities' parts of the zone
};

// Pairs by zone, then (a, b). Several parts of one municipality in a zone act as one (areas added).
// Throws ConfigError for a negative tolerance.
std::vector<TouchingPair> touching_partners(std::span<const ZonePart> parts, double tolerance_m = 0);

}  // namespace twinrisk::ops
