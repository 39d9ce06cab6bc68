#include "twinrisk/ops/zone_cut.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <algorithm>
#include <iterator>
#include <mutex>
#include <numeric>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/text.hpp"
#include "planar_faces.hpp"

namespace twinrisk::ops {
namespace {

class DisjointSets {
 public:
  explicit DisjointSets(std::size_t n) : m_parent(n) { std::iota(m_parent.begin(), m_parent.end(), 0); }
  std::size_t find(std::size_t x) {
    while (m_parent[x] != x) x = m_parent[x] = m_parent[m_parent[x]];
    return x;
  }
  void unite(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a != b) m_parent[std::max(a, b)] = std::min(a, b);
  }

 private:
  std::vector<std::size_t> m_parent;
};

std::string text_of(const Feature& feature, std::optional<std::size_t> field) {
  return field ? to_display_string(feature.values[*field]) : std::string();
}

// A polygon of a hazard feature: what is dissolved and cut. Multi-part features are split so
// that every unit is connected and so lies in exactly one zone.
struct Unit {
  const GEOSGeometry* polygon;  // points into the hazard layer's geometry
  Value class_value;
  double area_m2 = 0;
};

// Units grouped by class value (NULL class is a class of its own), in layer order.
std::map<Value, std::vector<std::size_t>> units_by_class(const Layer& hazard, std::vector<Unit>& units) {
  std::map<Value, std::vector<std::size_t>> groups;
  const auto class_field = hazard.field_index("class");
  for (const auto& feature : hazard.features) {
    const Value class_value = class_field ? feature.values[*class_field] : Value(std::int64_t{1});
    for (const auto* polygon : geos::polygon_views(feature.geometry.get())) {
      groups[class_value].push_back(units.size());
      units.push_back(Unit{polygon, class_value, 0.0});
    }
  }
  tbb::parallel_for(std::size_t{0}, units.size(), [&](std::size_t u) { units[u].area_m2 = geos::area(units[u].polygon); });
  return groups;
}

// Connected components of one class's units (overlapping or touching), each in ascending order.
// A pair already joined through others is not tested: most pairs whose boxes meet do intersect
// (16k of 18k at 20k × 5k), and a spanning forest needs only units − components of them.
std::vector<std::vector<std::size_t>> components_of(const std::vector<Unit>& units, const std::vector<std::size_t>& members) {
  std::vector<geos::Envelope> envelopes;
  envelopes.reserve(members.size());
  for (auto u : members) envelopes.push_back(geos::envelope(units[u].polygon));
  const SpatialIndex index(envelopes);
  DisjointSets sets(members.size());
  std::mutex sets_mutex;  // held for a find or a union, never for a test
  const auto joined = [&](std::size_t a, std::size_t b) {
    const std::lock_guard lock(sets_mutex);
    return sets.find(a) == sets.find(b);
  };
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, members.size(), 16), [&](const auto& range) {
    for (std::size_t a = range.begin(); a != range.end(); ++a) {
      geos::PreparedPtr prepared;  // made when a pair needs a test
      for (auto b : index.query(envelopes[a])) {
        if (b <= a || joined(a, b)) continue;
        if (!prepared) prepared = geos::prepare(units[members[a]].polygon);
        if (geos::intersects(prepared.get(), units[members[b]].polygon)) {
          const std::lock_guard lock(sets_mutex);
          sets.unite(a, b);
        }
      }
    }
  });
  std::map<std::size_t, std::vector<std::size_t>> by_root;
  for (std::size_t a = 0; a < members.size(); ++a) by_root[sets.find(a)].push_back(members[a]);
  std::vector<std::vector<std::size_t>> components;
  components.reserve(by_root.size());
  for (auto& [root, component] : by_root) components.push_back(std::move(component));
  return components;
}

// Unions one component into its zones: one polygon, or several where members touch only at points.
std::vector<Zone> dissolve(const std::vector<Unit>& units, const std::vector<std::size_t>& component) {
  const auto& class_value = units[component.front()].class_value;
  if (component.size() == 1) {  // a valid polygon alone is already its own union
    const auto& unit = units[component.front()];
    std::vector<Zone> zones;
    zones.push_back(Zone{class_value, geos::clone(unit.polygon), unit.area_m2});
    return zones;
  }
  std::vector<geos::GeomPtr> pieces;
  pieces.reserve(component.size());
  for (auto u : component) pieces.push_back(geos::clone(units[u].polygon));
  auto polygons = geos::polygons_of(geos::unary_union(std::move(pieces)).get());
  std::vector<Zone> zones;
  zones.reserve(polygons.size());
  for (auto& polygon : polygons) {
    if (auto cleaned = geos::without_small_parts(polygon.get())) polygon = std::move(cleaned);
    const double area = geos::area(polygon.get());
    if (area >= geos::kMinPartArea) zones.push_back(Zone{class_value, std::move(polygon), area});
  }
  return zones;
}

// A hole under kMinPartArea that dissolve() filled holds no point farther than sqrt(area / pi)
// = 0.056 m from a hazard polygon; a margin above that keeps every segment that meets the zone.
constexpr double kNearPieceMargin = 0.1;

bool near_a_piece(const SpatialIndex& pieces, geos::Envelope envelope) {
  envelope.min_x -= kNearPieceMargin;
  envelope.min_y -= kNearPieceMargin;
  envelope.max_x += kNearPieceMargin;
  envelope.max_y += kNearPieceMargin;
  return pieces.any(envelope);
}

// A boundary segment, whichever way it runs: neighbouring municipalities share theirs.
struct Segment {
  geos::XY a, b;
  static Segment of(geos::XY p, geos::XY q) {
    return std::tie(p.x, p.y) < std::tie(q.x, q.y) ? Segment{p, q} : Segment{q, p};
  }
  bool operator==(const Segment& other) const {
    return a.x == other.a.x && a.y == other.a.y && b.x == other.b.x && b.y == other.b.y;
  }
};
struct SegmentHash {
  std::size_t operator()(const Segment& s) const {
    std::size_t h = 0;
    for (const double v : {s.a.x, s.a.y, s.b.x, s.b.y}) h = h * 0x9e3779b97f4a7c15ULL ^ std::hash<double>{}(v + 0.0);
    return h;
  }
};

// The stretches of a municipality's boundary whose segments come near one of the zone's hazard
// polygons: a segment that meets the zone is among them, and the rest bound no face of the zone.
// A river-long zone's envelope holds whole municipalities, most of whose boundary is far from
// the river; noding that was most of the zone's cut. A segment a neighbour gave already (`taken`)
// is left out: the noder would find it twice, overlapping itself end to end.
void add_boundary_near(const GEOSGeometry* municipality, const SpatialIndex& pieces,
                       std::unordered_set<Segment, SegmentHash>& taken, std::vector<geos::GeomPtr>& lines) {
  std::vector<geos::XY> run;
  auto end_run = [&] {
    if (run.size() >= 2) lines.push_back(geos::line_string(run));
    run.clear();
  };
  for (const auto* polygon : geos::polygon_views(municipality)) {
    for (const auto* ring : geos::ring_views(polygon)) {
      const auto points = geos::coordinates(ring);
      for (std::size_t i = 1; i < points.size(); ++i) {
        const auto& a = points[i - 1];
        const auto& b = points[i];
        if (near_a_piece(pieces, {std::min(a.x, b.x), std::min(a.y, b.y), std::max(a.x, b.x), std::max(a.y, b.y)}) &&
            taken.insert(Segment::of(a, b)).second) {
          if (run.empty()) run.push_back(a);
          run.push_back(b);
        } else {
          end_run();
        }
      }
      end_run();
    }
  }
}

}  // namespace

ZoneCut cut_by_municipalities(const GEOSGeometry* zone, double area_m2, const std::vector<Feature>& municipalities,
                              const SpatialIndex& index, const std::vector<std::size_t>& group_of,
                              const SpatialIndex* pieces) {
  ZoneCut cut;
  const auto zone_envelope = geos::envelope(zone);
  std::optional<SpatialIndex> zone_only;  // without pieces, the polygon's own envelope
  if (!pieces) zone_only.emplace(std::vector<geos::Envelope>{zone_envelope});
  const auto& near = pieces ? *pieces : *zone_only;
  auto prepared_zone = geos::prepare(zone);
  std::vector<std::size_t> candidates;
  std::vector<geos::PreparedPtr> prepared;
  bool covered_by_one = false;
  for (auto m : index.query(zone_envelope)) {
    const auto* municipality = municipalities[m].geometry.get();
    if (!near_a_piece(near, geos::envelope(municipality))) continue;
    if (!geos::intersects(prepared_zone.get(), municipality)) continue;
    auto prepared_municipality = geos::prepare(municipality);
    if (candidates.empty() && geos::covers(prepared_municipality.get(), zone)) covered_by_one = true;
    candidates.push_back(m);
    prepared.push_back(std::move(prepared_municipality));
  }
  // The common case: the zone lies in one municipality and touches no other.
  if (covered_by_one && candidates.size() == 1) {
    cut.parts.push_back(Part{group_of[candidates.front()], geos::clone(zone), area_m2});
    return cut;
  }
  std::map<std::size_t, std::vector<geos::GeomPtr>> faces_of;  // by municipality (group) in layer order
  std::vector<geos::GeomPtr> outside;
  if (candidates.empty()) {
    outside.push_back(geos::clone(zone));
  } else {
    std::vector<geos::GeomPtr> lines;
    lines.push_back(geos::boundary(zone));
    std::unordered_set<Segment, SegmentHash> taken;
    for (auto m : candidates) add_boundary_near(municipalities[m].geometry.get(), near, taken, lines);
    const auto noded = geos::unary_union(geos::collection(std::move(lines), GEOS_GEOMETRYCOLLECTION).get());
    std::vector<geos::Envelope> candidate_envelopes;
    for (auto m : candidates) candidate_envelopes.push_back(geos::envelope(municipalities[m].geometry.get()));
    const SpatialIndex candidate_index(candidate_envelopes);
    for (auto& face : planar_faces(noded.get())) {
      const auto inside = geos::point_on_surface(face.get());
      if (!geos::contains(prepared_zone.get(), inside.get())) continue;  // a hole, or outside the zone
      // Candidates come in layer order, so the first container is the first in the layer.
      std::optional<std::size_t> owner;
      bool shared = false;
      for (auto c : candidate_index.query(geos::envelope(inside.get()))) {
        if (!geos::contains(prepared[c].get(), inside.get())) continue;
        const auto group = group_of[candidates[c]];
        if (!owner) {
          owner = group;
        } else if (group != *owner) {
          shared = true;
          cut.overlapping.insert(group);
        }
      }
      if (shared) cut.overlap_m2 += geos::area(face.get());
      (owner ? faces_of[*owner] : outside).push_back(std::move(face));
    }
  }
  auto add_part = [&](std::optional<std::size_t> municipality, std::vector<geos::GeomPtr> faces) {
    auto geometry = geos::coverage_union(std::move(faces));
    // Faces of nearly coincident boundaries union into collapsed slivers (a ring A,B,B,A).
    if (auto cleaned = geos::without_small_parts(geometry.get())) geometry = std::move(cleaned);
    const double area = geos::area(geometry.get());
    if (area >= geos::kMinPartArea) cut.parts.push_back(Part{municipality, std::move(geometry), area});
  };
  for (auto& [group, faces] : faces_of) add_part(group, std::move(faces));
  if (!outside.empty()) add_part(std::nullopt, std::move(outside));
  return cut;
}

namespace {

// Row `m` shares its id with the earlier row `first`: one municipality in several rows (islands,
// exclaves). A name or country only one of them has is taken; two different ones are an error,
// for merging them would lose one without a word.
void merge_attributes(MunicipalityTable& table, const Layer& municipalities, std::size_t first, std::size_t m) {
  for (auto* column : {&table.name, &table.country}) {
    auto& kept = (*column)[first];
    const auto& other = (*column)[m];
    if (kept.empty()) kept = other;
    if (other.empty() || other == kept) continue;
    ErrorContext context;
    context.layer = municipalities.name;
    context.feature = municipalities.features[m].fid;
    throw InputError(fmt::format("id '{}' is also the id of feature {}, which is '{}' ({}), but this row is '{}' ({}); "
                                 "rows that share an id are one municipality",
                                 table.id[m], municipalities.features[first].fid, table.name[first],
                                 table.country[first], table.name[m], table.country[m]),
                     context, "give them different ids, or the same name and country");
  }
}

}  // namespace

MunicipalityTable municipality_table(const Layer& municipalities) {
  const auto id_field = municipalities.field_index("id");
  const auto name_field = municipalities.field_index("name");
  const auto country_field = municipalities.field_index("country");
  const auto& features = municipalities.features;
  MunicipalityTable table{{}, {}, {}, {}, {}, std::vector<std::size_t>(features.size()),
                          std::vector<double>(features.size(), 0.0), SpatialIndex(municipalities)};
  std::vector<double> feature_area(features.size());
  tbb::parallel_for(std::size_t{0}, features.size(),
                    [&](std::size_t m) { feature_area[m] = geos::area(features[m].geometry.get()); });
  for (const auto& feature : features) {
    table.id.push_back(text_of(feature, id_field));
    table.name.push_back(text_of(feature, name_field));
    table.country.push_back(text_of(feature, country_field));
  }
  std::unordered_map<std::string_view, std::size_t> first_with_id;
  first_with_id.reserve(features.size());
  for (std::size_t m = 0; m < features.size(); ++m) {
    const auto first = table.group_of[m] = first_with_id.try_emplace(table.id[m], m).first->second;
    table.area[first] += feature_area[m];
    if (first != m) merge_attributes(table, municipalities, first, m);
  }
  for (std::size_t m = 0; m < features.size(); ++m) {
    table.list_id.push_back(escape_list_item(table.id[m]));
    table.list_country.push_back(escape_list_item(table.country[m]));
  }
  return table;
}

ZonesAndCuts dissolve_and_cut(const Layer& hazard, const Layer& municipalities, const MunicipalityTable& table,
                              Progress& progress) {
  std::vector<Unit> units;
  const auto classes = units_by_class(hazard, units);
  ZonesAndCuts result;
  if (auto unclassed = classes.find(Value()); unclassed != classes.end()) {
    result.unclassed_polygons = unclassed->second.size();
  }
  std::vector<std::vector<std::size_t>> components;
  for (const auto& [class_value, members] : classes) {
    for (auto& component : components_of(units, members)) components.push_back(std::move(component));
  }
  std::vector<std::size_t> schedule(components.size());
  std::iota(schedule.begin(), schedule.end(), 0);
  std::stable_sort(schedule.begin(), schedule.end(),
                   [&](auto a, auto b) { return components[a].size() > components[b].size(); });
  std::vector<std::vector<Zone>> dissolved(components.size());
  std::vector<std::vector<ZoneCut>> component_cuts(components.size());
  progress.start("dissolve and cut", units.size());
  // simple_partitioner makes every component a task of its own that an idle thread can take; the
  // default partitioner hands out chunks, and the thread whose chunk starts with the river-long
  // zone would work through the next biggest components alone (0.64 s → 0.48 s at 20k × 5k).
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, schedule.size(), 1),
      [&](const auto& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i) {
          const auto c = schedule[i];
          dissolved[c] = dissolve(units, components[c]);
          std::vector<geos::Envelope> unit_envelopes;
          for (auto u : components[c]) unit_envelopes.push_back(geos::envelope(units[u].polygon));
          const SpatialIndex pieces(unit_envelopes);
          for (const auto& zone : dissolved[c]) {
            component_cuts[c].push_back(cut_by_municipalities(zone.geometry.get(), zone.area_m2,
                                                              municipalities.features, table.index, table.group_of,
                                                              &pieces));
          }
          progress.advance(components[c].size());
        }
      },
      tbb::simple_partitioner());
  progress.finish();
  for (std::size_t c = 0; c < components.size(); ++c) {
    std::move(dissolved[c].begin(), dissolved[c].end(), std::back_inserter(result.zones));
    std::move(component_cuts[c].begin(), component_cuts[c].end(), std::back_inserter(result.cuts));
  }
  return result;
}

}  // namespace twinrisk::ops
