// basins kernel and flow direction: a 4-basin chain with a branch worked by hand, a river network,
// and the bad inputs that must be errors naming the feature.

#include "twinrisk/ops/basins.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "../test_support.hpp"
#include "ops_fixtures.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/ops/flow_direction.hpp"

namespace twinrisk::ops {
namespace {

using test::line;
using test::municipality_layer;
using test::rectangle;
using test::river_layer;

struct BasinRow {
  std::string id, next_down, wkt;
};

Layer basin_layer(const std::vector<BasinRow>& rows) {
  Layer layer;
  layer.name = "basins";
  layer.role = Role::basins;
  layer.fields = {{"id", FieldType::string}, {"next_down", FieldType::string}};
  std::int64_t fid = 11;
  for (const auto& row : rows) {
    layer.features.push_back({fid++, geos::from_wkt(row.wkt), {row.id, row.next_down.empty() ? Value() : Value(row.next_down)}});
  }
  return layer;
}

// Basins 1 → 2 → 3 → 4 (outlet) along x, 100 × 100 each, and the branch 5 → 3 above basin 3.
Layer chain_with_branch() {
  return basin_layer({{"1", "2", rectangle(0, 0, 100, 100)},
                      {"2", "3", rectangle(100, 0, 200, 100)},
                      {"3", "4", rectangle(200, 0, 300, 100)},
                      {"4", "0", rectangle(300, 0, 400, 100)},
                      {"5", "3", rectangle(200, 100, 300, 200)}});
}

// P in basin 1; Q the lower and T the upper half of basins 2 and 3; R and U the lower and upper
// half of the outlet basin 4; S in 5.
Layer chain_municipalities() {
  return municipality_layer({{"P", "X", rectangle(0, 0, 100, 100)},
                             {"Q", "X", rectangle(100, 0, 300, 50)},
                             {"T", "Y", rectangle(100, 50, 300, 100)},
                             {"R", "Y", rectangle(300, 0, 400, 50)},
                             {"U", "Y", rectangle(300, 50, 400, 100)},
                             {"S", "X", rectangle(200, 100, 300, 200)}});
}

// (upstream id, downstream id) → between.
std::map<std::pair<std::string, std::string>, std::int64_t> by_ids(const std::vector<UpstreamPair>& pairs,
                                                                   const MunicipalityIndex& m) {
  std::map<std::pair<std::string, std::string>, std::int64_t> out;
  for (const auto& p : pairs) out[{m.id(p.upstream), m.id(p.downstream)}] = p.between;
  return out;
}

TEST(Basins, ChainWithABranchUpstreamSetsByHand) {
  const auto basins = chain_with_branch();
  const auto layer = chain_municipalities();
  const MunicipalityIndex m(layer);
  const auto network = basin_network(basins);
  ASSERT_EQ(network.next_down.size(), 5u);
  EXPECT_EQ(network.next_down[0], 1u);
  EXPECT_FALSE(network.next_down[3]);
  EXPECT_EQ(network.next_down[4], 2u);
  const auto pieces = basin_membership(basins, m);
  const auto pairs = by_ids(upstream_from_basins(network, pieces), m);
  // By hand, following next_down from each municipality's basins:
  //   P (1): 2 holds Q, T (between 0); 3 holds Q, T; 4 holds R, U (1 → 2 → 3 → 4: two between).
  //   Q (2, 3): 3 holds T (0), 4 holds R and U (0). T (2, 3) likewise: Q, R, U (0).
  //   S (5): 3 holds Q, T (0); 4 holds R, U (one between: 3).
  //   R, U (4): nothing downstream; sharing basin 4 makes neither upstream of the other.
  const std::map<std::pair<std::string, std::string>, std::int64_t> expected = {
      {{"P", "Q"}, 0}, {{"P", "T"}, 0}, {{"P", "R"}, 2}, {{"P", "U"}, 2}, {{"Q", "T"}, 0}, {{"Q", "R"}, 0},
      {{"Q", "U"}, 0}, {{"T", "Q"}, 0}, {{"T", "R"}, 0}, {{"T", "U"}, 0}, {{"S", "Q"}, 0}, {{"S", "T"}, 0},
      {{"S", "R"}, 1}, {{"S", "U"}, 1}};
  EXPECT_EQ(pairs, expected);
}

TEST(Basins, MaxBetweenDropsDistantPairs) {
  const auto basins = chain_with_branch();
  const auto layer = chain_municipalities();
  const MunicipalityIndex m(layer);
  const auto pieces = basin_membership(basins, m);
  // Hand, from the full relation above: P → R and P → U have 2 between, S → R and S → U 1.
  const auto network = basin_network(basins);
  EXPECT_EQ(upstream_from_basins(network, pieces, 0, 1).size(), 12u);
  EXPECT_EQ(upstream_from_basins(network, pieces, 0, 0).size(), 10u);
  EXPECT_EQ(upstream_from_basins(network, pieces, 0, 2).size(), 14u);
}

TEST(Basins, MembershipAreasAndShares) {
  const auto basins = chain_with_branch();
  const auto layer = chain_municipalities();
  const MunicipalityIndex m(layer);
  const auto pieces = basin_membership(basins, m);
  // Hand: basin 2 (100 × 100) is split between Q (its lower half: 100 × 50 = 5000 m²) and T. Q is
  // 200 × 50 = 10,000 m², so the piece is half of the basin and half of Q.
  std::map<std::pair<std::string, std::string>, const BasinPiece*> by;
  for (const auto& p : pieces) {
    by[{std::get<std::string>(basins.features[p.basin].values[0]), p.municipality ? m.id(*p.municipality) : ""}] = &p;
  }
  ASSERT_TRUE(by.count({"2", "Q"}));
  EXPECT_NEAR(by.at({"2", "Q"})->area_m2, 5000, 1e-6);
  EXPECT_NEAR(by.at({"2", "Q"})->share_of_basin, 0.5, 1e-12);
  EXPECT_NEAR(*by.at({"2", "Q"})->share_of_municipality, 0.5, 1e-12);
  EXPECT_NEAR(by.at({"1", "P"})->share_of_basin, 1.0, 1e-12);
  EXPECT_EQ(pieces.size(), 8u);  // 1P 2Q 2T 3Q 3T 4R 4U 5S
}

TEST(Basins, SliversBelowTheMinimumAreaDoNotMakeAMunicipalityUpstream) {
  const auto basins = chain_with_branch();
  const auto layer = chain_municipalities();
  const MunicipalityIndex m(layer);
  const auto network = basin_network(basins);
  const auto pieces = basin_membership(basins, m);
  // Q's, T's, R's and U's pieces are 5000 m² each: with 6000 they hold no basin, nothing is
  // downstream of P or S. With 5000 all count again.
  EXPECT_TRUE(upstream_from_basins(network, pieces, 6000).empty());
  const auto pairs = by_ids(upstream_from_basins(network, pieces, 5000), m);
  const std::map<std::pair<std::string, std::string>, std::int64_t> expected = by_ids(upstream_from_basins(network, pieces), m);
  ASSERT_EQ(expected.size(), 14u);
  EXPECT_EQ(pairs, expected);
}

struct BadBasinCase {
  const char* name;
  std::vector<BasinRow> rows;
  std::int64_t feature;  // fid named by the error
  const char* message;   // part of the message
};

void PrintTo(const BadBasinCase& c, std::ostream* os) { *os << c.name; }

class BadBasins : public ::testing::TestWithParam<BadBasinCase> {};

TEST_P(BadBasins, AreInputErrorsNamingTheFeature) {
  const auto& c = GetParam();
  const auto basins = basin_layer(c.rows);
  try {
    basin_network(basins);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    EXPECT_EQ(e.context().feature, c.feature);
    EXPECT_EQ(e.context().layer, "basins");
    EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Basins, BadBasins,
    ::testing::Values(
        BadBasinCase{"missing_next_down",
                     {{"1", "2", rectangle(0, 0, 1, 1)}, {"2", "99", rectangle(1, 0, 2, 1)}},
                     12,
                     "basin 2: next_down 99 is not the id of any basin"},
        BadBasinCase{"cycle",
                     {{"7", "0", rectangle(3, 0, 4, 1)},
                      {"1", "2", rectangle(0, 0, 1, 1)},
                      {"2", "3", rectangle(1, 0, 2, 1)},
                      {"3", "1", rectangle(2, 0, 3, 1)}},
                     12,
                     "the basins drain in a cycle: 1 → 2 → 3 → 1"},
        BadBasinCase{"self_loop", {{"5", "5", rectangle(0, 0, 1, 1)}}, 11, "cycle: 5 → 5"},
        BadBasinCase{"duplicate_id", {{"1", "0", rectangle(0, 0, 1, 1)}, {"1", "0", rectangle(1, 0, 2, 1)}}, 12,
                     "basin id 1 is used twice (also by feature 11)"}),
    [](const auto& info) { return std::string(info.param.name); });

// ---- The relation from a river network.

// Strips A | B | C (x 0…300, y 0…100) and D above B. The main river M runs east along y = 50; the
// tributary T runs south from D and ends on M inside B, at x = 150.
struct Network {
  Layer municipalities = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)},
                                             {"B", "X", rectangle(100, 0, 200, 100)},
                                             {"C", "Y", rectangle(200, 0, 300, 100)},
                                             {"D", "X", rectangle(100, 100, 200, 200)}});
  Layer rivers = river_layer({{"M", line({{10, 50}, {290, 50}})}, {"T", line({{150, 190}, {150, 50}})}});
};

std::map<std::pair<std::string, std::string>, std::int64_t> river_pairs(const Network& n, const FlowDirections& directions) {
  const MunicipalityIndex m(n.municipalities);
  RiverReachesOptions options;
  options.tolerance_m = 5;
  const auto reaches = river_reaches(n.rivers, m, options);
  return by_ids(upstream_from_rivers(n.rivers, reaches, directions), m);
}

TEST(Basins, UpstreamFromADirectedRiverNetwork) {
  const Network n;
  // Hand: M passes A → B → C; T passes D → B and joins M in B.
  const std::map<std::pair<std::string, std::string>, std::int64_t> expected = {
      {{"A", "B"}, 0}, {{"A", "C"}, 1}, {{"B", "C"}, 0}, {{"D", "B"}, 0}, {{"D", "C"}, 1}};
  EXPECT_EQ(river_pairs(n, flow_from_vertex_order(n.rivers)), expected);
  // With no municipality between: A → C and D → C (one between: B) go.
  const MunicipalityIndex m(n.municipalities);
  RiverReachesOptions options;
  options.tolerance_m = 5;
  const auto reaches = river_reaches(n.rivers, m, options);
  EXPECT_EQ(upstream_from_rivers(n.rivers, reaches, flow_from_vertex_order(n.rivers), 1.0, 0).size(), 3u);
}

TEST(Basins, UpstreamFollowsTheFlowDirection) {
  Network n;
  // M reversed (it flows west), T as digitised: C → B → A, and T joins in B.
  n.rivers.fields.push_back({"flow", FieldType::string});
  n.rivers.features[0].values.emplace_back(std::string("Against"));
  n.rivers.features[1].values.emplace_back(std::string(" with "));
  const std::map<std::pair<std::string, std::string>, std::int64_t> reversed = {
      {{"C", "B"}, 0}, {{"C", "A"}, 1}, {{"B", "A"}, 0}, {{"D", "B"}, 0}, {{"D", "A"}, 1}};
  EXPECT_EQ(river_pairs(n, flow_from_field(n.rivers, "flow")), reversed);
  // M of unknown direction: water from T reaches B and goes no further.
  n.rivers.features[0].values.back() = Value();
  const std::map<std::pair<std::string, std::string>, std::int64_t> unknown = {{{"D", "B"}, 0}};
  EXPECT_EQ(river_pairs(n, flow_from_field(n.rivers, "flow")), unknown);
}

TEST(Basins, UpstreamFollowsTheWaterNotTheMunicipalities) {
  // Strips A | B | C. River X flows from A into B and ends there (a sink, or it leaves the data);
  // river Y starts elsewhere in B and flows into C. A's water never reaches C.
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)},
                                         {"B", "X", rectangle(100, 0, 200, 100)},
                                         {"C", "X", rectangle(200, 0, 300, 100)}});
  const MunicipalityIndex m(layer);
  const auto rivers = river_layer({{"X", line({{50, 20}, {150, 20}})}, {"Y", line({{150, 80}, {250, 80}})}});
  RiverReachesOptions options;
  options.tolerance_m = 5;
  const auto reaches = river_reaches(rivers, m, options);
  const std::map<std::pair<std::string, std::string>, std::int64_t> expected = {{{"A", "B"}, 0}, {{"B", "C"}, 0}};
  EXPECT_EQ(by_ids(upstream_from_rivers(rivers, reaches, flow_from_vertex_order(rivers)), m), expected);
}

TEST(Basins, ABorderRiverMakesNeitherBankUpstreamOfTheOther) {
  // The river zigzags down the A | B line (x = 100, within 2 m: border reaches on A's side, then
  // B's, …) and flows on into C below both. Hand: A → C and B → C; nothing between A and B.
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)},
                                         {"B", "Y", rectangle(100, 0, 200, 100)},
                                         {"C", "X", rectangle(0, -100, 200, 0)}});
  const MunicipalityIndex m(layer);
  const auto rivers = river_layer({{"R", line({{102, 100}, {98, 75}, {102, 50}, {98, 25}, {100, 0}, {100, -100}})}});
  RiverReachesOptions options;
  options.tolerance_m = 10;
  const auto reaches = river_reaches(rivers, m, options);
  ASSERT_GE(reaches.border_reaches.size(), 1u);
  const std::map<std::pair<std::string, std::string>, std::int64_t> expected = {{{"A", "C"}, 0}, {{"B", "C"}, 0}};
  EXPECT_EQ(by_ids(upstream_from_rivers(rivers, reaches, flow_from_vertex_order(rivers)), m), expected);
}

TEST(Basins, WaterHandedFromOneBorderToTheNext) {
  // B is tall on the right (x 100…200, y −100…100); A above C on the left. The river runs down
  // x = 101, on the A | B border, then on the C | B border. At the change C is handed the water:
  // A → C and B → C. B was riparian all along, so A is not upstream of B.
  const auto layer = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)},
                                         {"B", "Y", rectangle(100, -100, 200, 100)},
                                         {"C", "X", rectangle(0, -100, 100, 0)}});
  const MunicipalityIndex m(layer);
  const auto rivers = river_layer({{"R", line({{101, 100}, {101, -100}})}});
  RiverReachesOptions options;
  options.tolerance_m = 10;
  const auto reaches = river_reaches(rivers, m, options);
  ASSERT_EQ(reaches.border_reaches.size(), 2u);
  const std::map<std::pair<std::string, std::string>, std::int64_t> expected = {{{"A", "C"}, 0}, {{"B", "C"}, 0}};
  EXPECT_EQ(by_ids(upstream_from_rivers(rivers, reaches, flow_from_vertex_order(rivers)), m), expected);
}

// ---- Flow direction sources.

TEST(FlowDirection, FromElevationAtTheEnds) {
  // z = x / 10: a line digitised eastwards climbs, so it flows against its vertex order.
  const auto rivers = river_layer({{"east", line({{0, 0}, {100, 0}})},
                                   {"west", line({{100, 5}, {0, 5}})},
                                   {"flat", line({{50, 0}, {50, 100}})},
                                   {"small_drop", line({{0, 9}, {5, 9}})},
                                   {"off_dem", line({{-50, 0}, {10, 0}})}});
  const ElevationFunction z = [](double x, double) -> std::optional<double> {
    if (x < 0) return std::nullopt;
    return x / 10;
  };
  const auto d = flow_from_elevation(rivers, z, 1.0);
  ASSERT_EQ(d.size(), 5u);
  EXPECT_EQ(d[0], std::vector{FlowDirection::reverse});
  EXPECT_EQ(d[1], std::vector{FlowDirection::forward});
  EXPECT_EQ(d[2], std::vector{FlowDirection::unknown});
  EXPECT_EQ(d[3], std::vector{FlowDirection::unknown});  // 0.5 m drop < 1 m
  EXPECT_EQ(d[4], std::vector{FlowDirection::unknown});
}

TEST(FlowDirection, FieldValuesAndABadOne) {
  auto rivers = river_layer({{"a", line({{0, 0}, {1, 0}})}, {"b", line({{0, 1}, {1, 1}})}, {"c", line({{0, 2}, {1, 2}})}});
  rivers.fields.push_back({"dir", FieldType::integer});
  rivers.features[0].values.emplace_back(std::int64_t{1});
  rivers.features[1].values.emplace_back(std::int64_t{-1});
  rivers.features[2].values.emplace_back(std::int64_t{7});
  try {
    flow_from_field(rivers, "dir");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    EXPECT_EQ(e.context().feature, 103);
    EXPECT_NE(std::string(e.what()).find("flow direction '7'"), std::string::npos) << e.what();
  }
  rivers.features[2].values.back() = std::int64_t{0};
  const auto d = flow_from_field(rivers, "dir");
  EXPECT_EQ(d[0], std::vector{FlowDirection::forward});
  EXPECT_EQ(d[1], std::vector{FlowDirection::reverse});
  EXPECT_EQ(d[2], std::vector{FlowDirection::unknown});
  EXPECT_THROW(flow_from_field(rivers, "nope"), ConfigError);
}

}  // namespace
}  // namespace twinrisk::ops
