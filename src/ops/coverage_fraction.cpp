#include "twinrisk/ops/coverage_fraction.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace twinrisk::ops {

namespace {
constexpr double kSnap = 1e-12;  // of a cell's area
}  // namespace

double CoverageFractions::sum() const { return std::accumulate(values.begin(), values.end(), 0.0); }

PolygonCoverage::PolygonCoverage(const GEOSGeometry* polygonal, const RasterGrid& grid) : m_grid(grid) {
  struct Ring {
    std::vector<geos::XY> points;
    bool is_shell;
  };
  std::vector<Ring> rings;
  geos::Envelope envelope{std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(),
                          -std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
  for (const GEOSGeometry* polygon : geos::polygon_views(polygonal)) {
    const auto views = geos::ring_views(polygon);
    for (std::size_t i = 0; i < views.size(); ++i) {
      rings.push_back({geos::coordinates(views[i]), i == 0});
      if (i > 0) continue;  // holes lie inside the shell, so the shells' vertices bound the polygon
      for (const auto& p : rings.back().points) {
        envelope.min_x = std::min(envelope.min_x, p.x);
        envelope.max_x = std::max(envelope.max_x, p.x);
        envelope.min_y = std::min(envelope.min_y, p.y);
        envelope.max_y = std::max(envelope.max_y, p.y);
      }
    }
  }
  if (rings.empty()) return;
  m_window = cell_window(grid, envelope);
  // Grid coordinates are kept relative to the window's first cell: small numbers round less, so
  // pieces that should cancel along a row leave ~1e-15 instead of ~1e-12 (a 10k-cell raster).
  m_origin_row = m_window.row;
  m_origin_col = m_window.col;
  for (const auto& ring : rings) add_ring(ring.points, ring.is_shell);
  std::sort(m_edges.begin(), m_edges.end(), [](const Edge& a, const Edge& b) { return a.v_min() < b.v_min(); });
  if (m_edges.empty()) m_window = {};
}

void PolygonCoverage::add_ring(const std::vector<geos::XY>& points, bool is_shell) {
  if (points.size() < 4) return;  // not a ring with area
  std::vector<geos::XY> uv(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    uv[i] = {m_grid.u_of(points[i].x) - m_origin_col, m_grid.v_of(points[i].y) - m_origin_row};
  }
  // Shoelace relative to the first vertex, which keeps the products small.
  double twice_area = 0;
  for (std::size_t i = 1; i + 1 < uv.size(); ++i) {
    twice_area += (uv[i].x - uv[0].x) * (uv[i + 1].y - uv[0].y) - (uv[i + 1].x - uv[0].x) * (uv[i].y - uv[0].y);
  }
  if (twice_area == 0) return;
  // With positive shoelace area in (u, v), the ray-to-the-east sum counts the interior +1; flip the
  // ring where needed so that shells count +1 and holes −1.
  const bool forward = (twice_area > 0) == is_shell;
  m_area_cells += (forward ? 0.5 : -0.5) * twice_area;
  for (std::size_t i = 0; i + 1 < uv.size(); ++i) {
    const geos::XY& a = uv[i];
    const geos::XY& b = uv[i + 1];
    if (a.y == b.y) continue;  // a horizontal edge encloses nothing west of it
    m_edges.push_back(forward ? Edge{a.x, a.y, b.x, b.y} : Edge{b.x, b.y, a.x, a.y});
  }
}

namespace {

// Accumulates one strip: `area` has the strip's cells (cols per row), `cover` one more column per
// row for what reaches in from east of the strip.
struct Accumulator {
  int r0, r1, c0, c1;
  std::size_t cols;
  double* area;
  double* cover;

  void piece(double ua, double va, double ub, double vb) const {
    const double dv = vb - va;
    if (dv == 0) return;
    const double mid_u = 0.5 * (ua + ub);
    const double mid_v = 0.5 * (va + vb);
    const int row = std::clamp(static_cast<int>(std::floor(mid_v)), r0, r1 - 1);
    const std::size_t row_offset = static_cast<std::size_t>(row - r0);
    if (mid_u >= c1) {
      cover[row_offset * (cols + 1) + cols] += dv;
      return;
    }
    const int col = std::clamp(static_cast<int>(std::floor(mid_u)), c0, c1 - 1);
    const std::size_t col_offset = static_cast<std::size_t>(col - c0);
    area[row_offset * cols + col_offset] += dv * (mid_u - col);
    cover[row_offset * (cols + 1) + col_offset] += dv;
  }

  // Walks the edge a→b (already known to reach the strip) through the grid.
  void edge(double ua, double va, double ub, double vb) const {
    // Clip to the strip's rows and to u ≥ c0: what lies west of the strip touches no cell of it.
    const double du = ub - ua;
    const double dv = vb - va;
    double t0 = 0, t1 = 1;
    if (dv > 0) {
      t0 = std::max(t0, (r0 - va) / dv);
      t1 = std::min(t1, (r1 - va) / dv);
    } else {
      t0 = std::max(t0, (r1 - va) / dv);
      t1 = std::min(t1, (r0 - va) / dv);
    }
    if (du > 0) {
      t0 = std::max(t0, (c0 - ua) / du);
    } else if (du < 0) {
      t1 = std::min(t1, (c0 - ua) / du);
    } else if (ua < c0) {
      return;
    }
    if (!(t0 < t1)) return;
    const double pu = std::max(t0 == 0 ? ua : ua + t0 * du, static_cast<double>(c0));
    const double pv = std::clamp(t0 == 0 ? va : va + t0 * dv, static_cast<double>(r0), static_cast<double>(r1));
    const double qu = std::max(t1 == 1 ? ub : ua + t1 * du, static_cast<double>(c0));
    const double qv = std::clamp(t1 == 1 ? vb : va + t1 * dv, static_cast<double>(r0), static_cast<double>(r1));

    // Column lines crossed strictly between p and q (none east of c1: there only rows matter),
    // and row lines likewise; merged in order along the piece.
    const double su = qu - pu;
    const double sv = qv - pv;
    long k = 0, k_end = 0, m = 0, m_end = 0;  // next line and one past the last, stepping by k_step/m_step
    long k_step = 0, m_step = 0;
    if (su > 0) {
      k = static_cast<long>(std::floor(pu)) + 1;
      k_end = std::min(static_cast<long>(std::ceil(qu)) - 1, static_cast<long>(c1)) + 1;
      k_step = 1;
    } else if (su < 0) {
      k = std::min(static_cast<long>(std::ceil(pu)) - 1, static_cast<long>(c1));
      k_end = static_cast<long>(std::floor(qu)) + 1 - 1;
      k_step = -1;
    }
    if (sv > 0) {
      m = static_cast<long>(std::floor(pv)) + 1;
      m_end = static_cast<long>(std::ceil(qv)) - 1 + 1;
      m_step = 1;
    } else if (sv < 0) {
      m = static_cast<long>(std::ceil(pv)) - 1;
      m_end = static_cast<long>(std::floor(qv)) + 1 - 1;
      m_step = -1;
    }
    constexpr double kNever = std::numeric_limits<double>::infinity();
    auto k_left = [&] { return k_step != 0 && (k_step > 0 ? k < k_end : k > k_end); };
    auto m_left = [&] { return m_step != 0 && (m_step > 0 ? m < m_end : m > m_end); };
    double cu = pu, cv = pv;
    while (true) {
      const double s_k = k_left() ? (k - pu) / su : kNever;
      const double s_m = m_left() ? (m - pv) / sv : kNever;
      if (s_k == kNever && s_m == kNever) break;
      double nu, nv;
      if (s_k < s_m) {
        nu = static_cast<double>(k);
        nv = pv + s_k * sv;
        k += k_step;
      } else if (s_m < s_k) {
        nu = pu + s_m * su;
        nv = static_cast<double>(m);
        m += m_step;
      } else {  // through a cell corner
        nu = static_cast<double>(k);
        nv = static_cast<double>(m);
        k += k_step;
        m += m_step;
      }
      piece(cu, cv, nu, nv);
      cu = nu;
      cv = nv;
    }
    piece(cu, cv, qu, qv);
  }
};

}  // namespace

void PolygonCoverage::fractions(const CellWindow& part, std::span<double> out) const {
  if (out.size() != part.size()) throw std::invalid_argument("PolygonCoverage::fractions: output size differs from the window");
  std::fill(out.begin(), out.end(), 0.0);
  if (part.empty() || m_edges.empty()) return;
  const std::size_t cols = static_cast<std::size_t>(part.cols);
  thread_local std::vector<double> cover;
  cover.assign(static_cast<std::size_t>(part.rows) * (cols + 1), 0.0);
  // In the edges' coordinates, relative to the window's first cell.
  const int row0 = part.row - m_origin_row, col0 = part.col - m_origin_col;
  const Accumulator acc{row0, row0 + part.rows, col0, col0 + part.cols, cols, out.data(), cover.data()};
  const double r0 = row0, r1 = row0 + part.rows, c0 = col0;
  for (const Edge& e : m_edges) {
    if (e.v_min() >= r1) break;  // sorted by v_min: no later edge reaches the strip
    if (e.v_max() <= r0) continue;
    if (std::max(e.u0, e.u1) <= c0) continue;
    acc.edge(e.u0, e.v0, e.u1, e.v1);
  }
  // East to west along each row: a cell gets its own trapezoids plus every full-width strip carried
  // in from pieces east of it.
  for (std::size_t r = 0; r < static_cast<std::size_t>(part.rows); ++r) {
    double* row_area = out.data() + r * cols;
    const double* row_cover = cover.data() + r * (cols + 1);
    double carried = row_cover[cols];
    for (std::size_t c = cols; c-- > 0;) {
      const double f = row_area[c] + carried;
      // Rounding leaves ~1e-15 where pieces cancel; snapped, so an untouched cell is exactly 0
      // (it must not count for max or for "cells touched") and an inside cell exactly 1.
      row_area[c] = f < kSnap ? 0.0 : f > 1.0 - kSnap ? 1.0 : f;
      carried += row_cover[c];
    }
  }
}

CoverageFractions PolygonCoverage::fractions() const {
  CoverageFractions result;
  result.window = m_window;
  result.values.resize(m_window.size());
  fractions(m_window, result.values);
  return result;
}

}  // namespace twinrisk::ops
