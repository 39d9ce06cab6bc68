#pragma once
// Indexes of boxes: an R-tree over feature envelopes, bulk-loaded with the packing constructor,
// for box queries; a uniform grid for many point queries; a grid of the cells that lie outside
// every area a set of outlines bounds.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include <boost/geometry/geometries/box.hpp>
#include <boost/geometry/geometries/point.hpp>
#include <boost/geometry/index/rtree.hpp>

#include "twinrisk/core/geos.hpp"
#include "twinrisk/core/layer.hpp"

namespace twinrisk {

class SpatialIndex {
 public:
  // Indexes every feature of the layer with a non-empty geometry, by its position in the layer.
  explicit SpatialIndex(const Layer& layer);
  explicit SpatialIndex(const std::vector<geos::Envelope>& envelopes);

  // Positions whose envelope intersects the query envelope, in ascending order.
  std::vector<std::size_t> query(const geos::Envelope& envelope) const;
  // The same into `out` (cleared first), which keeps its capacity: no allocation per query.
  void query(const geos::Envelope& envelope, std::vector<std::size_t>& out) const;
  // Whether any envelope intersects the query envelope (stops at the first).
  bool any(const geos::Envelope& envelope) const;
  std::size_t size() const { return m_tree.size(); }

 private:
  using Point = boost::geometry::model::point<double, 2, boost::geometry::cs::cartesian>;
  using Box = boost::geometry::model::box<Point>;
  using Entry = std::pair<Box, std::size_t>;
  boost::geometry::index::rtree<Entry, boost::geometry::index::rstar<16>> m_tree;
};

// Boxes binned into a uniform grid, for many point queries against boxes that are small next to
// their extent (exposure's million points against the zone parts): a point reads its cell's list,
// where an R-tree query walks nodes and sorts its hits.
class BoxGrid {
 public:
  explicit BoxGrid(std::vector<geos::Envelope> boxes);

  // Positions whose box contains (x, y), boundary included, in ascending order, into `out`.
  void query(double x, double y, std::vector<std::size_t>& out) const {
    out.clear();
    visit(x, y, [&out](std::size_t position) { out.push_back(position); });
  }

  // visit(position) for each of them, in ascending order.
  template <typename Visit>
  void visit(double x, double y, Visit&& visit) const {
    if (m_members.empty() || std::isnan(x) || std::isnan(y)) return;
    const std::size_t cell = row(y) * m_columns + column(x);
    for (std::size_t k = m_cell_start[cell]; k < m_cell_start[cell + 1]; ++k) {
      const auto& b = m_boxes[m_members[k]];
      if (b.min_x <= x && x <= b.max_x && b.min_y <= y && y <= b.max_y) visit(std::size_t{m_members[k]});
    }
  }

 private:
  // Floors of (v - min) / cell size are monotone in v, so a box's cells hold every point it contains.
  std::size_t column(double x) const { return cell_of((x - m_min_x) / m_cell_width, m_columns); }
  std::size_t row(double y) const { return cell_of((y - m_min_y) / m_cell_height, m_rows); }
  static std::size_t cell_of(double position, std::size_t cells) {
    return static_cast<std::size_t>(std::clamp(std::floor(position), 0.0, static_cast<double>(cells - 1)));
  }

  std::vector<geos::Envelope> m_boxes;
  double m_min_x = 0, m_min_y = 0, m_cell_width = 1, m_cell_height = 1;
  std::size_t m_columns = 0, m_rows = 0;
  std::vector<std::size_t> m_cell_start;  // per cell, into m_members; one more at the end
  std::vector<std::uint32_t> m_members;   // box positions, cell by cell, ascending in each
};

// Cells of a uniform grid over a set of outlines (the rings of polygons, as segments) that no
// outline passes through and that lie in none of the areas they bound: a point in such a cell lies
// in no area, known without testing a ring. A cell no outline passes through is inside or outside
// each area as a whole, and so is a run of such cells side by side or one above the other: one
// point per run is tested, by the caller's exact `covered`. Most of exposure's points lie near
// zones but in none; each paid for a ray test that read scattered outline data.
class OutsideCells {
 public:
  using Segment = std::pair<geos::XY, geos::XY>;

  // `outlines`: the segments of every ring, in any grouping; about `cells` cells (at most 2^24).
  OutsideCells(const std::vector<std::span<const Segment>>& outlines, std::size_t cells,
               const std::function<bool(geos::XY)>& covered);

  // Whether (x, y) lies in a cell outside every area (false where unknown: test the point).
  bool outside(double x, double y) const {
    if (m_outside.empty() || std::isnan(x) || std::isnan(y)) return false;
    return is_outside(row(y) * m_columns + column(x));
  }
  // Whether every cell `box` meets lies outside every area (false for a box over many cells).
  bool outside(const geos::Envelope& box) const;
  std::size_t columns() const { return m_columns; }
  std::size_t rows() const { return m_rows; }

 private:
  std::size_t column(double x) const { return cell_of((x - m_min_x) / m_cell_width, m_columns); }
  std::size_t row(double y) const { return cell_of((y - m_min_y) / m_cell_height, m_rows); }
  static std::size_t cell_of(double position, std::size_t cells) {
    return static_cast<std::size_t>(std::clamp(std::floor(position), 0.0, static_cast<double>(cells - 1)));
  }
  bool is_outside(std::size_t cell) const { return (m_outside[cell / 64] >> (cell % 64)) & 1u; }

  double m_min_x = 0, m_min_y = 0, m_cell_width = 1, m_cell_height = 1;
  std::size_t m_columns = 0, m_rows = 0;
  std::vector<std::uint64_t> m_outside;  // one bit per cell, row by row
};

}  // namespace twinrisk
