#pragma once
// river-reaches kernel: rivers split at municipal boundaries, and the stretches where a river runs
// along the border between two municipalities ("border reaches").
//
// Pieces. Every river (a LineString, or each line of a MultiLineString) is cut wherever it crosses
// a municipality's outline; each piece goes to the municipality containing it, the row first in
// the layer where municipalities overlap (as shared-zones counts overlaps), or to none ("outside").
// Every metre of river is in exactly one piece: the pieces of a line add up to its length.
//
// Border rule. Let τ = tolerance_m and d(p, M) the distance from a point p to polygon M (0 inside).
// A river point p is *near the border of A and B* (two different municipalities) when
//   (1) d(p, A) ≤ τ and d(p, B) ≤ τ, and
//   (2) p lies in A, in B, or in no municipality.
// (1) is what "the shared boundary" means when two datasets do not share vertices: the band of
// points within τ of both polygons. Where the outlines coincide it is the strip of half-width τ
// about the common edge; a gap of width g between them is inside the band (when g ≤ 2τ, its
// middle; when g ≤ τ, all of it) and the band reaches τ − g into each side; an overlap is inside
// the band whatever its width. So a river that forms the border may lie in the gap, in the overlap,
// or up to τ inside either polygon. (2) keeps a river flowing through a third municipality C from
// counting as the A–B border just because C is narrower than τ there.
//
// Follow, not cross. A *stretch* is a maximal run of river near the border of A and B. Its
// progress along the border is ∫ |t(p) · dp|, where t(p) is the unit vector perpendicular to the
// direction from p to the nearest point q of the farther of the two polygons (the polygon at
// distance max(d(p,A), d(p,B)); inside both, the nearest point of either outline), i.e. the local
// direction of the border as seen from p. A river crossing the border at a right angle moves
// straight towards or away from q and makes no progress; one running along the border makes
// progress equal to its length. A stretch is a border stretch when its progress is at least
// min_follow_m (default 2τ: a crossing steeper than 45° never qualifies, as it crosses the band of
// width 2τ with less progress than that). The integral is summed over steps of at most τ/4 (at
// most 8 per piece between two cut points).
//
// Attribution. Where border stretches of several pairs overlap (near a tripoint), each point goes
// to the pair with the smallest max(d(p,A), d(p,B)), ties to the pair first in layer order. A
// border piece lying in A has side A and partner B; a border piece in a gap (in no municipality)
// has as side the nearer of the two. The whole stretch counts, so a reach includes the approach:
// where the river leaves a border, it is counted until it is τ away from one of the polygons; where
// a shared boundary ends at the edge of the data (no third municipality), the band ends with it,
// up to √(τ² − d²) beyond the last common point for a river at distance d from it.
//
// Lengths. Positions along a line (start_m, end_m) are planar, in vertex order; length_m comes
// from the length function (planar by default; the algorithm binds ellipsoidal measure). The length
// function is called from several threads at once.

#include <cstddef>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "twinrisk/core/geos.hpp"
#include "twinrisk/core/layer.hpp"
#include "twinrisk/ops/municipalities.hpp"

namespace twinrisk::ops {

using LengthFunction = std::function<double(const GEOSGeometry* line)>;
// The planar length of a line (GEOSLength), in the units of the analysis CRS.
double planar_length(const GEOSGeometry* line);

struct RiverReachesOptions {
  double tolerance_m = 500;
  std::optional<double> min_follow_m;  // default: 2 × tolerance_m
  LengthFunction length = planar_length;
};

// One municipality pair's border on one piece of river.
struct BorderSide {
  std::size_t side = 0;     // group: the municipality holding the piece (in a gap, the nearer one)
  std::size_t partner = 0;  // group: the municipality across the border
  bool operator==(const BorderSide&) const = default;
};

struct Reach {
  std::size_t river = 0;  // feature position in the rivers layer
  std::size_t part = 0;   // line of the feature (0 for a LineString)
  double start_m = 0;     // planar position along the line where the piece starts (vertex order)
  double end_m = 0;
  std::optional<std::size_t> municipality;  // group holding the piece; nullopt: in no municipality
  std::optional<BorderSide> border;         // set on border reaches
  geos::GeomPtr geometry;                   // the piece of the line, in vertex order
  double length_m = 0;                      // by the length function
};

// One row of `border_reaches`: the river length along the border of a and b (a before b in the
// layer), wherever it lies: in a, in b, or in the gap between them.
struct BorderShare {
  std::size_t a = 0, b = 0;  // groups
  std::size_t river = 0;
  double shared_length_m = 0;
  double in_a_m = 0, in_b_m = 0, in_gap_m = 0;  // the same length by where the river lies
};

// One row of `reaches_by_municipality`.
struct MunicipalityRivers {
  std::size_t municipality = 0;  // group
  double river_length_m = 0;     // river inside the municipality, each metre once
  double border_length_m = 0;    // of that, on border reaches
};

struct RiverReachesResult {
  std::vector<Reach> reaches;                  // by river, line and position
  std::vector<BorderShare> border_reaches;     // by (a, b, river)
  std::vector<MunicipalityRivers> by_municipality;  // groups with river, in layer order
  // Totals by the length function.
  double river_length_m = 0, outside_length_m = 0, border_length_m = 0;
  // River near a border (rule 1 and 2) that did not follow it (planar metres).
  double crossing_length_m = 0;
};

// Throws InputError naming the feature when a river is not a line (a polygon, a point), and
// ConfigError for a negative tolerance_m or min_follow_m. Empty geometries are skipped.
RiverReachesResult river_reaches(const Layer& rivers, const MunicipalityIndex& municipalities,
                                 const RiverReachesOptions& options = {});

// The river id: its `id` field, or else its feature id.
std::string river_id(const Layer& rivers, std::size_t river);

}  // namespace twinrisk::ops
