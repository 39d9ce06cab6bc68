#include "twinrisk/ops/raster_sampling.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace twinrisk::ops {

namespace {

// Adds the pieces of segment a→b (CRS coordinates) to `out`.
void segment_cells(const geos::XY& a, const geos::XY& b, const RasterGrid& grid, LineCells& out) {
  const double length = std::hypot(b.x - a.x, b.y - a.y);
  if (length == 0) return;
  out.total_length += length;
  const double u0 = grid.u_of(a.x), v0 = grid.v_of(a.y);
  const double du = grid.u_of(b.x) - u0, dv = grid.v_of(b.y) - v0;
  // Liang–Barsky: the part with 0 ≤ u ≤ width and 0 ≤ v ≤ height.
  double t0 = 0, t1 = 1;
  auto clip = [&](double p, double q) {  // keep t with p·t ≤ q
    if (p == 0) return q >= 0;
    const double t = q / p;
    if (p < 0) {
      t0 = std::max(t0, t);
    } else {
      t1 = std::min(t1, t);
    }
    return true;
  };
  const bool inside = clip(-du, u0) && clip(du, grid.width - u0) && clip(-dv, v0) && clip(dv, grid.height - v0) && t0 < t1;
  if (!inside) {
    out.outside_length += length;
    return;
  }
  out.outside_length += (t0 + (1 - t1)) * length;

  // Parameters where the segment crosses column and row lines inside (t0, t1), merged in order.
  auto crossings = [](double start, double delta, double ta, double tb, std::vector<double>& ts) {
    ts.clear();
    if (delta == 0) return;
    const double lo = start + std::min(ta, tb) * delta, hi = start + std::max(ta, tb) * delta;
    const double first = std::min(lo, hi), last = std::max(lo, hi);
    for (double k = std::floor(first) + 1; k < last; k += 1) ts.push_back((k - start) / delta);
    if (delta < 0) std::reverse(ts.begin(), ts.end());
  };
  thread_local std::vector<double> tu, tv, ts;
  crossings(u0, du, t0, t1, tu);
  crossings(v0, dv, t0, t1, tv);
  ts.resize(tu.size() + tv.size());
  std::merge(tu.begin(), tu.end(), tv.begin(), tv.end(), ts.begin());
  ts.push_back(t1);
  double previous = t0;
  for (double t : ts) {
    if (t <= previous) continue;
    const double mid = 0.5 * (previous + t);
    const int col = std::clamp(static_cast<int>(std::floor(u0 + mid * du)), 0, grid.width - 1);
    const int row = std::clamp(static_cast<int>(std::floor(v0 + mid * dv)), 0, grid.height - 1);
    const double piece = (t - previous) * length;
    if (!out.pieces.empty() && out.pieces.back().row == row && out.pieces.back().col == col) {
      out.pieces.back().length += piece;
    } else {
      out.pieces.push_back({row, col, piece});
    }
    previous = t;
  }
}

}  // namespace

LineCells line_cells(const GEOSGeometry* lines, const RasterGrid& grid) {
  LineCells out;
  for (const GEOSGeometry* line : geos::line_views(lines)) {
    const auto points = geos::coordinates(line);
    for (std::size_t i = 0; i + 1 < points.size(); ++i) segment_cells(points[i], points[i + 1], grid, out);
  }
  return out;
}

LineDepths line_depths(const GEOSGeometry* lines, const io::RasterSource& raster, const DepthBands& bands) {
  const LineCells cells = line_cells(lines, raster.grid());
  LineDepths result;
  result.bands.assign(bands.size(), 0.0);
  result.length = cells.total_length;
  if (cells.total_length <= 0) return result;
  std::vector<io::RasterSource::Cell> where;
  where.reserve(cells.pieces.size());
  for (const auto& piece : cells.pieces) where.push_back({piece.row, piece.col});
  const auto values = raster.values_at(where);
  double nodata = 0, dry = 0, flooded = 0, unbanded = 0;
  for (std::size_t i = 0; i < cells.pieces.size(); ++i) {
    const double length = cells.pieces[i].length;
    if (!values[i]) {
      nodata += length;
      continue;
    }
    const double v = *values[i];
    if (!result.max || v > *result.max) result.max = v;
    if (v <= 0) {
      dry += length;
      continue;
    }
    flooded += length;
    if (const auto band = bands.band_of(v)) {
      result.bands[*band] += length;
    } else {
      unbanded += length;
    }
  }
  const double total = cells.total_length;
  result.outside = cells.outside_length / total;
  result.nodata = nodata / total;
  result.dry = dry / total;
  result.flooded = flooded / total;
  result.unbanded = unbanded / total;
  for (double& band : result.bands) band /= total;
  return result;
}

std::vector<std::optional<double>> point_values(std::span<const geos::XY> points, const io::RasterSource& raster) {
  const RasterGrid& grid = raster.grid();
  std::vector<io::RasterSource::Cell> cells;
  cells.reserve(points.size());
  for (const auto& p : points) {
    const double u = std::floor(grid.u_of(p.x)), v = std::floor(grid.v_of(p.y));
    const bool inside = u >= 0 && u < grid.width && v >= 0 && v < grid.height;  // false for NaN too
    cells.push_back(inside ? io::RasterSource::Cell{static_cast<int>(v), static_cast<int>(u)}
                           : io::RasterSource::Cell{-1, -1});
  }
  return raster.values_at(cells);
}

std::optional<double> point_value(const GEOSGeometry* point, const io::RasterSource& raster) {
  const auto views = geos::point_views(point);
  if (views.size() != 1) return std::nullopt;
  const auto xy = geos::coordinates(views.front());
  if (xy.size() != 1) return std::nullopt;
  return point_values(xy, raster).front();
}

std::vector<std::optional<double>> point_values_bilinear(std::span<const geos::XY> points,
                                                         const io::RasterSource& raster) {
  const RasterGrid& grid = raster.grid();
  struct Stencil {
    int row = 0, col = 0;  // the north-west cell of the four
    double fu = 0, fv = 0;  // position between the centres, 0..1
  };
  std::vector<std::optional<Stencil>> stencils;
  std::vector<io::RasterSource::Cell> cells;
  stencils.reserve(points.size());
  cells.reserve(4 * points.size());
  for (const auto& p : points) {
    const double u = grid.u_of(p.x), v = grid.v_of(p.y);
    if (!(u >= 0 && u <= grid.width && v >= 0 && v <= grid.height)) {
      stencils.emplace_back();
      continue;
    }
    // Centres are at half-integers: shift so they fall on integers, and stay between the outermost.
    const double cu = std::clamp(u - 0.5, 0.0, static_cast<double>(grid.width - 1));
    const double cv = std::clamp(v - 0.5, 0.0, static_cast<double>(grid.height - 1));
    Stencil s;
    s.col = std::min(static_cast<int>(std::floor(cu)), std::max(grid.width - 2, 0));
    s.row = std::min(static_cast<int>(std::floor(cv)), std::max(grid.height - 2, 0));
    s.fu = cu - s.col;
    s.fv = cv - s.row;
    for (int dr = 0; dr < 2; ++dr) {
      for (int dc = 0; dc < 2; ++dc) cells.push_back({s.row + dr, s.col + dc});  // outside the grid: no value
    }
    stencils.emplace_back(s);
  }
  const auto values = raster.values_at(cells);
  std::vector<std::optional<double>> out;
  out.reserve(points.size());
  std::size_t k = 0;
  for (const auto& stencil : stencils) {
    if (!stencil) {
      out.emplace_back();
      continue;
    }
    const double weights[4] = {(1 - stencil->fu) * (1 - stencil->fv), stencil->fu * (1 - stencil->fv),
                               (1 - stencil->fu) * stencil->fv, stencil->fu * stencil->fv};
    double sum = 0, weight = 0;
    for (int i = 0; i < 4; ++i, ++k) {
      if (!values[k] || weights[i] == 0) continue;
      sum += weights[i] * *values[k];
      weight += weights[i];
    }
    out.push_back(weight > 0 ? std::optional<double>(sum / weight) : std::nullopt);
  }
  return out;
}

}  // namespace twinrisk::ops
