#pragma once
// What a map needs from its CRS: a name to print, the true ground distance per map unit at a
// point (for a scale bar that does not lie) and the direction of true north (for the arrow).

#include <memory>
#include <string>

namespace twinrisk::render::detail {

class MapCrs {
 public:
  // `wkt` empty: map units are taken as metres, north is up, and the name says so.
  explicit MapCrs(const std::string& wkt);
  ~MapCrs();
  MapCrs(const MapCrs&) = delete;
  MapCrs& operator=(const MapCrs&) = delete;

  const std::string& name() const { return m_name; }
  // Metres on the ellipsoid per map unit along the map's x axis at (x, y): the geodesic length of
  // a short horizontal segment centred there, over its length in map units. 1 on the central
  // meridian of a transverse Mercator with k0 = 1, 2 at 60° N in Web Mercator.
  double ground_per_map_unit(double x, double y, double step) const;
  // Clockwise angle (degrees) from the map's up direction to true north at (x, y).
  double north_angle_deg(double x, double y, double step) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
  std::string m_name;
};

}  // namespace twinrisk::render::detail
