// Ellipsoidal and planar measures against PROJ's geod CLI and closed-form areas.
// The projected vertices below were made with cs2cs (PROJ 9.1.1) from round longitudes/latitudes.

#include "twinrisk/ops/measure.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "twinrisk/core/error.hpp"

namespace twinrisk::ops {
namespace {

// printf '5.0 51.0\n5.5 51.2\n6.0 50.8\n' |
//   cs2cs -f "%.6f" +proj=lonlat +datum=WGS84 +to EPSG:32631
constexpr const char* kUtmLine =
    "LINESTRING(640333.296338 5651728.682672,674656.887958 5675036.477856,711393.141364 5631875.030303)";

TEST(Measure, EllipsoidalLengthMatchesGeodCli) {
  // printf '51.0 5.0 51.2 5.5\n51.2 5.5 50.8 6.0\n' | geod +ellps=WGS84 -I +units=m -F "%.6f"
  //   → 41493.212339 and 56675.254306
  Measurer measure("EPSG:32631", MeasureMethod::ellipsoidal);
  EXPECT_NEAR(measure.length_m(geos::from_wkt(kUtmLine).get()), 41493.212339 + 56675.254306, 1e-4);
  EXPECT_DOUBLE_EQ(measure.semi_major_m(), 6378137.0);
  EXPECT_NEAR(1.0 / measure.flattening(), 298.257223563, 1e-9);
}

TEST(Measure, PlanarLengthIsTheCrsLength) {
  Measurer measure("EPSG:32631", MeasureMethod::planar);
  const double expected = std::hypot(674656.887958 - 640333.296338, 5675036.477856 - 5651728.682672) +
                          std::hypot(711393.141364 - 674656.887958, 5631875.030303 - 5675036.477856);
  EXPECT_NEAR(measure.length_m(geos::from_wkt(kUtmLine).get()), expected, 1e-6);
  // UTM's scale factor (0.9996 on the central meridian, 3° E) makes the plane differ from the
  // ellipsoid by about half a metre here: far more than the tolerance above, so the ellipsoidal
  // test cannot pass with planar arithmetic.
  EXPECT_GT(std::abs(expected - (41493.212339 + 56675.254306)), 0.1);
}

// A line measured by its vertices (as exposure measures roads read without GEOS) has the length of
// its GEOS line to the last bit, planar and ellipsoidal: exposure subtracts one from the other.
// Planar, both are GEOS's own length (GEOSLength) up to rounding.
TEST(Measure, ALineByItsVerticesHasTheLengthOfItsGeosLine) {
  std::mt19937_64 random(11);
  std::uniform_real_distribution<double> x(600000, 720000), y(5600000, 5700000);
  std::uniform_int_distribution<int> count(2, 40);
  for (const auto method : {MeasureMethod::planar, MeasureMethod::ellipsoidal}) {
    Measurer measure("EPSG:32631", method);
    for (int k = 0; k < 200; ++k) {
      std::vector<geos::XY> vertices(static_cast<std::size_t>(count(random)));
      for (auto& p : vertices) p = {x(random), y(random)};
      const auto line = geos::line_string(vertices);
      EXPECT_EQ(measure.length_m(vertices), measure.length_m(line.get())) << to_string(method) << " line " << k;
      if (method == MeasureMethod::planar) {
        double geos_length = 0;
        ASSERT_TRUE(GEOSLength_r(geos::context(), line.get(), &geos_length));
        EXPECT_NEAR(measure.length_m(vertices), geos_length, 1e-9 * geos_length) << "line " << k;
      }
    }
    EXPECT_EQ(measure.length_m(std::vector<geos::XY>{{1, 2}}), 0.0);
  }
}

TEST(Measure, QuarterMeridian) {
  // printf '0 0 90 0\n' | geod +ellps=WGS84 -I +units=m -F "%.6f"  → 10001965.729313
  // (0 0) and the pole in +proj=laea +lat_0=90 +lon_0=0 +ellps=WGS84, by cs2cs.
  Measurer measure("+proj=laea +lat_0=90 +lon_0=0 +ellps=WGS84 +units=m +no_defs", MeasureMethod::ellipsoidal);
  EXPECT_NEAR(measure.length_m(geos::from_wkt("LINESTRING(0 -9009964.761231,0 0)").get()), 10001965.729313, 1e-4);
}

TEST(Measure, EllipsoidalAreaOfAnEquatorPoleLune) {
  // Meridians 0° and 10° E from the equator to the pole: geodesics all round, so the area is
  // 10/360 of a hemisphere: S/72, with the ellipsoid's surface S = 2πa² + π b²/e · ln((1+e)/(1−e)).
  const double a = 6378137.0, f = 1 / 298.257223563, b = a * (1 - f), e = std::sqrt(f * (2 - f));
  const double surface = 2 * std::numbers::pi * a * a + std::numbers::pi * b * b / e * std::log((1 + e) / (1 - e));
  ASSERT_NEAR(surface / 1e6, 510065621.724, 1e-3);  // the published WGS84 figure, km²
  // printf '0 0\n10 0\n0 90\n' | cs2cs -f "%.6f" +proj=lonlat +ellps=WGS84 +to +proj=laea +lat_0=90 +lon_0=0 +ellps=WGS84
  Measurer measure("+proj=laea +lat_0=90 +lon_0=0 +ellps=WGS84 +units=m +no_defs", MeasureMethod::ellipsoidal);
  const auto lune = geos::from_wkt("POLYGON((0 0,0 -9009964.761231,1564563.961631 -8873083.151227,0 0))");
  EXPECT_NEAR(measure.area_m2(lune.get()) / (surface / 72), 1.0, 1e-9);
}

TEST(Measure, SphericalOctantHasGirardsArea) {
  // On a sphere of R = 6371 km the triangle (0,0) (90°E,0) pole is an octant: 4πR²/8.
  // printf '0 0\n90 0\n0 90\n' | cs2cs -f "%.6f" +proj=lonlat +R=6371000 +to +proj=laea +lat_0=90 +lon_0=0 +R=6371000
  Measurer measure("+proj=laea +lat_0=90 +lon_0=0 +R=6371000 +units=m +no_defs", MeasureMethod::ellipsoidal);
  EXPECT_EQ(measure.flattening(), 0.0);
  const auto octant = geos::from_wkt("POLYGON((0 0,0 -9009954.605879,9009954.605879 0,0 0))");
  const double r = 6371000.0;
  EXPECT_NEAR(measure.area_m2(octant.get()) / (std::numbers::pi * r * r / 2), 1.0, 1e-12);
}

TEST(Measure, EqualAreaCrsAgreesWithTheEllipsoidOnASmallSquare) {
  // EPSG:3035 is equal-area on GRS80: a 1 km square near its centre measures 1 km² both ways (the
  // projected straight edges and the geodesics differ by far less than 1 m² here).
  const auto square = geos::from_wkt("POLYGON((4321000 3210000,4322000 3210000,4322000 3211000,4321000 3211000,4321000 3210000))");
  Measurer ellipsoidal("EPSG:3035", MeasureMethod::ellipsoidal);
  Measurer planar("EPSG:3035", MeasureMethod::planar);
  EXPECT_DOUBLE_EQ(planar.area_m2(square.get()), 1e6);
  EXPECT_NEAR(ellipsoidal.area_m2(square.get()), 1e6, 1.0);
  // A hole of 500 m × 500 m (either orientation) takes a quarter away.
  const auto holed = geos::from_wkt(
      "POLYGON((4321000 3210000,4322000 3210000,4322000 3211000,4321000 3211000,4321000 3210000),"
      "(4321250 3210250,4321750 3210250,4321750 3210750,4321250 3210750,4321250 3210250))");
  EXPECT_NEAR(ellipsoidal.area_m2(holed.get()), 0.75e6, 1.0);
  EXPECT_DOUBLE_EQ(planar.area_m2(holed.get()), 0.75e6);
  Measurer copy(ellipsoidal);  // one per thread: a copy measures the same
  EXPECT_DOUBLE_EQ(copy.area_m2(square.get()), ellipsoidal.area_m2(square.get()));
}

TEST(Measure, PlanarConvertsTheCrsUnitToMetres) {
  // EPSG:2263 is in US survey feet: 1 ftUS = 1200/3937 m.
  Measurer measure("EPSG:2263", MeasureMethod::planar);
  EXPECT_NEAR(measure.length_m(geos::from_wkt("LINESTRING(1000000 200000,1001000 200000)").get()), 1000 * 1200.0 / 3937, 1e-9);
  EXPECT_NEAR(measure.area_m2(geos::from_wkt("POLYGON((0 0,1000 0,1000 1000,0 1000,0 0))").get()),
              1e6 * (1200.0 / 3937) * (1200.0 / 3937), 1e-6);
}

TEST(Measure, BadRequestsAreConfigErrors) {
  EXPECT_THROW(Measurer("EPSG:4326", MeasureMethod::planar), ConfigError);
  EXPECT_THROW(Measurer("not a crs", MeasureMethod::ellipsoidal), ConfigError);
  EXPECT_EQ(measure_method_from_name("ellipsoidal"), MeasureMethod::ellipsoidal);
  EXPECT_EQ(measure_method_from_name("planar"), MeasureMethod::planar);
  EXPECT_EQ(measure_method_from_name("geodesic"), std::nullopt);
}

}  // namespace
}  // namespace twinrisk::ops
