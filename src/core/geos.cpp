#include "twinrisk/core/geos.hpp"

#include <cmath>

#include "checked_overlay.hpp"
#include "twinrisk/core/error.hpp"

namespace twinrisk::geos {
namespace {

struct ThreadContext {
  GEOSContextHandle_t handle = GEOS_init_r();
  std::string last_error;

  ThreadContext() {
    GEOSContext_setErrorMessageHandler_r(handle, &ThreadContext::on_error, this);
  }
  ~ThreadContext() { GEOS_finish_r(handle); }
  ThreadContext(const ThreadContext&) = delete;
  ThreadContext& operator=(const ThreadContext&) = delete;

  static void on_error(const char* message, void* self) {
    static_cast<ThreadContext*>(self)->last_error = message ? message : "";
  }
};

ThreadContext& thread_context() {
  thread_local ThreadContext instance;
  return instance;
}

[[noreturn]] void fail(const char* operation) {
  auto& ctx = thread_context();
  std::string message = ctx.last_error.empty() ? "unknown GEOS failure" : ctx.last_error;
  ctx.last_error.clear();
  throw GeometryError(std::string("GEOS ") + operation + " failed: " + message);
}

GeomPtr checked(GEOSGeometry* geometry, const char* operation) {
  if (!geometry) fail(operation);
  return GeomPtr(geometry);
}

char checked_predicate(char result, const char* operation) {
  if (result == 2) fail(operation);
  return result;
}

struct WkbWriterDeleter {
  void operator()(GEOSWKBWriter* writer) const { GEOSWKBWriter_destroy_r(context(), writer); }
};
struct WkbReaderDeleter {
  void operator()(GEOSWKBReader* reader) const { GEOSWKBReader_destroy_r(context(), reader); }
};
struct WktWriterDeleter {
  void operator()(GEOSWKTWriter* writer) const { GEOSWKTWriter_destroy_r(context(), writer); }
};
struct WktReaderDeleter {
  void operator()(GEOSWKTReader* reader) const { GEOSWKTReader_destroy_r(context(), reader); }
};
struct GeosBufferDeleter {
  void operator()(void* buffer) const { GEOSFree_r(context(), buffer); }
};

}  // namespace

GEOSContextHandle_t context() { return thread_context().handle; }

void GeometryDeleter::operator()(GEOSGeometry* geometry) const {
  GEOSGeom_destroy_r(context(), geometry);
}
void PreparedDeleter::operator()(const GEOSPreparedGeometry* prepared) const {
  GEOSPreparedGeom_destroy_r(context(), prepared);
}

GeomPtr from_wkb(std::span<const unsigned char> wkb) {
  thread_local std::unique_ptr<GEOSWKBReader, WkbReaderDeleter> reader(GEOSWKBReader_create_r(context()));
  return checked(GEOSWKBReader_read_r(context(), reader.get(), wkb.data(), wkb.size()), "WKB read");
}

GeomPtr from_wkt(std::string_view wkt) {
  thread_local std::unique_ptr<GEOSWKTReader, WktReaderDeleter> reader(GEOSWKTReader_create_r(context()));
  std::string text(wkt);
  return checked(GEOSWKTReader_read_r(context(), reader.get(), text.c_str()), "WKT read");
}

std::vector<unsigned char> to_wkb(const GEOSGeometry* geometry) {
  thread_local std::unique_ptr<GEOSWKBWriter, WkbWriterDeleter> writer(GEOSWKBWriter_create_r(context()));
  std::size_t size = 0;
  std::unique_ptr<unsigned char, GeosBufferDeleter> buffer(
      GEOSWKBWriter_write_r(context(), writer.get(), geometry, &size));
  if (!buffer) fail("WKB write");
  return {buffer.get(), buffer.get() + size};
}

std::string to_wkt(const GEOSGeometry* geometry, int decimals) {
  std::unique_ptr<GEOSWKTWriter, WktWriterDeleter> writer(GEOSWKTWriter_create_r(context()));
  if (decimals >= 0) {
    GEOSWKTWriter_setRoundingPrecision_r(context(), writer.get(), decimals);
    GEOSWKTWriter_setTrim_r(context(), writer.get(), 1);
  }
  std::unique_ptr<char, GeosBufferDeleter> text(GEOSWKTWriter_write_r(context(), writer.get(), geometry));
  if (!text) fail("WKT write");
  return text.get();
}

GeomPtr clone(const GEOSGeometry* geometry) {
  return checked(GEOSGeom_clone_r(context(), geometry), "clone");
}

GeomPtr transform_xy(const GEOSGeometry* geometry, const std::function<bool(double& x, double& y)>& transform) {
  auto callback = [](double* x, double* y, void* user) {
    return (*static_cast<const std::function<bool(double&, double&)>*>(user))(*x, *y) ? 1 : 0;
  };
  return checked(GEOSGeom_transformXY_r(context(), geometry, callback, const_cast<void*>(static_cast<const void*>(&transform))),
                 "transform");
}

GeomPtr empty_multipolygon() {
  return checked(GEOSGeom_createEmptyCollection_r(context(), GEOS_MULTIPOLYGON), "create empty");
}

GeomPtr collection(std::vector<GeomPtr> members, int type) {
  std::vector<GEOSGeometry*> raw;
  raw.reserve(members.size());
  for (auto& member : members) raw.push_back(member.get());
  GEOSGeometry* result =
      GEOSGeom_createCollection_r(context(), type, raw.data(), static_cast<unsigned>(raw.size()));
  if (!result) fail("create collection");
  for (auto& member : members) static_cast<void>(member.release());  // now owned by the collection
  return GeomPtr(result);
}

GeomPtr multipolygon(std::vector<GeomPtr> polygons) {
  if (polygons.empty()) return empty_multipolygon();
  return collection(std::move(polygons), GEOS_MULTIPOLYGON);
}

bool is_empty(const GEOSGeometry* geometry) {
  return checked_predicate(GEOSisEmpty_r(context(), geometry), "isEmpty") == 1;
}

bool is_valid(const GEOSGeometry* geometry) {
  return checked_predicate(GEOSisValid_r(context(), geometry), "isValid") == 1;
}

std::string invalid_reason(const GEOSGeometry* geometry) {
  std::unique_ptr<char, GeosBufferDeleter> reason(GEOSisValidReason_r(context(), geometry));
  return reason ? std::string(reason.get()) : std::string("unknown");
}

int type_id(const GEOSGeometry* geometry) { return GEOSGeomTypeId_r(context(), geometry); }

double area(const GEOSGeometry* geometry) {
  double value = 0;
  if (!GEOSArea_r(context(), geometry, &value)) fail("area");
  return value;
}

Envelope envelope(const GEOSGeometry* geometry) {
  Envelope env;
  if (!GEOSGeom_getExtent_r(context(), geometry, &env.min_x, &env.min_y, &env.max_x, &env.max_y)) {
    fail("extent");
  }
  return env;
}

GeomPtr make_valid(const GEOSGeometry* geometry) {
  struct ParamsDeleter {
    void operator()(GEOSMakeValidParams* params) const { GEOSMakeValidParams_destroy_r(context(), params); }
  };
  thread_local std::unique_ptr<GEOSMakeValidParams, ParamsDeleter> params = [] {
    std::unique_ptr<GEOSMakeValidParams, ParamsDeleter> p(GEOSMakeValidParams_create_r(context()));
    GEOSMakeValidParams_setMethod_r(context(), p.get(), GEOS_MAKE_VALID_STRUCTURE);
    GEOSMakeValidParams_setKeepCollapsed_r(context(), p.get(), 0);
    return p;
  }();
  return checked(GEOSMakeValidWithParams_r(context(), geometry, params.get()), "MakeValid");
}

namespace {
void collect_polygons(const GEOSGeometry* geometry, std::vector<const GEOSGeometry*>& out) {
  const int type = type_id(geometry);
  if (type == GEOS_POLYGON) {
    if (!is_empty(geometry)) out.push_back(geometry);
  } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
    const int n = GEOSGetNumGeometries_r(context(), geometry);
    for (int i = 0; i < n; ++i) collect_polygons(GEOSGetGeometryN_r(context(), geometry, i), out);
  }
}
}  // namespace

std::vector<const GEOSGeometry*> polygon_views(const GEOSGeometry* geometry) {
  std::vector<const GEOSGeometry*> out;
  collect_polygons(geometry, out);
  return out;
}

std::vector<GeomPtr> polygons_of(const GEOSGeometry* geometry) {
  std::vector<GeomPtr> out;
  for (const auto* polygon : polygon_views(geometry)) out.push_back(clone(polygon));
  return out;
}

namespace {

// Shoelace area of a ring, relative to its first vertex so that big coordinates keep their digits.
double ring_area(const GEOSGeometry* ring) {
  const auto points = coordinates(ring);
  if (points.size() < 4) return 0;
  double twice = 0;
  const XY origin = points.front();
  for (std::size_t i = 1; i + 1 < points.size(); ++i) {
    twice += (points[i].x - origin.x) * (points[i + 1].y - origin.y) - (points[i + 1].x - origin.x) * (points[i].y - origin.y);
  }
  return std::abs(twice) / 2;
}

}  // namespace

GeomPtr without_small_parts(const GEOSGeometry* polygonal, double min_area) {
  const int type = type_id(polygonal);
  if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON) return nullptr;
  struct Kept {
    const GEOSGeometry* polygon;
    std::vector<const GEOSGeometry*> holes;
    bool holes_dropped = false;
  };
  std::vector<Kept> kept;
  bool changed = false;
  const int parts = GEOSGetNumGeometries_r(context(), polygonal);
  for (int p = 0; p < parts; ++p) {
    const GEOSGeometry* polygon = GEOSGetGeometryN_r(context(), polygonal, p);
    // A shell with fewer than 3 distinct points encloses no area, so the area test covers it.
    if (is_empty(polygon) || area(polygon) < min_area) {
      changed = true;
      continue;
    }
    const auto rings = ring_views(polygon);
    Kept part{polygon, {}, false};
    for (std::size_t r = 1; r < rings.size(); ++r) {
      if (ring_area(rings[r]) < min_area) {
        part.holes_dropped = changed = true;
      } else {
        part.holes.push_back(rings[r]);
      }
    }
    kept.push_back(std::move(part));
  }
  if (!changed) return nullptr;
  std::vector<GeomPtr> polygons;
  for (const auto& part : kept) {
    if (!part.holes_dropped) {
      polygons.push_back(clone(part.polygon));
      continue;
    }
    auto shell = clone(ring_views(part.polygon).front());
    std::vector<GeomPtr> holes;
    for (const auto* hole : part.holes) holes.push_back(clone(hole));
    std::vector<GEOSGeometry*> raw_holes;
    for (auto& hole : holes) raw_holes.push_back(hole.get());
    GEOSGeometry* rebuilt = GEOSGeom_createPolygon_r(context(), shell.get(), raw_holes.data(),
                                                     static_cast<unsigned>(raw_holes.size()));
    if (!rebuilt) fail("create polygon");
    static_cast<void>(shell.release());  // the rings now belong to the polygon
    for (auto& hole : holes) static_cast<void>(hole.release());
    polygons.push_back(GeomPtr(rebuilt));
  }
  if (polygons.size() == 1) return std::move(polygons.front());
  return multipolygon(std::move(polygons));
}

GeomPtr point_on_surface(const GEOSGeometry* geometry) {
  return checked(GEOSPointOnSurface_r(context(), geometry), "point on surface");
}

GeomPtr coverage_union(std::vector<GeomPtr> polygons) {
  if (polygons.size() == 1) return std::move(polygons.front());
  auto all = collection(std::move(polygons), GEOS_MULTIPOLYGON);
  return checked(GEOSCoverageUnion_r(context(), all.get()), "coverage union");
}

GeomPtr boundary(const GEOSGeometry* geometry) {
  return checked(GEOSBoundary_r(context(), geometry), "boundary");
}

GeomPtr clip_by_rect(const GEOSGeometry* geometry, const Envelope& rect) {
  return checked(GEOSClipByRect_r(context(), geometry, rect.min_x, rect.min_y, rect.max_x, rect.max_y), "clip");
}

GeomPtr intersection(const GEOSGeometry* a, const GEOSGeometry* b) {
  if (auto result = floating_overlay(a, b, OverlayOp::intersection)) return result;
  return checked(GEOSIntersection_r(context(), a, b), "intersection");
}

GeomPtr difference(const GEOSGeometry* a, const GEOSGeometry* b) {
  if (auto result = floating_overlay(a, b, OverlayOp::difference)) return result;
  return checked(GEOSDifference_r(context(), a, b), "difference");
}

PreparedPtr prepare(const GEOSGeometry* geometry) {
  const GEOSPreparedGeometry* prepared = GEOSPrepare_r(context(), geometry);
  if (!prepared) fail("prepare");
  return PreparedPtr(prepared);
}

bool intersects(const GEOSPreparedGeometry* prepared, const GEOSGeometry* other) {
  return checked_predicate(GEOSPreparedIntersects_r(context(), prepared, other), "intersects") == 1;
}

bool covers(const GEOSPreparedGeometry* prepared, const GEOSGeometry* other) {
  return checked_predicate(GEOSPreparedCovers_r(context(), prepared, other), "covers") == 1;
}

bool contains(const GEOSPreparedGeometry* prepared, const GEOSGeometry* other) {
  return checked_predicate(GEOSPreparedContains_r(context(), prepared, other), "contains") == 1;
}

// --- Coordinates and parts (issue 10 kernels).

std::vector<XY> coordinates(const GEOSGeometry* line_or_ring) {
  const GEOSCoordSequence* sequence = GEOSGeom_getCoordSeq_r(context(), line_or_ring);
  if (!sequence) fail("coordinate sequence");
  unsigned int size = 0;
  if (!GEOSCoordSeq_getSize_r(context(), sequence, &size)) fail("coordinate sequence size");
  std::vector<XY> out(size);
  static_assert(sizeof(XY) == 2 * sizeof(double));
  if (size > 0 && !GEOSCoordSeq_copyToBuffer_r(context(), sequence, &out.front().x, 0, 0)) fail("coordinate copy");
  return out;
}

std::vector<const GEOSGeometry*> ring_views(const GEOSGeometry* polygon) {
  std::vector<const GEOSGeometry*> out;
  if (type_id(polygon) != GEOS_POLYGON || is_empty(polygon)) return out;
  const GEOSGeometry* shell = GEOSGetExteriorRing_r(context(), polygon);
  if (!shell) fail("exterior ring");
  out.push_back(shell);
  const int holes = GEOSGetNumInteriorRings_r(context(), polygon);
  if (holes < 0) fail("interior ring count");
  for (int i = 0; i < holes; ++i) {
    const GEOSGeometry* hole = GEOSGetInteriorRingN_r(context(), polygon, i);
    if (!hole) fail("interior ring");
    out.push_back(hole);
  }
  return out;
}

namespace {
void collect_of_type(const GEOSGeometry* geometry, int wanted, std::vector<const GEOSGeometry*>& out) {
  const int type = type_id(geometry);
  if (type == wanted || (wanted == GEOS_LINESTRING && type == GEOS_LINEARRING)) {
    if (!is_empty(geometry)) out.push_back(geometry);
  } else if (type == GEOS_MULTIPOINT || type == GEOS_MULTILINESTRING || type == GEOS_MULTIPOLYGON ||
             type == GEOS_GEOMETRYCOLLECTION) {
    const int n = GEOSGetNumGeometries_r(context(), geometry);
    for (int i = 0; i < n; ++i) collect_of_type(GEOSGetGeometryN_r(context(), geometry, i), wanted, out);
  }
}
}  // namespace

std::vector<const GEOSGeometry*> line_views(const GEOSGeometry* geometry) {
  std::vector<const GEOSGeometry*> out;
  collect_of_type(geometry, GEOS_LINESTRING, out);
  return out;
}

std::vector<const GEOSGeometry*> point_views(const GEOSGeometry* geometry) {
  std::vector<const GEOSGeometry*> out;
  collect_of_type(geometry, GEOS_POINT, out);
  return out;
}

// ---- Lines, buffers and distances (issue 11 kernels).


double length(const GEOSGeometry* geometry) {
  double value = 0;
  if (!GEOSLength_r(context(), geometry, &value)) fail("length");
  return value;
}

namespace {

struct TransformCall {
  bool (*transform)(double& x, double& y, void* data);
  void* data;
};

int transform_one(double* x, double* y, void* user) {
  const auto* call = static_cast<const TransformCall*>(user);
  return call->transform(*x, *y, call->data) ? 1 : 0;
}

}  // namespace

GeomPtr transform_xy(const GEOSGeometry* geometry, bool (*transform)(double& x, double& y, void* data), void* data) {
  TransformCall call{transform, data};
  return checked(GEOSGeom_transformXY_r(context(), geometry, &transform_one, &call), "coordinate transformation");
}

GeomPtr densify(const GEOSGeometry* geometry, double max_segment) {
  return checked(GEOSDensify_r(context(), geometry, max_segment), "densify");
}

GeomPtr centroid(const GEOSGeometry* geometry) { return checked(GEOSGetCentroid_r(context(), geometry), "centroid"); }

XY point_xy(const GEOSGeometry* point) {
  // A single point is read as it is (no list of parts, no envelope): exposure reads a million.
  const GEOSGeometry* single = point;
  if (GEOSGeomTypeId_r(context(), point) != GEOS_POINT) {
    const auto points = point_views(point);
    if (points.empty()) throw GeometryError("not a point");
    single = points.front();
  }
  XY xy;
  if (!GEOSGeomGetX_r(context(), single, &xy.x) || !GEOSGeomGetY_r(context(), single, &xy.y)) {
    fail("point coordinates");
  }
  return xy;
}

double distance(const GEOSGeometry* a, const GEOSGeometry* b) {
  double value = 0;
  if (!GEOSDistance_r(context(), a, b, &value)) fail("distance");
  return value;
}

bool distance_within(const GEOSGeometry* a, const GEOSGeometry* b, double distance) {
  return checked_predicate(GEOSDistanceWithin_r(context(), a, b, distance), "distance within") == 1;
}

bool intersects(const GEOSGeometry* a, const GEOSGeometry* b) {
  return checked_predicate(GEOSIntersects_r(context(), a, b), "intersects") == 1;
}

GeomPtr buffer(const GEOSGeometry* geometry, double width, int quadrant_segments, CapStyle cap) {
  return checked(GEOSBufferWithStyle_r(context(), geometry, width, quadrant_segments, static_cast<int>(cap),
                                       GEOSBUF_JOIN_ROUND, 5.0),
                 "buffer");
}

GeomPtr point(double x, double y) { return checked(GEOSGeom_createPointFromXY_r(context(), x, y), "create point"); }

int orientation_index(XY a, XY b, XY p) {
  const int index = GEOSOrientationIndex_r(context(), a.x, a.y, b.x, b.y, p.x, p.y);
  if (index == 2) fail("orientation");
  return index;
}

GeomPtr line_string(std::span<const XY> points) {
  static_assert(sizeof(XY) == 2 * sizeof(double));
  GEOSCoordSequence* sequence = GEOSCoordSeq_copyFromBuffer_r(
      context(), reinterpret_cast<const double*>(points.data()), static_cast<unsigned>(points.size()), 0, 0);
  if (!sequence) fail("create coordinates");
  return checked(GEOSGeom_createLineString_r(context(), sequence), "create line");  // takes the sequence
}

namespace {

GEOSGeometry* linear_ring(std::span<const XY> points) {
  GEOSCoordSequence* sequence = GEOSCoordSeq_copyFromBuffer_r(
      context(), reinterpret_cast<const double*>(points.data()), static_cast<unsigned>(points.size()), 0, 0);
  if (!sequence) fail("create coordinates");
  GEOSGeometry* ring = GEOSGeom_createLinearRing_r(context(), sequence);  // takes the sequence
  if (!ring) fail("create ring");
  return ring;
}

}  // namespace

GeomPtr polygon(std::span<const XY> shell, const std::vector<std::span<const XY>>& holes) {
  GeomPtr exterior(linear_ring(shell));
  std::vector<GeomPtr> interiors;
  for (const auto& hole : holes) interiors.emplace_back(linear_ring(hole));
  std::vector<GEOSGeometry*> released;
  for (auto& interior : interiors) released.push_back(interior.release());
  return checked(GEOSGeom_createPolygon_r(context(), exterior.release(), released.data(),
                                          static_cast<unsigned>(released.size())),
                 "create polygon");  // takes the rings
}

bool distance_within(const GEOSPreparedGeometry* prepared, const GEOSGeometry* other, double distance) {
  return checked_predicate(GEOSPreparedDistanceWithin_r(context(), prepared, other, distance), "distance within") == 1;
}

GeomPtr line_merge(const GEOSGeometry* lines) { return checked(GEOSLineMerge_r(context(), lines), "line merge"); }

bool relate_pattern(const GEOSGeometry* a, const GEOSGeometry* b, const char* pattern) {
  return checked_predicate(GEOSRelatePattern_r(context(), a, b, pattern), "relate") == 1;
}

}  // namespace twinrisk::geos
