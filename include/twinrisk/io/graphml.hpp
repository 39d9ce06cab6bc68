#pragma once
// GraphML (http://graphml.graphdrawing.org/) for network tools: networkx.read_graphml, Gephi,
// Cytoscape, igraph. Attributes are declared once as <key>s with their type (long, double,
// string); a NULL value is left out of its element, as GraphML's missing data.

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "twinrisk/core/layer.hpp"

namespace twinrisk::io {

struct Graph {
  bool directed = false;
  std::vector<FieldDef> node_fields, edge_fields;
  struct Node {
    std::string id;
    std::vector<Value> values;  // one per node_fields entry
  };
  struct Edge {
    std::string source, target;
    std::vector<Value> values;  // one per edge_fields entry
  };
  std::vector<Node> nodes;
  std::vector<Edge> edges;
};

// Throws OutputError when an edge names a node the graph lacks, a node id repeats, or a row has
// the wrong number of values (a bug in the caller, but the file would be unreadable).
void write_graphml(const Graph& graph, std::ostream& out);
// To a file (the caller stages it, as the other writers' callers do).
void write_graphml(const std::filesystem::path& path, const Graph& graph);

}  // namespace twinrisk::io
