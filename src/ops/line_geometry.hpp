#pragma once
// Plane geometry on segments for the river and exposure kernels: where a segment crosses an
// outline, the part of it within a distance of an outline segment, nearest points, and where a
// point lies against rings. Parameters t run from 0 at a segment's start to 1 at its end. Private
// to src/ops.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "twinrisk/core/geos.hpp"

namespace twinrisk::ops::detail {

using geos::XY;

inline XY operator-(XY a, XY b) { return {a.x - b.x, a.y - b.y}; }
inline XY operator+(XY a, XY b) { return {a.x + b.x, a.y + b.y}; }
inline XY operator*(double k, XY a) { return {k * a.x, k * a.y}; }
inline double dot(XY a, XY b) { return a.x * b.x + a.y * b.y; }
inline double cross(XY a, XY b) { return a.x * b.y - a.y * b.x; }
inline double norm(XY a) { return std::hypot(a.x, a.y); }
inline XY lerp(XY a, XY b, double t) { return {a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)}; }

// Parameters on river segment p0→p1 where it meets outline segment q0→q1: the crossing point, or
// for collinear overlapping segments the projections of q0 and q1. Generous on purpose (a margin
// of 1e-9 on the outline segment): an extra cut costs nothing, a missed one would give a piece to
// the wrong side.
inline void crossing_parameters(XY p0, XY p1, XY q0, XY q1, std::vector<double>& out) {
  constexpr double kMargin = 1e-9;
  const XY r = p1 - p0;
  const XY s = q1 - q0;
  const double rr = dot(r, r);
  const double ss = dot(s, s);
  if (rr == 0 || ss == 0) return;
  const double denominator = cross(r, s);
  const XY w = q0 - p0;
  if (std::fabs(denominator) > 1e-12 * std::sqrt(rr * ss)) {
    const double t = cross(w, s) / denominator;
    const double u = cross(w, r) / denominator;
    if (t >= -kMargin && t <= 1 + kMargin && u >= -kMargin && u <= 1 + kMargin) {
      out.push_back(std::clamp(t, 0.0, 1.0));
    }
    return;
  }
  // Parallel: only collinear segments matter.
  if (std::fabs(cross(w, r)) > 1e-9 * rr) return;
  for (const XY q : {q0, q1}) {
    const double t = dot(q - p0, r) / rr;
    if (t > 0 && t < 1) out.push_back(t);
  }
}

// GEOS's orientation index of p against a→b: its double-precision filter, and its exact
// arithmetic (through GEOS) where the filter cannot decide, so the sign is always GEOS's own.
inline int orientation(XY a, XY b, XY p) {
  constexpr double kSafeEpsilon = 1e-15;
  const double left = (a.x - p.x) * (b.y - p.y);
  const double right = (a.y - p.y) * (b.x - p.x);
  const double det = left - right;
  const auto sign = [](double value) { return value > 0 ? 1 : value < 0 ? -1 : 0; };
  double sum = 0;
  if (left > 0) {
    if (right <= 0) return sign(det);
    sum = left + right;
  } else if (left < 0) {
    if (right >= 0) return sign(det);
    sum = -left - right;
  } else {
    return sign(det);
  }
  if (det >= kSafeEpsilon * sum || -det >= kSafeEpsilon * sum) return sign(det);
  return geos::orientation_index(a, b, p);
}

// Where a point lies against rings, counted segment by segment as GEOS's point-in-area locators
// count (RayCrossingCounter): crossings of the ray from the point towards +x, and whether the
// point is on a segment. Only segments whose y-range holds the point's y can change either.
struct RayCrossings {
  XY point;
  std::size_t crossings = 0;
  bool on_boundary = false;

  void count(XY p1, XY p2) {
    if (p1.x < point.x && p2.x < point.x) return;
    if (point.x == p2.x && point.y == p2.y) {
      on_boundary = true;
      return;
    }
    if (p1.y == point.y && p2.y == point.y) {
      if (std::min(p1.x, p2.x) <= point.x && point.x <= std::max(p1.x, p2.x)) on_boundary = true;
      return;
    }
    // An upward segment holds its start and not its end, a downward one the other way round, so a
    // vertex on the ray is counted once.
    if ((p1.y > point.y && p2.y <= point.y) || (p2.y > point.y && p1.y <= point.y)) {
      int side = orientation(p1, p2, point);
      if (side == 0) {
        on_boundary = true;
        return;
      }
      if (p2.y < p1.y) side = -side;
      if (side > 0) ++crossings;
    }
  }
  // In the interior or on the boundary: what GEOS's covers answers for a point.
  bool covered() const { return on_boundary || crossings % 2 == 1; }
};

// Rings' segments copied into horizontal bands, for ray counts: a point reads the one band its y
// falls in, in one run of memory. Only a segment whose y-range holds the point's y can change the
// count, and such a segment is in that band (the band of a y is monotone in y).
class RayBands {
 public:
  using Segment = std::pair<XY, XY>;

  explicit RayBands(const std::vector<Segment>& segments) {
    if (segments.empty()) return;
    double max_y = -std::numeric_limits<double>::infinity();
    m_min_y = std::numeric_limits<double>::infinity();
    for (const auto& [a, b] : segments) {
      m_min_y = std::min({m_min_y, a.y, b.y});
      max_y = std::max({max_y, a.y, b.y});
    }
    // About two segments per band, as a ring crosses a band on its two sides.
    m_bands = std::clamp<std::size_t>(segments.size() / 2, 1, 65536);
    m_band_height = std::max(max_y - m_min_y, 1e-9) / static_cast<double>(m_bands);
    m_start.assign(m_bands + 1, 0);
    for (const auto& [a, b] : segments) {
      for (auto k = band(std::min(a.y, b.y)); k <= band(std::max(a.y, b.y)); ++k) ++m_start[k + 1];
    }
    for (std::size_t k = 1; k <= m_bands; ++k) m_start[k] += m_start[k - 1];
    m_segments.resize(m_start.back());
    auto fill = m_start;
    for (const auto& segment : segments) {
      const auto& [a, b] = segment;
      for (auto k = band(std::min(a.y, b.y)); k <= band(std::max(a.y, b.y)); ++k) m_segments[fill[k]++] = segment;
    }
  }

  // Whether the rings cover p (inside or on a segment), decided as GEOS decides it.
  bool covers(XY p) const {
    if (m_bands == 0 || std::isnan(p.y)) return false;
    RayCrossings ray{p};
    const auto k = band(p.y);
    for (auto i = m_start[k]; i < m_start[k + 1] && !ray.on_boundary; ++i) ray.count(m_segments[i].first, m_segments[i].second);
    return ray.covered();
  }

 private:
  std::size_t band(double y) const {
    const double position = std::floor((y - m_min_y) / m_band_height);
    return static_cast<std::size_t>(std::clamp(position, 0.0, static_cast<double>(m_bands - 1)));
  }

  double m_min_y = 0, m_band_height = 1;
  std::size_t m_bands = 0;
  std::vector<std::size_t> m_start;  // per band, into m_segments; one more at the end
  std::vector<Segment> m_segments;   // band by band, in ring order within each
};

// The parameter interval of segment p0→p1 that lies on segment q0→q1 when the two are collinear
// (the same tests as crossing_parameters' parallel case).
inline std::optional<std::pair<double, double>> collinear_overlap(XY p0, XY p1, XY q0, XY q1) {
  const XY r = p1 - p0;
  const XY s = q1 - q0;
  const double rr = dot(r, r);
  const double ss = dot(s, s);
  if (rr == 0 || ss == 0) return std::nullopt;
  if (std::fabs(cross(r, s)) > 1e-12 * std::sqrt(rr * ss)) return std::nullopt;
  if (std::fabs(cross(q0 - p0, r)) > 1e-9 * rr) return std::nullopt;
  const double a = dot(q0 - p0, r) / rr, b = dot(q1 - p0, r) / rr;
  const double from = std::max(0.0, std::min(a, b)), to = std::min(1.0, std::max(a, b));
  if (!(to > from)) return std::nullopt;
  return std::pair{from, to};
}

// The parameter interval of river segment p0→p1 whose points are within `radius` of segment
// q0→q1 (a capsule; the distance is convex along a line, so the part is one interval).
inline std::optional<std::pair<double, double>> within_distance(XY p0, XY p1, XY q0, XY q1, double radius) {
  const XY d = p1 - p0;
  const double dd = dot(d, d);
  if (dd == 0) return std::nullopt;
  double lo = 2, hi = -1;  // hull of the parts found
  auto add = [&](double a, double b) {
    if (a > b) return;
    lo = std::min(lo, a);
    hi = std::max(hi, b);
  };
  for (const XY c : {q0, q1}) {  // the two discs
    const XY f = p0 - c;
    const double b = dot(d, f);
    const double disc = b * b - dd * (dot(f, f) - radius * radius);
    if (disc < 0) continue;
    const double root = std::sqrt(disc);
    add((-b - root) / dd, (-b + root) / dd);
  }
  const XY e = q1 - q0;
  const double length = norm(e);
  if (length > 0) {  // the rectangle: 0 ≤ u ≤ length, |v| ≤ radius in the segment's frame
    const XY along = (1.0 / length) * e;
    const XY across{-along.y, along.x};
    const XY f = p0 - q0;
    double t0 = -1e300, t1 = 1e300;
    auto clip = [&](double start, double rate, double low, double high) {
      if (rate == 0) {
        if (start < low || start > high) t1 = -1e300;
        return;
      }
      double a = (low - start) / rate, b = (high - start) / rate;
      if (a > b) std::swap(a, b);
      t0 = std::max(t0, a);
      t1 = std::min(t1, b);
    };
    clip(dot(f, along), dot(d, along), 0, length);
    clip(dot(f, across), dot(d, across), -radius, radius);
    add(t0, t1);
  }
  lo = std::max(lo, 0.0);
  hi = std::min(hi, 1.0);
  if (lo > hi) return std::nullopt;
  return std::make_pair(lo, hi);
}

// The point of segment q0→q1 nearest to p.
inline XY nearest_on_segment(XY p, XY q0, XY q1) {
  const XY e = q1 - q0;
  const double ee = dot(e, e);
  if (ee == 0) return q0;
  const double t = std::clamp(dot(p - q0, e) / ee, 0.0, 1.0);
  return lerp(q0, q1, t);
}

// A line with cumulative planar positions, for cutting pieces out of it.
struct Polyline {
  std::vector<XY> points;
  std::vector<double> position;  // position[i]: planar length from the start to points[i]

  explicit Polyline(std::vector<XY> coordinates) : points(std::move(coordinates)), position(points.size(), 0.0) {
    for (std::size_t i = 1; i < points.size(); ++i) position[i] = position[i - 1] + norm(points[i] - points[i - 1]);
  }
  double length() const { return position.empty() ? 0.0 : position.back(); }

  // The point at planar position s.
  XY at(double s) const {
    if (s <= 0) return points.front();
    if (s >= length()) return points.back();
    const auto i = static_cast<std::size_t>(std::upper_bound(position.begin(), position.end(), s) - position.begin()) - 1;
    const double span = position[i + 1] - position[i];
    return span > 0 ? lerp(points[i], points[i + 1], (s - position[i]) / span) : points[i];
  }

  // The vertices of the piece between positions `from` < `to`, in vertex order.
  std::vector<XY> piece(double from, double to) const {
    std::vector<XY> out;
    out.push_back(at(from));
    auto i = static_cast<std::size_t>(std::upper_bound(position.begin(), position.end(), from) - position.begin());
    for (; i < points.size() && position[i] < to; ++i) out.push_back(points[i]);
    out.push_back(at(to));
    return out;
  }
};

}  // namespace twinrisk::ops::detail
