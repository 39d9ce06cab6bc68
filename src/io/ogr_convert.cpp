#include "ogr_convert.hpp"

#include <fmt/format.h>

#include "twinrisk/core/error.hpp"

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

std::unique_ptr<OGRGeometry> to_ogr(const LayerSchema& schema, const Feature& feature) {
  const auto* source = feature.geometry.get();
  if (!source) return nullptr;
  // The guarantee holds for every result layer, whichever step made it: no collapsed part.
  geos::GeomPtr cleaned;
  if (schema.geometry == GeometryFamily::polygon) cleaned = geos::without_small_parts(source);
  const auto wkb = geos::to_wkb(cleaned ? cleaned.get() : source);
  OGRGeometry* geometry = nullptr;
  if (OGRGeometryFactory::createFromWkb(wkb.data(), nullptr, &geometry, wkb.size()) != OGRERR_NONE) {
    throw Error(ErrorKind::internal, fmt::format("layer '{}' feature {}: GEOS wrote WKB that OGR cannot read",
                                                 schema.name, feature.fid));
  }
  if (schema.geometry == GeometryFamily::polygon) geometry = OGRGeometryFactory::forceToMultiPolygon(geometry);
  if (schema.geometry == GeometryFamily::line) geometry = OGRGeometryFactory::forceToMultiLineString(geometry);
  return std::unique_ptr<OGRGeometry>(geometry);
}

}  // namespace twinrisk::io
