#pragma once
// cooperation-network kernel: municipality pairs weighted by the risk they share, the pairs that
// already cooperate (twinning), and the ones that should.
//
// Measures of a pair {a, b} (each optional: an input left out contributes 0):
//   shared_zones, shared_hazard_area_m2: the zones in which a's part touches b's part
//     (touching_partners), and the sum of both parts' areas over those zones;
//   shared_river_m: the length of river along their border (river-reaches' border_reaches);
//   shared_basin_area_m2: over the basins where both have area, the smaller of the two areas;
//   upstream: which is upstream of the other (basins or rivers); upstream_dependence =
//     1 / (1 + between) for the nearer direction (1: a drains straight into b), 0 when neither;
//     links with more than max_upstream_between between them are left out (default 3), so a long
//     main stem does not join every municipality on it to every one below.
// Score (documented, weights are parameters):
//   score = w_hazard · shared_hazard_area_m2 / 10⁶ + w_river · shared_river_m / 10³
//         + w_basin · shared_basin_area_m2 / 10⁶ + w_upstream · upstream_dependence
// — by default one point per km² of touching hazard zones and per km of border river, one per
// 100 km² of shared basin and half a point for a direct upstream link. Basins and upstream links
// are context: on 20k generated municipalities with 10 km basins, 0.1 point per km² of basin made
// 334,732 of 850,314 pairs "suggested" (every pair of neighbours in a basin); with these defaults a
// pair needs shared hazard or a shared river to reach min_score. A pair is suggested when it is not
// twinned and its score is at least min_score (default 1).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "twinrisk/core/geos.hpp"
#include "twinrisk/core/layer.hpp"
#include "twinrisk/io/graphml.hpp"
#include "twinrisk/ops/basins.hpp"
#include "twinrisk/ops/municipalities.hpp"
#include "twinrisk/ops/river_reaches.hpp"
#include "twinrisk/ops/touching_partners.hpp"

namespace twinrisk::ops {

struct BasinArea {
  std::size_t basin = 0;         // any key naming the basin
  std::size_t municipality = 0;  // group
  double area_m2 = 0;
};

struct CooperationInputs {
  std::vector<TouchingPair> shared_zones;       // touching_partners over zone parts
  std::vector<BorderShare> border_reaches;      // river-reaches
  std::vector<BasinArea> basin_areas;           // basin membership
  std::vector<UpstreamPair> upstream;           // upstream_from_basins or upstream_from_rivers
  std::vector<std::pair<std::string, std::string>> twinning;  // municipality ids of existing pairs
};

struct CooperationWeights {
  double hazard_per_km2 = 1.0;
  double river_per_km = 1.0;
  double basin_per_km2 = 0.01;
  double upstream = 0.5;
  double min_score = 1.0;  // suggested from this score
  std::optional<std::int64_t> max_upstream_between = 3;  // nullopt: every upstream link counts
};

enum class Upstream { none, a_to_b, b_to_a, both };

struct CooperationPair {
  std::size_t a = 0, b = 0;  // groups, a first in the layer
  std::int64_t shared_zones = 0;
  double shared_hazard_area_m2 = 0;
  double shared_river_m = 0;
  double shared_basin_area_m2 = 0;
  Upstream upstream = Upstream::none;
  double upstream_dependence = 0;
  double score = 0;
  bool twinned = false;
  bool suggested = false;
  bool cross_national = false;
  geos::GeomPtr edge;  // line between points on the surface of a and of b
};

// Pairs with a positive measure or twinned, by score (highest first), then (a, b). Throws
// InputError listing every twinning id that is not a municipality, ConfigError for a negative
// weight or min_score.
std::vector<CooperationPair> cooperation_network(const MunicipalityIndex& municipalities, const CooperationInputs& inputs,
                                                 const CooperationWeights& weights = {});

// The network for cooperation.graphml: nodes are the municipalities in any pair (id, name, country,
// x, y of the point on the surface), edges the pairs with every measure.
io::Graph cooperation_graph(const MunicipalityIndex& municipalities, const std::vector<CooperationPair>& pairs);

// Zone parts from a zone_parts layer (fields zone_id, municipality_id, area_m2): parts with an empty
// municipality_id (outside every municipality) are skipped; an id that is not a municipality is an
// InputError naming the feature. The parts point into the layer.
std::vector<ZonePart> zone_parts_from_layer(const Layer& zone_parts, const MunicipalityIndex& municipalities);

// Basin areas of municipalities from basin_membership pieces (pieces outside municipalities skipped).
std::vector<BasinArea> basin_areas(const std::vector<BasinPiece>& pieces);

std::string_view to_string(Upstream upstream);

}  // namespace twinrisk::ops
