// river-reaches kernel on squares and strips whose lengths are worked out by hand in the comments.

#include "twinrisk/ops/river_reaches.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "../test_support.hpp"
#include "ops_fixtures.hpp"
#include "twinrisk/core/error.hpp"

namespace twinrisk::ops {
namespace {

using test::line;
using test::municipality_layer;
using test::rectangle;
using test::river_layer;

RiverReachesOptions with_tolerance(double tolerance_m) {
  RiverReachesOptions options;
  options.tolerance_m = tolerance_m;
  return options;
}

// Shared length per (a id, b id) over all rivers.
std::map<std::pair<std::string, std::string>, double> shared_by_pair(const RiverReachesResult& result,
                                                                     const MunicipalityIndex& m) {
  std::map<std::pair<std::string, std::string>, double> out;
  for (const auto& share : result.border_reaches) out[{m.id(share.a), m.id(share.b)}] += share.shared_length_m;
  return out;
}

double river_length_in(const RiverReachesResult& result, const MunicipalityIndex& m, const std::string& id) {
  for (const auto& row : result.by_municipality) {
    if (m.id(row.municipality) == id) return row.river_length_m;
  }
  return 0;
}

double border_length_in(const RiverReachesResult& result, const MunicipalityIndex& m, const std::string& id) {
  for (const auto& row : result.by_municipality) {
    if (m.id(row.municipality) == id) return row.border_length_m;
  }
  return 0;
}

// ---- A river crossing three municipalities: every metre counted once.

TEST(RiverReaches, RiverAcrossThreeStripsSumsToItsLength) {
  // Three vertical strips A | B | C, 100 m wide, 0 ≤ y ≤ 100; the river starts and ends outside.
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)},
                                         {"B", "X", rectangle(100, 0, 200, 100)},
                                         {"C", "Y", rectangle(200, 0, 300, 100)}});
  const MunicipalityIndex m(layer);
  const std::vector<std::pair<double, double>> points = {{-20, 10}, {50, 50}, {150, 20}, {250, 80}, {320, 60}};
  const auto rivers = river_layer({{"r1", line(points)}});
  const auto result = river_reaches(rivers, m, with_tolerance(10));

  // Independent: every segment has Δx ≠ 0 and stays within 0 < y < 100, so the length of a segment
  // inside strip [x0, x1] is its length times the share of its x-range inside [x0, x1].
  auto in_strip = [&](double x0, double x1) {
    double total = 0;
    for (std::size_t i = 0; i + 1 < points.size(); ++i) {
      const auto [ax, ay] = points[i];
      const auto [bx, by] = points[i + 1];
      const double lo = std::max(std::min(ax, bx), x0), hi = std::min(std::max(ax, bx), x1);
      if (hi > lo) total += std::hypot(bx - ax, by - ay) * (hi - lo) / std::fabs(bx - ax);
    }
    return total;
  };
  double river_length = 0;
  for (std::size_t i = 0; i + 1 < points.size(); ++i) {
    river_length += std::hypot(points[i + 1].first - points[i].first, points[i + 1].second - points[i].second);
  }
  EXPECT_NEAR(river_length_in(result, m, "A"), in_strip(0, 100), 1e-9 * river_length);
  EXPECT_NEAR(river_length_in(result, m, "B"), in_strip(100, 200), 1e-9 * river_length);
  EXPECT_NEAR(river_length_in(result, m, "C"), in_strip(200, 300), 1e-9 * river_length);
  EXPECT_NEAR(result.outside_length_m, in_strip(-20, 0) + in_strip(300, 320), 1e-9 * river_length);

  double sum = 0;
  for (const auto& reach : result.reaches) sum += reach.length_m;
  EXPECT_LE(std::fabs(sum - river_length) / river_length, 1e-9);
  EXPECT_LE(std::fabs(result.river_length_m - river_length) / river_length, 1e-9);
  // Pieces: outside, A, B, C, outside, in this order along the line, each one contiguous.
  ASSERT_EQ(result.reaches.size(), 5u);
  EXPECT_FALSE(result.reaches[0].municipality);
  EXPECT_EQ(m.id(*result.reaches[1].municipality), "A");
  EXPECT_EQ(m.id(*result.reaches[2].municipality), "B");
  EXPECT_EQ(m.id(*result.reaches[3].municipality), "C");
  EXPECT_FALSE(result.reaches[4].municipality);
  for (std::size_t k = 1; k < result.reaches.size(); ++k) {
    EXPECT_DOUBLE_EQ(result.reaches[k].start_m, result.reaches[k - 1].end_m);
  }
  // It crosses the A|B and B|C lines at 22° to 31° from the perpendicular, not along them.
  EXPECT_TRUE(result.border_reaches.empty());
  EXPECT_GT(result.crossing_length_m, 0);
}

// ---- A river along one side of a square.

struct AlongSideCase {
  const char* name;
  double offset_m;  // river at x = 100 + offset (positive: inside B, negative: inside A)
  double tolerance_m;
  double expected_shared_m;  // hand: the side (100) when |offset| ≤ tolerance, else 0
  const char* side;          // the municipality holding the river
};

void PrintTo(const AlongSideCase& c, std::ostream* os) { *os << c.name; }

class AlongSide : public ::testing::TestWithParam<AlongSideCase> {};

TEST_P(AlongSide, SharedLengthIsTheSide) {
  const auto& c = GetParam();
  // A = [0,100]², B = [100,200] × [0,100]; the river runs the full side, y = 0 … 100.
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)}, {"B", "Y", rectangle(100, 0, 200, 100)}});
  const MunicipalityIndex m(layer);
  const double x = 100 + c.offset_m;
  const auto rivers = river_layer({{"r", line({{x, 0}, {x, 40}, {x, 100}})}});
  const auto result = river_reaches(rivers, m, with_tolerance(c.tolerance_m));
  const auto shared = shared_by_pair(result, m);
  const double got = shared.count({"A", "B"}) ? shared.at({"A", "B"}) : 0.0;
  EXPECT_NEAR(got, c.expected_shared_m, 1e-9);
  EXPECT_NEAR(river_length_in(result, m, c.side), 100, 1e-9);
  EXPECT_NEAR(border_length_in(result, m, c.side), c.expected_shared_m, 1e-9);
  if (c.expected_shared_m > 0) {
    ASSERT_EQ(result.border_reaches.size(), 1u);
    EXPECT_EQ(result.border_reaches[0].river, 0u);
    ASSERT_EQ(result.reaches.size(), 1u);
    ASSERT_TRUE(result.reaches[0].border);
    EXPECT_EQ(m.id(result.reaches[0].border->side), c.side);
    EXPECT_EQ(m.id(result.reaches[0].border->partner), std::string(c.side) == "A" ? "B" : "A");
    EXPECT_TRUE(m.cross_national(result.reaches[0].border->side, result.reaches[0].border->partner));
  } else {
    EXPECT_TRUE(result.border_reaches.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    RiverReaches, AlongSide,
    ::testing::Values(AlongSideCase{"on_the_side", 0, 10, 100, "A"},  // on both outlines: A is first
                      AlongSideCase{"inside_b", 5, 10, 100, "B"},
                      AlongSideCase{"inside_a", -5, 10, 100, "A"},
                      AlongSideCase{"just_inside_tolerance", 9.999, 10, 100, "B"},
                      AlongSideCase{"just_outside_tolerance", 10.001, 10, 0, "B"},
                      AlongSideCase{"just_inside_tolerance_in_a", -9.999, 10, 100, "A"},
                      AlongSideCase{"just_outside_tolerance_in_a", -10.001, 10, 0, "A"},
                      AlongSideCase{"zero_tolerance_on_the_side", 0, 0, 100, "A"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(RiverReaches, NeighboursAboveAndBelowTakeTheirOwnSide) {
  // A 2 × 3 grid of 100 m squares: E|F (y −100…0), A|B (0…100), C|D (100…200). The river runs
  // at x = 105 from y = −100 to 200, inside F, B and D, 5 m from the column line x = 100.
  // Each pair's border is exactly its 100 m side: near the tripoints the river is also within
  // 10 m of F or D, but those stretches run straight at the row line and make no progress.
  const auto layer = municipality_layer({{"E", "X", rectangle(0, -100, 100, 0)},
                                         {"F", "Y", rectangle(100, -100, 200, 0)},
                                         {"A", "X", rectangle(0, 0, 100, 100)},
                                         {"B", "Y", rectangle(100, 0, 200, 100)},
                                         {"C", "X", rectangle(0, 100, 100, 200)},
                                         {"D", "Y", rectangle(100, 100, 200, 200)}});
  const MunicipalityIndex m(layer);
  const auto rivers = river_layer({{"r", line({{105, -100}, {105, 200}})}});
  const auto result = river_reaches(rivers, m, with_tolerance(10));
  const auto shared = shared_by_pair(result, m);
  ASSERT_EQ(shared.size(), 3u);
  EXPECT_NEAR(shared.at({"E", "F"}), 100, 1e-9);
  EXPECT_NEAR(shared.at({"A", "B"}), 100, 1e-9);
  EXPECT_NEAR(shared.at({"C", "D"}), 100, 1e-9);
  for (const auto& id : {"F", "B", "D"}) EXPECT_NEAR(border_length_in(result, m, id), 100, 1e-9) << id;
}

TEST(RiverReaches, BorderRunsOnWhereTheDataEnds) {
  // Only A and B; the river at x = 105 runs from y = −50 to 150, beyond both ends of their side.
  // Below y = 0 and above y = 100 it is in no municipality; a point (105, −δ) is δ from B and
  // √(5² + δ²) from A's corner, so it is within τ = 10 of both while δ ≤ √(10² − 5²) = √75.
  // Hand: shared = 100 + 2 √75, of which 2 √75 in the gap (no municipality).
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)}, {"B", "Y", rectangle(100, 0, 200, 100)}});
  const MunicipalityIndex m(layer);
  const auto rivers = river_layer({{"r", line({{105, -50}, {105, 150}})}});
  const auto result = river_reaches(rivers, m, with_tolerance(10));
  ASSERT_EQ(result.border_reaches.size(), 1u);
  const auto& share = result.border_reaches[0];
  EXPECT_NEAR(share.shared_length_m, 100 + 2 * std::sqrt(75.0), 1e-9);
  EXPECT_NEAR(share.in_b_m, 100, 1e-9);
  EXPECT_NEAR(share.in_a_m, 0, 1e-9);
  EXPECT_NEAR(share.in_gap_m, 2 * std::sqrt(75.0), 1e-9);
  EXPECT_NEAR(result.outside_length_m, 100, 1e-9);
}

TEST(RiverReaches, TripointInAGapGoesToTheNearerPair) {
  // A = [0,95] × [0,200] on the left; B = [105,200] × [0,100] and C = [105,200] × [100,200] on the
  // right; the river runs up the middle of the 10 m gap, x = 100, in no municipality; τ = 8.
  // Near y = 100 it is within 8 m of all three: A–B holds while √(5² + (y−100)²) ≤ 8, i.e. up to
  // y = 100 + √39, and A–C from 100 − √39. Where both follow, the pair whose farther polygon is
  // nearer wins: B (5 m) below y = 100, C above. B–C alone is crossed, not followed (progress
  // 2 · 5 · asinh(√39 / 5) ≈ 10.5 m < 2τ). Hand: A–B = A–C = 100, nothing for B–C.
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 95, 200)},
                                         {"B", "Y", rectangle(105, 0, 200, 100)},
                                         {"C", "Y", rectangle(105, 100, 200, 200)}});
  const MunicipalityIndex m(layer);
  const auto rivers = river_layer({{"r", line({{100, 0}, {100, 200}})}});
  const auto result = river_reaches(rivers, m, with_tolerance(8));
  const auto shared = shared_by_pair(result, m);
  ASSERT_EQ(shared.size(), 2u);
  // 1e-6, not 1e-9: the two pairs' distances differ by δ²/10 at δ from y = 100, which rounds to a
  // tie for δ < 7e-8 m.
  EXPECT_NEAR(shared.at({"A", "B"}), 100, 1e-6);
  EXPECT_NEAR(shared.at({"A", "C"}), 100, 1e-6);
  for (const auto& reach : result.reaches) {
    EXPECT_FALSE(reach.municipality);
    ASSERT_TRUE(reach.border);
    EXPECT_EQ(m.id(reach.border->side), "A");  // 5 m from A and from B or C: the tie goes to the first
  }
}

TEST(RiverReaches, ARiverInANarrowMunicipalityBordersItsNeighbours) {
  // C is a strip 8 m wide between A and B; the river runs inside C at x = 103, 3 m from A and 5 m
  // from B. Rule 2 keeps A–B out (the river is in C); C–A wins over C–B (3 m < 5 m).
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)},
                                         {"C", "X", rectangle(100, 0, 108, 100)},
                                         {"B", "Y", rectangle(108, 0, 200, 100)}});
  const MunicipalityIndex m(layer);
  const auto rivers = river_layer({{"r", line({{103, 0}, {103, 100}})}});
  const auto result = river_reaches(rivers, m, with_tolerance(10));
  const auto shared = shared_by_pair(result, m);
  ASSERT_EQ(shared.size(), 1u);
  EXPECT_NEAR(shared.at({"A", "C"}), 100, 1e-9);
  EXPECT_NEAR(border_length_in(result, m, "C"), 100, 1e-9);
}

TEST(RiverReaches, AStretchInAThirdMunicipalityIsNotTheBorderOfTwoOthers) {
  // A | B meet at x = 100, except where the small C = [99,101] × [45,55] sits on the line (A and
  // B are notched around it). The river runs at x = 100.5: in B, then 10 m through C, then in B.
  // Rule 2: inside C it is not on the A–B border, though 1.5 m from A and 0.5 m from B; so A–B has
  // two stretches of 45 m. C–A and C–B last 10 m inside C (C–B also 10 m in B at each end, running
  // straight at C) with progress 10 < 2τ = 20: crossings. Hand: A–B = 90, C: river 10, border 0.
  const auto layer = municipality_layer(
      {{"A", "X", "POLYGON((0 0,100 0,100 45,99 45,99 55,100 55,100 100,0 100,0 0))"},
       {"B", "Y", "POLYGON((100 0,200 0,200 100,100 100,100 55,101 55,101 45,100 45,100 0))"},
       {"C", "Y", rectangle(99, 45, 101, 55)}});
  const MunicipalityIndex m(layer);
  const auto rivers = river_layer({{"r", line({{100.5, 0}, {100.5, 100}})}});
  const auto result = river_reaches(rivers, m, with_tolerance(10));
  const auto shared = shared_by_pair(result, m);
  ASSERT_EQ(shared.size(), 1u);
  EXPECT_NEAR(shared.at({"A", "B"}), 90, 1e-9);
  EXPECT_NEAR(river_length_in(result, m, "C"), 10, 1e-9);
  EXPECT_NEAR(border_length_in(result, m, "C"), 0, 1e-9);
  EXPECT_NEAR(border_length_in(result, m, "B"), 90, 1e-9);
}

// ---- Crossing versus following.

struct CrossingCase {
  const char* name;
  double angle_deg;  // between the river and the border line x = 100
  bool border;       // hand: the band of width 2τ is crossed with progress 2τ·cot(angle) ≥ 2τ iff angle ≤ 45°
};

void PrintTo(const CrossingCase& c, std::ostream* os) { *os << c.name; }

class Crossing : public ::testing::TestWithParam<CrossingCase> {};

TEST_P(Crossing, OnlyRiversThatFollowTheBorderAreBorderReaches) {
  const auto& c = GetParam();
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)}, {"B", "Y", rectangle(100, 0, 200, 100)}});
  const MunicipalityIndex m(layer);
  // A straight river through (100, 50), 40 m on each side, at `angle` to the vertical border.
  const double a = c.angle_deg * M_PI / 180;
  const double dx = 40 * std::sin(a), dy = 40 * std::cos(a);
  const auto rivers = river_layer({{"r", line({{100 - dx, 50 - dy}, {100 + dx, 50 + dy}})}});
  const auto result = river_reaches(rivers, m, with_tolerance(10));
  // Hand: the river is within 10 m of both squares while |x − 100| ≤ 10, a length of 20 / sin(angle).
  const double band = 20 / std::sin(a);
  if (c.border) {
    ASSERT_EQ(result.border_reaches.size(), 1u);
    EXPECT_NEAR(result.border_reaches[0].shared_length_m, band, 1e-9);
    EXPECT_NEAR(result.crossing_length_m, 0, 1e-9);
  } else {
    EXPECT_TRUE(result.border_reaches.empty());
    EXPECT_NEAR(result.crossing_length_m, band, 1e-9);
  }
}

INSTANTIATE_TEST_SUITE_P(RiverReaches, Crossing,
                         ::testing::Values(CrossingCase{"perpendicular", 90, false}, CrossingCase{"steep_60", 60, false},
                                           CrossingCase{"steep_50", 50, false}, CrossingCase{"shallow_40", 40, true},
                                           CrossingCase{"shallow_30", 30, true}),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- Datasets that do not meet: gaps and overlaps.

struct MisfitCase {
  const char* name;
  double a_right, b_left;  // A = [0, a_right] × [0,100], B = [b_left, 200] × [0,100]
  double tolerance_m;
  double expected_shared_m;
  const char* holder;  // municipality holding the river, "" = none
};

void PrintTo(const MisfitCase& c, std::ostream* os) { *os << c.name; }

class Misfit : public ::testing::TestWithParam<MisfitCase> {};

TEST_P(Misfit, GapsAndOverlapsAreBorder) {
  const auto& c = GetParam();
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, c.a_right, 100)}, {"B", "Y", rectangle(c.b_left, 0, 200, 100)}});
  const MunicipalityIndex m(layer);
  const auto rivers = river_layer({{"r", line({{100, 0}, {100, 100}})}});
  const auto result = river_reaches(rivers, m, with_tolerance(c.tolerance_m));
  const auto shared = shared_by_pair(result, m);
  EXPECT_NEAR(shared.count({"A", "B"}) ? shared.at({"A", "B"}) : 0.0, c.expected_shared_m, 1e-9);
  ASSERT_EQ(result.reaches.size(), 1u);
  if (std::string(c.holder).empty()) {
    EXPECT_FALSE(result.reaches[0].municipality);
  } else {
    ASSERT_TRUE(result.reaches[0].municipality);
    EXPECT_EQ(m.id(*result.reaches[0].municipality), c.holder);
  }
}

INSTANTIATE_TEST_SUITE_P(
    RiverReaches, Misfit,
    ::testing::Values(
        // A gap of 10 m with the river in its middle: 5 m from each; border iff τ ≥ 5.
        MisfitCase{"gap_within_tolerance", 95, 105, 6, 100, ""},
        MisfitCase{"gap_beyond_tolerance", 95, 105, 4.9, 0, ""},
        // A 10 m overlap: the river is in both, so 0 from both, for any τ; it is A's (first).
        MisfitCase{"overlap", 105, 95, 0, 100, "A"},
        // An overlap [120, 130]: the river is 30 m inside A and 20 m from B: border iff τ ≥ 20.
        MisfitCase{"overlap_river_inside_a", 130, 120, 20, 100, "A"},
        MisfitCase{"overlap_river_too_deep_in_a", 130, 120, 19.9, 0, "A"},
        // A gap [110, 115]: the river is 10 m inside A and 15 m from B: border iff τ ≥ 15.
        MisfitCase{"gap_river_inside_a", 110, 115, 15, 100, "A"},
        MisfitCase{"gap_river_too_deep_in_a", 110, 115, 14.9, 0, "A"}),
    [](const auto& info) { return std::string(info.param.name); });

// ---- Rows of one municipality, and bad input.

TEST(RiverReaches, RowsSharingAnIdAreOneMunicipality) {
  // A is two rows (x 0…50 and 50…100); the river crosses both: one municipality, no border between them.
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 50, 100)}, {"A", "X", rectangle(50, 0, 100, 100)}});
  const MunicipalityIndex m(layer);
  const auto rivers = river_layer({{"r", line({{50, 0}, {50, 100}})}});
  const auto result = river_reaches(rivers, m, with_tolerance(10));
  EXPECT_TRUE(result.border_reaches.empty());
  ASSERT_EQ(result.by_municipality.size(), 1u);
  EXPECT_NEAR(result.by_municipality[0].river_length_m, 100, 1e-9);
}

TEST(RiverReaches, ARiverGivenAsAPolygonIsAnErrorNamingTheFeature) {
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)}});
  const MunicipalityIndex m(layer);
  auto rivers = river_layer({{"ok", line({{0, 0}, {10, 10}})}, {"lake", rectangle(20, 20, 30, 30)}});
  try {
    river_reaches(rivers, m);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    EXPECT_EQ(e.context().feature, 102);
    EXPECT_NE(std::string(e.what()).find("river lake is a polygon"), std::string::npos) << e.what();
  }
}

TEST(RiverReaches, NegativeToleranceIsAConfigError) {
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)}});
  const MunicipalityIndex m(layer);
  const auto rivers = river_layer({{"r", line({{0, 0}, {10, 10}})}});
  try {
    river_reaches(rivers, m, with_tolerance(-1));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("tolerance_m"), std::string::npos);
  }
}

TEST(RiverReaches, LengthFunctionIsUsed) {
  // A length function that doubles: every reach and total doubles, positions stay planar.
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)}});
  const MunicipalityIndex m(layer);
  const auto rivers = river_layer({{"r", line({{-10, 50}, {90, 50}})}});
  RiverReachesOptions options;
  options.length = [](const GEOSGeometry* g) { return 2 * planar_length(g); };
  const auto result = river_reaches(rivers, m, options);
  ASSERT_EQ(result.reaches.size(), 2u);
  EXPECT_NEAR(result.reaches[0].length_m, 20, 1e-9);
  EXPECT_NEAR(result.reaches[1].length_m, 180, 1e-9);
  EXPECT_NEAR(result.reaches[1].end_m, 100, 1e-9);
}

}  // namespace
}  // namespace twinrisk::ops
