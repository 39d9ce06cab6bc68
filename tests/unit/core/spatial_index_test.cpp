#include "twinrisk/core/spatial_index.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace twinrisk
