#include "twinrisk/ops/restoration.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <tuple>
#include <unordered_map>

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

geos::GeomPtr polygonal(geos::GeomPtr geometry) {
  // Overlays of polygons may return lower-dimensional leftovers in a collection; keep the area.
  if (geos::type_id(geometry.get()) == GEOS_POLYGON || geos::type_id(geometry.get()) == GEOS_MULTIPOLYGON) return geometry;
  return geos::multipolygon(geos::polygons_of(geometry.get()));
}

// Polygons to remove (or keep to), and an index over them.
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

  // The part of `piece` the obstacles cover: the union of piece ∩ obstacle over the obstacles
  // that intersect it, or null for none. Intersecting first keeps the union small: a corridor
  // piece is a thin strip, the obstacles (overlapping flood zones, building blocks) are not, and
  // unioning whole obstacles before cutting took 5× longer at 20k municipalities.
  geos::GeomPtr covered(const GEOSGeometry* piece) const {
    if (empty()) return nullptr;
    auto prepared = geos::prepare(piece);
    std::vector<geos::GeomPtr> hits;
    for (auto i : index->query(geos::envelope(piece))) {
      if (!geos::intersects(prepared.get(), geometry[i])) continue;
      auto prepared_obstacle = geos::prepare(geometry[i]);
      if (geos::covers(prepared_obstacle.get(), piece)) return geos::clone(piece);
      auto hit = polygonal(geos::intersection(piece, geometry[i]));
      if (!geos::is_empty(hit.get())) hits.push_back(std::move(hit));
    }
    if (hits.empty()) return nullptr;
    return polygonal(geos::unary_union(std::move(hits)));
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

// The boundary segments of the municipality rows that no other row shares in reverse: the rim of
// the layer, and the edges of its gaps and overlaps. Corridor area outside every municipality can
// only lie within the corridor width of one of them. Each ring is walked with its polygon's inside
// on the left, whatever the orientation it was stored in, so that an edge cancels only between
// polygons on its two sides. Neighbours whose shared edges do not match vertex for vertex make more
// rim, which costs time, never area.
SpatialIndex rim_of(const MunicipalityIndex& municipalities) {
  struct Key {
    double x1, y1, x2, y2;
    bool operator==(const Key&) const = default;
  };
  struct Hash {
    std::size_t operator()(const Key& k) const {
      std::size_t h = std::hash<double>()(k.x1);
      for (double v : {k.y1, k.x2, k.y2}) h = h * 1000003u ^ std::hash<double>()(v);
      return h;
    }
  };
  std::unordered_map<Key, int, Hash> net;  // +1 for each way round, -1 for the other
  for (const auto& feature : municipalities.layer().features) {
    if (!feature.geometry) continue;
    for (const auto* polygon : geos::polygon_views(feature.geometry.get())) {
      const auto rings = geos::ring_views(polygon);
      for (std::size_t r = 0; r < rings.size(); ++r) {
        const auto points = geos::coordinates(rings[r]);
        double twice_area = 0;  // shoelace, positive counter-clockwise
        for (std::size_t i = 1; i < points.size(); ++i) {
          twice_area += (points[i - 1].x - points[0].x) * (points[i].y - points[0].y) -
                        (points[i].x - points[0].x) * (points[i - 1].y - points[0].y);
        }
        const bool inside_left = (r == 0) == (twice_area > 0);  // a shell counter-clockwise, a hole clockwise
        for (std::size_t i = 1; i < points.size(); ++i) {
          const auto& a = inside_left ? points[i - 1] : points[i];
          const auto& b = inside_left ? points[i] : points[i - 1];
          const bool forward = std::tie(a.x, a.y) < std::tie(b.x, b.y);
          const Key key = forward ? Key{a.x, a.y, b.x, b.y} : Key{b.x, b.y, a.x, a.y};
          net[key] += forward ? 1 : -1;
        }
      }
    }
  }
  std::vector<geos::Envelope> rim;
  for (const auto& [k, n] : net) {
    if (n != 0) rim.push_back({std::min(k.x1, k.x2), std::min(k.y1, k.y2), std::max(k.x1, k.x2), std::max(k.y1, k.y2)});
  }
  return SpatialIndex(rim);
}

struct Outcome {
  std::vector<RestorationCandidate> candidates;
  double corridor = 0, excluded = 0;
  std::vector<double> inside_of_group;  // corridor area of each group in the row, before overlaps
};

// Everything restore_row reads, shared by all rows.
struct RowContext {
  const MunicipalityIndex& municipalities;
  const RiverReachesResult& reaches;
  const std::vector<Group>& groups;
  const std::vector<std::size_t>& group_of_reach;
  const SpatialIndex& reach_index;
  const std::vector<std::size_t>& indexed;  // reach of each reach_index entry
  const Obstacles& removed;
  const Obstacles& hazard;
  bool hazard_given = false;
  const RestorationOptions& options;
};

// What one municipality row gets: for each group whose reaches come near, the group's corridor
// inside the row, less what earlier (overlapping) rows and earlier groups took, less exclusions,
// within hazard zones.
Outcome restore_row(std::size_t row, const RowContext& c) {
  Outcome outcome;
  outcome.inside_of_group.assign(c.groups.size(), 0.0);
  const auto& features = c.municipalities.layer().features;
  const auto* polygon = features[row].geometry.get();
  if (!polygon || geos::is_empty(polygon)) return outcome;
  const auto row_box = c.municipalities.envelope(row);
  // The reaches whose corridor reaches into this row, by group, in the priority order of the
  // header. A reach farther than the width adds nothing here (nor does its cap where it joins a
  // nearer one, the joint being as far): leaving it out spares buffering it for every row whose
  // bounding box it crosses.
  auto prepared_row = geos::prepare(polygon);
  std::map<std::size_t, std::vector<const GEOSGeometry*>> lines_of;
  for (auto i : c.reach_index.query(row_box)) {
    const auto k = c.indexed[i];
    const auto g = c.group_of_reach[k];
    const auto* line = c.reaches.reaches[k].geometry.get();
    if (geos::distance_within(prepared_row.get(), line, c.groups[g].width)) lines_of[g].push_back(line);
  }
  std::vector<std::size_t> order;
  for (const auto& [g, lines] : lines_of) order.push_back(g);
  std::stable_sort(order.begin(), order.end(), [&](auto x, auto y) { return c.groups[x].key() < c.groups[y].key(); });
  // Earlier rows overlapping this one (interiors meet, not just edges) keep the overlap. Whether
  // interiors meet (a full relate) is asked only of rows whose box a piece reaches: in a clean
  // layer every neighbour merely touches.
  std::vector<std::size_t> earlier_rows;
  for (auto r : c.municipalities.index().query(row_box)) {
    const auto* other = features[r].geometry.get();
    if (r < row && other && geos::intersects(prepared_row.get(), other)) earlier_rows.push_back(r);
  }
  std::map<std::size_t, bool> overlaps_row;
  auto overlapping = [&](std::size_t r) {
    const auto [it, added] = overlaps_row.try_emplace(r, false);
    if (added) it->second = geos::relate_pattern(polygon, features[r].geometry.get(), "T********");
    return it->second;
  };
  std::vector<geos::GeomPtr> taken;
  for (auto g : order) {
    const auto& group = c.groups[g];
    std::vector<geos::GeomPtr> lines;
    for (const auto* line : lines_of[g]) lines.push_back(geos::clone(line));
    // Reaches that meet end to end are sewn back into one line first: buffering the many short
    // pieces as they are made GEOS fall back to snap-rounding noding, 15× slower.
    const auto merged = geos::line_merge(geos::collection(std::move(lines), GEOS_MULTILINESTRING).get());
    const auto corridor = geos::buffer(merged.get(), group.width, c.options.quadrant_segments, c.options.cap);
    auto piece = polygonal(geos::intersection(corridor.get(), polygon));
    if (geos::area(piece.get()) <= 0) continue;
    const auto box = geos::envelope(piece.get());
    for (auto r : earlier_rows) {
      const auto other = c.municipalities.envelope(r);
      if (other.min_x > box.max_x || other.max_x < box.min_x || other.min_y > box.max_y || other.max_y < box.min_y) continue;
      if (!geos::is_empty(piece.get()) && overlapping(r)) {
        piece = polygonal(geos::difference(piece.get(), features[r].geometry.get()));
      }
    }
    // For the outside area: the group's corridor in this row and in no earlier one (an overlap of
    // two rows counted in both made the outside area too small), before other groups took theirs.
    outcome.inside_of_group[g] = geos::area(piece.get());
    std::vector<const GEOSGeometry*> claimed;
    geos::PreparedPtr prepared_piece;
    for (const auto& t : taken) {
      const auto other = geos::envelope(t.get());
      if (other.min_x > box.max_x || other.max_x < box.min_x || other.min_y > box.max_y || other.max_y < box.min_y) continue;
      if (!prepared_piece) prepared_piece = geos::prepare(piece.get());
      if (geos::intersects(prepared_piece.get(), t.get())) claimed.push_back(t.get());
    }
    // Subtracted one by one: each claim overlaps the piece only near a junction, and unioning the
    // claims first was a quarter of the step's time.
    for (const auto* claim : claimed) {
      if (geos::is_empty(piece.get())) break;
      piece = polygonal(geos::difference(piece.get(), claim));
    }
    // Overlays leave dust along shared edges; no result keeps a part under geos::kMinPartArea.
    if (auto cleaned = geos::without_small_parts(piece.get())) piece = std::move(cleaned);
    const double corridor_area = geos::area(piece.get());
    if (corridor_area < geos::kMinPartArea) continue;
    outcome.corridor += corridor_area;
    geos::GeomPtr candidate = geos::clone(piece.get());
    taken.push_back(std::move(piece));
    if (auto obstacle = c.removed.covered(candidate.get())) {
      candidate = polygonal(geos::difference(candidate.get(), obstacle.get()));
    }
    if (c.hazard_given) {
      auto zones = c.hazard.covered(candidate.get());
      candidate = zones ? std::move(zones) : geos::empty_multipolygon();
    }
    if (auto cleaned = geos::without_small_parts(candidate.get())) candidate = std::move(cleaned);
    const double area = geos::area(candidate.get());
    outcome.excluded += corridor_area - area;
    if (area >= geos::kMinPartArea) outcome.candidates.push_back({c.municipalities.group(row), group.river, group.border, std::move(candidate), area});
  }
  return outcome;
}

}  // namespace

RestorationResult restoration(const Layer& rivers, const RiverReachesResult& reaches,
                              const MunicipalityIndex& municipalities, const RestorationInputs& inputs,
                              const RestorationOptions& options, const CandidateSink& emit) {
  check_options(options);
  const auto widths = river_widths(rivers, options);

  // 1. Groups of reaches: per river, the border reaches of each pair and the others.
  std::map<std::pair<std::size_t, std::optional<Pair>>, std::size_t> group_of_key;
  std::vector<Group> groups;
  std::vector<std::size_t> group_of_reach(reaches.reaches.size(), SIZE_MAX);
  for (std::size_t k = 0; k < reaches.reaches.size(); ++k) {
    const auto& reach = reaches.reaches[k];
    if (!reach.geometry || !(widths.at(reach.river) > 0)) continue;
    std::optional<Pair> border;
    if (reach.border) border = std::minmax(reach.border->side, reach.border->partner);
    const auto [it, inserted] = group_of_key.try_emplace({reach.river, border}, groups.size());
    if (inserted) groups.push_back(Group{reach.river, border, {}, widths.at(reach.river)});
    groups[it->second].lines.push_back(reach.geometry.get());
    group_of_reach[k] = it->second;
  }
  // Each group's whole corridor, for its area only (the outside area of the result): only groups
  // with a reach in no municipality or within their width of the rim can have any. Buffering every
  // group took as long as buffering the corridors of all rows (0.95 s of CPU at 20k × 50k).
  const SpatialIndex rim = rim_of(municipalities);
  std::vector<char> may_leave(groups.size(), 0);
  for (std::size_t k = 0; k < reaches.reaches.size(); ++k) {
    const auto g = group_of_reach[k];
    if (g == SIZE_MAX || may_leave[g]) continue;
    const auto& reach = reaches.reaches[k];
    const double w = groups[g].width;
    const auto e = geos::envelope(reach.geometry.get());
    if (!reach.municipality || !rim.query({e.min_x - w, e.min_y - w, e.max_x + w, e.max_y + w}).empty()) may_leave[g] = 1;
  }
  std::vector<double> group_area(groups.size(), 0.0);
  tbb::parallel_for(std::size_t{0}, groups.size(), [&](std::size_t g) {
    if (!may_leave[g]) return;
    std::vector<geos::GeomPtr> lines;
    for (const auto* line : groups[g].lines) lines.push_back(geos::clone(line));
    const auto merged = geos::line_merge(geos::collection(std::move(lines), GEOS_MULTILINESTRING).get());
    group_area[g] = geos::area(geos::buffer(merged.get(), groups[g].width, options.quadrant_segments, options.cap).get());
  });

  // 2. Per municipality row, from the reaches whose corridor can reach it: the corridor of each
  // group inside the row, each m² once, minus exclusions, within hazard zones. Working row by row
  // keeps every overlay local: a river-long corridor cut by hundreds of municipalities in one piece
  // spent its time clipping the whole outline once per municipality (1.9 s of CPU at 20k
  // municipalities, against 0.5 s row by row).
  std::vector<geos::Envelope> reach_boxes;
  std::vector<std::size_t> indexed;  // reach of each box
  for (std::size_t k = 0; k < reaches.reaches.size(); ++k) {
    if (group_of_reach[k] == SIZE_MAX) continue;
    const double w = groups[group_of_reach[k]].width;
    const auto e = geos::envelope(reaches.reaches[k].geometry.get());
    reach_boxes.push_back({e.min_x - w, e.min_y - w, e.max_x + w, e.max_y + w});
    indexed.push_back(k);
  }
  const SpatialIndex reach_index(reach_boxes);
  std::vector<char> near_river(municipalities.rows(), 0);
  for (const auto& box : reach_boxes) {
    for (auto r : municipalities.index().query(box)) near_river[r] = 1;
  }
  std::vector<std::size_t> rows;
  for (std::size_t r = 0; r < near_river.size(); ++r) {
    if (near_river[r]) rows.push_back(r);
  }
  const Obstacles removed = exclusions(inputs, options.footprint_buffer_m, options.quadrant_segments);
  const Obstacles hazard = hazard_zones(inputs.hazard);
  const RowContext context{municipalities, reaches, groups, group_of_reach, reach_index, indexed,
                           removed,        hazard,  inputs.hazard != nullptr, options};
  // The rows in the candidates' order: by municipality (group), each municipality's rows in layer
  // order. They are done in pieces on every thread and tallied (and handed on) in that order, so
  // the writer takes the first candidates while later rows are still being worked on.
  std::vector<std::size_t> by_group(rows.size());
  std::iota(by_group.begin(), by_group.end(), std::size_t{0});
  std::stable_sort(by_group.begin(), by_group.end(),
                   [&](auto x, auto y) { return municipalities.group(rows[x]) < municipalities.group(rows[y]); });
  RestorationResult result;
  std::map<std::tuple<std::size_t, std::size_t, std::size_t>, JointRestoration> joint;
  std::map<std::size_t, MunicipalityRestoration> totals;
  auto tally = [&](Outcome& outcome, std::vector<RestorationCandidate>& out) {
    result.corridor_area_m2 += outcome.corridor;
    result.excluded_area_m2 += outcome.excluded;
    for (auto& candidate : outcome.candidates) {
      auto& t = totals[candidate.municipality];
      t.municipality = candidate.municipality;
      t.area_m2 += candidate.area_m2;
      if (candidate.border) {
        t.shared_area_m2 += candidate.area_m2;
        const auto [a, b] = *candidate.border;
        if (candidate.municipality == a || candidate.municipality == b) {
          auto& row = joint[{a, b, candidate.river}];
          row.a = a;
          row.b = b;
          row.river = candidate.river;
          (candidate.municipality == a ? row.area_a_m2 : row.area_b_m2) += candidate.area_m2;
        }
      }
      out.push_back(std::move(candidate));
    }
    outcome.candidates.clear();
  };
  // Pieces of a few rows (a row takes from 0 to 50 ms), many in flight: a slow row must not keep the
  // threads waiting for the tally (8 a thread were 2 % slower than 32 at 20k × 50k).
  constexpr std::size_t kRowsPerPiece = 4;
  const auto in_flight = static_cast<std::size_t>(32 * tbb::this_task_arena::max_concurrency());
  using Span = std::pair<std::size_t, std::size_t>;  // positions in by_group
  std::vector<Outcome> outcomes(rows.size());
  std::size_t next = 0;
  tbb::parallel_pipeline(
      in_flight,
      tbb::make_filter<void, Span>(tbb::filter_mode::serial_in_order,
                                   [&](tbb::flow_control& control) -> Span {
                                     if (next == by_group.size()) {
                                       control.stop();
                                       return {};
                                     }
                                     const Span span{next, std::min(next + kRowsPerPiece, by_group.size())};
                                     next = span.second;
                                     return span;
                                   }) &
          tbb::make_filter<Span, Span>(tbb::filter_mode::parallel,
                                       [&](Span span) {
                                         for (auto i = span.first; i != span.second; ++i) {
                                           outcomes[by_group[i]] = restore_row(rows[by_group[i]], context);
                                         }
                                         return span;
                                       }) &
          tbb::make_filter<Span, void>(tbb::filter_mode::serial_in_order, [&](Span span) {
            std::vector<RestorationCandidate> done;
            for (auto i = span.first; i != span.second; ++i) tally(outcomes[by_group[i]], emit ? done : result.candidates);
            if (emit && !done.empty()) emit(std::move(done));
          }));
  std::vector<double> outside = group_area;
  for (const auto& outcome : outcomes) {
    for (std::size_t g = 0; g < outcome.inside_of_group.size(); ++g) outside[g] -= outcome.inside_of_group[g];
  }
  for (double o : outside) result.outside_area_m2 += std::max(0.0, o);
  for (auto& [group, t] : totals) {
    if (t.area_m2 > 0) result.by_municipality.push_back(t);
  }
  for (auto& [key, row] : joint) result.joint.push_back(row);
  return result;
}

}  // namespace twinrisk::ops
