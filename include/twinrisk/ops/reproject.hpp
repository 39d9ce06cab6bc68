#pragma once
// GEOS geometries carried from one CRS to another (the analysis CRS to a raster's, and back), so
// that rasters are never resampled: vectors go to the grid instead.

#include <memory>
#include <string>

#include "twinrisk/core/geos.hpp"

class OGRCoordinateTransformation;

namespace twinrisk::ops {

// Not thread-safe (it holds a PROJ transformation); copies are independent, so give each thread
// its own (tbb::enumerable_thread_specific<CrsTransform>(exemplar)).
class CrsTransform {
 public:
  // Both CRSes as WKT (or anything OGRSpatialReference::SetFromUserInput reads), in GIS axis order.
  // Throws ConfigError when PROJ has no transformation between them.
  CrsTransform(const std::string& from, const std::string& to);
  ~CrsTransform();
  CrsTransform(const CrsTransform& other);
  CrsTransform& operator=(const CrsTransform&) = delete;

  // True when both CRSes are the same: apply() then copies.
  bool identity() const { return !m_transform; }
  // The geometry in the target CRS; throws GeometryError for a vertex PROJ cannot transform.
  geos::GeomPtr apply(const GEOSGeometry* geometry);
  // One point in place; false when it cannot be transformed.
  bool apply(double& x, double& y);

 private:
  std::unique_ptr<OGRCoordinateTransformation> m_transform;
};

}  // namespace twinrisk::ops
