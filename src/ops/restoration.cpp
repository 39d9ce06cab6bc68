#include "twinrisk/ops/restoration.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/spatial_index.hpp"

namespace twinrisk::ops {
namespace {

using Pair = std::pair<std::size_t, std::size_t>;

// One river's reaches of one kind: the border reaches of a pair, or all the others.
struct Group {
  std::size_t river = 0;
  std::optional<Pair> border;
  std::vector<const GEOSGeometry*> lines;  // reach geometries
  double width = 0;
  // Priority within a municipality: border groups first, then river, then pair.
  auto key() const { return std::make_tuple(border ? 0 : 1, river, border ? *border : Pair{0, 0}); }
};

void check_options(const RestorationOptions& options) {
  if (options.width_m && !(*options.width_m >= 0)) {
    throw ConfigError(fmt::format("width_m is {}; a corridor width must be 0 or more", *options.width_m), {},
                      "width_m is the distance from the river's centre line on each side, in metres");
  }
  for (const auto& [order, width] : options.width_by_order) {
    if (!(width >= 0)) {
      throw ConfigError(fmt::format("the width for stream order {} is {}; a corridor width must be 0 or more", order, width),
                        {}, "correct that row of the width table");
    }
  }
  if (!(options.footprint_buffer_m >= 0)) {
    throw ConfigError(fmt::format("footprint_buffer_m is {}; it must be 0 or more", options.footprint_buffer_m));
  }
  if (options.quadrant_segments < 1) throw ConfigError("quadrant_segments must be 1 or more");
}

std::vector<double> river_widths(const Layer& rivers, const RestorationOptions& options) {
  const auto order_field = rivers.field_index("order");
  std::vector<double> widths(rivers.features.size(), 0.0);
  for (std::size_t r = 0; r < rivers.features.size(); ++r) {
    const auto order = key_text(rivers.features[r], order_field);
    if (const auto it = options.width_by_order.find(order); it != options.width_by_order.end()) {
      widths[r] = it->second;
    } else if (options.width_m) {
      widths[r] = *options.width_m;
    } else {
      ErrorContext context;
      context.layer = rivers.name;
      context.feature = rivers.features[r].fid;
      throw InputError(fmt::format("river {} has stream order '{}', which the width table does not list",
                                   river_id(rivers, r), order),
                       context, "add a row for that order, or give a default width_m");
    }
  }
  return widths;
}

// Polygons to remove, each with its envelope, and an index over them.
struct Obstacles {
  std::vector<geos::GeomPtr> owned;
  std::vector<const GEOSGeometry*> geometry;
  std::unique_ptr<SpatialIndex> index;

  bool empty() const { return geometry.empty(); }

  void build() {
    std::vector<geos::Envelope> envelopes;
    envelopes.reserve(geometry.size());
    for (const auto* g : geometry) envelopes.push_back(geos::envelope(g));
    index = std::make_unique<SpatialIndex>(envelopes);
  }

  // The union of the obstacles that intersect `piece`, or null.
  geos::GeomPtr near(const GEOSGeometry* piece) const {
    if (empty()) return nullptr;
    auto prepared = geos::prepare(piece);
    std::vector<geos::GeomPtr> hits;
    for (auto i : index->query(geos::envelope(piece))) {
      if (geos::intersects(prepared.get(), geometry[i])) hits.push_back(geos::clone(geometry[i]));
    }
    if (hits.empty()) return nullptr;
    return geos::unary_union(std::move(hits));
  }
};

Obstacles exclusions(const RestorationInputs& inputs, double buffer_m, int quadrant_segments) {
  Obstacles out;
  std::vector<const GEOSGeometry*> to_buffer;
  for (const Layer* layer : inputs.footprints) {
    for (const auto& f : layer->features) {
      if (f.geometry && !geos::is_empty(f.geometry.get())) to_buffer.push_back(f.geometry.get());
    }
  }
  std::vector<geos::GeomPtr> buffered(to_buffer.size());
  tbb::parallel_for(std::size_t{0}, to_buffer.size(), [&](std::size_t i) {
    if (buffer_m > 0) {
      buffered[i] = geos::buffer(to_buffer[i], buffer_m, quadrant_segments);
    } else if (!geos::polygon_views(to_buffer[i]).empty()) {
      buffered[i] = geos::multipolygon(geos::polygons_of(to_buffer[i]));
    }
  });
  for (auto& g : buffered) {
    if (g && !geos::is_empty(g.get())) {
      out.geometry.push_back(g.get());
      out.owned.push_back(std::move(g));
    }
  }
  for (const Layer* layer : inputs.water) {
    for (const auto& f : layer->features) {
      if (f.geometry && !geos::polygon_views(f.geometry.get()).empty()) out.geometry.push_back(f.geometry.get());
    }
  }
  out.build();
  return out;
}

Obstacles hazard_zones(const Layer* hazard) {
  Obstacles out;
  if (!hazard) return out;
  for (const auto& f : hazard->features) {
    if (f.geometry && !geos::polygon_views(f.geometry.get()).empty()) out.geometry.push_back(f.geometry.get());
  }
  out.build();
  return out;
}

geos::GeomPtr polygonal(geos::GeomPtr geometry) {
  // Overlays of polygons may return lower-dimensional leftovers in a collection; keep the area.
  if (geos::type_id(geometry.get()) == GEOS_POLYGON || geos::type_id(geometry.get()) == GEOS_MULTIPOLYGON) return geometry;
  return geos::multipolygon(geos::polygons_of(geometry.get()));
}

}  // namespace

RestorationResult restoration(const Layer& rivers, const RiverReachesResult& reaches,
                              const MunicipalityIndex& municipalities, const RestorationInputs& inputs,
                              const RestorationOptions& options) {
  check_options(options);
  const auto widths = river_widths(rivers, options);

  // 1. Groups of reaches and their corridors.
  std::map<std::pair<std::size_t, std::optional<Pair>>, Group> by_key;
  for (const auto& reach : reaches.reaches) {
    std::optional<Pair> border;
    if (reach.border) border = std::minmax(reach.border->side, reach.border->partner);
    auto& group = by_key[{reach.river, border}];
    group.river = reach.river;
    group.border = border;
    group.width = widths.at(reach.river);
    if (reach.geometry) group.lines.push_back(reach.geometry.get());
  }
  std::vector<Group> groups;
  for (auto& [key, group] : by_key) {
    if (group.width > 0 && !group.lines.empty()) groups.push_back(std::move(group));
  }
  struct Part {
    std::size_t group = 0;
    geos::GeomPtr geometry;
  };
  std::vector<std::vector<std::pair<std::size_t, Part>>> parts_of_group(groups.size());  // (municipality, part)
  std::vector<double> outside(groups.size(), 0.0);
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, groups.size(), 1),
      [&](const auto& range) {
        for (std::size_t g = range.begin(); g != range.end(); ++g) {
          std::vector<geos::GeomPtr> lines;
          for (const auto* line : groups[g].lines) lines.push_back(geos::clone(line));
          const auto all = geos::collection(std::move(lines), GEOS_MULTILINESTRING);
          const auto corridor = geos::buffer(all.get(), groups[g].width, options.quadrant_segments, options.cap);
          for (auto& part : cut_by_municipalities(corridor.get(), municipalities)) {
            if (part.municipality) {
              parts_of_group[g].emplace_back(*part.municipality, Part{g, std::move(part.geometry)});
            } else {
              outside[g] += part.area_m2;
            }
          }
        }
      },
      tbb::simple_partitioner());

  // 2. Per municipality: each m² once, then exclusions and hazard.
  std::map<std::size_t, std::vector<Part>> by_municipality;
  for (auto& parts : parts_of_group) {
    for (auto& [m, part] : parts) by_municipality[m].push_back(std::move(part));
  }
  const Obstacles removed = exclusions(inputs, options.footprint_buffer_m, options.quadrant_segments);
  const Obstacles hazard = hazard_zones(inputs.hazard);
  std::vector<std::pair<std::size_t, std::vector<Part>>> work(std::make_move_iterator(by_municipality.begin()),
                                                             std::make_move_iterator(by_municipality.end()));
  by_municipality.clear();
  struct Outcome {
    std::vector<RestorationCandidate> candidates;
    double corridor = 0, excluded = 0;
  };
  std::vector<Outcome> outcomes(work.size());
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, work.size(), 1),
      [&](const auto& range) {
        for (std::size_t w = range.begin(); w != range.end(); ++w) {
          auto& [m, parts] = work[w];
          std::stable_sort(parts.begin(), parts.end(),
                           [&](const Part& x, const Part& y) { return groups[x.group].key() < groups[y.group].key(); });
          std::vector<const GEOSGeometry*> taken;
          for (auto& part : parts) {
            geos::GeomPtr piece = std::move(part.geometry);
            if (!taken.empty()) {
              auto prepared = geos::prepare(piece.get());
              std::vector<geos::GeomPtr> earlier;
              for (const auto* t : taken) {
                if (geos::intersects(prepared.get(), t)) earlier.push_back(geos::clone(t));
              }
              prepared.reset();
              if (!earlier.empty()) piece = polygonal(geos::difference(piece.get(), geos::unary_union(std::move(earlier)).get()));
            }
            const double corridor_area = geos::area(piece.get());
            if (corridor_area <= 0) continue;
            outcomes[w].corridor += corridor_area;
            taken.push_back(piece.get());
            geos::GeomPtr candidate = geos::clone(piece.get());
            if (auto obstacle = removed.near(candidate.get())) {
              candidate = polygonal(geos::difference(candidate.get(), obstacle.get()));
            }
            if (inputs.hazard) {
              auto zones = hazard.near(candidate.get());
              candidate = zones ? polygonal(geos::intersection(candidate.get(), zones.get())) : geos::empty_multipolygon();
            }
            const double area = geos::area(candidate.get());
            outcomes[w].excluded += corridor_area - area;
            // `taken` points into the piece, so the piece lives on in `part`.
            part.geometry = std::move(piece);
            if (area > 0) {
              outcomes[w].candidates.push_back({m, groups[part.group].river, groups[part.group].border, std::move(candidate), area});
            }
          }
        }
      },
      tbb::simple_partitioner());

  // 3. Tables.
  RestorationResult result;
  result.outside_area_m2 = std::accumulate(outside.begin(), outside.end(), 0.0);
  std::map<std::tuple<std::size_t, std::size_t, std::size_t>, JointRestoration> joint;
  for (std::size_t w = 0; w < work.size(); ++w) {
    auto& outcome = outcomes[w];
    result.corridor_area_m2 += outcome.corridor;
    result.excluded_area_m2 += outcome.excluded;
    MunicipalityRestoration totals{work[w].first, 0.0, 0.0};
    for (auto& candidate : outcome.candidates) {
      totals.area_m2 += candidate.area_m2;
      if (candidate.border) {
        totals.shared_area_m2 += candidate.area_m2;
        const auto [a, b] = *candidate.border;
        if (candidate.municipality == a || candidate.municipality == b) {
          auto& row = joint[{a, b, candidate.river}];
          row.a = a;
          row.b = b;
          row.river = candidate.river;
          (candidate.municipality == a ? row.area_a_m2 : row.area_b_m2) += candidate.area_m2;
        }
      }
      result.candidates.push_back(std::move(candidate));
    }
    if (totals.area_m2 > 0) result.by_municipality.push_back(totals);
  }
  for (auto& [key, row] : joint) result.joint.push_back(row);
  return result;
}

}  // namespace twinrisk::ops
