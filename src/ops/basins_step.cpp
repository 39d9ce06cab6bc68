// basins as a step: the basin relation from HydroBASINS-style topology, or the river relation from
// the reaches of river-reaches.

#include <fmt/format.h>

#include "river_steps.hpp"
#include "twinrisk/ops/basins.hpp"
#include "twinrisk/ops/flow_direction.hpp"

namespace twinrisk::ops {
namespace {

const std::vector<FieldDef> kMembershipFields = {
    {"basin_id", FieldType::string},        {"next_down", FieldType::string},
    {"municipality_id", FieldType::string}, {"municipality_name", FieldType::string},
    {"country", FieldType::string},         {"area_m2", FieldType::real},
    {"share_of_basin", FieldType::real},    {"share_of_municipality", FieldType::real},
};
const std::vector<FieldDef> kUpstreamFields = {
    {"upstream_id", FieldType::string},        {"downstream_id", FieldType::string},
    {"upstream_name", FieldType::string},      {"downstream_name", FieldType::string},
    {"upstream_country", FieldType::string},   {"downstream_country", FieldType::string},
    {"basins_between", FieldType::integer},    {"municipalities_between", FieldType::integer},
    {"cross_national", FieldType::integer},
};

std::vector<ParamSpec> basins_parameters() {
  auto reaches = ParamSpec::layer("reaches", Role::features,
                                  "Without basins: the reaches of river-reaches (fields municipality_id, border, "
                                  "partner_municipality_id, in_gap, flow), whose directed network gives the relation")
                     .labelled("River reaches layer")
                     .optional();
  reaches.geometry = GeometryFamily::line;
  return {
      ParamSpec::layer("municipalities", Role::municipalities,
                       "Administrative units (polygons) with fields id, name and country")
          .labelled("Municipalities layer"),
      ParamSpec::layer("basins", Role::basins,
                       "Basin polygons with fields id and next_down (the basin drained into; 0 or empty: an outlet), "
                       "e.g. HydroBASINS: id: HYBAS_ID, next_down: NEXT_DOWN")
          .labelled("Basins layer")
          .optional(),
      std::move(reaches),
      ParamSpec::number("min_area_m2",
                        "A municipality's piece of a basin smaller than this does not make it a member for the "
                        "upstream relation (slivers where outlines disagree)",
                        0.0)
          .labelled("Minimum basin piece area (m²)")
          .with_unit("m2")
          .with_range(0.0, std::nullopt),
      steps::integer_param("max_between",
                           "Upstream pairs with more basins (from reaches: municipalities) between them are left out; "
                           "the full relation grows with the square of a main stem's length",
                           10, 0.0, 1e9)
          .labelled("Maximum steps between a pair"),
      ParamSpec::number("snap_m",
                        "From reaches: a reach's downstream end within this distance of another reach flows into it",
                        1.0)
          .labelled("Reach snapping distance (m)")
          .with_unit("m")
          .with_range(0.0, 10000.0),
  };
}

std::vector<OutputSpec> basins_outputs() {
  return {
      OutputSpec{"basin_membership", OutputKind::layer, GeometryFamily::polygon,
                 "Each basin cut by municipality, with areas and shares; area in no municipality has an empty "
                 "municipality_id",
                 kMembershipFields}
          .labelled("Basin pieces by municipality"),
      OutputSpec{"upstream_downstream", OutputKind::table, GeometryFamily::none,
                 "Directed pairs: upstream_id drains into downstream_id (basins_between, or municipalities_between "
                 "from reaches)",
                 kUpstreamFields}
          .labelled("Upstream/downstream pairs"),
  };
}

Value text_or_null(const std::string& text) { return text.empty() ? Value() : Value(text); }

}  // namespace

Basins::Basins() : Algorithm(basins_parameters(), basins_outputs()) {}

std::string_view Basins::help() const {
  return "With a basin layer (HydroBASINS-style: each basin names the basin it drains into in next_down; 0 or "
         "empty is an outlet): cuts every basin by the municipalities (basin_membership, area and shares; overlaps "
         "counted once, in the municipality first in the layer), and makes A upstream of B when A has area in a "
         "basin that drains, through one or more next_down steps, into a basin where B has area (basins_between: "
         "the fewest basins strictly between). Without basins, the relation comes from the reaches of "
         "river-reaches: water passes reach by reach downstream (a reach's downstream end within snap_m of another "
         "reach flows into it), and A is upstream of B when water leaving A's reaches is handed to B "
         "(municipalities_between: the hand-overs before that one); a river forming the A | B border makes neither "
         "upstream of the other. A next_down naming no basin, a cycle, a duplicate or missing id is an error naming "
         "the basin.";
}

std::vector<std::string> Basins::tags() const {
  return {"basin", "basins", "catchment", "watershed", "HydroBASINS", "upstream", "downstream", "drainage",
          "river", "municipal", "municipalities", "cross-border"};
}

StepOutput Basins::run(const StepInput& input, Progress& progress) const {
  const Layer& municipalities = input.layer("municipalities");
  const bool has_basins = input.has("basins"), has_reaches = input.has("reaches");
  if (has_basins == has_reaches) {
    throw ConfigError(has_basins ? "basins and reaches are both given" : "neither basins nor reaches is given", {},
                      "give basins (polygons with id and next_down), or, without basin data, the reaches of "
                      "river-reaches");
  }
  const MunicipalityIndex index(municipalities);
  const auto max_between = input.integer("max_between");
  Layer membership{result_schema("basin_membership", GeometryFamily::polygon, input.analysis_crs_wkt, kMembershipFields),
                   {}};
  Table upstream{"upstream_downstream", kUpstreamFields, {}};
  auto add_pair = [&](const UpstreamPair& pair, bool from_basins) {
    const Value between = pair.between;
    upstream.rows.push_back({index.id(pair.upstream), index.id(pair.downstream), text_or_null(index.name(pair.upstream)),
                             text_or_null(index.name(pair.downstream)), text_or_null(index.country(pair.upstream)),
                             text_or_null(index.country(pair.downstream)), from_basins ? between : Value(),
                             from_basins ? Value() : between,
                             std::int64_t{index.cross_national(pair.upstream, pair.downstream)}});
  };
  StepOutput output;
  if (has_basins) {
    const Layer& basins = input.layer("basins");
    const auto network = basin_network(basins);
    progress.start("basin membership", 1);
    auto pieces = basin_membership(basins, index);
    progress.finish();
    std::int64_t fid = 0;
    for (auto& piece : pieces) {
      const auto b = piece.basin;
      const Value next = network.next_down[b] ? Value(network.id[*network.next_down[b]]) : Value();
      Feature feature{++fid, std::move(piece.geometry), {}};
      if (piece.municipality) {
        const auto m = *piece.municipality;
        feature.values = {network.id[b], next, index.id(m), text_or_null(index.name(m)), text_or_null(index.country(m)),
                          piece.area_m2, piece.share_of_basin,
                          piece.share_of_municipality ? Value(*piece.share_of_municipality) : Value()};
      } else {
        feature.values = {network.id[b], next, std::string(), Value(), Value(), piece.area_m2, piece.share_of_basin,
                          Value()};
      }
      membership.features.push_back(std::move(feature));
    }
    for (const auto& pair : upstream_from_basins(network, pieces, input.number("min_area_m2"), max_between)) {
      add_pair(pair, true);
    }
    output.stats["basins"] = basins.features.size();
  } else {
    const Layer& reaches = input.layer("reaches");
    const auto result = steps::reaches_from_layer(reaches, index, "reaches");
    const auto directions =
        reaches.field_index("flow") ? flow_from_field(reaches, "flow") : flow_from_vertex_order(reaches);
    for (const auto& pair : upstream_from_rivers(reaches, result, directions, input.number("snap_m"), max_between)) {
      add_pair(pair, false);
    }
    output.stats["reaches"] = reaches.features.size();
  }
  output.stats["basin_pieces"] = membership.features.size();
  output.stats["upstream_pairs"] = upstream.rows.size();
  output.layers.push_back(std::move(membership));
  output.tables.push_back(std::move(upstream));
  return output;
}

}  // namespace twinrisk::ops
