#include "twinrisk/core/spatial_index.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <span>
#include <string>

#include <fmt/format.h>

namespace twinrisk {
namespace {

TEST(SpatialIndex, QueryReturnsExactlyTheIntersectingEnvelopesInOrder) {
  // A 10 x 10 grid of unit cells; cell (i, j) is at position 10 * j + i.
  std::vector<geos::Envelope> cells;
  for (int j = 0; j < 10; ++j) {
    for (int i = 0; i < 10; ++i) cells.push_back({double(i), double(j), i + 1.0, j + 1.0});
  }
  const SpatialIndex index(cells);
  EXPECT_EQ(index.size(), 100u);
  // [2.5, 4.5] x [0.5, 1.5] touches columns 2..4 of rows 0..1.
  const auto hits = index.query({2.5, 0.5, 4.5, 1.5});
  const std::vector<std::size_t> expected = {2, 3, 4, 12, 13, 14};
  EXPECT_EQ(hits, expected);
  EXPECT_TRUE(index.query({20, 20, 21, 21}).empty());
}

TEST(SpatialIndex, AnyTellsWhetherSomeEnvelopeIntersects) {
  const SpatialIndex index(std::vector<geos::Envelope>{{0, 0, 1, 1}, {10, 10, 11, 11}});
  EXPECT_TRUE(index.any({0.5, 0.5, 2, 2}));
  EXPECT_TRUE(index.any({1, 1, 2, 2}));  // a shared corner counts, as in query()
  EXPECT_TRUE(index.any({-100, -100, 100, 100}));
  EXPECT_FALSE(index.any({2, 2, 9, 9}));  // between the two
  EXPECT_FALSE(SpatialIndex(std::vector<geos::Envelope>{}).any({0, 0, 1, 1}));
}

TEST(SpatialIndex, SkipsEmptyGeometriesOfALayer) {
  Layer layer;
  layer.features.push_back({1, geos::from_wkt("POLYGON((0 0,1 0,1 1,0 1,0 0))"), {}});
  layer.features.push_back({2, geos::from_wkt("POLYGON EMPTY"), {}});
  layer.features.push_back({3, geos::from_wkt("POLYGON((5 5,6 5,6 6,5 6,5 5))"), {}});
  const SpatialIndex index(layer);
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.query({0, 0, 10, 10}), (std::vector<std::size_t>{0, 2}));
}

// Against a scan of every box: boxes large and small, flat ones, an empty one; points at random,
// on corners and edges, outside the extent, and NaN.
TEST(BoxGrid, FindsExactlyTheBoxesHoldingAPointInOrder) {
  std::mt19937_64 random(11);
  std::uniform_real_distribution<double> coordinate(0, 1000), size(0, 30);
  std::vector<geos::Envelope> boxes;
  for (int k = 0; k < 500; ++k) {
    const double x = coordinate(random), y = coordinate(random);
    boxes.push_back({x, y, x + size(random), y + size(random)});
  }
  boxes.push_back({-100, 400, 1100, 420});  // spans every column
  boxes.push_back({500, -100, 500, 1100});   // a vertical segment: no width
  boxes.push_back({1, 1, 0, 0});             // empty
  const BoxGrid grid(boxes);
  std::vector<geos::XY> points;
  for (int k = 0; k < 20000; ++k) points.push_back({coordinate(random) * 1.2 - 100, coordinate(random) * 1.2 - 100});
  for (const auto& b : boxes) {
    points.push_back({b.min_x, b.min_y});
    points.push_back({b.max_x, b.max_y});
    points.push_back({b.min_x, (b.min_y + b.max_y) / 2});
  }
  points.push_back({500, 1100});
  points.push_back({-1e12, 5});
  std::vector<std::size_t> found;
  std::size_t random_hits = 0;
  for (std::size_t k = 0; k < points.size(); ++k) {
    const auto& p = points[k];
    std::vector<std::size_t> expected;
    for (std::size_t i = 0; i < boxes.size(); ++i) {
      const auto& b = boxes[i];
      if (b.min_x <= p.x && p.x <= b.max_x && b.min_y <= p.y && p.y <= b.max_y) expected.push_back(i);
    }
    grid.query(p.x, p.y, found);
    ASSERT_EQ(found, expected) << p.x << " " << p.y;
    if (k < 20000) random_hits += found.size();
  }
  EXPECT_GT(random_hits, 1000u);  // about 8 % of the area is in a box: the test is not all empty space
  grid.query(std::nan(""), 5, found);
  EXPECT_TRUE(found.empty());
  BoxGrid({}).query(0, 0, found);
  EXPECT_TRUE(found.empty());
}

// Against GEOS on polygons with holes, slanted and axis-parallel edges, a sliver and one polygon
// inside another's hole: every point or box the grid calls outside lies in no polygon and meets
// none, on vertices, on edges and a hair beside them as at random.
TEST(OutsideCells, WhatItCallsOutsideMeetsNoArea) {
  std::vector<geos::GeomPtr> polygons;
  std::mt19937_64 random(5);
  std::uniform_real_distribution<double> unit(0, 1);
  for (int k = 0; k < 40; ++k) {  // star-shaped rings of 5 to 40 vertices
    const double cx = 1000 * unit(random), cy = 600 * unit(random), radius = 5 + 40 * unit(random);
    const int n = 5 + static_cast<int>(35 * unit(random));
    std::string ring;
    for (int i = 0; i < n; ++i) {
      const double angle = 2 * M_PI * i / n, r = radius * (0.4 + 0.6 * unit(random));
      ring += fmt::format("{} {},", cx + r * std::cos(angle), cy + r * std::sin(angle));
    }
    polygons.push_back(geos::from_wkt(fmt::format("POLYGON(({}{}))", ring, ring.substr(0, ring.find(',')))));
  }
  polygons.push_back(geos::from_wkt("POLYGON((100 100,400 100,400 300,100 300,100 100),(150 150,350 150,250 280,150 150))"));
  polygons.push_back(geos::from_wkt("POLYGON((240 180,260 180,250 200,240 180))"));  // in the hole
  polygons.push_back(geos::from_wkt("POLYGON((0 500,1000 500.001,0 500.002,0 500))"));  // a sliver across all
  std::vector<std::vector<OutsideCells::Segment>> rings;
  for (const auto& polygon : polygons) {
    for (const auto* ring : geos::ring_views(polygon.get())) {
      const auto points = geos::coordinates(ring);
      auto& segments = rings.emplace_back();
      for (std::size_t i = 1; i < points.size(); ++i) segments.emplace_back(points[i - 1], points[i]);
    }
  }
  const auto covered = [&](geos::XY p) {
    const auto point = geos::point(p.x, p.y);
    return std::any_of(polygons.begin(), polygons.end(), [&](const auto& polygon) {
      return GEOSCovers_r(geos::context(), polygon.get(), point.get()) == 1;
    });
  };
  std::size_t tests = 0;
  const OutsideCells cells({rings.begin(), rings.end()}, 20000, [&](geos::XY p) {
    ++tests;
    return covered(p);
  });
  EXPECT_GT(cells.columns() * cells.rows(), 10000u);
  EXPECT_LT(tests, 2000u);  // one test per run of cells, not one per cell

  std::vector<geos::XY> points;
  for (int k = 0; k < 30000; ++k) points.push_back({1100 * unit(random) - 50, 700 * unit(random) - 50});
  for (const auto& segments : rings) {
    for (const auto& [a, b] : segments) {
      points.push_back(a);
      for (double t : {0.1, 1.0 / 3, 0.5}) points.push_back({a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)});
      for (double d : {-1e-9, 1e-9}) {
        points.push_back({a.x + d, a.y});
        points.push_back({a.x, a.y + d});
      }
    }
  }
  std::size_t outside = 0;
  for (const auto& p : points) {
    if (!cells.outside(p.x, p.y)) continue;
    ++outside;
    ASSERT_FALSE(covered(p)) << fmt::format("({}, {})", p.x, p.y);
  }
  EXPECT_GT(outside, 15000u);  // most random points are decided by the grid alone

  std::size_t boxes_outside = 0;
  for (int k = 0; k < 5000; ++k) {
    const double x = 1000 * unit(random), y = 600 * unit(random), w = 0.2 * unit(random), h = 0.2 * unit(random);
    if (!cells.outside(geos::Envelope{x, y, x + w, y + h})) continue;
    ++boxes_outside;
    const auto box = geos::from_wkt(fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", x, y, x + w, y + h));
    for (const auto& polygon : polygons) ASSERT_FALSE(GEOSIntersects_r(geos::context(), polygon.get(), box.get()));
  }
  EXPECT_GT(boxes_outside, 2500u);
  EXPECT_FALSE(cells.outside(geos::Envelope{0, 0, 1000, 600}));  // too many cells to read: not known
  EXPECT_FALSE(cells.outside(std::nan(""), 5));

  const OutsideCells none({}, 100, [](geos::XY) { return false; });
  EXPECT_FALSE(none.outside(0, 0));
}

}  // namespace
}  // namespace twinrisk
