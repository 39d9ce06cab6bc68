#include "twinrisk/core/spatial_index.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

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

}  // namespace
}  // namespace twinrisk
