#include "twinrisk/ops/cooperation_network.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "twinrisk/core/error.hpp"
#include "twinrisk/io/graphml.hpp"

namespace twinrisk::ops {
namespace {

using Key = std::pair<std::size_t, std::size_t>;
Key key_of(std::size_t x, std::size_t y) { return std::minmax(x, y); }

void check_weights(const CooperationWeights& w) {
  for (const auto& [name, value] : {std::pair{"hazard_per_km2", w.hazard_per_km2}, std::pair{"river_per_km", w.river_per_km},
                                    std::pair{"basin_per_km2", w.basin_per_km2}, std::pair{"upstream", w.upstream},
                                    std::pair{"min_score", w.min_score}}) {
    if (!(value >= 0)) throw ConfigError(fmt::format("weight {} is {}; weights must be 0 or more", name, value));
  }
  if (w.max_upstream_between && *w.max_upstream_between < 0) {
    throw ConfigError(fmt::format("max_upstream_between is {}; it must be 0 or more", *w.max_upstream_between));
  }
}

std::set<Key> twinned_pairs(const MunicipalityIndex& municipalities,
                            const std::vector<std::pair<std::string, std::string>>& twinning) {
  std::set<Key> out;
  std::set<std::string> unknown;
  for (const auto& [a, b] : twinning) {
    const auto ga = municipalities.find(a), gb = municipalities.find(b);
    if (!ga) unknown.insert(a);
    if (!gb) unknown.insert(b);
    if (ga && gb && *ga != *gb) out.insert(key_of(*ga, *gb));
  }
  if (!unknown.empty()) {
    std::string ids;
    for (const auto& id : unknown) ids += (ids.empty() ? "" : ", ") + id;
    throw InputError(fmt::format("twinning names {} that {} not in the municipalities: {}", unknown.size() == 1 ? "an id" : "ids",
                                 unknown.size() == 1 ? "is" : "are", ids),
                     {}, "twinning pairs use the municipalities' id field; correct or remove those rows");
  }
  return out;
}

}  // namespace

std::string_view to_string(Upstream upstream) {
  switch (upstream) {
    case Upstream::none: return "";
    case Upstream::a_to_b: return "a>b";
    case Upstream::b_to_a: return "b>a";
    case Upstream::both: return "both";
  }
  return "";
}

std::vector<CooperationPair> cooperation_network(const MunicipalityIndex& municipalities, const CooperationInputs& inputs,
                                                 const CooperationWeights& weights) {
  check_weights(weights);
  const auto twinned = twinned_pairs(municipalities, inputs.twinning);
  std::map<Key, CooperationPair> pairs;
  auto pair_of = [&](std::size_t x, std::size_t y) -> CooperationPair& {
    const auto key = key_of(x, y);
    auto& p = pairs[key];
    p.a = key.first;
    p.b = key.second;
    return p;
  };
  for (const auto& z : inputs.shared_zones) {
    if (z.a == z.b) continue;
    auto& p = pair_of(z.a, z.b);
    ++p.shared_zones;
    p.shared_hazard_area_m2 += z.area_a_m2 + z.area_b_m2;
  }
  for (const auto& r : inputs.border_reaches) {
    if (r.a != r.b) pair_of(r.a, r.b).shared_river_m += r.shared_length_m;
  }
  {
    std::map<std::size_t, std::map<std::size_t, double>> by_basin;  // basin → group → area
    for (const auto& area : inputs.basin_areas) by_basin[area.basin][area.municipality] += area.area_m2;
    for (const auto& [basin, areas] : by_basin) {
      for (auto x = areas.begin(); x != areas.end(); ++x) {
        for (auto y = std::next(x); y != areas.end(); ++y) {
          const double shared = std::min(x->second, y->second);
          if (shared > 0) pair_of(x->first, y->first).shared_basin_area_m2 += shared;
        }
      }
    }
  }
  for (const auto& u : inputs.upstream) {
    if (u.upstream == u.downstream) continue;
    if (weights.max_upstream_between && u.between > *weights.max_upstream_between) continue;
    auto& p = pair_of(u.upstream, u.downstream);
    const bool a_up = u.upstream == p.a;
    const Upstream direction = a_up ? Upstream::a_to_b : Upstream::b_to_a;
    if (p.upstream == Upstream::none) {
      p.upstream = direction;
    } else if (p.upstream != direction) {
      p.upstream = Upstream::both;
    }
    p.upstream_dependence = std::max(p.upstream_dependence, 1.0 / (1.0 + static_cast<double>(std::max<std::int64_t>(u.between, 0))));
  }
  for (const auto& key : twinned) pair_of(key.first, key.second).twinned = true;

  std::vector<CooperationPair> out;
  out.reserve(pairs.size());
  for (auto& [key, p] : pairs) {
    p.score = weights.hazard_per_km2 * p.shared_hazard_area_m2 / 1e6 + weights.river_per_km * p.shared_river_m / 1e3 +
              weights.basin_per_km2 * p.shared_basin_area_m2 / 1e6 + weights.upstream * p.upstream_dependence;
    p.suggested = !p.twinned && p.score >= weights.min_score && p.score > 0;
    p.cross_national = municipalities.cross_national(p.a, p.b);
    out.push_back(std::move(p));
  }
  std::stable_sort(out.begin(), out.end(), [](const CooperationPair& x, const CooperationPair& y) { return x.score > y.score; });
  // Edges: a line between the two points on surface, each computed once.
  std::map<std::size_t, geos::GeomPtr> points;
  for (const auto& p : out) {
    points.try_emplace(p.a, nullptr);
    points.try_emplace(p.b, nullptr);
  }
  std::vector<std::pair<const std::size_t, geos::GeomPtr>*> slots;
  for (auto& entry : points) slots.push_back(&entry);
  tbb::parallel_for(std::size_t{0}, slots.size(), [&](std::size_t i) { slots[i]->second = municipalities.point_on_surface(slots[i]->first); });
  auto xy = [](const GEOSGeometry* point) {
    const auto e = geos::envelope(point);
    return geos::XY{e.min_x, e.min_y};
  };
  for (auto& p : out) {
    const geos::XY ends[] = {xy(points.at(p.a).get()), xy(points.at(p.b).get())};
    p.edge = geos::line_string(ends);
  }
  return out;
}

io::Graph cooperation_graph(const MunicipalityIndex& municipalities, const std::vector<CooperationPair>& pairs) {
  io::Graph graph;
  graph.directed = false;
  graph.node_fields = {{"name", FieldType::string}, {"country", FieldType::string}, {"x", FieldType::real}, {"y", FieldType::real}};
  graph.edge_fields = {{"country_a", FieldType::string},       {"country_b", FieldType::string},
                       {"shared_zones", FieldType::integer},    {"shared_hazard_area_m2", FieldType::real},
                       {"shared_river_m", FieldType::real},     {"shared_basin_area_m2", FieldType::real},
                       {"upstream", FieldType::string},         {"upstream_dependence", FieldType::real},
                       {"score", FieldType::real},              {"twinned", FieldType::integer},
                       {"suggested", FieldType::integer},       {"cross_national", FieldType::integer}};
  std::map<std::size_t, geos::XY> nodes;
  for (const auto& p : pairs) {
    // The edge runs between the two points on surface: its ends are the nodes' positions.
    const auto ends = geos::coordinates(p.edge.get());
    nodes.try_emplace(p.a, ends.front());
    nodes.try_emplace(p.b, ends.back());
  }
  for (const auto& [group, point] : nodes) {
    graph.nodes.push_back({municipalities.id(group),
                           {municipalities.name(group), municipalities.country(group), point.x, point.y}});
  }
  for (const auto& p : pairs) {
    graph.edges.push_back({municipalities.id(p.a), municipalities.id(p.b),
                           {municipalities.country(p.a), municipalities.country(p.b), p.shared_zones, p.shared_hazard_area_m2,
                            p.shared_river_m, p.shared_basin_area_m2,
                            p.upstream == Upstream::none ? Value() : Value(std::string(to_string(p.upstream))),
                            p.upstream_dependence, p.score, std::int64_t{p.twinned}, std::int64_t{p.suggested},
                            std::int64_t{p.cross_national}}});
  }
  return graph;
}

std::vector<ZonePart> zone_parts_from_layer(const Layer& zone_parts, const MunicipalityIndex& municipalities) {
  const auto zone_field = zone_parts.field_index("zone_id");
  const auto municipality_field = zone_parts.field_index("municipality_id");
  const auto area_field = zone_parts.field_index("area_m2");
  if (!zone_field || !municipality_field) {
    ErrorContext context;
    context.layer = zone_parts.name;
    throw ConfigError("zone parts need the fields zone_id and municipality_id (shared-zones' zone_parts layer)", context);
  }
  std::vector<ZonePart> out;
  for (const auto& feature : zone_parts.features) {
    const auto id = key_text(feature, municipality_field);
    if (id.empty()) continue;
    const auto group = municipalities.find(id);
    if (!group) {
      ErrorContext context;
      context.layer = zone_parts.name;
      context.feature = feature.fid;
      throw InputError(fmt::format("municipality_id {} is not in the municipalities", id), context,
                       "zone parts must come from shared-zones run on the same municipalities");
    }
    const auto& zone = feature.values[*zone_field];
    std::int64_t zone_id = 0;
    if (const auto* i = std::get_if<std::int64_t>(&zone)) zone_id = *i;
    if (const auto* r = std::get_if<double>(&zone)) zone_id = static_cast<std::int64_t>(*r);
    if (const auto* s = std::get_if<std::string>(&zone)) {
      const auto [end, error] = std::from_chars(s->data(), s->data() + s->size(), zone_id);
      if (error != std::errc() || end != s->data() + s->size()) {
        ErrorContext context;
        context.layer = zone_parts.name;
        context.feature = feature.fid;
        throw InputError(fmt::format("zone_id '{}' is not a whole number", *s), context);
      }
    }
    double area = feature.geometry ? geos::area(feature.geometry.get()) : 0.0;
    if (area_field) {
      if (const auto* r = std::get_if<double>(&feature.values[*area_field])) area = *r;
    }
    out.push_back({zone_id, *group, feature.geometry.get(), area});
  }
  return out;
}

std::vector<BasinArea> basin_areas(const std::vector<BasinPiece>& pieces) {
  std::vector<BasinArea> out;
  for (const auto& piece : pieces) {
    if (piece.municipality) out.push_back({piece.basin, *piece.municipality, piece.area_m2});
  }
  return out;
}

}  // namespace twinrisk::ops
