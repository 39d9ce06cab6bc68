#include "twinrisk/ops/measure.hpp"

#include <cpl_error.h>
#include <geodesic.h>
#include <ogr_spatialref.h>
#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "twinrisk/core/error.hpp"
#include "twinrisk/io/gdal.hpp"

namespace twinrisk::ops {

std::string_view to_string(MeasureMethod method) {
  return method == MeasureMethod::ellipsoidal ? "ellipsoidal" : "planar";
}

std::optional<MeasureMethod> measure_method_from_name(std::string_view name) {
  if (name == "ellipsoidal") return MeasureMethod::ellipsoidal;
  if (name == "planar") return MeasureMethod::planar;
  return std::nullopt;
}

struct Measurer::Impl {
  geod_geodesic geodesic{};
  double semi_major_m = 0;
  double flattening = 0;
  double metres_per_unit = 1;  // planar: the CRS's linear unit
  std::unique_ptr<OGRCoordinateTransformation> to_lon_lat;
  std::vector<double> x, y;  // scratch

  // The vertices of a line or ring as longitude (x) and latitude (y) in degrees.
  void lon_lat(const GEOSGeometry* line) { lon_lat(geos::coordinates(line)); }
  void lon_lat(std::span<const geos::XY> points) {
    x.resize(points.size());
    y.resize(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
      x[i] = points[i].x;
      y[i] = points[i].y;
    }
    if (points.empty()) return;
    CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
    if (!to_lon_lat->Transform(points.size(), x.data(), y.data())) {
      throw GeometryError(fmt::format("a vertex cannot be converted to longitude/latitude: {}",
                                      io::last_gdal_error("outside the CRS's area of use")),
                          {}, "check that the geometry lies in the analysis CRS's area, or use measure: planar");
    }
  }

  // Of the line through the vertices lon_lat gave, segment by segment on the ellipsoid.
  double geodesic_length() const {
    double total = 0;
    for (std::size_t i = 0; i + 1 < x.size(); ++i) {
      double s12 = 0;
      geod_inverse(&geodesic, y[i], x[i], y[i + 1], x[i + 1], &s12, nullptr, nullptr);
      total += s12;
    }
    return total;
  }
};

Measurer::Measurer(const std::string& crs_text, MeasureMethod method) : m_method(method), m_impl(std::make_unique<Impl>()) {
  io::ensure_gdal_registered();
  OGRSpatialReference crs;
  {
    CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
    if (crs.SetFromUserInput(crs_text.c_str()) != OGRERR_NONE) {
      throw ConfigError(fmt::format("cannot read the CRS for measuring: {}", io::last_gdal_error("unknown CRS")), {},
                        "give a CRS PROJ accepts, e.g. EPSG:3035");
    }
  }
  crs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  if (method == MeasureMethod::planar) {
    if (!crs.IsProjected()) {
      throw ConfigError(fmt::format("measure: planar needs a projected CRS, but {} is not projected", io::crs_label(crs)),
                        {}, "use measure: ellipsoidal, or a projected analysis CRS such as EPSG:3035");
    }
    m_impl->metres_per_unit = crs.GetLinearUnits();
  }
  OGRErr err = OGRERR_NONE;
  m_impl->semi_major_m = crs.GetSemiMajor(&err);
  const double inverse_flattening = err == OGRERR_NONE ? crs.GetInvFlattening(&err) : 0.0;
  if (err != OGRERR_NONE || !(m_impl->semi_major_m > 0)) {
    throw ConfigError(fmt::format("{} has no ellipsoid to measure on", io::crs_label(crs)), {},
                      "give a CRS with a datum, e.g. EPSG:3035");
  }
  m_impl->flattening = inverse_flattening == 0.0 ? 0.0 : 1.0 / inverse_flattening;  // 0: a sphere
  geod_init(&m_impl->geodesic, m_impl->semi_major_m, m_impl->flattening);
  if (method == MeasureMethod::ellipsoidal) {
    OGRSpatialReference lon_lat;
    lon_lat.CopyGeogCSFrom(&crs);
    lon_lat.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
    m_impl->to_lon_lat.reset(OGRCreateCoordinateTransformation(&crs, &lon_lat));
    if (!m_impl->to_lon_lat) {
      throw ConfigError(fmt::format("no transformation from {} to its geographic CRS: {}", io::crs_label(crs),
                                    io::last_gdal_error("unknown")),
                        {}, "use measure: planar");
    }
  }
}

Measurer::~Measurer() = default;

Measurer::Measurer(const Measurer& other) : m_method(other.m_method), m_impl(std::make_unique<Impl>()) {
  m_impl->geodesic = other.m_impl->geodesic;
  m_impl->semi_major_m = other.m_impl->semi_major_m;
  m_impl->flattening = other.m_impl->flattening;
  m_impl->metres_per_unit = other.m_impl->metres_per_unit;
  if (other.m_impl->to_lon_lat) m_impl->to_lon_lat.reset(other.m_impl->to_lon_lat->Clone());
}

double Measurer::semi_major_m() const { return m_impl->semi_major_m; }
double Measurer::flattening() const { return m_impl->flattening; }

namespace {

// GEOS's Length::ofLine, term for term. GEOS lines are measured by it too: a compiler that fuses
// multiply and add (FMA) in one library and not the other gave another last bit.
double planar_length(std::span<const geos::XY> points) {
  double length = 0;
  for (std::size_t i = 1; i < points.size(); ++i) {
    const double dx = points[i].x - points[i - 1].x;
    const double dy = points[i].y - points[i - 1].y;
    length += std::sqrt(dx * dx + dy * dy);
  }
  return length;
}

}  // namespace

double Measurer::length_m(const GEOSGeometry* geometry) {
  double total = 0;
  for (const GEOSGeometry* line : geos::line_views(geometry)) {
    if (m_method == MeasureMethod::planar) {
      total += planar_length(geos::coordinates(line)) * m_impl->metres_per_unit;
      continue;
    }
    m_impl->lon_lat(line);
    total += m_impl->geodesic_length();
  }
  return total;
}

double Measurer::length_m(std::span<const geos::XY> vertices) {
  if (m_method == MeasureMethod::planar) return planar_length(vertices) * m_impl->metres_per_unit;
  m_impl->lon_lat(vertices);
  return m_impl->geodesic_length();
}

double Measurer::area_m2(const GEOSGeometry* geometry) {
  double total = 0;
  for (const GEOSGeometry* polygon : geos::polygon_views(geometry)) {
    if (m_method == MeasureMethod::planar) {
      total += geos::area(polygon) * m_impl->metres_per_unit * m_impl->metres_per_unit;
      continue;
    }
    const auto rings = geos::ring_views(polygon);
    for (std::size_t r = 0; r < rings.size(); ++r) {
      m_impl->lon_lat(rings[r]);
      auto& lon = m_impl->x;
      auto& lat = m_impl->y;
      if (lon.size() < 4) continue;
      double area = 0;
      // geod_polygonarea closes the ring itself: leave out the repeated last vertex.
      geod_polygonarea(&m_impl->geodesic, lat.data(), lon.data(), static_cast<int>(lon.size() - 1), &area, nullptr);
      total += r == 0 ? std::abs(area) : -std::abs(area);
    }
  }
  return total;
}

}  // namespace twinrisk::ops
