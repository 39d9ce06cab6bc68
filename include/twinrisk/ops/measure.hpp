#pragma once
// Lengths and areas of analysis-CRS geometries in metres, measured as QGIS's QgsDistanceArea and
// InaSAFE do: `ellipsoidal` (the default) inverse-projects the vertices to longitude/latitude and
// measures geodesics on the CRS's own ellipsoid with PROJ's geodesic routines (Karney 2013);
// `planar` measures in the CRS's plane and converts its linear unit to metres.
// Edges are taken as geodesics between the vertices (as QGIS does), not as the projected straight
// lines; for edges of a few kilometres the two differ by far less than a millimetre per kilometre.

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "twinrisk/core/geos.hpp"

struct geod_geodesic;

namespace twinrisk::ops {

enum class MeasureMethod { ellipsoidal, planar };

std::string_view to_string(MeasureMethod method);
std::optional<MeasureMethod> measure_method_from_name(std::string_view name);

// Not thread-safe (it holds a PROJ transformation); copies are independent, so give each thread its
// own copy (e.g. tbb::enumerable_thread_specific<Measurer>(exemplar)).
class Measurer {
 public:
  // `crs`: anything OGRSpatialReference::SetFromUserInput accepts (WKT, EPSG:3035, a PROJ string).
  // Throws ConfigError when the CRS cannot be read, or when planar measures are asked of a
  // geographic CRS (degrees are not metres).
  Measurer(const std::string& crs, MeasureMethod method);
  ~Measurer();
  Measurer(const Measurer& other);
  Measurer& operator=(const Measurer&) = delete;

  MeasureMethod method() const { return m_method; }
  // Semi-major axis (m) and flattening of the ellipsoid used for ellipsoidal measures.
  double semi_major_m() const;
  double flattening() const;

  // Total length of the lines of `geometry` (polygons' rings are not counted; use a boundary).
  double length_m(const GEOSGeometry* geometry);
  // Length of the line string through `vertices`, the same as of its GEOS line.
  double length_m(std::span<const geos::XY> vertices);
  // Total area of the polygons of `geometry`: shells minus holes.
  double area_m2(const GEOSGeometry* geometry);

 private:
  struct Impl;
  MeasureMethod m_method;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace twinrisk::ops
