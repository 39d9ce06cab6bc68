#include "ogr_convert.hpp"

#include <fmt/format.h>
#include <geos_c.h>

#include <vector>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/geos.hpp"

namespace twinrisk::io {

OGRwkbGeometryType ogr_type(GeometryFamily family) {
  switch (family) {
    case GeometryFamily::polygon: return wkbMultiPolygon;
    case GeometryFamily::line: return wkbMultiLineString;
    case GeometryFamily::point: return wkbPoint;
    case GeometryFamily::any: return wkbUnknown;
    case GeometryFamily::none: return wkbNone;
  }
  return wkbUnknown;
}

OGRFieldType ogr_field_type(FieldType type) {
  switch (type) {
    case FieldType::integer: return OFTInteger64;
    case FieldType::real: return OFTReal;
    case FieldType::string: return OFTString;
  }
  return OFTString;
}

void set_field(OGRFeature& feature, int index, const Value& value) {
  struct Visitor {
    OGRFeature& feature;
    int index;
    void operator()(std::monostate) const { feature.SetFieldNull(index); }
    void operator()(std::int64_t v) const { feature.SetField(index, static_cast<GIntBig>(v)); }
    void operator()(double v) const { feature.SetField(index, v); }
    void operator()(const std::string& v) const { feature.SetField(index, v.c_str()); }
  };
  std::visit(Visitor{feature, index}, value);
}

namespace {

// A GEOS line or ring's coordinates into an OGR curve, copied in one go: OGRRawPoint is x then y,
// as GEOS copies them out.
void copy_points(const GEOSGeometry* line, OGRSimpleCurve& curve) {
  GEOSContextHandle_t ctx = geos::context();
  const GEOSCoordSequence* sequence = GEOSGeom_getCoordSeq_r(ctx, line);
  unsigned int size = 0;
  if (!sequence || !GEOSCoordSeq_getSize_r(ctx, sequence, &size)) throw GeometryError("cannot read a line's coordinates");
  std::vector<OGRRawPoint> points(size);
  static_assert(sizeof(OGRRawPoint) == 2 * sizeof(double));
  if (size > 0 && !GEOSCoordSeq_copyToBuffer_r(ctx, sequence, &points.front().x, 0, 0)) {
    throw GeometryError("cannot read a line's coordinates");
  }
  curve.setPoints(static_cast<int>(size), points.data(), nullptr);
}

std::unique_ptr<OGRPolygon> ogr_polygon(const GEOSGeometry* polygon) {
  GEOSContextHandle_t ctx = geos::context();
  auto out = std::make_unique<OGRPolygon>();
  if (GEOSisEmpty_r(ctx, polygon) == 1) return out;
  auto add_ring = [&](const GEOSGeometry* ring) {
    auto ogr_ring = std::make_unique<OGRLinearRing>();
    copy_points(ring, *ogr_ring);
    out->addRingDirectly(ogr_ring.release());
  };
  add_ring(GEOSGetExteriorRing_r(ctx, polygon));
  const int holes = GEOSGetNumInteriorRings_r(ctx, polygon);
  for (int i = 0; i < holes; ++i) add_ring(GEOSGetInteriorRingN_r(ctx, polygon, i));
  return out;
}

// GEOS to OGR without WKB between them (GEOS writes WKB through a string stream, OGR parses it:
// a fifth of the GeoPackage writer's time). Geometries with Z or M take the WKB way.
std::unique_ptr<OGRGeometry> direct(const GEOSGeometry* geometry) {
  GEOSContextHandle_t ctx = geos::context();
  if (GEOSGeom_getCoordinateDimension_r(ctx, geometry) != 2) return nullptr;
  switch (GEOSGeomTypeId_r(ctx, geometry)) {
    case GEOS_POINT: {
      if (GEOSisEmpty_r(ctx, geometry) == 1) return std::make_unique<OGRPoint>();
      double x = 0, y = 0;
      if (!GEOSGeomGetX_r(ctx, geometry, &x) || !GEOSGeomGetY_r(ctx, geometry, &y)) return nullptr;
      return std::make_unique<OGRPoint>(x, y);
    }
    case GEOS_LINESTRING: {
      auto line = std::make_unique<OGRLineString>();
      copy_points(geometry, *line);
      return line;
    }
    case GEOS_POLYGON: return ogr_polygon(geometry);
    case GEOS_MULTIPOLYGON: {
      auto multi = std::make_unique<OGRMultiPolygon>();
      const int n = GEOSGetNumGeometries_r(ctx, geometry);
      for (int i = 0; i < n; ++i) multi->addGeometryDirectly(ogr_polygon(GEOSGetGeometryN_r(ctx, geometry, i)).release());
      return multi;
    }
    case GEOS_MULTILINESTRING: {
      auto multi = std::make_unique<OGRMultiLineString>();
      const int n = GEOSGetNumGeometries_r(ctx, geometry);
      for (int i = 0; i < n; ++i) {
        auto line = std::make_unique<OGRLineString>();
        copy_points(GEOSGetGeometryN_r(ctx, geometry, i), *line);
        multi->addGeometryDirectly(line.release());
      }
      return multi;
    }
    default: return nullptr;  // multipoints and collections: rare in results, through WKB
  }
}

}  // namespace

std::unique_ptr<OGRGeometry> to_ogr(const LayerSchema& schema, const Feature& feature) {
  const auto* source = feature.geometry.get();
  if (!source) return nullptr;
  // The guarantee holds for every result layer, whichever step made it: no collapsed part.
  geos::GeomPtr cleaned;
  if (schema.geometry == GeometryFamily::polygon) cleaned = geos::without_small_parts(source);
  if (cleaned) source = cleaned.get();
  OGRGeometry* geometry = direct(source).release();
  if (!geometry) {
    const auto wkb = geos::to_wkb(source);
    if (OGRGeometryFactory::createFromWkb(wkb.data(), nullptr, &geometry, wkb.size()) != OGRERR_NONE) {
      throw Error(ErrorKind::internal, fmt::format("layer '{}' feature {}: GEOS wrote WKB that OGR cannot read",
                                                   schema.name, feature.fid));
    }
  }
  if (schema.geometry == GeometryFamily::polygon) geometry = OGRGeometryFactory::forceToMultiPolygon(geometry);
  if (schema.geometry == GeometryFamily::line) geometry = OGRGeometryFactory::forceToMultiLineString(geometry);
  return std::unique_ptr<OGRGeometry>(geometry);
}

}  // namespace twinrisk::io
