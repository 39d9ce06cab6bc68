#pragma once
// restoration kernel: riparian corridors along the reaches of river-reaches, cut by municipality,
// minus built-up and infrastructure footprints and water surfaces, optionally limited to hazard
// zones (floodplain reconnection).
//
// Corridor. For every river and every group of its reaches — the border reaches of one municipality
// pair, and all its other reaches — the corridor is the buffer of those reaches by the river's
// width: width_m is the distance from the centre line on *each* side, so a straight reach of length
// L gives 2 · width_m · L plus its two caps (round by default, with quadrant_segments segments per
// quarter circle, so each round cap is the half 2q-gon of area q · w² · sin(π / 2q); flat caps add
// nothing). Each corridor is cut by the municipalities, where they overlap counting the overlap
// once, in the row first in the layer (as shared-zones does); area in no municipality is dropped
// (outside_area_m2). The work runs municipality by municipality, from the reaches whose corridor
// can reach it, so every overlay stays local however long the river.
//
// Each square metre once. Corridors overlap where rivers meet and where a border group's buffer
// runs into the next group's. Within a municipality, a corridor piece keeps only what no piece
// before it took, in this order: border groups before other reaches, then rivers in layer order,
// then pairs in layer order.
//
// Exclusions. Footprints (points, lines or polygons of any number of layers) are buffered by
// footprint_buffer_m (points and lines exclude nothing at 0) and removed with the water surfaces
// (polygons, as they are); then, when hazard zones are given, what is left is intersected with
// them.
//
// Shared. A candidate is shared when it comes from a border group: it lies along a border reach of
// municipalities a and b. joint_restoration sums, per pair and river, the shared candidates lying in
// a and in b (a third municipality's share of the same corridor, near a tripoint, is its own).

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "twinrisk/core/geos.hpp"
#include "twinrisk/core/layer.hpp"
#include "twinrisk/core/registry.hpp"
#include "twinrisk/ops/municipalities.hpp"
#include "twinrisk/ops/river_reaches.hpp"

namespace twinrisk::ops {

struct RestorationOptions {
  // Distance from the centre line on each side; nullopt: every river needs a width_by_order row.
  std::optional<double> width_m = 30.0;
  // Stream order (the rivers' `order` field, as text: "3") → width; rivers whose order is not listed
  // take width_m.
  std::map<std::string, double> width_by_order;
  double footprint_buffer_m = 0;
  int quadrant_segments = 8;
  geos::CapStyle cap = geos::CapStyle::round;
};

struct RestorationInputs {
  std::vector<const Layer*> footprints;  // built-up areas, infrastructure: any geometry
  std::vector<const Layer*> water;       // water surfaces: polygons
  const Layer* hazard = nullptr;         // when set: corridors limited to these polygons
};

struct RestorationCandidate {
  std::size_t municipality = 0;  // group
  std::size_t river = 0;         // feature position in the rivers layer
  std::optional<std::pair<std::size_t, std::size_t>> border;  // (a, b), a first in the layer
  geos::GeomPtr geometry;
  double area_m2 = 0;
};

struct MunicipalityRestoration {
  std::size_t municipality = 0;
  double area_m2 = 0;
  double shared_area_m2 = 0;  // of that, along border reaches
};

struct JointRestoration {
  std::size_t a = 0, b = 0;  // groups, a first in the layer
  std::size_t river = 0;
  double area_a_m2 = 0, area_b_m2 = 0;
};

struct RestorationResult {
  std::vector<RestorationCandidate> candidates;  // by municipality (group order), then the order above
  std::vector<MunicipalityRestoration> by_municipality;
  std::vector<JointRestoration> joint;  // by (a, b, river)
  double corridor_area_m2 = 0;   // corridors in municipalities, each m² once, before exclusions
  double excluded_area_m2 = 0;   // removed as footprint or water, or outside the hazard zones
  double outside_area_m2 = 0;    // corridor area in no municipality, summed over groups (so where two
                                 // groups' corridors overlap outside, counted for each)
};

// Takes the candidates in their order, a batch at a time, while later ones are still being made.
using CandidateSink = std::function<void(std::vector<RestorationCandidate>&& batch)>;

// Throws ConfigError for a negative width_m, footprint_buffer_m or width_by_order entry (naming the
// order), and InputError naming the river feature when a river's order has no width and there is no
// width_m. With `emit`, the candidates go to it and result.candidates stays empty.
RestorationResult restoration(const Layer& rivers, const RiverReachesResult& reaches,
                              const MunicipalityIndex& municipalities, const RestorationInputs& inputs,
                              const RestorationOptions& options = {}, const CandidateSink& emit = {});

// The step: corridors along the reaches of river-reaches, width fixed or by stream order from a
// table; footprints stream in batches and only those near a corridor are kept.
class Restoration final : public Algorithm {
 public:
  Restoration();
  std::string_view id() const override { return "restoration"; }
  std::string_view title() const override { return "Riparian restoration corridors"; }
  std::string_view group() const override { return "Rivers and basins"; }
  std::string_view help() const override;
  std::vector<std::string> tags() const override;
  StepOutput run(const StepInput& input, Progress& progress) const override;
};

}  // namespace twinrisk::ops
