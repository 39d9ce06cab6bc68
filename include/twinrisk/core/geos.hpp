#pragma once
// RAII over GEOS's reentrant C API. Each thread gets its own context handle on first use;
// geometries may be read from any thread but are never mutated concurrently.

#include <geos_c.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace twinrisk::geos {

// The calling thread's GEOS context; created on first use, destroyed when the thread ends.
GEOSContextHandle_t context();

struct GeometryDeleter {
  void operator()(GEOSGeometry* geometry) const;
};
struct PreparedDeleter {
  void operator()(const GEOSPreparedGeometry* prepared) const;
};
using GeomPtr = std::unique_ptr<GEOSGeometry, GeometryDeleter>;
using PreparedPtr = std::unique_ptr<const GEOSPreparedGeometry, PreparedDeleter>;

struct Envelope {
  double min_x = 0, min_y = 0, max_x = 0, max_y = 0;
};

// Each call throws GeometryError with GEOS's own message when GEOS reports a failure.
GeomPtr from_wkb(std::span<const unsigned char> wkb);
GeomPtr from_wkt(std::string_view wkt);
std::vector<unsigned char> to_wkb(const GEOSGeometry* geometry);
std::string to_wkt(const GEOSGeometry* geometry, int decimals = -1);

GeomPtr clone(const GEOSGeometry* geometry);
// A copy with each coordinate's x and y passed through `transform`, which returns false for a
// coordinate it cannot transform (then GeometryError).
GeomPtr transform_xy(const GEOSGeometry* geometry, const std::function<bool(double& x, double& y)>& transform);
GeomPtr empty_multipolygon();
GeomPtr multipolygon(std::vector<GeomPtr> polygons);
// A collection of the given GEOS type (GEOS_GEOMETRYCOLLECTION, GEOS_MULTILINESTRING, …) taking ownership.
GeomPtr collection(std::vector<GeomPtr> members, int type);

bool is_empty(const GEOSGeometry* geometry);
bool is_valid(const GEOSGeometry* geometry);
std::string invalid_reason(const GEOSGeometry* geometry);
int type_id(const GEOSGeometry* geometry);
double area(const GEOSGeometry* geometry);
Envelope envelope(const GEOSGeometry* geometry);

// Result geometries never hold a polygon part or a hole smaller than this (m² in the analysis
// CRS), nor a ring with fewer than 3 distinct points: such parts come from rounding where
// boundaries nearly meet (a collapsed sliver QGIS draws as a stray line), never from the data.
constexpr double kMinPartArea = 0.01;

// `polygonal` (a Polygon or MultiPolygon) without the parts and holes whose area is under
// `min_area`; nullptr when nothing had to go (the common case: no copy), an empty MultiPolygon
// when nothing is left. Anything else is returned as nullptr too.
GeomPtr without_small_parts(const GEOSGeometry* polygonal, double min_area = kMinPartArea);

// Repairs with the structure-preserving method and drops collapsed components.
GeomPtr make_valid(const GEOSGeometry* geometry);
// The polygons of any geometry (recursing into collections); lines and points are dropped.
std::vector<GeomPtr> polygons_of(const GEOSGeometry* geometry);
// The same polygons without copying: pointers into `geometry`, valid while it lives.
std::vector<const GEOSGeometry*> polygon_views(const GEOSGeometry* geometry);
GeomPtr point_on_surface(const GEOSGeometry* geometry);

GeomPtr unary_union(std::vector<GeomPtr> geometries);
GeomPtr unary_union(const GEOSGeometry* geometry);
// Union of polygons that only share edges (a coverage); much faster than unary_union.
GeomPtr coverage_union(std::vector<GeomPtr> polygons);
GeomPtr boundary(const GEOSGeometry* geometry);
GeomPtr clip_by_rect(const GEOSGeometry* geometry, const Envelope& rect);
GeomPtr intersection(const GEOSGeometry* a, const GEOSGeometry* b);
GeomPtr difference(const GEOSGeometry* a, const GEOSGeometry* b);

PreparedPtr prepare(const GEOSGeometry* geometry);
bool intersects(const GEOSPreparedGeometry* prepared, const GEOSGeometry* other);
bool covers(const GEOSPreparedGeometry* prepared, const GEOSGeometry* other);
bool contains(const GEOSPreparedGeometry* prepared, const GEOSGeometry* other);

// --- Coordinates and parts, for kernels that walk vertices themselves (ops/coverage_fraction,
// ops/measure, ops/raster_sampling). Appended for issue 10.
struct XY {
  double x = 0, y = 0;
};
// The vertices of a LineString or LinearRing, in order (Z and M dropped).
std::vector<XY> coordinates(const GEOSGeometry* line_or_ring);
// A polygon's rings without copying: the exterior first, then the holes; valid while it lives.
std::vector<const GEOSGeometry*> ring_views(const GEOSGeometry* polygon);
// The LineStrings of any geometry (recursing into collections), without copying.
std::vector<const GEOSGeometry*> line_views(const GEOSGeometry* geometry);
// The Points of any geometry (recursing into collections), without copying.
std::vector<const GEOSGeometry*> point_views(const GEOSGeometry* geometry);
double length(const GEOSGeometry* geometry);

// --- Coordinates, densifying and centroids (exposure and the depth rasters).
// A copy with every vertex passed through `transform(x, y)`, which returns false for a vertex it
// cannot transform (then GeometryError).
GeomPtr transform_xy(const GEOSGeometry* geometry, bool (*transform)(double& x, double& y, void* data), void* data);
// A copy with vertices added so that no segment is longer than `max_segment` (CRS units).
GeomPtr densify(const GEOSGeometry* geometry, double max_segment);
// A point's coordinates (the first point of a MultiPoint).
XY point_xy(const GEOSGeometry* point);
GeomPtr centroid(const GEOSGeometry* geometry);

// --- Lines, buffers and distances (river reaches, corridors, basins, cooperation network).
double distance(const GEOSGeometry* a, const GEOSGeometry* b);
// True when the two geometries are at most `distance` apart (GEOS stops at the first witness).
bool distance_within(const GEOSGeometry* a, const GEOSGeometry* b, double distance);
// Prepared form of distance_within: for testing one geometry against many.
bool distance_within(const GEOSPreparedGeometry* prepared, const GEOSGeometry* other, double distance);
bool intersects(const GEOSGeometry* a, const GEOSGeometry* b);

enum class CapStyle { round = GEOSBUF_CAP_ROUND, flat = GEOSBUF_CAP_FLAT, square = GEOSBUF_CAP_SQUARE };
// Buffer with mitre-free round joins; `quadrant_segments` segments approximate a quarter circle.
GeomPtr buffer(const GEOSGeometry* geometry, double width, int quadrant_segments = 8, CapStyle cap = CapStyle::round);

GeomPtr point(double x, double y);
// Which side of a→b the point p lies on, exactly (GEOS's double-double orientation): 1 left,
// -1 right, 0 on the line.
int orientation_index(XY a, XY b, XY p);
GeomPtr line_string(std::span<const XY> points);
// A polygon from closed rings (each ends on its first point).
GeomPtr polygon(std::span<const XY> shell, const std::vector<std::span<const XY>>& holes);

// Sews lines that meet end to end into as few LineStrings as possible (GEOSLineMerge).
GeomPtr line_merge(const GEOSGeometry* lines);

// DE-9IM pattern test (GEOSRelatePattern), e.g. "T********": the interiors intersect.
bool relate_pattern(const GEOSGeometry* a, const GEOSGeometry* b, const char* pattern);

}  // namespace twinrisk::geos
