#include "twinrisk/ops/reproject.hpp"

#include <cpl_error.h>
#include <ogr_spatialref.h>
#include <fmt/format.h>

#include "twinrisk/core/error.hpp"
#include "twinrisk/io/gdal.hpp"

namespace twinrisk::ops {

namespace {

OGRSpatialReference read_crs(const std::string& text) {
  OGRSpatialReference crs;
  CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
  if (crs.SetFromUserInput(text.c_str()) != OGRERR_NONE) {
    throw ConfigError(fmt::format("cannot read a CRS: {}", io::last_gdal_error("unknown CRS")));
  }
  crs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return crs;
}

}  // namespace

CrsTransform::CrsTransform(const std::string& from, const std::string& to) {
  io::ensure_gdal_registered();
  const auto source = read_crs(from);
  const auto target = read_crs(to);
  if (source.IsSame(&target)) return;
  CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
  m_transform.reset(OGRCreateCoordinateTransformation(&source, &target));
  if (!m_transform) {
    throw ConfigError(fmt::format("no transformation from {} to {}: {}", io::crs_label(source), io::crs_label(target),
                                  io::last_gdal_error("PROJ found none")));
  }
}

CrsTransform::~CrsTransform() = default;

CrsTransform::CrsTransform(const CrsTransform& other) {
  if (other.m_transform) m_transform.reset(other.m_transform->Clone());
}

bool CrsTransform::apply(double& x, double& y) {
  if (!m_transform) return true;
  int ok = 0;
  return m_transform->Transform(1, &x, &y, nullptr, &ok) && ok;
}

geos::GeomPtr CrsTransform::apply(const GEOSGeometry* geometry) {
  if (!m_transform) return geos::clone(geometry);
  CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
  auto one = [](double& x, double& y, void* self) { return static_cast<CrsTransform*>(self)->apply(x, y); };
  try {
    return geos::transform_xy(geometry, one, this);
  } catch (const GeometryError&) {
    throw GeometryError(fmt::format("a vertex cannot be transformed to the raster's CRS: {}",
                                    io::last_gdal_error("outside the CRS's area of use")),
                        {}, "check that the raster and the layers cover the same area");
  }
}

}  // namespace twinrisk::ops
