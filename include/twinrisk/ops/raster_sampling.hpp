#pragma once
// Lines and points over a raster: a line's length per cell and per depth band, a point's cell value.
// Geometries come in the raster's CRS; lengths are in its units and, like zonal_stats' areas, are
// also given as shares of the line's length, so the caller can scale them by the line's true
// (ellipsoidal or analysis-CRS) length (ops/measure.hpp).

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "twinrisk/core/geos.hpp"
#include "twinrisk/core/raster_grid.hpp"
#include "twinrisk/io/raster.hpp"
#include "twinrisk/ops/depth_bands.hpp"

namespace twinrisk::ops {

// A stretch of line inside one cell.
struct LinePiece {
  int row = 0;
  int col = 0;
  double length = 0;  // raster CRS units
};

struct LineCells {
  std::vector<LinePiece> pieces;  // in line order; pieces of zero length are left out
  double outside_length = 0;      // beyond the raster's extent
  double total_length = 0;        // the whole line: Σ pieces + outside_length
};

// Splits every LineString of `lines` (a LineString, MultiLineString or collection; other members
// are ignored) where it crosses a row or column line. A stretch lying exactly on a cell boundary
// goes to the cell east (for a column line) or south (for a row line) of it, except on the raster's
// own east and south edges, where it goes to the last column or row.
LineCells line_cells(const GEOSGeometry* lines, const RasterGrid& grid);

struct LineDepths {
  double length = 0;  // the whole line, raster CRS units
  // Shares of `length` (0..1): outside + nodata + dry + flooded = 1; flooded = Σ bands + unbanded.
  double outside = 0;
  double nodata = 0;
  double dry = 0;      // on cells with a value ≤ 0
  double flooded = 0;  // on cells with a value > 0
  double unbanded = 0;
  std::vector<double> bands;
  std::optional<double> max;  // the deepest value along the line
};

// Each piece of the line takes its cell's value; reads only the blocks the line passes through.
LineDepths line_depths(const GEOSGeometry* lines, const io::RasterSource& raster, const DepthBands& bands);

// The value of the cell holding each point (x, y in the raster CRS); nullopt for nodata or outside
// the raster. A point on a cell boundary belongs to the cell east / south of it; the raster's own
// east and south edges are outside. Reads each block once.
std::vector<std::optional<double>> point_values(std::span<const geos::XY> points, const io::RasterSource& raster);
std::optional<double> point_value(const GEOSGeometry* point, const io::RasterSource& raster);

// Bilinear interpolation between the centres of the four cells around each point, as InaSAFE samples
// depth at building centroids: cells without a value drop out and the others' weights are
// renormalised (as GDAL's bilinear resampling does); between the raster's edge and its outermost
// cell centres the surface is extended flat. nullopt outside the raster, or where none of the four
// cells has a value.
std::vector<std::optional<double>> point_values_bilinear(std::span<const geos::XY> points,
                                                         const io::RasterSource& raster);

}  // namespace twinrisk::ops
