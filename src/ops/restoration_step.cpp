// restoration as a step: the reaches layer of river-reaches back into the kernel's reaches, grouped
// by river id and stream order; widths from a table; footprints streamed and kept near corridors.

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

#include "river_steps.hpp"
#include "twinrisk/core/spatial_index.hpp"
#include "twinrisk/ops/restoration.hpp"

namespace twinrisk::ops {
namespace {

constexpr std::size_t kBatch = 50000;

const std::vector<FieldDef> kCandidateFields = {
    {"municipality_id", FieldType::string}, {"municipality_name", FieldType::string},
    {"country", FieldType::string},         {"river_id", FieldType::string},
    {"area_m2", FieldType::real},           {"shared", FieldType::integer},
    {"partner_municipality_id", FieldType::string},
};
const std::vector<FieldDef> kByMunicipalityFields = {
    {"municipality_id", FieldType::string}, {"municipality_name", FieldType::string},
    {"country", FieldType::string},         {"area_m2", FieldType::real},
    {"shared_area_m2", FieldType::real},
};
const std::vector<FieldDef> kJointFields = {
    {"municipality_a", FieldType::string}, {"municipality_b", FieldType::string},
    {"country_a", FieldType::string},      {"country_b", FieldType::string},
    {"river_id", FieldType::string},       {"area_a_m2", FieldType::real},
    {"area_b_m2", FieldType::real},        {"cross_national", FieldType::integer},
};

std::vector<ParamSpec> restoration_parameters() {
  auto reaches = ParamSpec::layer("reaches", Role::features,
                                  "The reaches of river-reaches (fields river_id, order, municipality_id, border, "
                                  "partner_municipality_id, in_gap)")
                     .labelled("River reaches layer");
  reaches.geometry = GeometryFamily::line;
  auto footprints = ParamSpec::layer("footprints", Role::features,
                                     "Built-up areas and infrastructure to leave out (points, lines or polygons; "
                                     "read in batches, only those near a corridor are kept)")
                        .labelled("Footprint layers")
                        .list()
                        .optional();
  footprints.streamable = true;
  auto water = ParamSpec::layer("water", Role::features, "Existing water surfaces to leave out (polygons)")
                   .labelled("Water surface layers")
                   .list()
                   .optional();
  water.geometry = GeometryFamily::polygon;
  return {
      std::move(reaches),
      ParamSpec::layer("municipalities", Role::municipalities,
                       "Administrative units (polygons) with fields id, name and country")
          .labelled("Municipalities layer"),
      ParamSpec::number("width_m",
                        "Corridor width on each side of the river's centre line, for rivers whose order the width "
                        "table does not list",
                        30.0)
          .labelled("Corridor width (m)")
          .with_unit("m")
          .with_range(0.0, 10000.0),
      ParamSpec::table("width_by_order", Role::table,
                       "Width by stream order: a table with columns order and width_m (metres on each side)")
          .labelled("Width by stream order table")
          .optional(),
      std::move(footprints),
      ParamSpec::number("footprint_buffer_m", "Distance kept clear around every footprint (0: points and lines "
                                              "exclude nothing, polygons exclude themselves)",
                        0.0)
          .labelled("Footprint buffer (m)")
          .with_unit("m")
          .with_range(0.0, 10000.0),
      std::move(water),
      ParamSpec::layer("hazard", Role::hazard,
                       "When given, corridors are kept only inside these polygons (floodplain reconnection)")
          .labelled("Limit to hazard zones")
          .optional(),
  };
}

std::vector<OutputSpec> restoration_outputs() {
  return {
      OutputSpec{"restoration_candidates", OutputKind::layer, GeometryFamily::polygon,
                 "Corridor areas per municipality and river, minus footprints and water; shared = along a border "
                 "reach",
                 kCandidateFields}
          .labelled("Restoration candidates"),
      OutputSpec{"restoration_by_municipality", OutputKind::table, GeometryFamily::none,
                 "Per municipality: candidate area, and the part along border reaches", kByMunicipalityFields}
          .labelled("Restoration by municipality"),
      OutputSpec{"joint_restoration", OutputKind::table, GeometryFamily::none,
                 "Per municipality pair and border river: the restorable area on each side", kJointFields}
          .labelled("Joint restoration by pair"),
  };
}

double number_of(const Value& value, const Table& table, std::size_t row) {
  if (const auto* real = std::get_if<double>(&value)) return *real;
  if (const auto* integer = std::get_if<std::int64_t>(&value)) return static_cast<double>(*integer);
  const auto text = to_display_string(value);
  try {
    std::size_t used = 0;
    const double parsed = std::stod(text, &used);
    if (used == text.size()) return parsed;
  } catch (const std::exception&) {
  }
  throw InputError(fmt::format("width_m '{}' is not a number", text), steps::row_context(table, row),
                   "give the corridor width in metres on each side");
}

std::map<std::string, double> widths_by_order(const Table& table) {
  constexpr std::string_view kColumns = "columns order and width_m";
  const auto order = steps::required_column(table, "order", "width_by_order", kColumns);
  const auto width = steps::required_column(table, "width_m", "width_by_order", kColumns);
  std::map<std::string, double> out;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    Feature cell{0, nullptr, {table.rows[r][order]}};
    const auto key = key_text(cell, std::size_t{0});
    const double metres = number_of(table.rows[r][width], table, r);
    if (!(metres >= 0)) {
      throw InputError(fmt::format("stream order {} has width_m {}; a corridor width must be 0 or more", key, metres),
                       steps::row_context(table, r), "correct that row of the width table");
    }
    const auto [it, inserted] = out.try_emplace(key, metres);
    if (!inserted && it->second != metres) {
      throw InputError(fmt::format("stream order {} is listed twice, with widths {} and {}", key, it->second, metres),
                       steps::row_context(table, r), "keep one row per order");
    }
  }
  return out;
}

// The kernel groups reaches by river: one river per (river_id, order), so a river's pieces are
// buffered together and each takes its order's width. Its `rivers` carry only id and order.
Layer rivers_of(const Layer& reaches, RiverReachesResult& result) {
  const auto id_field = steps::required_field(reaches, "river_id", "reaches", "reaches layer of river-reaches");
  const auto order_field = reaches.field_index("order");
  Layer rivers;
  rivers.name = reaches.name;
  rivers.role = Role::rivers;
  rivers.fields = {{"id", FieldType::string}, {"order", FieldType::string}};
  std::map<std::pair<std::string, std::string>, std::size_t> river_of_key;
  for (auto& reach : result.reaches) {
    const auto& feature = reaches.features[reach.river];
    std::pair key{key_text(feature, id_field), key_text(feature, order_field)};
    const auto [it, inserted] = river_of_key.try_emplace(key, rivers.features.size());
    if (inserted) {
      rivers.features.push_back({feature.fid, nullptr, {key.first, key.second.empty() ? Value() : Value(key.second)}});
    }
    reach.river = it->second;
  }
  return rivers;
}

// Footprints near a corridor, read batch by batch: an OSM building layer need not fit in memory.
std::vector<Layer> footprints_near(const StepInput& input, const RiverReachesResult& reaches, double reach_margin_m) {
  std::vector<Layer> kept;
  if (!input.has("footprints")) return kept;
  std::vector<geos::Envelope> boxes;
  for (const auto& reach : reaches.reaches) {
    const auto e = geos::envelope(reach.geometry.get());
    boxes.push_back({e.min_x - reach_margin_m, e.min_y - reach_margin_m, e.max_x + reach_margin_m,
                     e.max_y + reach_margin_m});
  }
  const SpatialIndex near(boxes);
  const double buffer = input.number("footprint_buffer_m");
  for (FeatureSource* source : input.source_list("footprints")) {
    Layer layer;
    static_cast<LayerSchema&>(layer) = source->schema();
    for (auto batch = source->next_batch(kBatch); !batch.empty(); batch = source->next_batch(kBatch)) {
      for (const auto& feature : batch) {
        if (!feature.geometry || geos::is_empty(feature.geometry.get())) continue;
        const auto e = geos::envelope(feature.geometry.get());
        if (near.query({e.min_x - buffer, e.min_y - buffer, e.max_x + buffer, e.max_y + buffer}).empty()) continue;
        layer.features.push_back({feature.fid, geos::clone(feature.geometry.get()), {}});
      }
    }
    kept.push_back(std::move(layer));
  }
  return kept;
}

}  // namespace

Restoration::Restoration() : Algorithm(restoration_parameters(), restoration_outputs()) {}

std::string_view Restoration::help() const {
  return "Buffers the reaches of river-reaches by the river's width on each side (width_m, or the width of its "
         "stream order from width_by_order), cuts the corridors by municipality (overlaps counted once, in the "
         "municipality first in the layer; corridor area in no municipality is dropped) and removes footprints "
         "(buffered by footprint_buffer_m) and water surfaces; with hazard, keeps only what lies in the hazard "
         "polygons. Where corridors overlap (confluences, border reaches running into other reaches) each square "
         "metre is counted once: border reaches first. A candidate is shared when it lies along a border reach; "
         "joint_restoration gives, per municipality pair and river, the shared area on each side. Areas are square "
         "metres in the analysis CRS.";
}

std::vector<std::string> Restoration::tags() const {
  return {"restoration", "riparian", "corridor", "buffer", "river", "floodplain", "nature-based", "difference",
          "footprint", "municipal", "border river", "joint"};
}

StepOutput Restoration::run(const StepInput& input, Progress& progress) const {
  const Layer& reaches_layer = input.layer("reaches");
  const MunicipalityIndex index(input.layer("municipalities"));
  auto reaches = steps::reaches_from_layer(reaches_layer, index, "reaches");
  const Layer rivers = rivers_of(reaches_layer, reaches);

  RestorationOptions options;
  options.width_m = input.number("width_m");
  if (input.has("width_by_order")) options.width_by_order = widths_by_order(input.table("width_by_order"));
  options.footprint_buffer_m = input.number("footprint_buffer_m");
  double widest = *options.width_m;
  for (const auto& [order, width] : options.width_by_order) widest = std::max(widest, width);

  const auto footprints = footprints_near(input, reaches, widest);
  RestorationInputs inputs;
  for (const auto& layer : footprints) inputs.footprints.push_back(&layer);
  if (input.has("water")) inputs.water = input.layer_list("water");
  if (input.has("hazard")) inputs.hazard = &input.layer("hazard");

  auto river_text = [&](std::size_t river) { return std::get<std::string>(rivers.features[river].values[0]); };
  // The candidates stream to the output while later municipalities are worked on (peak memory at
  // 20k × 50k: 397 → 304 MB).
  FeatureSink& sink = *input.sink;
  sink.begin_layer(
      result_schema("restoration_candidates", GeometryFamily::polygon, input.analysis_crs_wkt, kCandidateFields));
  std::int64_t fid = 0;
  double candidate_area = 0;
  std::vector<Feature> features;
  auto write = [&](std::vector<RestorationCandidate>&& batch) {
    for (auto& c : batch) {
      Value partner;
      if (c.border) partner = index.id(c.border->first == c.municipality ? c.border->second : c.border->first);
      candidate_area += c.area_m2;
      features.push_back({++fid,
                          std::move(c.geometry),
                          {index.id(c.municipality), index.name(c.municipality), index.country(c.municipality),
                           river_text(c.river), c.area_m2, std::int64_t{c.border.has_value()}, partner}});
    }
    // Handed on in batches: the writer's cost is also per batch (a batch every four rows made the
    // run 8 % slower at 20k × 50k).
    if (features.size() >= 2048) sink.write(std::exchange(features, {}));
  };
  progress.start("restoration corridors", 1);
  auto result = restoration(rivers, reaches, index, inputs, options, write);
  progress.finish();
  if (!features.empty()) sink.write(std::move(features));
  sink.end_layer();

  Table by_municipality{"restoration_by_municipality", kByMunicipalityFields, {}};
  for (const auto& m : result.by_municipality) {
    by_municipality.rows.push_back({index.id(m.municipality), index.name(m.municipality), index.country(m.municipality),
                                    m.area_m2, m.shared_area_m2});
  }
  // A river id with reaches of two orders is two kernel rivers; its rows are added up.
  std::map<std::tuple<std::size_t, std::size_t, std::string>, std::pair<double, double>> joint;
  for (const auto& j : result.joint) {
    auto& [area_a, area_b] = joint[{j.a, j.b, river_text(j.river)}];
    area_a += j.area_a_m2;
    area_b += j.area_b_m2;
  }
  Table joint_table{"joint_restoration", kJointFields, {}};
  for (const auto& [key, areas] : joint) {
    const auto& [a, b, river] = key;
    joint_table.rows.push_back({index.id(a), index.id(b), index.country(a), index.country(b), river, areas.first,
                                areas.second, std::int64_t{index.cross_national(a, b)}});
  }

  StepOutput output;
  std::size_t footprint_count = 0;
  for (const auto& layer : footprints) footprint_count += layer.features.size();
  output.stats = {{"reaches", reaches_layer.features.size()},
                  {"candidates", fid},
                  {"candidate_area_m2", candidate_area},
                  {"corridor_area_m2", result.corridor_area_m2},
                  {"excluded_area_m2", result.excluded_area_m2},
                  {"outside_area_m2", result.outside_area_m2},
                  {"footprints_near_corridors", footprint_count}};
  output.tables.push_back(std::move(by_municipality));
  output.tables.push_back(std::move(joint_table));
  return output;
}

}  // namespace twinrisk::ops
