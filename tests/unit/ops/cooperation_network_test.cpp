// cooperation-network kernel, partners that touch, and the GraphML they are written to.

#include "twinrisk/ops/cooperation_network.hpp"

#include <cpl_minixml.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "../test_support.hpp"
#include "ops_fixtures.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/io/graphml.hpp"
#include "twinrisk/ops/touching_partners.hpp"

namespace twinrisk::ops {
namespace {

using test::municipality_layer;
using test::rectangle;

// ---- Partners that touch.

struct OwnedParts {
  std::vector<geos::GeomPtr> geometries;
  std::vector<ZonePart> parts;
  void add(std::int64_t zone, std::size_t municipality, const std::string& wkt) {
    geometries.push_back(geos::from_wkt(wkt));
    parts.push_back({zone, municipality, geometries.back().get(), geos::area(geometries.back().get())});
  }
};

TEST(TouchingPartners, OnlyAdjacentPartsArePartners) {
  // Zone 1: parts of municipalities 0 | 1 side by side (they share x = 10), and 2 ten metres
  // further on; zone 2: 0 and 2 sharing a corner point.
  OwnedParts p;
  p.add(1, 0, rectangle(0, 0, 10, 10));
  p.add(1, 1, rectangle(10, 0, 20, 10));
  p.add(1, 2, rectangle(30, 0, 40, 10));
  p.add(2, 0, rectangle(0, 20, 10, 30));
  p.add(2, 2, rectangle(10, 30, 20, 40));
  const auto pairs = touching_partners(p.parts);
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0].zone, 1);
  EXPECT_EQ(std::make_pair(pairs[0].a, pairs[0].b), std::make_pair(std::size_t{0}, std::size_t{1}));
  EXPECT_NEAR(pairs[0].area_a_m2, 100, 1e-9);
  EXPECT_NEAR(pairs[0].area_b_m2, 100, 1e-9);
  EXPECT_EQ(pairs[1].zone, 2);
  EXPECT_EQ(std::make_pair(pairs[1].a, pairs[1].b), std::make_pair(std::size_t{0}, std::size_t{2}));
  // A gap of 10 m between 1 and 2 (national datasets that do not meet): partners at tolerance 10.
  const auto tolerant = touching_partners(p.parts, 10);
  ASSERT_EQ(tolerant.size(), 3u);
  EXPECT_EQ(std::make_pair(tolerant[1].a, tolerant[1].b), std::make_pair(std::size_t{1}, std::size_t{2}));
}

TEST(TouchingPartners, PartsThatShareNoVertexTouchWhereAnEdgeMeetsTheOther) {
  // 1 meets 0 along x = 10 between y 2 and 8: none of its corners is one of 0's. 2 hooks over 1
  // (its box overlaps 1's) from (12, 8.5) to (21, 8): 0.0556 m above 1's corner (20, 8), sharing no point.
  OwnedParts p;
  p.add(1, 0, rectangle(0, 0, 10, 10));
  p.add(1, 1, rectangle(10, 2, 20, 8));
  p.add(1, 2, "POLYGON((12 8.5, 25 8.5, 25 1, 21 1, 21 8, 12 8.5))");
  const auto pairs = touching_partners(p.parts);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(std::make_pair(pairs[0].a, pairs[0].b), std::make_pair(std::size_t{0}, std::size_t{1}));
  const auto near = touching_partners(p.parts, 0.06);
  ASSERT_EQ(near.size(), 2u);
  EXPECT_EQ(std::make_pair(near[1].a, near[1].b), std::make_pair(std::size_t{1}, std::size_t{2}));
}

TEST(TouchingPartners, ARiverLongZoneListsNeighboursOnly) {
  // 2000 parts in a row, one per municipality: each touches the next, so 1999 pairs, not 2000·1999/2.
  OwnedParts p;
  for (std::size_t i = 0; i < 2000; ++i) p.add(7, i, rectangle(10.0 * i, 0, 10.0 * (i + 1), 10));
  const auto pairs = touching_partners(p.parts);
  ASSERT_EQ(pairs.size(), 1999u);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_EQ(pairs[i].a, i);
    EXPECT_EQ(pairs[i].b, i + 1);
  }
}

// ---- The cooperation network.

struct Fixture {
  Layer layer = municipality_layer({{"A", "X", rectangle(0, 0, 100, 100)},
                                    {"B", "Y", rectangle(100, 0, 200, 100)},
                                    {"C", "Y", rectangle(200, 0, 300, 100)},
                                    {"D", "X", rectangle(0, 100, 100, 200)}});
  MunicipalityIndex m{layer};
  std::size_t g(const std::string& id) const { return *m.find(id); }
};

CooperationInputs hand_inputs(const Fixture& f) {
  CooperationInputs in;
  // A–B: one zone whose parts touch, 2 km² in A and 1 km² in B; 4.5 km of border river; basin 9
  // holds 5 km² of A and 2 km² of B; A is upstream of B with one basin between.
  in.shared_zones = {{1, f.g("A"), f.g("B"), 2e6, 1e6}};
  in.border_reaches = {BorderShare{f.g("A"), f.g("B"), 0, 3000, 0, 0, 0}, BorderShare{f.g("A"), f.g("B"), 1, 1500, 0, 0, 0},
                       BorderShare{f.g("B"), f.g("C"), 0, 500, 0, 0, 0}};
  in.basin_areas = {{9, f.g("A"), 5e6}, {9, f.g("B"), 2e6}};
  in.upstream = {{f.g("A"), f.g("B"), 1}};
  in.twinning = {{"C", "A"}};
  return in;
}

TEST(CooperationNetwork, ScoreOfAHandWeightedPair) {
  const Fixture f;
  CooperationWeights w;
  w.hazard_per_km2 = 2;
  w.river_per_km = 0.5;
  w.basin_per_km2 = 0.25;
  w.upstream = 3;
  w.min_score = 1;
  const auto pairs = cooperation_network(f.m, hand_inputs(f), w);
  ASSERT_EQ(pairs.size(), 3u);
  const auto& ab = pairs[0];  // highest score first
  EXPECT_EQ(f.m.id(ab.a), "A");
  EXPECT_EQ(f.m.id(ab.b), "B");
  EXPECT_EQ(ab.shared_zones, 1);
  EXPECT_NEAR(ab.shared_hazard_area_m2, 3e6, 1e-6);
  EXPECT_NEAR(ab.shared_river_m, 4500, 1e-9);
  EXPECT_NEAR(ab.shared_basin_area_m2, 2e6, 1e-6);  // the smaller of 5 and 2 km²
  EXPECT_EQ(ab.upstream, Upstream::a_to_b);
  EXPECT_NEAR(ab.upstream_dependence, 0.5, 1e-12);  // 1 / (1 + 1 basin between)
  // Hand: 2 · 3 km² + 0.5 · 4.5 km + 0.25 · 2 km² + 3 · 0.5 = 6 + 2.25 + 0.5 + 1.5 = 10.25.
  EXPECT_NEAR(ab.score, 10.25, 1e-12);
  EXPECT_TRUE(ab.suggested);
  EXPECT_FALSE(ab.twinned);
  EXPECT_TRUE(ab.cross_national);
  // B–C: 0.5 km of river, 0.5 · 0.5 = 0.25 < 1: not suggested. A–C: twinned, no shared risk.
  EXPECT_EQ(f.m.id(pairs[1].a) + f.m.id(pairs[1].b), "BC");
  EXPECT_NEAR(pairs[1].score, 0.25, 1e-12);
  EXPECT_FALSE(pairs[1].suggested);
  EXPECT_EQ(f.m.id(pairs[2].a) + f.m.id(pairs[2].b), "AC");
  EXPECT_TRUE(pairs[2].twinned);
  EXPECT_FALSE(pairs[2].suggested);
  EXPECT_EQ(pairs[2].score, 0);
  // The edge joins the two points on surface (the squares' centres here).
  const auto ends = geos::coordinates(ab.edge.get());
  ASSERT_EQ(ends.size(), 2u);
  EXPECT_NEAR(ends[0].x, 50, 1e-9);
  EXPECT_NEAR(ends[1].x, 150, 1e-9);
}

TEST(CooperationNetwork, TwinnedPairsAreNotSuggestedAndAnyInputMayBeAbsent) {
  const Fixture f;
  CooperationInputs in;
  in.border_reaches = {BorderShare{f.g("A"), f.g("D"), 0, 2000, 0, 0, 0}};
  in.twinning = {{"D", "A"}};
  const auto pairs = cooperation_network(f.m, in);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_NEAR(pairs[0].score, 2, 1e-12);  // default weights: 1 per km of border river
  EXPECT_TRUE(pairs[0].twinned);
  EXPECT_FALSE(pairs[0].suggested);
  EXPECT_TRUE(cooperation_network(f.m, {}).empty());
}

TEST(CooperationNetwork, DistantUpstreamLinksAreLeftOut) {
  const Fixture f;
  CooperationInputs in;
  in.upstream = {{f.g("A"), f.g("C"), 3}, {f.g("D"), f.g("C"), 4}};
  // Default max_upstream_between 3: A → C counts (dependence 1/4), D → C does not.
  const auto pairs = cooperation_network(f.m, in);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(f.m.id(pairs[0].a) + f.m.id(pairs[0].b), "AC");
  EXPECT_NEAR(pairs[0].upstream_dependence, 0.25, 1e-12);
  CooperationWeights all;
  all.max_upstream_between.reset();
  EXPECT_EQ(cooperation_network(f.m, in, all).size(), 2u);
}

TEST(CooperationNetwork, UnknownTwinningIdsAreAnErrorNamingThem) {
  const Fixture f;
  CooperationInputs in;
  in.twinning = {{"A", "Z"}, {"Q", "B"}, {"Z", "C"}};
  try {
    cooperation_network(f.m, in);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    EXPECT_NE(std::string(e.what()).find("not in the municipalities: Q, Z"), std::string::npos) << e.what();
  }
}

TEST(CooperationNetwork, NegativeWeightIsAConfigError) {
  const Fixture f;
  CooperationWeights w;
  w.river_per_km = -1;
  EXPECT_THROW(cooperation_network(f.m, {}, w), ConfigError);
}

// ---- GraphML.

struct XmlDeleter {
  void operator()(CPLXMLNode* node) const { CPLDestroyXMLNode(node); }
};

std::vector<const CPLXMLNode*> children(const CPLXMLNode* node, const char* name) {
  std::vector<const CPLXMLNode*> out;
  for (const CPLXMLNode* c = node->psChild; c; c = c->psNext) {
    if (c->eType == CXT_Element && std::string(c->pszValue) == name) out.push_back(c);
  }
  return out;
}

TEST(CooperationGraph, GraphMLParsesWithItsKeysNodesAndEdges) {
  Fixture f;
  // A name that needs escaping, to prove the XML stays well-formed.
  f.layer.features[0].values[1] = std::string("Saint-Louis & <Co> \"1\"");
  const MunicipalityIndex m(f.layer);
  const auto pairs = cooperation_network(m, hand_inputs(f));
  std::ostringstream out;
  io::write_graphml(cooperation_graph(m, pairs), out);
  std::unique_ptr<CPLXMLNode, XmlDeleter> root(CPLParseXMLString(out.str().c_str()));
  ASSERT_TRUE(root) << out.str();
  const CPLXMLNode* graphml = CPLGetXMLNode(root.get(), "=graphml");
  ASSERT_NE(graphml, nullptr);
  EXPECT_EQ(children(graphml, "key").size(), 4u + 12u);
  const CPLXMLNode* graph = CPLGetXMLNode(graphml, "graph");
  ASSERT_NE(graph, nullptr);
  EXPECT_STREQ(CPLGetXMLValue(graph, "edgedefault", ""), "undirected");
  const auto nodes = children(graph, "node");
  const auto edges = children(graph, "edge");
  ASSERT_EQ(nodes.size(), 3u);  // A, B, C (D is in no pair)
  ASSERT_EQ(edges.size(), 3u);
  EXPECT_STREQ(CPLGetXMLValue(nodes[0], "id", ""), "A");
  EXPECT_STREQ(CPLGetXMLValue(children(nodes[0], "data")[0], nullptr, ""), "Saint-Louis & <Co> \"1\"");
  EXPECT_STREQ(CPLGetXMLValue(edges[0], "source", ""), "A");
  EXPECT_STREQ(CPLGetXMLValue(edges[0], "target", ""), "B");
  // The score, key e8, of the first edge. Default weights: 3 km² + 4.5 km + 0.01 · 2 km² + 0.5 · 0.5 = 7.77.
  int scores = 0;
  for (const auto* data : children(edges[0], "data")) {
    if (std::string(CPLGetXMLValue(data, "key", "")) != "e8") continue;
    ++scores;
    EXPECT_NEAR(std::atof(CPLGetXMLValue(data, nullptr, "")), 7.77, 1e-12);
  }
  EXPECT_EQ(scores, 1);
}

TEST(CooperationGraph, NetworkxReadsIt) {
  // Debian's python3-networkx (apt-get install python3-networkx); skipped where it is missing.
  if (std::system("/usr/bin/python3 -c 'import networkx' > /dev/null 2>&1") != 0) GTEST_SKIP() << "no python3-networkx";
  const Fixture f;
  const auto pairs = cooperation_network(f.m, hand_inputs(f));
  const test::TempDir dir;
  const auto path = dir / "cooperation.graphml";
  io::write_graphml(path, cooperation_graph(f.m, pairs));
  const auto report = dir / "report.txt";
  const std::string script =
      "import networkx as nx, sys\n"
      "g = nx.read_graphml(sys.argv[1])\n"
      "e = g.edges['A', 'B']\n"
      "print(g.number_of_nodes(), g.number_of_edges(), g.nodes['A']['country'], e['score'], e['suggested'], "
      "e['upstream'], type(e['shared_zones']).__name__)\n";
  std::ofstream(dir / "check.py") << script;
  const std::string command = "/usr/bin/python3 " + (dir / "check.py").string() + " " + path.string() + " > " + report.string();
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::ifstream in(report);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "3 3 X 7.77 1 a>b int");
}

TEST(CooperationGraph, EdgeToAMissingNodeIsRefused) {
  io::Graph graph;
  graph.nodes = {{"a", {}}};
  graph.edges = {{"a", "b", {}}};
  std::ostringstream out;
  EXPECT_THROW(io::write_graphml(graph, out), OutputError);
}

}  // namespace
}  // namespace twinrisk::ops
