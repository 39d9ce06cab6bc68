// The GEOS wrapper: WKB round trips, repair, polygon extraction, errors, and one context per thread.

#include "twinrisk/core/geos.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "twinrisk/core/error.hpp"

namespace twinrisk::geos {
namespace {

TEST(Geos, WkbRoundTripKeepsGeometry) {
  auto square = from_wkt("POLYGON((0 0,4 0,4 4,0 4,0 0))");
  auto back = from_wkb(to_wkb(square.get()));
  EXPECT_DOUBLE_EQ(area(back.get()), 16);
  EXPECT_EQ(to_wkt(back.get(), 0), "POLYGON ((0 0, 4 0, 4 4, 0 4, 0 0))");
}

TEST(Geos, MakeValidSplitsBowTie) {
  auto bow_tie = from_wkt("POLYGON((0 0,10 10,10 0,0 10,0 0))");
  EXPECT_FALSE(is_valid(bow_tie.get()));
  EXPECT_NE(invalid_reason(bow_tie.get()).find("Self-intersection"), std::string::npos);
  auto repaired = make_valid(bow_tie.get());
  EXPECT_TRUE(is_valid(repaired.get()));
  EXPECT_EQ(polygons_of(repaired.get()).size(), 2u);
  EXPECT_DOUBLE_EQ(area(repaired.get()), 50);  // two triangles of 10 * 5 / 2
}

TEST(Geos, WrongRingOrientationStillHasPositiveArea) {
  auto clockwise = from_wkt("POLYGON((0 0,0 4,4 4,4 0,0 0))");
  EXPECT_TRUE(is_valid(clockwise.get()));
  EXPECT_DOUBLE_EQ(area(clockwise.get()), 16);
}

TEST(Geos, PolygonsOfCollectionDropsLinesAndPoints) {
  auto mixed = from_wkt("GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1),MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5))))");
  auto polygons = polygons_of(mixed.get());
  ASSERT_EQ(polygons.size(), 2u);
  EXPECT_DOUBLE_EQ(area(multipolygon(std::move(polygons)).get()), 1.0);
}

TEST(Geos, ParseFailureThrowsWithGeosMessage) {
  try {
    from_wkt("POLYGON((0 0, 1 1");
    FAIL() << "expected GeometryError";
  } catch (const GeometryError& error) {
    EXPECT_NE(std::string(error.what()).find("WKT read failed"), std::string::npos) << error.what();
  }
}

TEST(Geos, EachThreadUsesItsOwnContext) {
  GEOSContextHandle_t main_context = context();
  GEOSContextHandle_t other_context = nullptr;
  double other_area = 0;
  std::thread worker([&] {
    other_context = context();
    auto a = from_wkt("POLYGON((0 0,2 0,2 2,0 2,0 0))");
    auto b = from_wkt("POLYGON((1 1,3 1,3 3,1 3,1 1))");
    other_area = area(intersection(a.get(), b.get()).get());
  });
  worker.join();
  EXPECT_NE(main_context, other_context);
  EXPECT_DOUBLE_EQ(other_area, 1);
}

}  // namespace
}  // namespace twinrisk::geos
