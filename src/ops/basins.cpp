#include "twinrisk/ops/basins.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <algorithm>
#include <limits>
#include <deque>
#include <map>
#include <numeric>
#include <set>
#include <unordered_map>

#include "line_geometry.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/core/spatial_index.hpp"

namespace twinrisk::ops {
namespace {

using namespace detail;  // XY arithmetic

ErrorContext feature_context(const Layer& layer, std::size_t position) {
  ErrorContext context;
  context.layer = layer.name;
  context.feature = layer.features[position].fid;
  return context;
}

bool is_outlet(const std::string& next_down) { return next_down.empty() || next_down == "0"; }

}  // namespace

BasinNetwork basin_network(const Layer& basins) {
  const auto id_field = basins.field_index("id");
  const auto next_field = basins.field_index("next_down");
  if (!id_field) {
    ErrorContext context;
    context.layer = basins.name;
    throw ConfigError("the basins have no id field", context, "map fields.id to the basin id (HydroBASINS: HYBAS_ID)");
  }
  const std::size_t n = basins.features.size();
  BasinNetwork network;
  network.id.reserve(n);
  network.next_down.assign(n, std::nullopt);
  std::unordered_map<std::string, std::size_t> by_id;
  for (std::size_t b = 0; b < n; ++b) {
    auto id = key_text(basins.features[b], id_field);
    if (id.empty()) throw InputError("a basin has no id", feature_context(basins, b), "every basin needs an id for next_down to name");
    const auto [it, inserted] = by_id.try_emplace(id, b);
    if (!inserted) {
      throw InputError(fmt::format("basin id {} is used twice (also by feature {})", id, basins.features[it->second].fid),
                       feature_context(basins, b), "basin ids must be unique");
    }
    network.id.push_back(std::move(id));
  }
  if (next_field) {
    for (std::size_t b = 0; b < n; ++b) {
      const auto next = key_text(basins.features[b], next_field);
      if (is_outlet(next)) continue;
      const auto it = by_id.find(next);
      if (it == by_id.end()) {
        throw InputError(fmt::format("basin {}: next_down {} is not the id of any basin", network.id[b], next),
                         feature_context(basins, b),
                         "set next_down to 0 (or leave it empty) for an outlet, or add the missing basin");
      }
      network.next_down[b] = it->second;
    }
  }
  // Cycles: follow each chain once; meeting a basin of the chain being walked closes a cycle.
  std::vector<char> state(n, 0);  // 0 unseen, 1 on the current chain, 2 done
  std::vector<std::size_t> chain;
  for (std::size_t start = 0; start < n; ++start) {
    chain.clear();
    std::optional<std::size_t> b = start;
    while (b && state[*b] == 0) {
      state[*b] = 1;
      chain.push_back(*b);
      b = network.next_down[*b];
    }
    if (b && state[*b] == 1) {
      const auto first = std::find(chain.begin(), chain.end(), *b);
      std::string ids;
      for (auto it = first; it != chain.end(); ++it) ids += network.id[*it] + " → ";
      ids += network.id[*b];
      throw InputError(fmt::format("the basins drain in a cycle: {}", ids), feature_context(basins, *b),
                       "next_down must lead to an outlet (0); correct one next_down of the cycle");
    }
    for (auto c : chain) state[c] = 2;
  }
  return network;
}

std::vector<BasinPiece> basin_membership(const Layer& basins, const MunicipalityIndex& municipalities) {
  std::vector<std::vector<BasinPiece>> per_basin(basins.features.size());
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, basins.features.size(), 1),
      [&](const auto& range) {
        for (std::size_t b = range.begin(); b != range.end(); ++b) {
          const auto* geometry = basins.features[b].geometry.get();
          if (!geometry || geos::is_empty(geometry)) continue;
          const double basin_area = geos::area(geometry);
          for (auto& part : cut_by_municipalities(geometry, municipalities)) {
            BasinPiece piece{b, part.municipality, std::move(part.geometry), part.area_m2,
                             basin_area > 0 ? part.area_m2 / basin_area : 0.0, std::nullopt};
            if (part.municipality && municipalities.area_m2(*part.municipality) > 0) {
              piece.share_of_municipality = part.area_m2 / municipalities.area_m2(*part.municipality);
            }
            per_basin[b].push_back(std::move(piece));
          }
        }
      },
      tbb::simple_partitioner());
  std::vector<BasinPiece> out;
  for (auto& pieces : per_basin) std::move(pieces.begin(), pieces.end(), std::back_inserter(out));
  return out;
}

std::vector<UpstreamPair> upstream_from_basins(const BasinNetwork& network, const std::vector<BasinPiece>& pieces,
                                               double min_area_m2, std::optional<std::int64_t> max_between) {
  if (max_between && *max_between < 0) throw ConfigError(fmt::format("max_between is {}; it must be 0 or more", *max_between));
  const std::int64_t max_depth = max_between ? *max_between + 1 : std::numeric_limits<std::int64_t>::max();
  const std::size_t n = network.id.size();
  std::vector<std::vector<std::size_t>> members(n);  // groups with area in each basin
  std::map<std::size_t, std::vector<std::size_t>> basins_of;  // group → basins, in group order
  for (const auto& piece : pieces) {
    if (!piece.municipality || piece.area_m2 <= 0 || piece.area_m2 < min_area_m2) continue;
    members[piece.basin].push_back(*piece.municipality);
    basins_of[*piece.municipality].push_back(piece.basin);
  }
  std::vector<std::pair<std::size_t, std::vector<std::size_t>>> sources(basins_of.begin(), basins_of.end());
  std::vector<std::vector<UpstreamPair>> per_group(sources.size());
  tbb::parallel_for(std::size_t{0}, sources.size(), [&](std::size_t i) {
    const auto& [group, own] = sources[i];
    // Fewest next_down steps from any of the group's basins to each basin downstream of one.
    std::unordered_map<std::size_t, std::int64_t> depth;
    for (auto a : own) {
      std::int64_t d = 1;
      for (auto b = network.next_down[a]; b && d <= max_depth; b = network.next_down[*b], ++d) {
        const auto [it, inserted] = depth.try_emplace(*b, d);
        if (!inserted) {
          if (it->second <= d) break;  // the rest of this chain is already as near
          it->second = d;
        }
      }
    }
    std::map<std::size_t, std::int64_t> downstream;
    for (const auto& [b, d] : depth) {
      for (auto m : members[b]) {
        if (m == group) continue;
        const auto [it, inserted] = downstream.try_emplace(m, d - 1);
        if (!inserted) it->second = std::min(it->second, d - 1);
      }
    }
    for (const auto& [m, between] : downstream) per_group[i].push_back({group, m, between});
  });
  std::vector<UpstreamPair> out;
  for (auto& pairs : per_group) out.insert(out.end(), pairs.begin(), pairs.end());
  return out;
}

std::vector<UpstreamPair> upstream_from_rivers(const Layer& rivers, const RiverReachesResult& reaches,
                                               const FlowDirections& directions, double snap_m,
                                               std::optional<std::int64_t> max_between) {
  if (!(snap_m >= 0)) throw ConfigError(fmt::format("snap_m is {}; it must be 0 or more", snap_m));
  if (max_between && *max_between < 0) throw ConfigError(fmt::format("max_between is {}; it must be 0 or more", *max_between));
  const std::int64_t max_cost = max_between ? *max_between : std::numeric_limits<std::int64_t>::max();
  // 1. The lines, their direction and their reaches in position order.
  struct Line {
    Polyline polyline;
    FlowDirection direction = FlowDirection::unknown;
    std::vector<std::size_t> reaches;
  };
  std::map<std::pair<std::size_t, std::size_t>, std::size_t> line_of;  // (river, part) → line
  std::vector<Line> lines;
  for (std::size_t k = 0; k < reaches.reaches.size(); ++k) {
    const auto& reach = reaches.reaches[k];
    auto [it, inserted] = line_of.try_emplace({reach.river, reach.part}, lines.size());
    if (inserted) {
      const auto views = geos::line_views(rivers.features.at(reach.river).geometry.get());
      FlowDirection direction = FlowDirection::unknown;
      if (reach.river < directions.size() && reach.part < directions[reach.river].size()) {
        direction = directions[reach.river][reach.part];
      }
      lines.push_back({Polyline(geos::coordinates(views.at(reach.part))), direction, {}});
    }
    lines[it->second].reaches.push_back(k);
  }
  // 2. Where water goes from each reach.
  std::vector<std::vector<std::size_t>> next(reaches.reaches.size());
  std::vector<geos::Envelope> segment_boxes;
  std::vector<std::pair<std::size_t, std::size_t>> segment_of;  // (line, first vertex)
  for (std::size_t l = 0; l < lines.size(); ++l) {
    const auto& points = lines[l].polyline.points;
    for (std::size_t i = 0; i + 1 < points.size(); ++i) {
      segment_boxes.push_back({std::min(points[i].x, points[i + 1].x), std::min(points[i].y, points[i + 1].y),
                               std::max(points[i].x, points[i + 1].x), std::max(points[i].y, points[i + 1].y)});
      segment_of.emplace_back(l, i);
    }
  }
  const SpatialIndex segments(segment_boxes);
  for (std::size_t l = 0; l < lines.size(); ++l) {
    auto& line = lines[l];
    if (line.direction == FlowDirection::unknown) continue;
    const bool forward = line.direction == FlowDirection::forward;
    for (std::size_t k = 0; k + 1 < line.reaches.size(); ++k) {
      if (forward) {
        next[line.reaches[k]].push_back(line.reaches[k + 1]);
      } else {
        next[line.reaches[k + 1]].push_back(line.reaches[k]);
      }
    }
    const XY end = forward ? line.polyline.points.back() : line.polyline.points.front();
    const std::size_t last = forward ? line.reaches.back() : line.reaches.front();
    // The nearest point of every other line within snap_m of the downstream end.
    std::map<std::size_t, std::pair<double, double>> nearest;  // line → (distance, position)
    for (auto s : segments.query({end.x - snap_m, end.y - snap_m, end.x + snap_m, end.y + snap_m})) {
      const auto [m, i] = segment_of[s];
      if (m == l) continue;
      const auto& p = lines[m].polyline;
      const XY q = nearest_on_segment(end, p.points[i], p.points[i + 1]);
      const double d = norm(end - q);
      if (d > snap_m) continue;
      const double position = p.position[i] + norm(q - p.points[i]);
      auto [it, inserted] = nearest.try_emplace(m, d, position);
      if (!inserted && d < it->second.first) it->second = {d, position};
    }
    for (const auto& [m, found] : nearest) {
      const auto& other = lines[m];
      const double position = found.second;
      if (other.direction == FlowDirection::forward && other.polyline.length() - position <= snap_m) continue;
      if (other.direction == FlowDirection::reverse && position <= snap_m) continue;
      // The reach of the other line holding that position.
      const auto holder = std::find_if(other.reaches.begin(), other.reaches.end(), [&](std::size_t r) {
        return reaches.reaches[r].end_m >= position;
      });
      next[last].push_back(holder == other.reaches.end() ? other.reaches.back() : *holder);

    }
  }
  // 3. Riparian municipalities of each reach.
  std::vector<std::vector<std::size_t>> riparian(reaches.reaches.size());
  for (std::size_t k = 0; k < reaches.reaches.size(); ++k) {
    const auto& reach = reaches.reaches[k];
    auto& r = riparian[k];
    if (reach.municipality) r.push_back(*reach.municipality);
    if (reach.border) {
      r.push_back(reach.border->side);
      r.push_back(reach.border->partner);
    }
    std::sort(r.begin(), r.end());
    r.erase(std::unique(r.begin(), r.end()), r.end());
  }
  // 4. From each municipality, along the water: a 0-1 breadth-first search over reaches, where a
  // step costs 1 when it hands the water to a municipality not riparian before (a hand-over). Each
  // hand-over to b after k earlier ones makes b downstream with k municipalities between. Following
  // reaches, not a municipality graph, keeps a river that ends in B from linking A to a river that
  // leaves B for C.
  std::map<std::size_t, std::vector<std::size_t>> sources;
  for (std::size_t k = 0; k < riparian.size(); ++k) {
    for (auto g : riparian[k]) sources[g].push_back(k);
  }
  std::vector<std::pair<std::size_t, std::vector<std::size_t>>> by_group(sources.begin(), sources.end());
  std::vector<std::vector<UpstreamPair>> per_group(by_group.size());
  tbb::parallel_for(std::size_t{0}, by_group.size(), [&](std::size_t i) {
    const auto& [group, starts] = by_group[i];
    std::unordered_map<std::size_t, std::int64_t> cost;
    std::deque<std::pair<std::size_t, std::int64_t>> queue;
    for (auto k : starts) {
      cost[k] = 0;
      queue.emplace_back(k, 0);
    }
    std::map<std::size_t, std::int64_t> downstream;
    auto handed = [&](const std::vector<std::size_t>& from, const std::vector<std::size_t>& to) {
      return std::any_of(to.begin(), to.end(), [&](std::size_t b) { return !std::binary_search(from.begin(), from.end(), b); });
    };
    while (!queue.empty()) {
      const auto [u, c] = queue.front();
      queue.pop_front();
      if (c > cost[u]) continue;  // a cheaper way here was found after this entry was queued
      if (c > max_cost) continue;  // every hand-over from here has more than max_between before it
      for (auto v : next[u]) {
        const bool hand_over = handed(riparian[u], riparian[v]);
        if (hand_over) {
          for (auto b : riparian[v]) {
            if (b == group || std::binary_search(riparian[u].begin(), riparian[u].end(), b)) continue;
            const auto [it, inserted] = downstream.try_emplace(b, c);
            if (!inserted) it->second = std::min(it->second, c);
          }
        }
        const std::int64_t to = c + (hand_over ? 1 : 0);
        const auto [it, inserted] = cost.try_emplace(v, to);
        if (!inserted && it->second <= to) continue;
        it->second = to;
        if (hand_over) {
          queue.emplace_back(v, to);
        } else {
          queue.emplace_front(v, to);
        }
      }
    }
    for (const auto& [b, between] : downstream) per_group[i].push_back({group, b, between});
  });
  std::vector<UpstreamPair> out;
  for (auto& pairs : per_group) out.insert(out.end(), pairs.begin(), pairs.end());
  return out;
}

}  // namespace twinrisk::ops
