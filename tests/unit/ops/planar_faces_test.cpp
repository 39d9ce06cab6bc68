#include "../../../src/ops/planar_faces.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace twinrisk::ops {
namespace {

// Lines noded the way zone_cut nodes them: their union.
geos::GeomPtr noded(const std::vector<std::string>& wkts) {
  std::vector<geos::GeomPtr> lines;
  for (const auto& wkt : wkts) lines.push_back(geos::from_wkt(wkt));
  return geos::unary_union(geos::collection(std::move(lines), GEOS_GEOMETRYCOLLECTION).get());
}

bool covers(const GEOSGeometry* polygon, double x, double y) {
  return GEOSCovers_r(geos::context(), polygon, geos::point(x, y).get()) == 1;
}

std::size_t holes(const GEOSGeometry* polygon) { return geos::ring_views(polygon).size() - 1; }

TEST(PlanarFaces, ACrossInASquareMakesFourQuarters) {
  const auto lines = noded({"LINESTRING(0 0,10 0,10 10,0 10,0 0)", "LINESTRING(5 -2,5 12)", "LINESTRING(-2 5,12 5)"});
  const auto faces = planar_faces(lines.get());
  ASSERT_EQ(faces.size(), 4u);  // the arms sticking out are dangles
  for (const geos::XY p : {geos::XY{2.5, 2.5}, geos::XY{7.5, 2.5}, geos::XY{2.5, 7.5}, geos::XY{7.5, 7.5}}) {
    const auto holder = std::count_if(faces.begin(), faces.end(), [&](const auto& f) { return covers(f.get(), p.x, p.y); });
    EXPECT_EQ(holder, 1) << p.x << " " << p.y;
  }
  for (const auto& face : faces) {
    EXPECT_DOUBLE_EQ(geos::area(face.get()), 25.0);
    EXPECT_TRUE(geos::is_valid(face.get()));
  }
}

// A square with a small square inside, tied to the outline by a bridge, a dangle inside and a
// line alone: the bridge, dangle and lone line bound nothing, and the small square is a hole of
// the big face and a face of its own.
TEST(PlanarFaces, DropsDanglesAndBridgesAndMakesIslandsHoles) {
  const auto lines = noded({"LINESTRING(0 0,10 0,10 10,0 10,0 0)", "LINESTRING(4 4,6 4,6 6,4 6,4 4)",
                            "LINESTRING(0 5,4 5)", "LINESTRING(8 8,9 9)", "LINESTRING(7 1,7 3)",
                            "LINESTRING(20 20,30 30)"});
  auto faces = planar_faces(lines.get());
  ASSERT_EQ(faces.size(), 2u);
  std::sort(faces.begin(), faces.end(), [](const auto& a, const auto& b) { return geos::area(a.get()) < geos::area(b.get()); });
  EXPECT_DOUBLE_EQ(geos::area(faces[0].get()), 4.0);
  EXPECT_EQ(holes(faces[0].get()), 0u);
  EXPECT_DOUBLE_EQ(geos::area(faces[1].get()), 96.0);
  EXPECT_EQ(holes(faces[1].get()), 1u);
  EXPECT_FALSE(covers(faces[1].get(), 5, 5));
  EXPECT_TRUE(geos::is_valid(faces[1].get()));
}

// A hole touching the outline of its face at one point, and two islands touching each other at
// one: each face a valid polygon (the ring through the touching point split there, as GEOS's
// polygonizer splits it), with hand-computed areas.
TEST(PlanarFaces, RingsTouchingAtAPointMakeValidPolygons) {
  const auto lines = noded({"LINESTRING(0 0,10 0,10 10,0 10,0 0)", "LINESTRING(0 5,4 3,4 7,0 5)",
                            "LINESTRING(6 4,8 4,8 6,6 4)", "LINESTRING(6 4,6 2,8 2,6 4)"});
  auto faces = planar_faces(lines.get());
  ASSERT_EQ(faces.size(), 4u);
  std::sort(faces.begin(), faces.end(), [](const auto& a, const auto& b) { return geos::area(a.get()) < geos::area(b.get()); });
  EXPECT_DOUBLE_EQ(geos::area(faces[0].get()), 2.0);   // the two triangles of the islands
  EXPECT_DOUBLE_EQ(geos::area(faces[1].get()), 2.0);
  EXPECT_DOUBLE_EQ(geos::area(faces[2].get()), 8.0);   // the triangle on the left edge
  EXPECT_DOUBLE_EQ(geos::area(faces[3].get()), 88.0);  // the square less all three
  EXPECT_EQ(holes(faces[3].get()), 3u);
  for (const auto& face : faces) EXPECT_TRUE(geos::is_valid(face.get())) << geos::invalid_reason(face.get());
}

// Nested islands: a hole goes to the smallest face around it, not to every face around it.
TEST(PlanarFaces, AHoleBelongsToTheSmallestFaceAroundIt) {
  const auto lines = noded({"LINESTRING(0 0,100 0,100 100,0 100,0 0)", "LINESTRING(10 10,90 10,90 90,10 90,10 10)",
                            "LINESTRING(40 40,60 40,60 60,40 60,40 40)"});
  auto faces = planar_faces(lines.get());
  ASSERT_EQ(faces.size(), 3u);
  std::sort(faces.begin(), faces.end(), [](const auto& a, const auto& b) { return geos::area(a.get()) < geos::area(b.get()); });
  EXPECT_DOUBLE_EQ(geos::area(faces[0].get()), 400.0);             // the innermost square
  EXPECT_DOUBLE_EQ(geos::area(faces[1].get()), 10000.0 - 6400.0);  // the outer ring
  EXPECT_DOUBLE_EQ(geos::area(faces[2].get()), 6400.0 - 400.0);    // the ring around the innermost
  EXPECT_EQ(holes(faces[1].get()), 1u);
  EXPECT_EQ(holes(faces[2].get()), 1u);
}

// Against GEOS's polygonizer on the noded outlines of random overlapping star polygons, some
// inside others: the same faces, each matched by one of GEOS's with no area between them.
TEST(PlanarFaces, FindsTheFacesGeosPolygonizerFinds) {
  std::mt19937_64 random(17);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<std::string> outlines;
  for (int k = 0; k < 60; ++k) {
    const double cx = 500 * unit(random), cy = 300 * unit(random), radius = (k % 10 == 0 ? 60 : 5) + 40 * unit(random);
    const int n = 5 + static_cast<int>(30 * unit(random));
    std::string ring;
    for (int i = 0; i < n; ++i) {
      const double angle = 2 * M_PI * i / n, r = radius * (0.4 + 0.6 * unit(random));
      ring += fmt::format("{} {},", cx + r * std::cos(angle), cy + r * std::sin(angle));
    }
    outlines.push_back(fmt::format("LINESTRING({}{})", ring, ring.substr(0, ring.find(','))));
  }
  outlines.push_back("LINESTRING(-50 150,550 151)");  // crosses many: cut edges at both ends
  const auto lines = noded(outlines);
  const auto faces = planar_faces(lines.get());

  const GEOSGeometry* inputs[] = {lines.get()};
  const geos::GeomPtr geos_result(GEOSPolygonize_r(geos::context(), inputs, 1));
  ASSERT_TRUE(geos_result);
  const auto expected = geos::polygons_of(geos_result.get());
  ASSERT_GT(expected.size(), 100u);  // the outlines really cross
  ASSERT_EQ(faces.size(), expected.size());
  double total = 0, expected_total = 0;
  std::size_t with_holes = 0;
  for (const auto& face : faces) {
    ASSERT_TRUE(geos::is_valid(face.get()));
    const double area = geos::area(face.get());
    total += area;
    if (holes(face.get()) > 0) ++with_holes;
    const auto inside = geos::point_on_surface(face.get());
    const auto match = std::find_if(expected.begin(), expected.end(), [&](const auto& other) {
      return GEOSContains_r(geos::context(), other.get(), inside.get()) == 1;
    });
    ASSERT_NE(match, expected.end());
    EXPECT_NEAR(geos::area(match->get()), area, 1e-9 * area);
    const auto between = geos::GeomPtr(GEOSSymDifference_r(geos::context(), face.get(), match->get()));
    EXPECT_LT(geos::area(between.get()), 1e-9 * area);
  }
  for (const auto& face : expected) expected_total += geos::area(face.get());
  EXPECT_NEAR(total, expected_total, 1e-9 * expected_total);
  EXPECT_GT(with_holes, 0u);  // some polygons lie wholly inside others
}

TEST(PlanarFaces, NoLinesNoFaces) {
  EXPECT_TRUE(planar_faces(geos::from_wkt("MULTILINESTRING EMPTY").get()).empty());
  EXPECT_TRUE(planar_faces(noded({"LINESTRING(0 0,1 1)", "LINESTRING(1 1,2 0)"}).get()).empty());
}

}  // namespace
}  // namespace twinrisk::ops
