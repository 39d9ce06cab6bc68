// river-reaches as a step: binds the kernel's length to ellipsoidal or planar measure, the flow
// direction to vertex order, a field or a DEM, and writes the three contract outputs.

#include <ogr_spatialref.h>
#include <fmt/format.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>

#include "river_steps.hpp"
#include "twinrisk/io/gdal.hpp"
#include "twinrisk/io/raster.hpp"
#include "twinrisk/ops/flow_direction.hpp"
#include "twinrisk/ops/raster_sampling.hpp"
#include "twinrisk/ops/river_reaches.hpp"

namespace twinrisk::ops {
namespace {

const std::vector<FieldDef> kReachFields = {
    {"river_id", FieldType::string},          {"river_name", FieldType::string},
    {"order", FieldType::integer},            {"municipality_id", FieldType::string},
    {"municipality_name", FieldType::string}, {"country", FieldType::string},
    {"length_m", FieldType::real},            {"border", FieldType::integer},
    {"partner_municipality_id", FieldType::string}, {"partner_country", FieldType::string},
    {"cross_national", FieldType::integer},   {"in_gap", FieldType::integer},
    {"flow", FieldType::string},
};
const std::vector<FieldDef> kBorderFields = {
    {"municipality_a", FieldType::string}, {"municipality_b", FieldType::string},
    {"country_a", FieldType::string},      {"country_b", FieldType::string},
    {"river_id", FieldType::string},       {"river_name", FieldType::string},
    {"shared_length_m", FieldType::real},  {"cross_national", FieldType::integer},
    {"in_a_m", FieldType::real},           {"in_b_m", FieldType::real},
    {"in_gap_m", FieldType::real},
};
const std::vector<FieldDef> kByMunicipalityFields = {
    {"municipality_id", FieldType::string}, {"municipality_name", FieldType::string},
    {"country", FieldType::string},         {"river_length_m", FieldType::real},
    {"border_length_m", FieldType::real},
};

std::vector<ParamSpec> river_reaches_parameters() {
  return {
      ParamSpec::layer("rivers", Role::rivers,
                       "River lines with optional fields id, name, order (stream order) and flow (direction)")
          .labelled("Rivers layer"),
      ParamSpec::layer("municipalities", Role::municipalities,
                       "Administrative units (polygons) with fields id, name and country")
          .labelled("Municipalities layer"),
      ParamSpec::number("tolerance_m",
                        "How far apart a river and two municipalities' outlines may lie for the river to count as "
                        "their border: national datasets disagree by 0.2-2 km",
                        500.0)
          .labelled("Border tolerance (m)")
          .with_unit("m")
          .with_range(0.0, 100000.0),
      steps::enum_param("measure",
                        "Lengths on the ellipsoid (geodesics, as QGIS measures) or in the plane of the analysis CRS",
                        {"ellipsoidal", "planar"})
          .labelled("Length measure"),
      steps::enum_param("flow",
                        "Which way the rivers flow: along their vertex order, by their flow field (1/forward, "
                        "-1/reverse, 0/unknown), or from the DEM (higher end upstream)",
                        {"vertex_order", "field", "dem"})
          .labelled("Flow direction from"),
      ParamSpec::raster("dem", "Elevation raster for flow: dem (band 1, any CRS)")
          .labelled("Elevation raster (DEM)")
          .optional(),
      ParamSpec::number("min_drop_m",
                        "flow: dem: a line whose ends differ by no more than this has an unknown direction", 0.0)
          .labelled("Minimum elevation drop (m)")
          .with_unit("m")
          .with_range(0.0, std::nullopt),
  };
}

std::vector<OutputSpec> river_reaches_outputs() {
  return {
      OutputSpec{"reaches", OutputKind::layer, GeometryFamily::line,
                 "Rivers split at municipal boundaries; border reaches name the municipality across the border",
                 kReachFields}
          .labelled("River reaches"),
      OutputSpec{"border_reaches", OutputKind::table, GeometryFamily::none,
                 "Per municipality pair and river: the river length along their border", kBorderFields}
          .labelled("Border reaches by pair"),
      OutputSpec{"reaches_by_municipality", OutputKind::table, GeometryFamily::none,
                 "Per municipality: river length inside it, and how much of that is border", kByMunicipalityFields}
          .labelled("River length by municipality"),
  };
}

// Elevation at analysis-CRS points, read from the DEM in its own CRS; one transformation per thread.
class DemElevation {
 public:
  DemElevation(const RasterInfo& dem, const std::string& analysis_crs_wkt)
      : m_raster(std::make_shared<io::RasterSource>(dem.source)),
        m_transforms(std::make_shared<tbb::enumerable_thread_specific<Transform>>(
            [crs = analysis_crs_wkt, raster = m_raster->info().crs_wkt] { return Transform(crs, raster); })) {}

  ElevationFunction function() const {
    return [raster = m_raster, transforms = m_transforms](double x, double y) -> std::optional<double> {
      auto& transform = transforms->local();
      if (transform.to_raster && !transform.to_raster->Transform(1, &x, &y)) return std::nullopt;
      const geos::XY point{x, y};
      return point_values(std::span(&point, 1), *raster).front();
    };
  }

 private:
  struct Transform {
    Transform(const std::string& from_wkt, const std::string& to_wkt) {
      OGRSpatialReference from, to;
      from.importFromWkt(from_wkt.c_str());
      to.importFromWkt(to_wkt.c_str());
      from.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
      to.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
      if (!from.IsSame(&to)) to_raster.reset(OGRCreateCoordinateTransformation(&from, &to));
    }
    std::shared_ptr<OGRCoordinateTransformation> to_raster;
  };
  std::shared_ptr<io::RasterSource> m_raster;
  std::shared_ptr<tbb::enumerable_thread_specific<Transform>> m_transforms;
};

FlowDirections flow_directions(const StepInput& input, const Layer& rivers) {
  const auto flow = input.text("flow");
  if (flow == "field") {
    if (!rivers.field_index("flow")) {
      throw ConfigError("flow: field needs the rivers' role field 'flow'", {{}, {}, rivers.name, {}, {}},
                        "map it in the layer definition: fields: { flow: YOUR_DIRECTION_FIELD }");
    }
    return flow_from_field(rivers, "flow");
  }
  if (flow == "dem") {
    if (!input.has("dem")) throw ConfigError("flow: dem needs a dem raster", {}, "give dem: NAME of a raster layer");
    const DemElevation elevation(input.raster("dem"), input.analysis_crs_wkt);
    return flow_from_elevation(rivers, elevation.function(), input.number("min_drop_m"));
  }
  if (input.has("dem")) {
    throw ConfigError(fmt::format("a dem is given but flow is {}", flow), {}, "set flow: dem to use it");
  }
  return flow_from_vertex_order(rivers);
}

// Stream order as a whole number (Strahler, Shreve, HydroRIVERS ORD_STRA), NULL when absent.
Value order_value(const Layer& rivers, std::size_t river) {
  const auto field = rivers.field_index("order");
  if (!field) return {};
  const auto& value = rivers.features[river].values[*field];
  if (std::holds_alternative<std::monostate>(value)) return {};
  const auto text = key_text(rivers.features[river], field);
  std::int64_t order = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), order);
  if (text.empty()) return {};
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw InputError(fmt::format("stream order '{}' is not a whole number", text), steps::feature_context(rivers, river),
                     "map fields.order to a field of whole numbers (Strahler order), or leave it out");
  }
  return order;
}

Value text_or_null(const std::string& text) { return text.empty() ? Value() : Value(text); }

}  // namespace

RiverReaches::RiverReaches() : Algorithm(river_reaches_parameters(), river_reaches_outputs()) {}

std::string_view RiverReaches::help() const {
  return "Splits the rivers where they cross municipal boundaries; every metre of river is in one reach, held by "
         "the municipality it lies in (the first in the layer where municipalities overlap) or by none. A border "
         "reach is a stretch that runs along the border of two municipalities: within tolerance_m of both outlines, "
         "lying in one of them or in the gap between them, and following the border rather than crossing it "
         "(progress along the border of at least 2 x tolerance_m). It names the municipality across the border "
         "(partner_municipality_id); a border reach in the gap between two outlines goes to the nearer one and has "
         "in_gap 1. border_reaches gives, per municipality pair and river, the length along their border; "
         "reaches_by_municipality the river length inside each municipality (gaps excluded) and the border part of "
         "it. Lengths are metres on the ellipsoid (or in the plane with measure: planar). Each reach is drawn "
         "downstream where the flow direction is known (flow 'downstream'), else in the river's vertex order "
         "(flow 'unknown').";
}

std::vector<std::string> RiverReaches::tags() const {
  return {"river", "rivers", "reaches", "border", "border river", "cross-border", "boundary", "split", "length",
          "municipal", "municipalities", "flow", "tolerance"};
}

StepOutput RiverReaches::run(const StepInput& input, Progress& progress) const {
  const Layer& rivers = input.layer("rivers");
  const Layer& municipalities = input.layer("municipalities");
  const auto method = *measure_method_from_name(input.text("measure"));
  const auto directions = flow_directions(input, rivers);

  progress.start("river reaches", 1);
  const MunicipalityIndex index(municipalities);
  RiverReachesOptions options;
  options.tolerance_m = input.number("tolerance_m");
  options.length = steps::length_function(input.analysis_crs_wkt, method);
  auto result = river_reaches(rivers, index, options);
  progress.finish();

  std::vector<Value> order(rivers.features.size());
  for (std::size_t r = 0; r < rivers.features.size(); ++r) order[r] = order_value(rivers, r);
  const auto name_field = rivers.field_index("name");
  auto river_name = [&](std::size_t r) { return text_or_null(key_text(rivers.features[r], name_field)); };

  Layer reaches{result_schema("reaches", GeometryFamily::line, input.analysis_crs_wkt, kReachFields), {}};
  reaches.features.resize(result.reaches.size());
  tbb::parallel_for(std::size_t{0}, result.reaches.size(), [&](std::size_t k) {
    auto& reach = result.reaches[k];
    const auto direction = directions.at(reach.river).at(reach.part);
    auto geometry = std::move(reach.geometry);
    if (direction == FlowDirection::reverse) {
      auto points = geos::coordinates(geometry.get());
      std::reverse(points.begin(), points.end());
      geometry = geos::line_string(points);
    }
    // A border reach in a gap is held by no municipality; it goes to the bank it is nearer to.
    const std::optional<std::size_t> bank = reach.border ? std::optional(reach.border->side) : reach.municipality;
    const bool in_gap = reach.border && !reach.municipality;
    Value partner, partner_country;
    std::int64_t cross_national = 0;
    if (reach.border) {
      partner = index.id(reach.border->partner);
      partner_country = index.country(reach.border->partner);
      cross_national = index.cross_national(reach.border->side, reach.border->partner) ? 1 : 0;
    }
    reaches.features[k] = Feature{
        static_cast<std::int64_t>(k + 1),
        std::move(geometry),
        {river_id(rivers, reach.river), river_name(reach.river), order[reach.river],
         bank ? index.id(*bank) : std::string(), bank ? Value(index.name(*bank)) : Value(),
         bank ? Value(index.country(*bank)) : Value(), reach.length_m, std::int64_t{reach.border.has_value()}, partner,
         partner_country, cross_national, std::int64_t{in_gap},
         std::string(direction == FlowDirection::unknown ? "unknown" : "downstream")}};
  });

  // One row per pair and river id: a river cut into several features is one river.
  std::map<std::tuple<std::size_t, std::size_t, std::string>, std::pair<BorderShare, std::size_t>> shares;
  for (const auto& share : result.border_reaches) {
    auto [it, inserted] = shares.try_emplace({share.a, share.b, river_id(rivers, share.river)}, share, share.river);
    if (inserted) continue;
    auto& total = it->second.first;
    total.shared_length_m += share.shared_length_m;
    total.in_a_m += share.in_a_m;
    total.in_b_m += share.in_b_m;
    total.in_gap_m += share.in_gap_m;
  }
  Table border{"border_reaches", kBorderFields, {}};
  for (const auto& [key, entry] : shares) {
    const auto& [share, first_river] = entry;
    border.rows.push_back({index.id(share.a), index.id(share.b), index.country(share.a), index.country(share.b),
                           std::get<2>(key), river_name(first_river), share.shared_length_m,
                           std::int64_t{index.cross_national(share.a, share.b)}, share.in_a_m, share.in_b_m,
                           share.in_gap_m});
  }
  Table by_municipality{"reaches_by_municipality", kByMunicipalityFields, {}};
  for (const auto& m : result.by_municipality) {
    by_municipality.rows.push_back({index.id(m.municipality), index.name(m.municipality), index.country(m.municipality),
                                    m.river_length_m, m.border_length_m});
  }

  StepOutput output;
  double cross_national_m = 0;
  for (const auto& row : border.rows) {
    if (std::get<std::int64_t>(row[7]) == 1) cross_national_m += std::get<double>(row[6]);
  }
  output.stats = {{"rivers", rivers.features.size()},
                  {"reaches", reaches.features.size()},
                  {"border_pairs", border.rows.size()},
                  {"river_length_m", result.river_length_m},
                  {"outside_length_m", result.outside_length_m},
                  {"border_length_m", result.border_length_m},
                  {"cross_national_border_length_m", cross_national_m},
                  {"crossing_length_m", result.crossing_length_m}};
  output.layers.push_back(std::move(reaches));
  output.tables.push_back(std::move(border));
  output.tables.push_back(std::move(by_municipality));
  return output;
}

}  // namespace twinrisk::ops
