#include "twinrisk/ops/river_reaches.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <unordered_map>

#include "line_geometry.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/core/spatial_index.hpp"

namespace twinrisk::ops {
namespace {

using namespace detail;  // XY arithmetic

// Segments per task. A river is one long line: cutting it into chunks lets both cores work on it,
// and keeps the prepared municipalities of a task few.
constexpr std::size_t kChunkSegments = 128;
// Pieces shorter than this (metres) are rounding noise where a river passes through a vertex of
// two outlines; they join the piece before them.
constexpr double kMinPieceM = 1e-6;

// One line of a river feature.
struct RiverLine {
  std::size_t river = 0, part = 0;
  detail::Polyline line;
};

bool is_lines(const GEOSGeometry* geometry) {
  const int type = geos::type_id(geometry);
  if (type == GEOS_LINESTRING || type == GEOS_LINEARRING || type == GEOS_MULTILINESTRING) return true;
  if (type != GEOS_GEOMETRYCOLLECTION) return false;
  const int n = GEOSGetNumGeometries_r(geos::context(), geometry);
  for (int i = 0; i < n; ++i) {
    if (!is_lines(GEOSGetGeometryN_r(geos::context(), geometry, i))) return false;
  }
  return true;
}

ErrorContext feature_context(const Layer& layer, std::size_t position) {
  ErrorContext context;
  context.layer = layer.name;
  context.feature = layer.features[position].fid;
  return context;
}

std::string_view type_name(const GEOSGeometry* geometry) {
  switch (geos::type_id(geometry)) {
    case GEOS_POINT: return "point";
    case GEOS_MULTIPOINT: return "multipoint";
    case GEOS_POLYGON: return "polygon";
    case GEOS_MULTIPOLYGON: return "multipolygon";
    case GEOS_GEOMETRYCOLLECTION: return "geometry collection with non-line members";
    default: return "geometry of another kind";
  }
}

std::vector<RiverLine> river_lines(const Layer& rivers) {
  std::vector<RiverLine> lines;
  for (std::size_t r = 0; r < rivers.features.size(); ++r) {
    const auto* geometry = rivers.features[r].geometry.get();
    if (!geometry || geos::is_empty(geometry)) continue;
    if (!is_lines(geometry)) {
      throw InputError(fmt::format("river {} is a {}, not a line", river_id(rivers, r), type_name(geometry)),
                       feature_context(rivers, r),
                       "give river centre lines as the rivers layer; river surfaces belong in a features layer "
                       "(restoration takes them as water)");
    }
    std::size_t part = 0;
    for (const auto* line : geos::line_views(geometry)) {
      detail::Polyline polyline(geos::coordinates(line));
      if (polyline.points.size() >= 2) lines.push_back({r, part, std::move(polyline)});
      ++part;
    }
  }
  return lines;
}

struct OutlineSegment {
  XY a, b;
  std::size_t row = 0;
};

// The outline segments of every municipality row that comes within τ of a river.
struct Outlines {
  std::vector<OutlineSegment> segments;
  SpatialIndex index;
};

geos::Envelope grown(geos::Envelope e, double by) { return {e.min_x - by, e.min_y - by, e.max_x + by, e.max_y + by}; }

geos::Envelope envelope_of(const std::vector<XY>& points, std::size_t first, std::size_t last) {
  geos::Envelope e{points[first].x, points[first].y, points[first].x, points[first].y};
  for (std::size_t i = first + 1; i <= last; ++i) {
    e.min_x = std::min(e.min_x, points[i].x);
    e.min_y = std::min(e.min_y, points[i].y);
    e.max_x = std::max(e.max_x, points[i].x);
    e.max_y = std::max(e.max_y, points[i].y);
  }
  return e;
}

struct Chunk {
  std::size_t line = 0, first = 0, last = 0;  // segments [first, last) of lines[line]
};

Outlines outlines_near(const std::vector<RiverLine>& lines, const std::vector<Chunk>& chunks,
                       const MunicipalityIndex& municipalities, double reach) {
  std::vector<char> used(municipalities.rows(), 0);
  for (const auto& chunk : chunks) {
    const auto& points = lines[chunk.line].line.points;
    for (auto row : municipalities.index().query(grown(envelope_of(points, chunk.first, chunk.last), reach))) used[row] = 1;
  }
  std::vector<std::size_t> rows;
  for (std::size_t r = 0; r < used.size(); ++r) {
    if (used[r]) rows.push_back(r);
  }
  std::vector<std::vector<OutlineSegment>> per_row(rows.size());
  tbb::parallel_for(std::size_t{0}, rows.size(), [&](std::size_t i) {
    const auto row = rows[i];
    const auto* geometry = municipalities.layer().features[row].geometry.get();
    if (!geometry) return;
    for (const auto* polygon : geos::polygon_views(geometry)) {
      for (const auto* ring : geos::ring_views(polygon)) {
        const auto points = geos::coordinates(ring);
        for (std::size_t k = 0; k + 1 < points.size(); ++k) per_row[i].push_back({points[k], points[k + 1], row});
      }
    }
  });
  Outlines outlines{{}, SpatialIndex(std::vector<geos::Envelope>{})};
  for (auto& segments : per_row) outlines.segments.insert(outlines.segments.end(), segments.begin(), segments.end());
  std::vector<geos::Envelope> envelopes;
  envelopes.reserve(outlines.segments.size());
  for (const auto& s : outlines.segments) {
    envelopes.push_back({std::min(s.a.x, s.b.x), std::min(s.a.y, s.b.y), std::max(s.a.x, s.b.x), std::max(s.a.y, s.b.y)});
  }
  outlines.index = SpatialIndex(envelopes);
  return outlines;
}

// A municipality pair near a piece of river (rule 1 and 2 of the header).
struct PairHit {
  std::size_t a = 0, b = 0;  // groups, a < b
  double distance_a = 0, distance_b = 0;
  double progress = 0;   // along the border, planar metres
  bool follows = false;  // its stretch made enough progress
};

// A piece of a line between two consecutive cut points.
struct Piece {
  double start = 0, end = 0;
  std::optional<std::size_t> municipality;
  std::vector<PairHit> pairs;
};

// Everything a task knows about a group at one point.
struct GroupState {
  std::size_t group = 0;
  bool inside = false;
  double distance = std::numeric_limits<double>::infinity();  // to the outline (not 0 inside)
  XY nearest{};
  XY nearest_direction{};  // of the outline segment holding `nearest`
};

class ChunkCutter {
 public:
  ChunkCutter(const MunicipalityIndex& municipalities, const Outlines& outlines, double tolerance)
      : m_municipalities(municipalities), m_outlines(outlines), m_tolerance(tolerance) {}

  std::vector<Piece> cut(const RiverLine& river, std::size_t first, std::size_t last) {
    std::vector<Piece> pieces;
    for (std::size_t i = first; i < last; ++i) cut_segment(river.line, i, pieces);
    return pieces;
  }

 private:
  struct Cut {
    double t = 0;
    std::size_t row = 0;
    bool crossing = false;
  };

  void cut_segment(const detail::Polyline& line, std::size_t i, std::vector<Piece>& pieces) {
    const XY p0 = line.points[i], p1 = line.points[i + 1];
    const double length = line.position[i + 1] - line.position[i];
    if (!(length > 0)) return;
    const auto box = envelope_of(line.points, i, i + 1);
    m_near = m_outlines.index.query(grown(box, m_tolerance + 1e-9 * (1 + m_tolerance)));
    m_cuts.clear();
    m_cuts.push_back({0.0, 0, false});
    m_cuts.push_back({1.0, 0, false});
    std::vector<double> ts;
    for (auto s : m_near) {
      const auto& segment = m_outlines.segments[s];
      ts.clear();
      detail::crossing_parameters(p0, p1, segment.a, segment.b, ts);
      for (double t : ts) m_cuts.push_back({t, segment.row, true});
      if (const auto band = detail::within_distance(p0, p1, segment.a, segment.b, m_tolerance)) {
        m_cuts.push_back({band->first, segment.row, false});
        m_cuts.push_back({band->second, segment.row, false});
      }
    }
    std::sort(m_cuts.begin(), m_cuts.end(), [](const Cut& x, const Cut& y) { return x.t < y.t; });
    // Distinct cut points; the last is exactly 1, so the pieces of a segment cover all of it.
    m_stops.assign(1, 0.0);
    for (const auto& c : m_cuts) {
      if (c.t - m_stops.back() > 1e-12) m_stops.push_back(c.t);
    }
    if (m_stops.size() == 1) m_stops.push_back(1.0);
    m_stops.back() = 1.0;
    // Rows that may contain a point of the segment, and what is known of them on this segment:
    // inside-ness changes only where the river crosses the row's outline.
    m_containers = m_municipalities.index().query(box);
    m_inside.clear();
    std::size_t applied = 0;
    for (std::size_t k = 0; k + 1 < m_stops.size(); ++k) {
      const double start = m_stops[k], end = m_stops[k + 1];
      for (; applied < m_cuts.size() && m_cuts[applied].t <= start + 1e-12; ++applied) {
        if (m_cuts[applied].crossing) m_inside.erase(m_cuts[applied].row);
      }
      classify(detail::lerp(p0, p1, start), detail::lerp(p0, p1, end), line.position[i] + start * length,
               k + 2 == m_stops.size() ? line.position[i + 1] : line.position[i] + end * length, pieces);
    }
  }

  bool row_covers(std::size_t row, XY p) {
    const auto& e = m_municipalities.envelope(row);
    if (p.x < e.min_x || p.x > e.max_x || p.y < e.min_y || p.y > e.max_y) return false;
    if (const auto it = m_inside.find(row); it != m_inside.end()) return it->second;
    auto& prepared = m_prepared[row];
    if (!prepared) prepared = geos::prepare(m_municipalities.layer().features[row].geometry.get());
    const auto point = geos::point(p.x, p.y);
    const bool inside = geos::covers(prepared.get(), point.get());
    m_inside[row] = inside;
    return inside;
  }

  // Groups near p: those containing it and those whose outline is within τ.
  void groups_at(XY p, std::vector<GroupState>& groups) {
    groups.clear();
    auto state_of = [&](std::size_t group) -> GroupState& {
      for (auto& g : groups) {
        if (g.group == group) return g;
      }
      groups.push_back(GroupState{group});
      return groups.back();
    };
    for (auto row : m_containers) {
      if (row_covers(row, p)) state_of(m_municipalities.group(row)).inside = true;
    }
    for (auto s : m_near) {
      const auto& segment = m_outlines.segments[s];
      const XY q = detail::nearest_on_segment(p, segment.a, segment.b);
      const double d = detail::norm(p - q);
      if (d > m_tolerance && !std::any_of(groups.begin(), groups.end(), [&](const GroupState& g) {
            return g.group == m_municipalities.group(segment.row);
          })) {
        continue;
      }
      auto& g = state_of(m_municipalities.group(segment.row));
      if (d < g.distance) {
        g.distance = d;
        g.nearest = q;
        g.nearest_direction = segment.b - segment.a;
      }
    }
  }

  static double distance_to(const GroupState& g) { return g.inside ? 0.0 : g.distance; }

  // Progress along the border of a and b over the step from `from` to `to` (header: Follow).
  double progress(XY from, XY to, std::size_t a, std::size_t b) {
    const XY step = to - from;
    const double step_length = detail::norm(step);
    if (step_length == 0) return 0;
    groups_at(detail::lerp(from, to, 0.5), m_scratch);
    const GroupState* ga = nullptr;
    const GroupState* gb = nullptr;
    for (const auto& g : m_scratch) {
      if (g.group == a) ga = &g;
      if (g.group == b) gb = &g;
    }
    if (!ga || !gb) return 0;
    const double da = distance_to(*ga), db = distance_to(*gb);
    const GroupState* reference = nullptr;
    if (std::max(da, db) > 0) {
      reference = da >= db ? ga : gb;
    } else {  // inside both: the nearer outline of the two, if one is within reach
      reference = ga->distance <= gb->distance ? ga : gb;
      if (!std::isfinite(reference->distance)) return step_length;
    }
    const XY mid = detail::lerp(from, to, 0.5);
    XY towards = reference->nearest - mid;
    double towards_length = detail::norm(towards);
    if (towards_length <= 1e-12 * (1 + step_length)) {  // on the outline: its direction is the border's
      const XY along = reference->nearest_direction;
      const double along_length = detail::norm(along);
      return along_length > 0 ? std::fabs(detail::dot(step, along)) / along_length : step_length;
    }
    const XY border{-towards.y / towards_length, towards.x / towards_length};
    return std::fabs(detail::dot(step, border));
  }

  // Distances from p to groups a and b (0 inside).
  std::pair<double, double> pair_distances(XY p, std::size_t a, std::size_t b) {
    groups_at(p, m_scratch);
    double da = std::numeric_limits<double>::infinity(), db = da;
    for (const auto& g : m_scratch) {
      if (g.group == a) da = distance_to(g);
      if (g.group == b) db = distance_to(g);
    }
    return {da, db};
  }

  // Which of `pairs` is nearest at p: smallest max(d(p,A), d(p,B)), ties to the first.
  std::size_t nearest_pair(XY p, const std::vector<std::pair<std::size_t, std::size_t>>& pairs) {
    std::size_t best = 0;
    double best_f = std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < pairs.size(); ++k) {
      const auto [da, db] = pair_distances(p, pairs[k].first, pairs[k].second);
      if (std::max(da, db) < best_f) {
        best_f = std::max(da, db);
        best = k;
      }
    }
    return best;
  }

  // Where, between `from` and `to`, the nearest of several pairs changes: found by sampling and
  // bisection, so that attribution (header: Attribution) changes where the distances are equal (to ~1e-7 m
  // where they meet tangentially), not somewhere within a piece.
  std::vector<double> switch_points(XY from, XY to, const std::vector<std::pair<std::size_t, std::size_t>>& pairs,
                                    int samples) {
    std::vector<double> out;
    const double length = detail::norm(to - from);
    std::size_t previous = nearest_pair(from, pairs);
    for (int k = 1; k <= samples; ++k) {
      double lo = double(k - 1) / samples, hi = double(k) / samples;
      const std::size_t next = nearest_pair(detail::lerp(from, to, hi), pairs);
      if (next == previous) continue;
      for (int iteration = 0; iteration < 60 && (hi - lo) * length > 1e-9; ++iteration) {
        const double mid = 0.5 * (lo + hi);
        (nearest_pair(detail::lerp(from, to, mid), pairs) == previous ? lo : hi) = mid;
      }
      out.push_back(0.5 * (lo + hi));
      previous = next;
    }
    return out;
  }

  // Classifies the piece of segment between `from` and `to` (no outline crossing and no band edge
  // inside it), splitting it where the nearest pair changes.
  void classify(XY from, XY to, double start, double end, std::vector<Piece>& pieces) {
    const XY mid = detail::lerp(from, to, 0.5);
    groups_at(mid, m_groups);
    // The container: the group of the first row (in layer order) covering the point.
    std::optional<std::size_t> container;
    for (auto row : m_containers) {
      if (row_covers(row, mid)) {
        container = m_municipalities.group(row);
        break;
      }
    }
    std::vector<std::size_t> near;
    for (const auto& g : m_groups) {
      if (distance_to(g) <= m_tolerance) near.push_back(g.group);
    }
    std::sort(near.begin(), near.end());
    std::vector<std::pair<std::size_t, std::size_t>> pairs;
    for (std::size_t x = 0; x < near.size(); ++x) {
      for (std::size_t y = x + 1; y < near.size(); ++y) {
        if (container && *container != near[x] && *container != near[y]) continue;
        pairs.emplace_back(near[x], near[y]);
      }
    }
    const double piece_length = detail::norm(to - from);
    const int steps = m_tolerance > 0
                          ? std::clamp(static_cast<int>(std::ceil(piece_length / (m_tolerance / 4))), 1, 8)
                          : 1;
    std::vector<double> cuts{0.0};
    if (pairs.size() >= 2) {
      for (double u : switch_points(from, to, pairs, std::max(steps, 4))) cuts.push_back(u);
    }
    cuts.push_back(1.0);
    for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
      const XY a = detail::lerp(from, to, cuts[k]), b = detail::lerp(from, to, cuts[k + 1]);
      Piece piece{start + cuts[k] * (end - start), k + 2 == cuts.size() ? end : start + cuts[k + 1] * (end - start),
                  container, {}};
      const int sub_steps = std::max(1, static_cast<int>(std::ceil(steps * (cuts[k + 1] - cuts[k]))));
      for (const auto& [ga, gb] : pairs) {
        const auto [da, db] = pair_distances(detail::lerp(a, b, 0.5), ga, gb);
        PairHit hit{ga, gb, da, db, 0.0, false};
        for (int s = 0; s < sub_steps; ++s) {
          hit.progress += progress(detail::lerp(a, b, double(s) / sub_steps), detail::lerp(a, b, double(s + 1) / sub_steps), ga, gb);
        }
        piece.pairs.push_back(hit);
      }
      pieces.push_back(std::move(piece));
    }
  }

  const MunicipalityIndex& m_municipalities;
  const Outlines& m_outlines;
  double m_tolerance;
  std::vector<std::size_t> m_near, m_containers;
  std::vector<Cut> m_cuts;
  std::vector<double> m_stops;
  std::unordered_map<std::size_t, geos::PreparedPtr> m_prepared;  // rows prepared by this task
  std::unordered_map<std::size_t, bool> m_inside;                 // rows' inside-ness on this segment
  std::vector<GroupState> m_groups, m_scratch;
};

// Marks the pair hits whose stretch (a maximal run of consecutive pieces with the same pair) made
// at least `min_follow` progress.
void mark_following(std::vector<Piece>& pieces, double min_follow) {
  struct Run {
    std::size_t first = 0, last = 0;
    double progress = 0;
  };
  std::map<std::pair<std::size_t, std::size_t>, Run> open;
  auto close = [&](const std::pair<std::size_t, std::size_t>& key, const Run& run) {
    if (run.progress < min_follow) return;
    for (std::size_t k = run.first; k <= run.last; ++k) {
      for (auto& hit : pieces[k].pairs) {
        if (hit.a == key.first && hit.b == key.second) hit.follows = true;
      }
    }
  };
  for (std::size_t k = 0; k < pieces.size(); ++k) {
    for (const auto& hit : pieces[k].pairs) {
      const auto key = std::make_pair(hit.a, hit.b);
      auto it = open.find(key);
      if (it != open.end() && it->second.last + 1 == k) {
        it->second.last = k;
        it->second.progress += hit.progress;
      } else {
        if (it != open.end()) close(key, it->second);
        open[key] = Run{k, k, hit.progress};
      }
    }
    // Runs that did not continue into piece k are over.
    for (auto it = open.begin(); it != open.end();) {
      if (it->second.last < k) {
        close(it->first, it->second);
        it = open.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& [key, run] : open) close(key, run);
}

std::optional<BorderSide> border_of(const Piece& piece) {
  const PairHit* best = nullptr;
  for (const auto& hit : piece.pairs) {
    if (!hit.follows) continue;
    const double f = std::max(hit.distance_a, hit.distance_b);
    if (!best || f < std::max(best->distance_a, best->distance_b)) best = &hit;  // pairs come sorted: ties keep the first
  }
  if (!best) return std::nullopt;
  if (piece.municipality == best->b) return BorderSide{best->b, best->a};
  if (piece.municipality == best->a) return BorderSide{best->a, best->b};
  return best->distance_b < best->distance_a ? BorderSide{best->b, best->a} : BorderSide{best->a, best->b};
}

struct Stretch {
  double start = 0, end = 0;
  std::optional<std::size_t> municipality;
  std::optional<BorderSide> border;
  bool same_label(const Stretch& other) const { return municipality == other.municipality && border == other.border; }
};

// Pieces with the same municipality and border become one reach; slivers join their neighbour.
std::vector<Stretch> stretches_of(const std::vector<Piece>& pieces, double& crossing_length) {
  std::vector<Stretch> out;
  for (const auto& piece : pieces) {
    Stretch s{piece.start, piece.end, piece.municipality, border_of(piece)};
    if (!s.border && !piece.pairs.empty()) crossing_length += piece.end - piece.start;
    if (!out.empty() && (out.back().same_label(s) || s.end - s.start < kMinPieceM)) {
      out.back().end = s.end;
    } else if (!out.empty() && out.back().end - out.back().start < kMinPieceM) {
      const double start = out.back().start;
      out.back() = s;
      out.back().start = start;
    } else {
      out.push_back(s);
    }
  }
  // Absorbing a sliver can make two neighbours equal.
  std::vector<Stretch> merged;
  for (auto& s : out) {
    if (!merged.empty() && merged.back().same_label(s)) {
      merged.back().end = s.end;
    } else {
      merged.push_back(s);
    }
  }
  return merged;
}

}  // namespace

double planar_length(const GEOSGeometry* line) { return geos::length(line); }

std::string river_id(const Layer& rivers, std::size_t river) {
  const auto field = rivers.field_index("id");
  const auto& feature = rivers.features[river];
  if (field) {
    auto text = key_text(feature, field);
    if (!text.empty()) return text;
  }
  return std::to_string(feature.fid);
}

RiverReachesResult river_reaches(const Layer& rivers, const MunicipalityIndex& municipalities,
                                 const RiverReachesOptions& options) {
  const double tolerance = options.tolerance_m;
  if (!(tolerance >= 0)) {
    throw ConfigError(fmt::format("tolerance_m is {}; it must be 0 or more", tolerance), {}, "set tolerance_m to a distance in metres, e.g. 500");
  }
  const double min_follow = options.min_follow_m.value_or(2 * tolerance);
  if (!(min_follow >= 0)) {
    throw ConfigError(fmt::format("min_follow_m is {}; it must be 0 or more", min_follow));
  }
  const auto lines = river_lines(rivers);
  std::vector<Chunk> chunks;
  for (std::size_t l = 0; l < lines.size(); ++l) {
    const std::size_t segments = lines[l].line.points.size() - 1;
    for (std::size_t first = 0; first < segments; first += kChunkSegments) {
      chunks.push_back({l, first, std::min(segments, first + kChunkSegments)});
    }
  }
  const Outlines outlines = outlines_near(lines, chunks, municipalities, tolerance);

  // 1. Cut and classify, one task per chunk.
  std::vector<std::vector<Piece>> chunk_pieces(chunks.size());
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, chunks.size(), 1),
      [&](const auto& range) {
        for (std::size_t c = range.begin(); c != range.end(); ++c) {
          ChunkCutter cutter(municipalities, outlines, tolerance);
          chunk_pieces[c] = cutter.cut(lines[chunks[c].line], chunks[c].first, chunks[c].last);
        }
      },
      tbb::simple_partitioner());

  // 2. Per line: which stretches follow a border, and the reaches.
  struct LineStretches {
    std::size_t line = 0;
    std::vector<Stretch> stretches;
  };
  std::vector<LineStretches> per_line(lines.size());
  std::vector<double> crossing(lines.size(), 0.0);
  std::vector<std::vector<std::size_t>> chunks_of(lines.size());
  for (std::size_t c = 0; c < chunks.size(); ++c) chunks_of[chunks[c].line].push_back(c);
  tbb::parallel_for(std::size_t{0}, lines.size(), [&](std::size_t l) {
    std::vector<Piece> pieces;
    for (auto c : chunks_of[l]) std::move(chunk_pieces[c].begin(), chunk_pieces[c].end(), std::back_inserter(pieces));
    mark_following(pieces, min_follow);
    per_line[l] = {l, stretches_of(pieces, crossing[l])};
  });

  RiverReachesResult result;
  for (const auto& [l, stretches] : per_line) {
    for (const auto& s : stretches) {
      result.reaches.push_back(Reach{lines[l].river, lines[l].part, s.start, s.end, s.municipality, s.border, nullptr, 0.0});
    }
  }
  std::vector<std::size_t> line_of_reach;
  for (const auto& [l, stretches] : per_line) line_of_reach.insert(line_of_reach.end(), stretches.size(), l);
  tbb::parallel_for(std::size_t{0}, result.reaches.size(), [&](std::size_t k) {
    auto& reach = result.reaches[k];
    const auto points = lines[line_of_reach[k]].line.piece(reach.start_m, reach.end_m);
    reach.geometry = geos::line_string(points);
    reach.length_m = options.length(reach.geometry.get());
  });
  result.crossing_length_m = std::accumulate(crossing.begin(), crossing.end(), 0.0);

  // 3. Tables.
  std::map<std::size_t, MunicipalityRivers> by_municipality;
  std::map<std::tuple<std::size_t, std::size_t, std::size_t>, BorderShare> shares;
  for (const auto& reach : result.reaches) {
    result.river_length_m += reach.length_m;
    if (reach.municipality) {
      auto& m = by_municipality[*reach.municipality];
      m.municipality = *reach.municipality;
      m.river_length_m += reach.length_m;
      if (reach.border) m.border_length_m += reach.length_m;
    } else {
      result.outside_length_m += reach.length_m;
    }
    if (!reach.border) continue;
    result.border_length_m += reach.length_m;
    const auto a = std::min(reach.border->side, reach.border->partner);
    const auto b = std::max(reach.border->side, reach.border->partner);
    auto& share = shares[{a, b, reach.river}];
    share.a = a;
    share.b = b;
    share.river = reach.river;
    share.shared_length_m += reach.length_m;
    if (reach.municipality == a) {
      share.in_a_m += reach.length_m;
    } else if (reach.municipality == b) {
      share.in_b_m += reach.length_m;
    } else {
      share.in_gap_m += reach.length_m;
    }
  }
  for (auto& [group, m] : by_municipality) result.by_municipality.push_back(m);
  for (auto& [key, share] : shares) result.border_reaches.push_back(share);
  return result;
}

}  // namespace twinrisk::ops
