#include "twinrisk/io/graphml.hpp"

#include <fmt/format.h>

#include <fstream>
#include <unordered_set>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/text.hpp"

namespace twinrisk::io {
namespace {

std::string_view graphml_type(FieldType type) {
  switch (type) {
    case FieldType::integer: return "long";
    case FieldType::real: return "double";
    case FieldType::string: return "string";
  }
  return "string";
}

std::string value_text(const Value& value) {
  if (const auto* real = std::get_if<double>(&value)) return fmt::format("{}", *real);
  return to_display_string(value);
}

void write_data(std::ostream& out, char prefix, const std::vector<FieldDef>& fields, const std::vector<Value>& values,
                const std::string& what) {
  if (values.size() != fields.size()) {
    throw OutputError(fmt::format("GraphML: {} has {} values for {} attributes", what, values.size(), fields.size()));
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::holds_alternative<std::monostate>(values[i])) continue;
    out << "      <data key=\"" << prefix << i << "\">" << xml_escape(value_text(values[i])) << "</data>\n";
  }
}

}  // namespace

void write_graphml(const Graph& graph, std::ostream& out) {
  std::unordered_set<std::string_view> ids;
  for (const auto& node : graph.nodes) {
    if (!ids.insert(node.id).second) throw OutputError(fmt::format("GraphML: node id '{}' repeats", node.id));
  }
  for (const auto& edge : graph.edges) {
    for (const auto& end : {edge.source, edge.target}) {
      if (!ids.count(end)) throw OutputError(fmt::format("GraphML: an edge names node '{}', which the graph lacks", end));
    }
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" "
         "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
         "xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns "
         "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n";
  for (std::size_t i = 0; i < graph.node_fields.size(); ++i) {
    out << "  <key id=\"n" << i << "\" for=\"node\" attr.name=\"" << xml_escape(graph.node_fields[i].name)
        << "\" attr.type=\"" << graphml_type(graph.node_fields[i].type) << "\"/>\n";
  }
  for (std::size_t i = 0; i < graph.edge_fields.size(); ++i) {
    out << "  <key id=\"e" << i << "\" for=\"edge\" attr.name=\"" << xml_escape(graph.edge_fields[i].name)
        << "\" attr.type=\"" << graphml_type(graph.edge_fields[i].type) << "\"/>\n";
  }
  out << "  <graph id=\"G\" edgedefault=\"" << (graph.directed ? "directed" : "undirected") << "\">\n";
  for (const auto& node : graph.nodes) {
    out << "    <node id=\"" << xml_escape(node.id) << "\">\n";
    write_data(out, 'n', graph.node_fields, node.values, fmt::format("node '{}'", node.id));
    out << "    </node>\n";
  }
  for (std::size_t e = 0; e < graph.edges.size(); ++e) {
    const auto& edge = graph.edges[e];
    out << "    <edge id=\"e" << e << "\" source=\"" << xml_escape(edge.source) << "\" target=\"" << xml_escape(edge.target)
        << "\">\n";
    write_data(out, 'e', graph.edge_fields, edge.values, fmt::format("edge {}–{}", edge.source, edge.target));
    out << "    </edge>\n";
  }
  out << "  </graph>\n</graphml>\n";
}

void write_graphml(const std::filesystem::path& path, const Graph& graph) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw OutputError(fmt::format("cannot write {}", path.string()));
  write_graphml(graph, out);
  out.close();
  if (!out) throw OutputError(fmt::format("cannot write {}", path.string()));
}

}  // namespace twinrisk::io
