#include "twinrisk/ops/exposure.hpp"

#include <fmt/format.h>
#include <boost/container/small_vector.hpp>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <future>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <tuple>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/spatial_index.hpp"
#include "twinrisk/ops/measure.hpp"
#include "twinrisk/ops/touching_partners.hpp"
#include "twinrisk/ops/zone_parts.hpp"
#include "line_geometry.hpp"
#include "step_support.hpp"

namespace twinrisk::ops {
namespace {

// Big enough to keep both threads busy on points; small, so that the reader's read-ahead of the
// next batch overlaps this one's work from the start (65536 left 100k points read mostly alone:
// exposure at 2000 municipalities 1.24 s → 1.15 s) and a batch of road pieces stays small.
constexpr std::size_t kBatchSize = 8192;

// The grid of cells outside every part: finer found more of the points that lie in no part
// (20k × 5k: 92.7 % of 1M points at 8 cells per outline segment, 93.4 % at 32, of the 94.5 % in
// no part) for a longer build on one thread (14 → 28 ms).
constexpr std::size_t kOutsideCellsPerSegment = 16;
constexpr double kInfinity = std::numeric_limits<double>::infinity();

const std::vector<FieldDef> kPieceFields = {
    {"asset_layer", FieldType::string},     {"asset_id", FieldType::integer},
    {"category", FieldType::string},        {"name", FieldType::string},
    {"zone_id", FieldType::integer},        {"class", FieldType::string},
    {"municipality_id", FieldType::string}, {"municipality_name", FieldType::string},
    {"country", FieldType::string},         {"length_m", FieldType::real},
    {"area_m2", FieldType::real},           {"share_of_asset", FieldType::real},
};
const std::vector<FieldDef> kByMunicipalityFields = {
    {"municipality_id", FieldType::string}, {"municipality_name", FieldType::string},
    {"country", FieldType::string},         {"class", FieldType::string},
    {"category", FieldType::string},        {"count", FieldType::integer},
    {"length_m", FieldType::real},          {"area_m2", FieldType::real},
};
const std::vector<FieldDef> kByZoneFields = {
    {"zone_id", FieldType::integer},          {"class", FieldType::string},
    {"category", FieldType::string},          {"count", FieldType::integer},
    {"length_m", FieldType::real},            {"area_m2", FieldType::real},
    {"n_municipalities", FieldType::integer}, {"cross_national", FieldType::integer},
};
const std::vector<FieldDef> kCriticalFields = {
    {"asset_layer", FieldType::string},        {"asset_id", FieldType::integer},
    {"name", FieldType::string},               {"category", FieldType::string},
    {"class", FieldType::string},              {"zone_id", FieldType::integer},
    {"municipality_id", FieldType::string},    {"country", FieldType::string},
    {"zone_municipalities", FieldType::string}, {"zone_countries", FieldType::string},
};
const std::vector<FieldDef> kTotalsFields = {
    {"category", FieldType::string},         {"class", FieldType::string},
    {"assets", FieldType::integer},          {"exposed_assets", FieldType::integer},
    {"unexposed_assets", FieldType::integer}, {"total_length_m", FieldType::real},
    {"exposed_length_m", FieldType::real},   {"unexposed_length_m", FieldType::real},
    {"total_area_m2", FieldType::real},      {"exposed_area_m2", FieldType::real},
    {"unexposed_area_m2", FieldType::real},
};

using Kind = AssetKind;

// Points count (one per member), lines by length, polygons by area.
double measure(Kind kind, const GEOSGeometry* geometry, Measurer& measurer) {
  switch (kind) {
    case Kind::point:
      if (geos::type_id(geometry) == GEOS_POINT) return 1;  // the loader keeps no empty point
      return static_cast<double>(geos::point_views(geometry).size());
    case Kind::line: return measurer.length_m(geometry);
    case Kind::polygon: return measurer.area_m2(geometry);
  }
  return 0;
}

// For each zone and municipality (empty id: the zone outside every municipality), the municipalities
// its flooding concerns: its own and those whose parts of the zone touch its part. Whole-zone
// membership would put a river-long zone's thousands of ids on every critical facility (691 MB of
// critical_facilities at 20k municipalities); it stays in zones.municipalities.
using PartKey = std::pair<std::int64_t, std::string>;
std::map<PartKey, ZoneMembers> touching_members(const Layer& layer, const std::vector<ZonePartInfo>& info) {
  std::map<std::string, std::size_t> key_of;
  std::vector<const ZonePartInfo*> first_of;  // by key: the municipality's id and country
  std::vector<ZonePart> parts;
  for (std::size_t i = 0; i < info.size(); ++i) {
    const auto [it, added] = key_of.try_emplace(info[i].municipality_id, first_of.size());
    if (added) first_of.push_back(&info[i]);
    parts.push_back({info[i].zone_id, it->second, layer.features[i].geometry.get(), 0.0});
  }
  std::map<std::pair<std::int64_t, std::size_t>, std::set<std::size_t>> near;
  for (const auto& part : parts) near[{part.zone, part.municipality}].insert(part.municipality);
  for (const auto& pair : touching_partners(parts)) {
    near[{pair.zone, pair.a}].insert(pair.b);
    near[{pair.zone, pair.b}].insert(pair.a);
  }
  std::map<PartKey, ZoneMembers> out;
  for (const auto& [key, keys] : near) {
    std::set<std::string> ids, countries;
    for (auto k : keys) {
      if (!first_of[k]->municipality_id.empty()) ids.insert(first_of[k]->municipality_id);
      if (!first_of[k]->country.empty()) countries.insert(first_of[k]->country);
    }
    out[{key.first, first_of[key.second]->municipality_id}] = {{ids.begin(), ids.end()}, {countries.begin(), countries.end()}};
  }
  return out;
}

// Each feature's envelope; an empty one for an empty geometry.
std::vector<geos::Envelope> envelopes(const Layer& layer) {
  std::vector<geos::Envelope> out;
  out.reserve(layer.features.size());
  for (const auto& feature : layer.features) {
    const auto* geometry = feature.geometry.get();
    const bool empty = !geometry || geos::is_empty(geometry);
    out.push_back(empty ? geos::Envelope{1, 1, 0, 0} : geos::envelope(geometry));
  }
  return out;
}

// Position of `value` in the sorted, distinct `values`.
template <typename T>
std::size_t rank_in(const std::vector<T>& values, const T& value) {
  return static_cast<std::size_t>(std::lower_bound(values.begin(), values.end(), value) - values.begin());
}

// The zone parts, indexed, with each part's class and municipality as positions in the sorted
// classes and municipality ids, so that tallies key on numbers, not on strings.
struct Parts {
  const Layer& layer;
  std::vector<ZonePartInfo> info;
  std::vector<Value> classes;                 // sorted
  std::vector<std::size_t> class_of;          // per part
  std::vector<std::size_t> municipality_of;   // per part; "" (outside every municipality) first
  std::vector<const ZonePartInfo*> municipality_info;  // per municipality: its first part's name and country
  std::vector<std::pair<std::size_t, std::size_t>> municipality_classes;  // sorted (municipality, class) pairs
  std::vector<std::size_t> municipality_class_of;  // per part: position in municipality_classes
  std::vector<std::int64_t> zone_ids;              // sorted
  std::vector<std::size_t> zone_of;                // per part: position in zone_ids
  std::map<std::int64_t, ZoneMembers> zones;
  std::map<std::int64_t, std::size_t> zone_class;
  SpatialIndex index;
  BoxGrid grid;  // the same boxes, for points
  // Per part: the touching municipalities and countries. Only the critical facilities' rows need
  // them, at the end, so they are worked out while the assets are read (last: awaited first).
  std::shared_future<std::vector<std::pair<std::string, std::string>>> concerned;

  explicit Parts(const Layer& zone_parts)
      : layer(zone_parts), info(zone_part_infos(zone_parts)), zones(zone_members(info)), index(zone_parts),
        grid(envelopes(zone_parts)) {
    std::set<Value> distinct_classes;
    std::set<std::string> distinct_ids;
    for (const auto& part : info) {
      distinct_classes.insert(part.class_value);
      distinct_ids.insert(part.municipality_id);
    }
    classes.assign(distinct_classes.begin(), distinct_classes.end());
    const std::vector<std::string> municipality_ids(distinct_ids.begin(), distinct_ids.end());
    municipality_info.resize(municipality_ids.size(), nullptr);
    for (const auto& part : info) {
      class_of.push_back(rank_in(classes, part.class_value));
      municipality_of.push_back(rank_in(municipality_ids, part.municipality_id));
      if (!municipality_info[municipality_of.back()]) municipality_info[municipality_of.back()] = &part;
      zone_class.try_emplace(part.zone_id, class_of.back());
    }
    for (std::size_t p = 0; p < info.size(); ++p) municipality_classes.emplace_back(municipality_of[p], class_of[p]);
    std::sort(municipality_classes.begin(), municipality_classes.end());
    municipality_classes.erase(std::unique(municipality_classes.begin(), municipality_classes.end()),
                               municipality_classes.end());
    for (const auto& [zone_id, members] : zones) zone_ids.push_back(zone_id);
    for (std::size_t p = 0; p < info.size(); ++p) {
      municipality_class_of.push_back(rank_in(municipality_classes, std::pair{municipality_of[p], class_of[p]}));
      zone_of.push_back(rank_in(zone_ids, info[p].zone_id));
    }
    concerned = std::async(std::launch::async, [this] {
      const auto touching = touching_members(layer, info);
      std::vector<std::pair<std::string, std::string>> out;
      for (const auto& part : info) {
        const auto& members = touching.at({part.zone_id, part.municipality_id});
        out.emplace_back(join_ids(members.municipalities), join_ids(members.countries));
      }
      return out;
    }).share();
  }
  Parts(const Parts&) = delete;
  Parts& operator=(const Parts&) = delete;
};

std::optional<double> leading_number(const std::string& text, bool whole) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  if (whole && end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Rank of each class from lowest (0) to highest hazard, for polygons: whole. NULL ranks below all.
// Without class_order: numbers by value, then labels that start with a number (depth bands
// "0-0.5", "2+") by that number; anything else needs class_order.
std::vector<int> class_ranks(const std::vector<Value>& classes, const std::vector<std::string>& order) {
  std::vector<std::string> texts;
  for (const auto& value : classes) {
    if (!std::holds_alternative<std::monostate>(value)) texts.push_back(to_display_string(value));
  }
  std::vector<double> keys;
  if (!order.empty()) {
    std::vector<std::string> missing;
    for (const auto& text : texts) {
      const auto at = std::find(order.begin(), order.end(), text);
      if (at == order.end()) {
        missing.push_back(text);
      } else {
        keys.push_back(static_cast<double>(at - order.begin()));
      }
    }
    if (!missing.empty()) {
      throw ConfigError(fmt::format("class_order lacks the hazard class{} {} (class_order: {})",
                                    missing.size() > 1 ? "es" : "", fmt::join(missing, ", "), fmt::join(order, ", ")),
                        {}, "list every class of the zone parts, from the lowest hazard to the highest");
    }
  } else {
    for (bool whole : {true, false}) {
      keys.clear();
      for (const auto& text : texts) {
        const auto number = leading_number(text, whole);
        if (!number) break;
        keys.push_back(*number);
      }
      if (keys.size() == texts.size()) break;
    }
    if (keys.size() != texts.size()) {
      throw ConfigError(fmt::format("polygons: whole counts a polygon in its highest hazard class, but the classes "
                                    "({}) have no order of their own",
                                    fmt::join(texts, ", ")),
                        {}, fmt::format("set class_order to the classes from lowest to highest, e.g. [{}]",
                                        fmt::join(texts, ", ")));
    }
  }
  std::vector<int> ranks(classes.size(), -1);
  std::size_t k = 0;
  for (std::size_t c = 0; c < classes.size(); ++c) {
    if (std::holds_alternative<std::monostate>(classes[c])) continue;
    const double key = keys[k++];
    ranks[c] = static_cast<int>(std::count_if(keys.begin(), keys.end(), [&](double other) { return other < key; }));
  }
  return ranks;
}

struct Piece {
  std::size_t part = 0;
  geos::GeomPtr geometry;
  double length_m = 0, area_m2 = 0, share = 1;
};

// Per hazard class, inline: classes are few, and a vector per asset was an allocation per point.
template <typename T>
using PerClass = boost::container::small_vector<T, 4>;

struct AssetResult {
  std::optional<Kind> kind;
  double total = 0;                // points: members; lines: metres; polygons: square metres
  std::vector<Piece> pieces;       // in class order, then part order
  PerClass<double> unexposed;      // the measure in no part of that class
  double outside = 0;              // the measure in no zone part at all
};

// Splits assets among the zone parts; one per step, shared by the worker threads.
class Splitter {
 public:
  Splitter(const Parts& parts, const Measurer& measurer, bool whole_polygons, bool first_part, std::vector<int> ranks)
      : m_parts(parts), m_measurers(measurer), m_outlines(parts.info.size()), m_whole(whole_polygons),
        m_first_part(first_part), m_ranks(std::move(ranks)) {
    tbb::parallel_for(std::size_t{0}, m_outlines.size(), [&](std::size_t part) {
      m_outlines[part] = Outline(part_geometry(part));
    });
    std::vector<std::span<const OutsideCells::Segment>> segments;
    std::size_t count = 0;
    for (const auto& outline : m_outlines) {
      segments.emplace_back(outline.segments);
      count += outline.segments.size();
    }
    m_outside.emplace(segments, kOutsideCellsPerSegment * count, [&](geos::XY p) {
      bool covered = false;
      m_parts.grid.visit(p.x, p.y, [&](std::size_t part) { covered = covered || outline(part).covers(p); });
      return covered;
    });
  }

  // Each process() replaces `result`, an earlier asset's: its storage is reused.
  void process(const GEOSGeometry* geometry, AssetResult& result) {
    if (geos::type_id(geometry) == GEOS_POINT) return point(geos::point_xy(geometry), geometry, result);
    start(asset_kind(geometry), 0.0, result);
    if (!result.kind) return;
    const Kind kind = *result.kind;
    Measurer& measurer = m_measurers.local();
    start(kind, measure(kind, geometry, measurer), result);
    if (in_no_part(geometry, kind)) return;
    auto& candidates = m_candidates.local();
    m_parts.index.query(geos::envelope(geometry), candidates);
    if (candidates.empty()) return;
    if (kind == Kind::polygon && m_whole) {
      whole(geometry, candidates, result);
    } else {
      split(geometry, kind, candidates, measurer, result);
    }
  }
  // A plain point or line string that came as its vertices (FeatureSource::use_plain_vertices):
  // most roads lie in no part, and only a road near one is made a GEOS line.
  void process(std::span<const geos::XY> vertices, AssetResult& result) {
    if (vertices.size() == 1) return point(vertices.front(), nullptr, result);
    Measurer& measurer = m_measurers.local();
    start(Kind::line, measurer.length_m(vertices), result);
    geos::Envelope box{kInfinity, kInfinity, -kInfinity, -kInfinity};
    for (const auto& p : vertices) box = {std::min(box.min_x, p.x), std::min(box.min_y, p.y), std::max(box.max_x, p.x),
                                          std::max(box.max_y, p.y)};
    if (m_outside->outside(box) || segments_in_no_part(vertices)) return;
    auto& candidates = m_candidates.local();
    m_parts.index.query(box, candidates);
    if (candidates.empty()) return;
    const auto line = geos::line_string(vertices);
    split(line.get(), Kind::line, candidates, measurer, result);
  }

 private:
  // Prepared geometries build their indexes lazily, so each thread prepares its own.
  const GEOSPreparedGeometry* prepared(std::size_t part) {
    auto& cache = m_prepared.local();
    if (cache.empty()) cache.resize(m_parts.info.size());
    if (!cache[part]) cache[part] = geos::prepare(part_geometry(part));
    return cache[part].get();
  }
  const GEOSGeometry* part_geometry(std::size_t part) const { return m_parts.layer.features[part].geometry.get(); }

  // An asset of `kind` measuring `total`, all of it in no part yet.
  void start(std::optional<Kind> kind, double total, AssetResult& result) const {
    result.kind = kind;
    result.total = result.outside = total;
    result.pieces.clear();
    result.unexposed.assign(m_parts.classes.size(), total);
  }

  static geos::Envelope box_of(geos::XY p0, geos::XY p1) {
    return {std::min(p0.x, p1.x), std::min(p0.y, p1.y), std::max(p0.x, p1.x), std::max(p0.y, p1.y)};
  }

  // Whether a line or polygon lies wholly in cells outside every part, as most roads do: its box
  // does, or for a line each segment's.
  bool in_no_part(const GEOSGeometry* geometry, Kind kind) const {
    if (m_outside->outside(geos::envelope(geometry))) return true;
    if (kind != Kind::line) return false;
    for (const auto* line : geos::line_views(geometry)) {
      if (!segments_in_no_part(geos::coordinates(line))) return false;
    }
    return true;
  }
  bool segments_in_no_part(std::span<const geos::XY> points) const {
    for (std::size_t i = 0; i + 1 < points.size(); ++i) {
      if (!m_outside->outside(box_of(points[i], points[i + 1]))) return false;
    }
    return true;
  }

  // A single point (most assets: the loader keeps no empty one) finds its candidates in the grid.
  // `geometry` is the point's own, or null when it came as coordinates.
  void point(geos::XY at, const GEOSGeometry* geometry, AssetResult& result) {
    start(Kind::point, 1.0, result);
    if (m_outside->outside(at.x, at.y)) return;
    auto& candidates = m_candidates.local();
    m_parts.grid.query(at.x, at.y, candidates);
    if (!candidates.empty()) located(geometry, at, candidates, result);
  }

  // A point lies in the first part of each class that covers it (a point on the line between two
  // parts of a class goes to the first of them).
  void located(const GEOSGeometry* geometry, geos::XY at, const std::vector<std::size_t>& candidates,
               AssetResult& result) {
    PerClass<bool> done(m_parts.classes.size(), false);
    for (auto p : candidates) {
      const auto c = m_parts.class_of[p];
      if (done[c] || !outline(p).covers(at)) continue;
      done[c] = true;
      result.unexposed[c] = 0;
      result.outside = 0;
      result.pieces.push_back({p, geometry ? geos::clone(geometry) : geos::point(at.x, at.y), 0, 0, 1});
    }
    std::stable_sort(result.pieces.begin(), result.pieces.end(),
                     [&](const Piece& a, const Piece& b) { return m_parts.class_of[a.part] < m_parts.class_of[b.part]; });
  }

  // InaSAFE's indivisible polygons: the whole polygon goes to the part of the highest class it
  // touches; among parts of that class, to the one it overlaps most (the first on a tie), or with
  // first_part to the first of them in the layer (as InaSAFE assigns a building across an
  // aggregation border to the first area).
  void whole(const GEOSGeometry* geometry, const std::vector<std::size_t>& candidates, AssetResult& result) {
    int best_rank = -2;
    std::vector<std::size_t> best;
    for (auto p : candidates) {
      if (!geos::intersects(prepared(p), geometry)) continue;
      const int rank = m_ranks[m_parts.class_of[p]];
      if (rank > best_rank) {
        best_rank = rank;
        best.clear();
      }
      if (rank == best_rank) best.push_back(p);
    }
    if (best.empty()) return;
    std::size_t chosen = best.front();
    if (best.size() > 1 && !m_first_part) {
      double most = -1;
      for (auto p : best) {
        const double overlap = geos::covers(prepared(p), geometry)
                                   ? geos::area(geometry)
                                   : geos::area(geos::intersection(geometry, part_geometry(p)).get());
        if (overlap > most) {
          most = overlap;
          chosen = p;
        }
      }
    }
    result.unexposed[m_parts.class_of[chosen]] = 0;
    result.outside = 0;
    result.pieces.push_back({chosen, geos::clone(geometry), 0, result.total, 1});
  }

  // Per class, each part takes what is left of the asset after the parts before it: so a road
  // along the line between two parts is counted once, and what is left at the end is unexposed.
  void split(const GEOSGeometry* geometry, Kind kind, const std::vector<std::size_t>& candidates, Measurer& measurer,
             AssetResult& result) {
    const int type = geos::type_id(geometry);
    if (type == GEOS_LINESTRING || type == GEOS_MULTILINESTRING) return split_line(geometry, candidates, measurer, result);
    std::vector<std::vector<std::size_t>> meeting(m_parts.classes.size());
    for (auto p : candidates) {
      if (geos::intersects(prepared(p), geometry)) meeting[m_parts.class_of[p]].push_back(p);
    }
    std::optional<std::size_t> fullest;  // the class that leaves the least of the asset
    std::size_t classes_reached = 0;
    for (std::size_t c = 0; c < meeting.size(); ++c) {
      if (meeting[c].empty()) continue;
      ++classes_reached;
      result.unexposed[c] = meeting[c].size() == 1 ? take_from_one(meeting[c].front(), geometry, kind, measurer, result)
                                                   : take_in_turn(meeting[c], geometry, kind, measurer, result);
      if (!fullest || result.unexposed[c] < result.unexposed[*fullest]) fullest = c;
    }
    if (!fullest) return;
    result.outside = result.unexposed[*fullest];
    if (classes_reached == 1 || result.outside == 0) return;
    // Zones of several classes reach the asset: what lies in none of them is what the fullest
    // class leaves less the other classes' parts, which nested classes (return periods) never meet.
    auto remaining = rest_after(meeting[*fullest], geos::clone(geometry), kind);
    for (std::size_t c = 0; c < meeting.size() && remaining; ++c) {
      if (c != *fullest) remaining = rest_after(meeting[c], std::move(remaining), kind);
    }
    result.outside = remaining ? measure(kind, remaining.get(), measurer) : 0.0;
  }

  // The one part of a class that the asset meets (the common case) takes its piece; the rest is
  // the total less the piece, which spares the difference, the costlier of the two overlays.
  double take_from_one(std::size_t part, const GEOSGeometry* geometry, Kind kind, Measurer& measurer,
                       AssetResult& result) {
    if (geos::covers(prepared(part), geometry)) {
      add_piece(part, geos::clone(geometry), kind, measurer, result);
      return 0;
    }
    double taken = 0;
    if (auto piece = only(kind, geos::intersection(geometry, part_geometry(part)))) {
      taken = add_piece(part, std::move(piece), kind, measurer, result);
    }
    return std::max(0.0, result.total - taken);
  }

  // Several parts of a class meet the asset: each takes what the ones before it left.
  double take_in_turn(const std::vector<std::size_t>& parts, const GEOSGeometry* geometry, Kind kind,
                      Measurer& measurer, AssetResult& result) {
    geos::GeomPtr owned;
    const GEOSGeometry* remaining = geometry;
    for (auto p : parts) {
      const auto* part = prepared(p);
      if (!geos::intersects(part, remaining)) continue;
      if (geos::covers(part, remaining)) {
        add_piece(p, geos::clone(remaining), kind, measurer, result);
        return 0;
      }
      if (auto piece = only(kind, geos::intersection(remaining, part_geometry(p)))) {
        add_piece(p, std::move(piece), kind, measurer, result);
      }
      owned = only(kind, geos::difference(remaining, part_geometry(p)));
      remaining = owned.get();
      if (!remaining) return 0;
    }
    return measure(kind, remaining, measurer);
  }

  // A part's outline as segments (every ring's), indexed by their boxes for lines and in bands
  // for ray tests.
  struct Outline {
    std::vector<std::pair<geos::XY, geos::XY>> segments;
    std::vector<geos::Envelope> boxes;  // per segment
    SpatialIndex index{std::vector<geos::Envelope>{}};
    detail::RayBands rays{{}};

    Outline() = default;
    explicit Outline(const GEOSGeometry* part) {
      for (const auto* polygon : geos::polygon_views(part)) {
        for (const auto* ring : geos::ring_views(polygon)) {
          const auto points = geos::coordinates(ring);
          for (std::size_t k = 0; k + 1 < points.size(); ++k) {
            const auto [a, b] = std::pair{points[k], points[k + 1]};
            segments.emplace_back(a, b);
            boxes.push_back(box_of(a, b));
          }
        }
      }
      index = SpatialIndex(boxes);
      rays = detail::RayBands(segments);
    }

    // Segments whose boxes meet `box`, in ascending order. Most parts have a few dozen segments,
    // which a scan passes faster than an R-tree query finds them.
    void near(const geos::Envelope& box, std::vector<std::size_t>& out) const {
      constexpr std::size_t kScanned = 48;
      if (segments.size() > kScanned) return index.query(box, out);
      out.clear();
      for (std::size_t k = 0; k < boxes.size(); ++k) {
        const auto& b = boxes[k];
        if (b.min_x <= box.max_x && box.min_x <= b.max_x && b.min_y <= box.max_y && box.min_y <= b.max_y) out.push_back(k);
      }
    }

    // Whether the part covers p (inside or on its outline), decided as GEOS decides it.
    bool covers(geos::XY p) const { return rays.covers(p); }
  };
  const Outline& outline(std::size_t part) const { return m_outlines[part]; }

  // A line is cut where it crosses the outlines of the candidate parts, and each stretch between
  // cuts goes, per class, to the first part that covers its midpoint (a stretch along an outline,
  // to that part): what the overlays of the other assets give, without building an overlay per
  // line and part (40 µs each on parts of 20 vertices: most of exposure's time on roads).
  void split_line(const GEOSGeometry* geometry, const std::vector<std::size_t>& candidates, Measurer& measurer,
                  AssetResult& result) {
    const std::size_t classes = m_parts.classes.size();
    std::vector<Stretch> stretches;
    std::vector<std::optional<std::size_t>> owners;  // per stretch and class: the part taking it
    const auto owner = [&](std::size_t k, std::size_t c) -> std::optional<std::size_t>& { return owners[k * classes + c]; };
    std::vector<std::size_t> near;
    std::vector<double> cuts, stops;
    std::vector<std::tuple<double, double, std::size_t>> along;  // stretches on a part's outline: t from, t to, part
    const auto lines = geos::line_views(geometry);
    for (std::size_t l = 0; l < lines.size(); ++l) {
      const auto points = geos::coordinates(lines[l]);
      for (std::size_t i = 0; i + 1 < points.size(); ++i) {
        const geos::XY p0 = points[i], p1 = points[i + 1];
        if (p0.x == p1.x && p0.y == p1.y) continue;
        const auto box = box_of(p0, p1);
        if (m_outside->outside(box)) {  // crosses no outline and lies in no part: one stretch, no owner
          stretches.push_back({p0, p1, l});
          owners.resize(owners.size() + classes);
          continue;
        }
        cuts.assign({0.0, 1.0});
        along.clear();
        for (auto p : candidates) {
          const auto& part = outline(p);
          part.near(box, near);
          for (auto k : near) {
            const auto [q0, q1] = part.segments[k];
            detail::crossing_parameters(p0, p1, q0, q1, cuts);
            if (const auto overlap = detail::collinear_overlap(p0, p1, q0, q1)) {
              along.emplace_back(overlap->first, overlap->second, p);
            }
          }
        }
        // Distinct stops; the last is exactly 1, so the stretches of a segment cover all of it.
        std::sort(cuts.begin(), cuts.end());
        stops.assign(1, 0.0);
        for (double t : cuts) {
          if (t - stops.back() > 1e-12) stops.push_back(t);
        }
        stops.back() = 1.0;
        for (std::size_t j = 0; j + 1 < stops.size(); ++j) {
          const double start = stops[j], end = stops[j + 1];
          const double middle = (start + end) / 2;
          const auto mid = detail::lerp(p0, p1, middle);
          const std::size_t k = stretches.size();
          stretches.push_back({j == 0 ? p0 : detail::lerp(p0, p1, start), j + 2 == stops.size() ? p1 : detail::lerp(p0, p1, end), l});
          owners.resize(owners.size() + classes);
          if (m_outside->outside(mid.x, mid.y)) continue;  // in no part (nor along an outline)
          for (auto p : candidates) {
            auto& taker = owner(k, m_parts.class_of[p]);
            if (taker) continue;
            const bool on_outline = std::any_of(along.begin(), along.end(), [&](const auto& a) {
              return std::get<2>(a) == p && std::get<0>(a) <= middle && middle <= std::get<1>(a);
            });
            if (on_outline || outline(p).covers(mid)) taker = p;
          }
        }
      }
    }
    // Per class, each part's stretches joined where they follow each other along a line.
    std::optional<std::size_t> fullest;
    std::size_t classes_reached = 0;
    for (std::size_t c = 0; c < classes; ++c) {
      double taken = 0;
      bool reached = false;
      for (auto p : candidates) {
        if (m_parts.class_of[p] != c) continue;
        auto piece = joined(stretches, [&](std::size_t k) { return owner(k, c) == p; });
        if (!piece) continue;
        reached = true;
        taken += add_piece(p, std::move(piece), Kind::line, measurer, result);
      }
      if (!reached) continue;
      ++classes_reached;
      bool whole = true;
      for (std::size_t k = 0; k < stretches.size() && whole; ++k) whole = owner(k, c).has_value();
      result.unexposed[c] = whole ? 0.0 : std::max(0.0, result.total - taken);
      if (!fullest || result.unexposed[c] < result.unexposed[*fullest]) fullest = c;
    }
    if (!fullest) return;
    result.outside = result.unexposed[*fullest];
    if (classes_reached == 1 || result.outside == 0) return;
    const auto rest = joined(stretches, [&](std::size_t k) {
      for (std::size_t c = 0; c < classes; ++c) {
        if (owner(k, c)) return false;
      }
      return true;
    });
    result.outside = rest ? measurer.length_m(rest.get()) : 0.0;
  }

  // A piece of a line between two cuts, on its line'th member.
  struct Stretch {
    geos::XY from, to;
    std::size_t line = 0;
  };

  // The stretches `taken(k)` as one line per run of consecutive ones (null when none is taken).
  template <typename Taken>
  static geos::GeomPtr joined(const std::vector<Stretch>& stretches, Taken&& taken) {
    std::vector<geos::GeomPtr> runs;
    std::vector<geos::XY> run;
    auto close_run = [&] {
      if (run.size() >= 2) runs.push_back(geos::line_string(run));
      run.clear();
    };
    for (std::size_t k = 0; k < stretches.size(); ++k) {
      const auto& s = stretches[k];
      if (!taken(k)) {
        close_run();
        continue;
      }
      const bool follows = !run.empty() && stretches[k - 1].line == s.line && run.back().x == s.from.x &&
                           run.back().y == s.from.y;
      if (!follows) {
        close_run();
        run.push_back(s.from);
      }
      run.push_back(s.to);
    }
    close_run();
    if (runs.empty()) return nullptr;
    if (runs.size() == 1) return std::move(runs.front());
    return geos::collection(std::move(runs), GEOS_MULTILINESTRING);
  }

  // What the parts leave of a geometry (null when nothing of its kind is left).
  geos::GeomPtr rest_after(const std::vector<std::size_t>& parts, geos::GeomPtr geometry, Kind kind) {
    for (auto p : parts) {
      if (!geometry) break;
      if (geos::intersects(prepared(p), geometry.get())) geometry = only(kind, geos::difference(geometry.get(), part_geometry(p)));
    }
    return geometry;
  }

  // Returns the measure taken: none when the piece has none.
  double add_piece(std::size_t part, geos::GeomPtr piece, Kind kind, Measurer& measurer, AssetResult& result) {
    const double amount = measure(kind, piece.get(), measurer);
    if (!(amount > 0)) return 0;  // a road that only touches a zone leaves no length in it
    Piece out{part, std::move(piece), 0, 0, result.total > 0 ? amount / result.total : 1.0};
    if (kind == Kind::line) out.length_m = amount;
    if (kind == Kind::polygon) out.area_m2 = amount;
    result.pieces.push_back(std::move(out));
    return amount;
  }

  const Parts& m_parts;
  tbb::enumerable_thread_specific<Measurer> m_measurers;
  tbb::enumerable_thread_specific<std::vector<geos::PreparedPtr>> m_prepared;
  tbb::enumerable_thread_specific<std::vector<std::size_t>> m_candidates;
  std::vector<Outline> m_outlines;  // per part
  bool m_whole;
  bool m_first_part;
  std::vector<int> m_ranks;
  std::optional<OutsideCells> m_outside;  // of all parts' outlines
};

struct Sums {
  std::int64_t count = 0;
  double length_m = 0, area_m2 = 0;
};

struct CategoryTotals {
  std::size_t index = 0;             // in order of appearance
  bool critical = false;
  Sums total;                        // the unsplit input
  Sums outside;                      // in no zone of any class (count: assets with no piece)
  std::vector<Sums> exposed, unexposed;  // per class (count: assets with / without a piece there)
  // Assets with no piece that leave all of themselves in every class: most of them. Summed once
  // here and added to outside and to each class's unexposed by Tally::finish.
  Sums untouched;
};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// Everything the tables need, added to asset by asset in input order.
class Tally {
 public:
  Tally(const Parts& parts, std::set<std::string> critical)
      : m_parts(parts), m_critical(std::move(critical)), m_by_municipality(parts.municipality_classes.size()),
        m_by_zone(parts.zone_ids.size()) {}

  // `layer` is kept by reference until take_tables: the name in the source's schema.
  void add(const std::string& layer, const Feature& asset, std::string_view category, const Value& name,
           const AssetResult& result) {
    auto& totals = totals_of(category);
    const auto of_kind = [&](double amount) {
      return Sums{0, result.kind == Kind::line ? amount : 0.0, result.kind == Kind::polygon ? amount : 0.0};
    };
    add_sums(totals.total, 1, of_kind(result.total));
    ++m_assets;
    const auto leaves_all = [&](double amount) { return amount == result.outside; };
    if (result.pieces.empty() && std::all_of(result.unexposed.begin(), result.unexposed.end(), leaves_all)) {
      add_sums(totals.untouched, 1, of_kind(result.outside));
      return;
    }
    PerClass<bool> in_class(m_parts.classes.size(), false);
    if (!result.pieces.empty()) add_pieces(layer, asset, name, result, totals, in_class);
    for (std::size_t c = 0; c < in_class.size(); ++c) {
      add_sums(totals.unexposed[c], in_class[c] ? 0 : 1, of_kind(result.unexposed[c]));
    }
    add_sums(totals.outside, result.pieces.empty() ? 1 : 0, of_kind(result.outside));
  }

  // Once, after the last add and before stats and take_tables.
  void finish() {
    for (auto& [category, t] : m_totals) {
      for (auto& sums : t.unexposed) add_sums(sums, t.untouched.count, t.untouched);
      add_sums(t.outside, t.untouched.count, t.untouched);
      t.untouched = {};
    }
  }

  // Once, at the end: the critical facilities move into their table.
  std::vector<Table> take_tables() {
    // Rows by municipality id, class and category name (categories are numbered as they came).
    using MunicipalityRow = std::tuple<std::size_t, std::size_t, const std::string*, const Sums*>;
    std::vector<MunicipalityRow> municipality_rows;
    for (std::size_t mc = 0; mc < m_by_municipality.size(); ++mc) {
      const auto [m, c] = m_parts.municipality_classes[mc];
      for (const auto& cell : m_by_municipality[mc]) {
        municipality_rows.emplace_back(m, c, m_category_names[cell.category], &cell.sums);
      }
    }
    std::sort(municipality_rows.begin(), municipality_rows.end(), [](const auto& a, const auto& b) {
      return std::tie(std::get<0>(a), std::get<1>(a), *std::get<2>(a)) <
             std::tie(std::get<0>(b), std::get<1>(b), *std::get<2>(b));
    });
    Table by_municipality{"exposure_by_municipality", kByMunicipalityFields, {}};
    for (const auto& [m, c, category, sums] : municipality_rows) {
      const auto& part = *m_parts.municipality_info[m];
      by_municipality.rows.push_back({part.municipality_id, part.municipality_name, part.country,
                                      class_text(m_parts.classes[c]), *category, sums->count, sums->length_m,
                                      sums->area_m2});
    }
    std::vector<std::tuple<std::int64_t, const std::string*, const Sums*>> zone_rows;
    for (std::size_t z = 0; z < m_by_zone.size(); ++z) {
      for (const auto& cell : m_by_zone[z]) {
        zone_rows.emplace_back(m_parts.zone_ids[z], m_category_names[cell.category], &cell.sums);
      }
    }
    std::sort(zone_rows.begin(), zone_rows.end(), [](const auto& a, const auto& b) {
      return std::tie(std::get<0>(a), *std::get<1>(a)) < std::tie(std::get<0>(b), *std::get<1>(b));
    });
    Table by_zone{"exposure_by_zone", kByZoneFields, {}};
    for (const auto& [zone_id, category, sums] : zone_rows) {
      const auto& members = m_parts.zones.at(zone_id);
      by_zone.rows.push_back({zone_id, class_text(m_parts.classes[m_parts.zone_class.at(zone_id)]), *category,
                              sums->count, sums->length_m, sums->area_m2,
                              static_cast<std::int64_t>(members.municipalities.size()),
                              std::int64_t{members.cross_national() ? 1 : 0}});
    }
    Table critical{"critical_facilities", kCriticalFields, critical_rows()};
    Table totals{"exposure_totals", kTotalsFields, {}};
    for (const auto& [category, t] : m_totals) {
      for (std::size_t c = 0; c < m_parts.classes.size(); ++c) {
        totals.rows.push_back({category, class_text(m_parts.classes[c]), t.total.count, t.exposed[c].count,
                               t.unexposed[c].count, t.total.length_m, t.exposed[c].length_m,
                               t.unexposed[c].length_m, t.total.area_m2, t.exposed[c].area_m2,
                               t.unexposed[c].area_m2});
      }
    }
    return moved_into_vector(std::move(by_municipality), std::move(by_zone), std::move(critical), std::move(totals));
  }

  std::vector<std::vector<Value>> critical_rows() const {
    const auto& concerned = m_parts.concerned.get();
    std::vector<std::vector<Value>> rows(m_critical_facilities.size());
    tbb::parallel_for(std::size_t{0}, rows.size(), [&](std::size_t i) {
      const auto& facility = m_critical_facilities[i];
      const auto& part = m_parts.info[facility.part];
      const auto& [partners, countries] = concerned[facility.part];
      rows[i] = {*facility.layer, facility.fid, facility.name, *m_category_names[facility.category],
                 class_text(part.class_value), part.zone_id, part.municipality_id, part.country, partners, countries};
    });
    return rows;
  }

  nlohmann::json stats() const {
    // Per category: assets in no zone of any class, and the length and area outside every zone
    // (of the total, for lines and polygons).
    auto unexposed = nlohmann::json::object();
    for (const auto& [category, t] : m_totals) {
      auto entry = nlohmann::json::object({{"assets", t.outside.count}, {"of_assets", t.total.count}});
      if (t.total.length_m > 0) {
        entry["length_m"] = t.outside.length_m;
        entry["of_length_m"] = t.total.length_m;
      }
      if (t.total.area_m2 > 0) {
        entry["area_m2"] = t.outside.area_m2;
        entry["of_area_m2"] = t.total.area_m2;
      }
      unexposed[category] = std::move(entry);
    }
    return {{"assets", m_assets},
            {"exposed_assets", m_exposed_assets},
            {"unexposed_assets", m_assets - m_exposed_assets},
            {"pieces", m_pieces},
            {"critical_facilities", m_critical_facilities.size()},
            {"unexposed_by_category", unexposed}};
  }

 private:
  void add_pieces(const std::string& layer, const Feature& asset, const Value& name, const AssetResult& result,
                  CategoryTotals& totals, PerClass<bool>& in_class) {
    boost::container::small_vector<std::pair<std::size_t, std::size_t>, 4> municipalities;  // (municipality, class)
    boost::container::small_vector<std::int64_t, 4> zones;
    const auto first = [](auto& seen, const auto& key) {
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) return false;
      seen.push_back(key);
      return true;
    };
    for (const auto& piece : result.pieces) {
      const auto& part = m_parts.info[piece.part];
      const auto c = m_parts.class_of[piece.part];
      const auto m = m_parts.municipality_of[piece.part];
      const Sums amount{0, piece.length_m, piece.area_m2};
      add_sums(totals.exposed[c], in_class[c] ? 0 : 1, amount);
      in_class[c] = true;
      add_sums(cell_of(m_by_municipality[m_parts.municipality_class_of[piece.part]], totals.index),
               first(municipalities, std::pair{m, c}) ? 1 : 0, amount);
      add_sums(cell_of(m_by_zone[m_parts.zone_of[piece.part]], totals.index), first(zones, part.zone_id) ? 1 : 0,
               amount);
      if (totals.critical) m_critical_facilities.push_back({&layer, asset.fid, name, totals.index, piece.part});
    }
    m_pieces += static_cast<std::int64_t>(result.pieces.size());
    ++m_exposed_assets;
  }

  // Assets come in runs of one category: the last one found is looked up first.
  CategoryTotals& totals_of(std::string_view category) {
    if (m_last_totals && m_last_category == category) return *m_last_totals;
    auto at = m_totals.find(category);
    if (at == m_totals.end()) {
      at = m_totals.emplace(std::string(category), CategoryTotals{}).first;
      auto& totals = at->second;
      totals.index = m_category_names.size();
      totals.critical = m_critical.count(lower(at->first)) > 0;
      m_category_names.push_back(&at->first);
      totals.exposed.resize(m_parts.classes.size());
      totals.unexposed.resize(m_parts.classes.size());
    }
    m_last_category = at->first;
    m_last_totals = &at->second;
    return *m_last_totals;
  }

  // A municipality's or zone's few categories: searched in a line, as the assets come in runs of one.
  struct Cell {
    std::size_t category;  // CategoryTotals::index
    Sums sums;
  };
  using Cells = boost::container::small_vector<Cell, 2>;
  static Sums& cell_of(Cells& cells, std::size_t category) {
    for (auto& cell : cells) {
      if (cell.category == category) return cell.sums;
    }
    return cells.emplace_back(Cell{category, {}}).sums;
  }

  static void add_sums(Sums& sums, std::int64_t count, const Sums& amount) {
    sums.count += count;
    sums.length_m += amount.length_m;
    sums.area_m2 += amount.area_m2;
  }

  const Parts& m_parts;
  std::set<std::string> m_critical;
  std::map<std::string, CategoryTotals, std::less<>> m_totals;
  std::string_view m_last_category;         // a key of m_totals; map nodes do not move
  CategoryTotals* m_last_totals = nullptr;  // m_totals[m_last_category]
  std::vector<const std::string*> m_category_names;  // by CategoryTotals::index; keys of m_totals
  // By position, not hashed: a lookup per exposed piece, each a cache miss in a hash table's
  // chains; take_tables sorts the rows once.
  std::vector<Cells> m_by_municipality;  // per Parts::municipality_classes
  std::vector<Cells> m_by_zone;          // per Parts::zone_ids
  // A critical facility's piece, made a row at the end, on all threads: its row repeats the
  // zone's partners, which the serial tally would otherwise copy for every piece.
  struct CriticalFacility {
    const std::string* layer;
    std::int64_t fid;
    Value name;
    std::size_t category;  // CategoryTotals::index
    std::size_t part;
  };
  std::vector<CriticalFacility> m_critical_facilities;
  std::int64_t m_assets = 0, m_exposed_assets = 0, m_pieces = 0;
};

std::vector<ParamSpec> exposure_parameters() {
  auto assets = ParamSpec::layer("assets", Role::infrastructure,
                                 "Infrastructure layers (points, lines, polygons) with a category field and an "
                                 "optional name; read batch by batch, never whole").labelled("Infrastructure layers")
                    .list();
  assets.streamable = true;
  return {
      ParamSpec::layer("zone_parts", Role::zone_parts, "Zone parts from shared-zones (zone × municipality pieces)")
          .labelled("Zone parts layer"),
      assets,
      ParamSpec::texts("critical",
                       "Categories listed as critical facilities, with the partners their flooding concerns "
                       "(compared without case)",
                       {"hospital", "clinic", "school", "fire_station", "police", "water_works", "power"})
          .labelled("Critical categories"),
      ParamSpec::choice("measure",
                        "ellipsoidal: geodesic lengths and areas on the analysis CRS's ellipsoid (as QGIS and "
                        "InaSAFE measure); planar: in the analysis CRS's plane",
                        {"ellipsoidal", "planar"}, "ellipsoidal").labelled("Measure lengths and areas"),
      ParamSpec::choice("polygons",
                        "split: polygon assets are cut at zone and municipal boundaries; whole: each is counted "
                        "once, whole, in the part of the highest hazard class it touches (InaSAFE's indivisible "
                        "buildings)",
                        {"split", "whole"}, "split").labelled("Polygon assets"),
      ParamSpec::choice("whole_part",
                        "For polygons: whole, the part of the highest class that takes a polygon touching several: "
                        "largest, the one it overlaps most; first, the first in the zone_parts layer (InaSAFE)",
                        {"largest", "first"}, "largest").labelled("Part taking a whole polygon"),
      ParamSpec::texts("class_order",
                       "Hazard classes from lowest to highest, for polygons: whole (empty: classes that are "
                       "numbers, or start with one like depth bands, are ordered by it)",
                       {}).labelled("Hazard classes, lowest first"),
  };
}

std::vector<OutputSpec> exposure_outputs() {
  return {
      {"exposed_assets", OutputKind::layer, GeometryFamily::any,
       "One feature per asset piece: the asset cut by zone part (points: the point); length_m for lines, area_m2 "
       "for polygons, share_of_asset the piece's share of the whole asset",
       kPieceFields, "Exposed assets"},
      {"exposure_by_municipality", OutputKind::table, GeometryFamily::none,
       "Per municipality, hazard class and category: assets with any piece there (count), length and area",
       kByMunicipalityFields, "Exposure by municipality"},
      {"exposure_by_zone", OutputKind::table, GeometryFamily::none,
       "Per zone and category: assets, length and area, and the zone's municipality count and cross_national flag",
       kByZoneFields, "Exposure by zone"},
      {"critical_facilities", OutputKind::table, GeometryFamily::none,
       "One row per exposed piece of a critical asset, with the municipalities and countries its flooding "
       "concerns: its own and those whose parts of the zone touch its part (the whole zone: zones.municipalities)",
       kCriticalFields, "Critical facilities"},
      {"exposure_totals", OutputKind::table, GeometryFamily::none,
       "Per category and class: the unsplit totals, what lies in the class's zones and what does not "
       "(exposed + unexposed = total)",
       kTotalsFields, "Exposure totals"},
  };
}

}  // namespace

Exposure::Exposure() : Algorithm(exposure_parameters(), exposure_outputs()) {}

std::vector<std::string> Exposure::tags() const {
  return {"infrastructure", "assets", "roads", "buildings", "critical facilities", "InaSAFE",
          "count points", "line length"};
}

std::string_view Exposure::help() const {
  return "Splits infrastructure at zone and municipal boundaries: every zone part of shared-zones takes the points "
         "that lie in it and the length and area of lines and polygons inside it, so every metre and square metre "
         "is counted in exactly one part of each hazard class (a road along the line between two parts goes to "
         "the first of them). Tables count assets (an asset with pieces in two zones counts in both), lengths and "
         "areas per municipality and per zone, and list exposed critical facilities with the partner "
         "municipalities and countries of their zone. Assets outside every zone are unexposed: their totals per "
         "category are in the step's stats and in exposure_totals, never dropped. Lengths and areas are geodesic "
         "on the analysis CRS's ellipsoid (measure: ellipsoidal, as QGIS and InaSAFE measure) or planar. "
         "InaSAFE's conventions: polygons: whole counts each building once, whole, in its highest class.";
}

StepOutput Exposure::run(const StepInput& input, Progress& progress) const {
  const Parts parts(input.layer("zone_parts"));
  const auto method = *measure_method_from_name(input.text("measure"));
  const bool whole = input.text("polygons") == "whole";
  std::set<std::string> critical;
  for (const auto& category : input.texts("critical")) critical.insert(lower(category));
  const Measurer measurer(input.analysis_crs_wkt, method);
  // Freed before the tables are made, which then take its memory instead of pages never touched.
  std::optional<Splitter> splitter(std::in_place, parts, measurer, whole, input.text("whole_part") == "first",
                                   whole ? class_ranks(parts.classes, input.texts("class_order")) : std::vector<int>{});
  Tally tally(parts, std::move(critical));

  FeatureSink& sink = *input.sink;
  sink.begin_layer(result_schema("exposed_assets", GeometryFamily::any, input.analysis_crs_wkt, kPieceFields));
  std::int64_t fid = 0;
  for (FeatureSource* source : input.source_list("assets")) {
    const LayerSchema& schema = source->schema();
    const auto category_field = schema.field_index("category");
    if (!category_field) {
      throw ConfigError(fmt::format("layer '{}' has no category field", schema.name), {{}, {}, schema.name, {}, {}},
                        "map fields.category to the field holding each asset's category (or \"=VALUE\")");
    }
    const auto name_field = schema.field_index("name");
    source->use_plain_vertices();
    std::vector<AssetResult> results;  // per asset of a batch; kept across batches for its storage
    std::string category_text;         // a category that is not a string, as text
    for (auto batch = source->next_batch(kBatchSize); !batch.empty(); batch = source->next_batch(kBatchSize)) {
      results.resize(batch.size());
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, batch.size(), 256), [&](const auto& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i) {
          try {
            const auto* geometry = batch[i].geometry.get();
            if (geometry) {
              splitter->process(geometry, results[i]);
            } else {
              splitter->process(source->vertices(i), results[i]);
            }
          } catch (const Error& error) {
            throw GeometryError(error.message(), {{}, {}, schema.name, batch[i].fid, {}}, error.hint());
          }
        }
      });
      std::vector<Feature> out;
      for (std::size_t i = 0; i < batch.size(); ++i) {
        const auto& asset = batch[i];
        const auto& category_value = asset.values[*category_field];
        const auto* text = std::get_if<std::string>(&category_value);
        const std::string_view category = text ? *text : (category_text = to_display_string(category_value));
        const Value name = name_field ? asset.values[*name_field] : Value();
        tally.add(schema.name, asset, category, name, results[i]);
        for (auto& piece : results[i].pieces) {
          const auto& part = parts.info[piece.part];
          out.push_back({++fid, std::move(piece.geometry),
                         {schema.name, asset.fid, std::string(category), name, part.zone_id, class_text(part.class_value),
                          part.municipality_id, part.municipality_name, part.country, piece.length_m, piece.area_m2,
                          piece.share}});
        }
      }
      sink.write(std::move(out));
    }
  }
  sink.end_layer();
  splitter.reset();

  tally.finish();
  StepOutput output;
  output.stats = tally.stats();
  output.tables = tally.take_tables();
  if (output.stats["assets"].get<std::int64_t>() > 0 && output.stats["exposed_assets"].get<std::int64_t>() == 0) {
    progress.message("exposure: no asset lies in any zone part; check that the assets and the zones cover the same area");
  }
  return output;
}

}  // namespace twinrisk::ops
