#include "planar_faces.hpp"

#include <algorithm>
#include <cmath>
#include <span>
#include <unordered_map>

#include "line_geometry.hpp"

namespace twinrisk::ops {
namespace {

using detail::operator-;
using geos::XY;

struct XYHash {
  std::size_t operator()(const XY& p) const {
    const std::size_t hx = std::hash<double>{}(p.x), hy = std::hash<double>{}(p.y);
    return hx ^ (hy + 0x9e3779b97f4a7c15ULL + (hx << 6) + (hx >> 2));
  }
};
struct XYEqual {
  bool operator()(const XY& a, const XY& b) const { return a.x == b.x && a.y == b.y; }
};

// -0.0 and 0.0 are one coordinate; the hash must not tell them apart.
XY normalized(XY p) { return {p.x + 0.0, p.y + 0.0}; }

// The quadrant of a direction, counter-clockwise from +x, as GEOS numbers them.
int quadrant(XY d) {
  if (d.x >= 0) return d.y >= 0 ? 0 : 3;
  return d.y >= 0 ? 1 : 2;
}

// Edges between nodes, each as two half-edges (2e runs along the edge's points, 2e + 1 back).
class Arrangement {
 public:
  explicit Arrangement(const GEOSGeometry* lines) {
    std::vector<std::vector<XY>> paths;
    for (const auto* line : geos::line_views(lines)) {
      auto points = geos::coordinates(line);
      for (auto& p : points) p = normalized(p);
      points.erase(std::unique(points.begin(), points.end(), XYEqual{}), points.end());
      if (points.size() >= 2) paths.push_back(std::move(points));
    }
    for (const auto& path : paths) {
      node_of(path.front());
      node_of(path.back());
    }
    for (const auto& path : paths) {
      std::size_t start = 0;
      for (std::size_t i = 1; i < path.size(); ++i) {
        if (i + 1 < path.size() && !m_nodes.contains(path[i])) continue;
        add_edge(std::span(path).subspan(start, i - start + 1));
        start = i;
      }
    }
    m_removed.assign(m_edge_points.size(), false);
  }

  std::vector<geos::GeomPtr> faces() {
    sort_around_nodes();
    auto face_of = trace();
    bool removed_any = false;
    for (std::size_t e = 0; e < m_edge_points.size(); ++e) {
      // Both sides in one face: a dangle or a bridge, which bounds no face.
      if (!m_removed[e] && face_of[2 * e] == face_of[2 * e + 1]) m_removed[e] = removed_any = true;
    }
    if (removed_any) {
      sort_around_nodes();
      trace();
    }
    return polygons();
  }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  std::size_t node_of(XY p) {
    const auto [at, added] = m_nodes.try_emplace(p, m_node_xy.size());
    if (added) m_node_xy.push_back(p);
    return at->second;
  }

  void add_edge(std::span<const XY> points) {
    m_edge_points.emplace_back(points.begin(), points.end());
    m_origin.push_back(m_nodes.at(points.front()));
    m_origin.push_back(m_nodes.at(points.back()));
  }

  std::size_t origin(std::size_t h) const { return m_origin[h]; }
  // The second point along the half-edge: its direction out of its origin.
  XY heading(std::size_t h) const {
    const auto& points = m_edge_points[h / 2];
    return h % 2 == 0 ? points[1] : points[points.size() - 2];
  }

  // Each node's remaining half-edges, counter-clockwise by direction (GEOS's order: by quadrant,
  // then by exact orientation; two edges of noded lines never leave a node in one direction).
  void sort_around_nodes() {
    m_around.assign(m_node_xy.size(), {});
    for (std::size_t h = 0; h < m_origin.size(); ++h) {
      if (!m_removed[h / 2]) m_around[origin(h)].push_back(h);
    }
    m_position.assign(m_origin.size(), kNone);
    for (std::size_t n = 0; n < m_around.size(); ++n) {
      const XY o = m_node_xy[n];
      auto& around = m_around[n];
      std::sort(around.begin(), around.end(), [&](std::size_t a, std::size_t b) {
        const XY da = heading(a), db = heading(b);
        const int qa = quadrant(da - o), qb = quadrant(db - o);
        if (qa != qb) return qa < qb;
        const int side = detail::orientation(o, da, db);
        return side != 0 ? side > 0 : a < b;
      });
      for (std::size_t i = 0; i < around.size(); ++i) m_position[around[i]] = i;
    }
  }

  // The half-edge after h along the face on h's left: at h's end, the next one clockwise from
  // the way back.
  std::size_t next(std::size_t h) const {
    const std::size_t back = h ^ 1;
    const auto& around = m_around[origin(back)];
    return around[(m_position[back] + around.size() - 1) % around.size()];
  }

  // The face (cycle) of each half-edge; kNone for removed ones.
  std::vector<std::size_t> trace() {
    std::vector<std::size_t> face_of(m_origin.size(), kNone);
    m_cycles.clear();
    for (std::size_t start = 0; start < m_origin.size(); ++start) {
      if (m_removed[start / 2] || face_of[start] != kNone) continue;
      std::vector<std::size_t> cycle;
      for (std::size_t h = start; face_of[h] == kNone; h = next(h)) {
        face_of[h] = m_cycles.size();
        cycle.push_back(h);
      }
      m_cycles.push_back(std::move(cycle));
    }
    return face_of;
  }

  std::vector<XY> ring(const std::vector<std::size_t>& cycle) const {
    std::vector<XY> out;
    for (auto h : cycle) {
      const auto& points = m_edge_points[h / 2];
      if (h % 2 == 0) {
        out.insert(out.end(), points.begin(), points.end() - 1);
      } else {
        out.insert(out.end(), points.rbegin(), points.rend() - 1);
      }
    }
    out.push_back(out.front());
    return out;
  }

  static double signed_area(const std::vector<XY>& ring) {
    double twice = 0;
    const XY o = ring.front();
    for (std::size_t i = 1; i + 1 < ring.size(); ++i) twice += detail::cross(ring[i] - o, ring[i + 1] - o);
    return twice / 2;
  }

  // A cycle that passes a node twice (a hole touching its face's outline at a point, two pieces
  // of linework meeting at one) split there into rings that do not touch themselves, as GEOS's
  // polygonizer splits them, so that every polygon is valid.
  std::vector<std::vector<std::size_t>> simple_cycles(const std::vector<std::size_t>& cycle) const {
    std::vector<std::vector<std::size_t>> out;
    std::vector<std::size_t> open;                        // half-edges since the last split
    std::unordered_map<std::size_t, std::size_t> leaves;  // node → the place in `open` of the half-edge leaving it
    for (auto h : cycle) {
      if (const auto again = leaves.find(origin(h)); again != leaves.end()) {
        const auto from = again->second;
        out.emplace_back(open.begin() + static_cast<std::ptrdiff_t>(from), open.end());
        for (auto k = from; k < open.size(); ++k) leaves.erase(origin(open[k]));
        open.resize(from);
      }
      leaves[origin(h)] = open.size();
      open.push_back(h);
    }
    out.push_back(std::move(open));
    return out;
  }

  struct Ring {
    std::vector<XY> points;
    double area;
    geos::Envelope box;
  };

  Ring make_ring(const std::vector<std::size_t>& cycle) const {
    auto points = ring(cycle);
    const double area = signed_area(points);
    geos::Envelope box{points[0].x, points[0].y, points[0].x, points[0].y};
    for (const auto& p : points) {
      box.min_x = std::min(box.min_x, p.x);
      box.min_y = std::min(box.min_y, p.y);
      box.max_x = std::max(box.max_x, p.x);
      box.max_y = std::max(box.max_y, p.y);
    }
    return Ring{std::move(points), area, box};
  }

  // Counter-clockwise rings bound faces. A clockwise ring split from a face's cycle is a hole of
  // that face; any other is the outline of a separate piece of linework, a hole in the smallest
  // face around it (none: it lies outside all).
  std::vector<geos::GeomPtr> polygons() const {
    std::vector<Ring> shells, loose_holes;
    std::vector<std::vector<Ring>> holes_of;  // per shell
    for (const auto& cycle : m_cycles) {
      std::vector<Ring> positive, negative;
      for (const auto& simple : simple_cycles(cycle)) {
        auto ring = make_ring(simple);
        if (ring.area > 0) positive.push_back(std::move(ring));
        if (ring.area < 0) negative.push_back(std::move(ring));
      }
      if (positive.size() == 1) {
        shells.push_back(std::move(positive.front()));
        holes_of.push_back(std::move(negative));
        continue;
      }
      for (auto& shell : positive) {
        shells.push_back(std::move(shell));
        holes_of.emplace_back();
      }
      for (auto& hole : negative) loose_holes.push_back(std::move(hole));
    }
    for (auto& hole : loose_holes) {
      const XY p = hole.points.front();
      std::size_t best = kNone;
      for (std::size_t s = 0; s < shells.size(); ++s) {
        const auto& shell = shells[s];
        if (shell.box.min_x > hole.box.min_x || shell.box.max_x < hole.box.max_x || shell.box.min_y > hole.box.min_y ||
            shell.box.max_y < hole.box.max_y || (best != kNone && shell.area >= shells[best].area)) {
          continue;
        }
        // The hole's vertex is on none of the shell's edges unless both belong to one piece of
        // linework, and a face of that piece does not hold its outline.
        detail::RayCrossings ray{p};
        for (std::size_t i = 0; i + 1 < shell.points.size() && !ray.on_boundary; ++i) {
          ray.count(shell.points[i], shell.points[i + 1]);
        }
        if (!ray.on_boundary && ray.crossings % 2 == 1) best = s;
      }
      if (best != kNone) holes_of[best].push_back(std::move(hole));
    }
    std::vector<geos::GeomPtr> out;
    out.reserve(shells.size());
    for (std::size_t s = 0; s < shells.size(); ++s) {
      std::vector<std::span<const XY>> holes;
      for (const auto& hole : holes_of[s]) holes.emplace_back(hole.points);
      out.push_back(geos::polygon(shells[s].points, holes));
    }
    return out;
  }

  std::unordered_map<XY, std::size_t, XYHash, XYEqual> m_nodes;
  std::vector<XY> m_node_xy;
  std::vector<std::vector<XY>> m_edge_points;  // node to node
  std::vector<std::size_t> m_origin;           // per half-edge
  std::vector<bool> m_removed;                 // per edge
  std::vector<std::vector<std::size_t>> m_around;  // per node: half-edges counter-clockwise
  std::vector<std::size_t> m_position;         // per half-edge: its place in m_around
  std::vector<std::vector<std::size_t>> m_cycles;
};

}  // namespace

std::vector<geos::GeomPtr> planar_faces(const GEOSGeometry* noded_lines) { return Arrangement(noded_lines).faces(); }

}  // namespace twinrisk::ops
