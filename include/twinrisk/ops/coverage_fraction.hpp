#pragma once
// Exact coverage fractions of a polygon over a raster grid: for each cell, the share of the cell's
// area that lies inside the polygon (the quantity exactextract computes; partial cells are weighted,
// cell centres play no part).
//
// Method. Work in grid coordinates (u = columns from the west edge, v = rows from the north edge),
// where a cell is a unit square. For a closed ring, the area of cell ∩ ring-interior equals the sum,
// over the ring's edges, of the signed area between each edge and the cell's west side, restricted
// to the cell (Green's theorem with the ray to the east). So each edge is walked through the grid
// once, split where it crosses a row or column line, and each piece adds
//   to its own cell:              dv · (mid_u − col)      (the trapezoid west of the piece)
//   to every cell west of it:     dv                      (a full-width strip; kept as one "cover"
//                                                          entry and summed along the row once)
// A running sum from east to west along each row then gives every cell's covered area: boundary
// cells from the walk, interior cells from the carried cover, so the work is proportional to the
// boundary pieces plus the window's cells, with no GEOS clip per cell. Rings are oriented so shells
// add and holes subtract, whatever their stored orientation; pieces west of the window are dropped
// (they only touch cells further west) and pieces east of it add to the row's carried cover only,
// so a polygon reaching beyond the raster is handled exactly. Rows are independent, so a window can
// be computed strip by strip in bounded memory.

#include <span>
#include <vector>

#include "twinrisk/core/geos.hpp"
#include "twinrisk/core/raster_grid.hpp"

namespace twinrisk::ops {

// Fractions over a window, row-major: values[(row − window.row) · window.cols + (col − window.col)].
struct CoverageFractions {
  CellWindow window;
  std::vector<double> values;

  double at(int row, int col) const {
    return values[static_cast<std::size_t>(row - window.row) * static_cast<std::size_t>(window.cols) +
                  static_cast<std::size_t>(col - window.col)];
  }
  double sum() const;
};

class PolygonCoverage {
 public:
  // `polygonal`: a Polygon, MultiPolygon or a collection holding them (other members are ignored),
  // in the grid's CRS. Valid input is expected (overlapping parts would count twice; fractions are
  // clamped to [0, 1]); fractions within 1e-12 of 0 or 1 are snapped to it, so a cell the polygon
  // does not reach is exactly 0. Throws GeometryError when GEOS cannot read its coordinates.
  PolygonCoverage(const GEOSGeometry* polygonal, const RasterGrid& grid);

  // The grid cells the polygon's envelope touches (empty when it lies outside the raster).
  const CellWindow& window() const { return m_window; }
  // The polygon's whole area in cells (cell area = 1), including any part outside the raster.
  double area_cells() const { return m_area_cells; }

  // Fractions of the cells of `part` (any window, typically a strip of window()'s rows) written to
  // out[(row − part.row) · part.cols + (col − part.col)]; out.size() must be part.size().
  void fractions(const CellWindow& part, std::span<double> out) const;
  // Fractions over the whole window().
  CoverageFractions fractions() const;

 private:
  // An edge in grid coordinates, oriented so that the polygon's interior counts +1.
  struct Edge {
    double u0, v0, u1, v1;
    double v_min() const { return v0 < v1 ? v0 : v1; }
    double v_max() const { return v0 < v1 ? v1 : v0; }
  };
  void add_ring(const std::vector<geos::XY>& points, bool is_shell);

  RasterGrid m_grid;
  CellWindow m_window;
  int m_origin_row = 0;  // edges are in grid coordinates relative to this cell
  int m_origin_col = 0;
  double m_area_cells = 0;
  std::vector<Edge> m_edges;  // sorted by v_min, so a strip scans only edges that can reach it
};

}  // namespace twinrisk::ops
