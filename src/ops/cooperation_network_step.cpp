// cooperation-network as a step: earlier steps' layers and tables back into the kernel's inputs,
// twinning rows checked one by one (an unknown id names its table and row), and the GraphML.

#include <fmt/format.h>

#include <map>

#include "river_steps.hpp"
#include "twinrisk/io/graphml.hpp"
#include "twinrisk/ops/cooperation_network.hpp"

namespace twinrisk::ops {
namespace {

const std::vector<FieldDef> kPairFields = {
    {"municipality_a", FieldType::string},  {"municipality_b", FieldType::string},
    {"name_a", FieldType::string},          {"name_b", FieldType::string},
    {"country_a", FieldType::string},       {"country_b", FieldType::string},
    {"shared_zones", FieldType::integer},   {"shared_hazard_area_m2", FieldType::real},
    {"shared_river_m", FieldType::real},    {"shared_basin_area_m2", FieldType::real},
    {"upstream", FieldType::string},        {"upstream_dependence", FieldType::real},
    {"score", FieldType::real},             {"twinned", FieldType::integer},
    {"suggested", FieldType::integer},      {"cross_national", FieldType::integer},
};

ParamSpec weight(std::string name, std::string label, std::string description, double default_value,
                 std::string unit) {
  return ParamSpec::number(std::move(name), std::move(description), default_value)
      .labelled(std::move(label))
      .with_unit(std::move(unit))
      .with_range(0.0, std::nullopt);
}

std::vector<ParamSpec> cooperation_parameters() {
  auto zone_parts = ParamSpec::layer("zone_parts", Role::features,
                                     "Zone parts of shared-zones (zone_id, municipality_id, area_m2): pairs whose parts "
                                     "of a zone touch share hazard")
                        .labelled("Zone parts layer")
                        .optional();
  zone_parts.geometry = GeometryFamily::polygon;
  auto membership = ParamSpec::layer("basin_membership", Role::features,
                                     "Basin pieces of basins (basin_id, municipality_id, area_m2): shared basin area")
                        .labelled("Basin pieces layer")
                        .optional();
  membership.geometry = GeometryFamily::polygon;
  return {
      ParamSpec::layer("municipalities", Role::municipalities,
                       "Administrative units (polygons) with fields id, name and country")
          .labelled("Municipalities layer"),
      std::move(zone_parts),
      ParamSpec::table("border_reaches", Role::table,
                       "border_reaches of river-reaches (municipality_a, municipality_b, river_id, shared_length_m)")
          .labelled("Border reaches table")
          .optional(),
      std::move(membership),
      ParamSpec::table("upstream_downstream", Role::table,
                       "upstream_downstream of basins (upstream_id, downstream_id, basins_between or "
                       "municipalities_between)")
          .labelled("Upstream/downstream table")
          .optional(),
      ParamSpec::table("twinning", Role::twinning, "Existing cooperation pairs: municipality ids in fields a and b")
          .labelled("Twinning pairs table")
          .optional(),
      ParamSpec::number("touching_tolerance_m",
                        "Zone parts of two municipalities at most this far apart touch (0: they share a point; "
                        "raise it where a gap between national datasets separates them)",
                        0.0)
          .labelled("Touching tolerance (m)")
          .with_unit("m")
          .with_range(0.0, 100000.0),
      weight("hazard_weight", "Hazard weight (per km²)",
             "Score per km2 of touching hazard zones (both parts' areas)", 1.0, "1/km2"),
      weight("river_weight", "River weight (per km)", "Score per km of border river", 1.0, "1/km"),
      weight("basin_weight", "Basin weight (per km²)",
             "Score per km2 of shared basin (the smaller of the two areas, per basin)", 0.01, "1/km2"),
      weight("upstream_weight", "Upstream link weight",
             "Score of a direct upstream link (upstream_dependence 1; 1/(1+between) beyond)", 0.5, ""),
      weight("min_score", "Minimum score to suggest", "A pair not twinned is suggested from this score", 1.0, ""),
      steps::integer_param("max_upstream_between",
                           "Upstream links with more basins or municipalities between them are left out", 3, 0.0, 1e9)
          .labelled("Maximum steps in an upstream link"),
  };
}

std::vector<OutputSpec> cooperation_outputs() {
  return {
      OutputSpec{"cooperation_edges", OutputKind::layer, GeometryFamily::line,
                 "A line between points on the surface of the two municipalities of each pair", kPairFields}
          .labelled("Cooperation edges"),
      OutputSpec{"cooperation_pairs", OutputKind::table, GeometryFamily::none,
                 "Municipality pairs by score: shared hazard, border river, basin, upstream link, twinned, "
                 "suggested",
                 kPairFields}
          .labelled("Cooperation pairs"),
      OutputSpec{"cooperation.graphml", OutputKind::file, GeometryFamily::none,
                 "The network for Gephi, networkx or igraph: municipalities as nodes (id, name, country, x, y), "
                 "pairs as edges"}
          .labelled("Cooperation network (GraphML)"),
  };
}

std::string cell_text(const Value& value) {
  Feature cell{0, nullptr, {value}};
  return key_text(cell, std::size_t{0});
}

// Every unknown id of the twinning table at once, each with its row.
std::vector<std::pair<std::string, std::string>> twinning_pairs(const Table& table, const MunicipalityIndex& index,
                                                                Progress& progress) {
  const auto a = steps::required_column(table, "a", "twinning", "columns a and b (municipality ids)");
  const auto b = steps::required_column(table, "b", "twinning", "columns a and b (municipality ids)");
  std::vector<std::pair<std::string, std::string>> pairs;
  std::vector<std::string> unknown;
  std::optional<std::size_t> first_bad;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const auto ida = cell_text(table.rows[r][a]), idb = cell_text(table.rows[r][b]);
    if (ida.empty() || idb.empty()) {
      progress.message(fmt::format("twinning '{}' row {}: a municipality id is empty; the row is left out", table.name,
                                   r + 1));
      continue;
    }
    for (const auto& id : {ida, idb}) {
      if (index.find(id)) continue;
      unknown.push_back(fmt::format("'{}' (row {})", id, r + 1));
      if (!first_bad) first_bad = r;
    }
    pairs.emplace_back(ida, idb);
  }
  if (first_bad) {
    throw InputError(fmt::format("twinning names {} that {} not a municipality id: {}",
                                 unknown.size() == 1 ? "an id" : "ids", unknown.size() == 1 ? "is" : "are",
                                 fmt::join(unknown, ", ")),
                     steps::row_context(table, *first_bad),
                     "twinning pairs use the municipalities' id field; correct or remove those rows");
  }
  return pairs;
}

std::vector<BasinArea> basin_areas_from_layer(const Layer& layer, const MunicipalityIndex& index) {
  constexpr std::string_view kMadeBy = "basin_membership layer of basins";
  const auto basin_field = steps::required_field(layer, "basin_id", "basin_membership", kMadeBy);
  const auto municipality_field = steps::required_field(layer, "municipality_id", "basin_membership", kMadeBy);
  const auto area_field = layer.field_index("area_m2");
  std::map<std::string, std::size_t> basin_key;
  std::vector<BasinArea> out;
  for (std::size_t f = 0; f < layer.features.size(); ++f) {
    const auto& feature = layer.features[f];
    const auto id = key_text(feature, municipality_field);
    if (id.empty()) continue;  // basin area in no municipality
    const auto group = steps::municipality_of(index, id, steps::feature_context(layer, f), "municipality_id");
    const auto basin = basin_key.try_emplace(key_text(feature, basin_field), basin_key.size()).first->second;
    double area = feature.geometry ? geos::area(feature.geometry.get()) : 0.0;
    if (area_field) {
      if (const auto* real = std::get_if<double>(&feature.values[*area_field])) area = *real;
    }
    out.push_back({basin, group, area});
  }
  return out;
}

std::vector<UpstreamPair> upstream_from_table(const Table& table, const MunicipalityIndex& index) {
  constexpr std::string_view kMadeBy = "upstream_downstream table of basins";
  const auto up = steps::required_column(table, "upstream_id", "upstream_downstream", kMadeBy);
  const auto down = steps::required_column(table, "downstream_id", "upstream_downstream", kMadeBy);
  std::vector<std::optional<std::size_t>> between_columns = {table.column_index("basins_between"),
                                                             table.column_index("municipalities_between")};
  std::vector<UpstreamPair> out;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    const auto where = steps::row_context(table, r);
    UpstreamPair pair{steps::municipality_of(index, cell_text(row[up]), where, "upstream_id"),
                      steps::municipality_of(index, cell_text(row[down]), where, "downstream_id"), 0};
    for (const auto column : between_columns) {
      if (!column) continue;
      const auto text = cell_text(row[*column]);
      if (text.empty()) continue;
      try {
        pair.between = std::stoll(text);
      } catch (const std::exception&) {
        throw InputError(fmt::format("{} '{}' is not a whole number", table.columns[*column].name, text), where);
      }
    }
    out.push_back(pair);
  }
  return out;
}

}  // namespace

CooperationNetwork::CooperationNetwork() : Algorithm(cooperation_parameters(), cooperation_outputs()) {}

std::string_view CooperationNetwork::help() const {
  return "Weighs every pair of municipalities by the risk they share: shared_zones and shared_hazard_area_m2 over "
         "the hazard zones in which their parts touch (zone_parts of shared-zones), shared_river_m along their "
         "border (border_reaches of river-reaches), shared_basin_area_m2 (over the basins both have area in, the "
         "smaller area; basin_membership of basins) and upstream_dependence = 1/(1 + between) of the nearer "
         "upstream link (upstream_downstream of basins). Any of these may be left out. score = hazard_weight x km2 "
         "of shared hazard + river_weight x km of border river + basin_weight x km2 of shared basin + "
         "upstream_weight x upstream_dependence. Pairs in twinning are twinned; a pair that is not and scores at "
         "least min_score is suggested. Writes the pairs as a table, as lines between points on the surface of the "
         "two municipalities, and as cooperation.graphml for network tools.";
}

std::vector<std::string> CooperationNetwork::tags() const {
  return {"cooperation", "network", "twinning", "partners", "pairs", "graph", "GraphML", "score", "shared risk",
          "upstream", "border river", "cross-border", "municipalities"};
}

StepOutput CooperationNetwork::run(const StepInput& input, Progress& progress) const {
  const MunicipalityIndex index(input.layer("municipalities"));
  CooperationInputs inputs;
  if (input.has("zone_parts")) {
    const auto parts = zone_parts_from_layer(input.layer("zone_parts"), index);
    inputs.shared_zones = touching_partners(parts, input.number("touching_tolerance_m"));
  }
  if (input.has("border_reaches")) {
    for (const auto& row : steps::border_rows_from_table(input.table("border_reaches"), index, "border_reaches")) {
      inputs.border_reaches.push_back(BorderShare{row.a, row.b, 0, row.shared_length_m, 0, 0, 0});
    }
  }
  if (input.has("basin_membership")) inputs.basin_areas = basin_areas_from_layer(input.layer("basin_membership"), index);
  if (input.has("upstream_downstream")) inputs.upstream = upstream_from_table(input.table("upstream_downstream"), index);
  if (input.has("twinning")) inputs.twinning = twinning_pairs(input.table("twinning"), index, progress);
  if (!input.has("zone_parts") && !input.has("border_reaches") && !input.has("basin_membership") &&
      !input.has("upstream_downstream")) {
    throw ConfigError("cooperation-network has nothing to weigh pairs by", {},
                      "give zone_parts, border_reaches, basin_membership or upstream_downstream");
  }
  CooperationWeights weights;
  weights.hazard_per_km2 = input.number("hazard_weight");
  weights.river_per_km = input.number("river_weight");
  weights.basin_per_km2 = input.number("basin_weight");
  weights.upstream = input.number("upstream_weight");
  weights.min_score = input.number("min_score");
  weights.max_upstream_between = input.integer("max_upstream_between");
  auto pairs = cooperation_network(index, inputs, weights);
  io::write_graphml(input.stage_file("cooperation.graphml"), cooperation_graph(index, pairs));

  Layer edges{result_schema("cooperation_edges", GeometryFamily::line, input.analysis_crs_wkt, kPairFields), {}};
  Table table{"cooperation_pairs", kPairFields, {}};
  std::int64_t suggested = 0, twinned = 0;
  for (auto& p : pairs) {
    std::vector<Value> values = {index.id(p.a),
                                 index.id(p.b),
                                 index.name(p.a),
                                 index.name(p.b),
                                 index.country(p.a),
                                 index.country(p.b),
                                 p.shared_zones,
                                 p.shared_hazard_area_m2,
                                 p.shared_river_m,
                                 p.shared_basin_area_m2,
                                 p.upstream == Upstream::none ? Value() : Value(std::string(to_string(p.upstream))),
                                 p.upstream_dependence,
                                 p.score,
                                 std::int64_t{p.twinned},
                                 std::int64_t{p.suggested},
                                 std::int64_t{p.cross_national}};
    suggested += p.suggested ? 1 : 0;
    twinned += p.twinned ? 1 : 0;
    table.rows.push_back(values);
    edges.features.push_back({static_cast<std::int64_t>(edges.features.size() + 1), std::move(p.edge), std::move(values)});
  }
  StepOutput output;
  output.stats = {{"pairs", table.rows.size()}, {"suggested", suggested}, {"twinned", twinned}};
  output.layers.push_back(std::move(edges));
  output.tables.push_back(std::move(table));
  return output;
}

}  // namespace twinrisk::ops
