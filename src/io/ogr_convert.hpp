#pragma once
// Our layer model in OGR's terms, shared by the GeoPackage and PostGIS writers.

#include <ogrsf_frmts.h>

#include <memory>

#include "twinrisk/core/layer.hpp"

namespace twinrisk::io {

OGRwkbGeometryType ogr_type(GeometryFamily family);
OGRFieldType ogr_field_type(FieldType type);
void set_field(OGRFeature& feature, int index, const Value& value);
// The feature's geometry as OGR wants it for the layer's type (polygons promoted to multi).
std::unique_ptr<OGRGeometry> to_ogr(const LayerSchema& schema, const Feature& feature);

}  // namespace twinrisk::io
