#include "twinrisk/ops/apportion.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <map>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/spatial_index.hpp"
#include "twinrisk/ops/zone_parts.hpp"

namespace twinrisk::ops {
namespace {

constexpr std::size_t kBatchSize = 4096;

std::vector<ParamSpec> apportion_parameters() {
  auto source = ParamSpec::layer("source", Role::features,
                                 "Polygons with counts, such as census units; every field is kept; read batch by batch")
                    .labelled("Census units layer");
  source.geometry = GeometryFamily::polygon;
  source.streamable = true;
  auto fields = ParamSpec::texts("fields", "The count fields of source to apportion (population, jobs, dwellings)", {})
                    .labelled("Count fields");
  fields.default_value = nullptr;
  auto mask = ParamSpec::layer("mask", Role::features,
                               "Built-up area (polygons): counts go only where a source polygon meets it")
                  .labelled("Built-up mask layer")
                  .optional();
  mask.geometry = GeometryFamily::polygon;
  return {
      ParamSpec::layer("zone_parts", Role::zone_parts, "Zone parts from shared-zones").labelled("Zone parts layer"),
      source,
      fields,
      mask,
  };
}

std::vector<OutputSpec> apportion_outputs() {
  return {{"people_by_zone_part", OutputKind::table, GeometryFamily::none,
           "Per zone part: the apportioned counts (one column per field) and basis_area_m2, the source area (or "
           "built-up area) they were shared out by",
           {}, "People by zone part"}};
}

// What one source polygon gives each zone part: a share of its counts.
struct Shares {
  std::vector<std::pair<std::size_t, double>> parts;  // zone part, share of the polygon's basis
  bool masked = false;       // the basis is the built-up part of the polygon
  bool no_basis = false;     // zero area: nothing can be apportioned
  double basis_area = 0;
};

class Sharer {
 public:
  Sharer(const Layer& parts, const Layer* mask)
      : m_parts(parts), m_index(parts), m_mask(mask), m_mask_index(mask ? SpatialIndex(*mask) : SpatialIndex(Layer{})) {}

  Shares shares(const GEOSGeometry* polygon) const {
    Shares out;
    geos::GeomPtr owned;
    const GEOSGeometry* basis = polygon;
    if (m_mask) {
      std::vector<geos::GeomPtr> pieces;
      for (auto m : m_mask_index.query(geos::envelope(polygon))) {
        auto piece = geos::intersection(polygon, m_mask->features[m].geometry.get());
        auto polygons = geos::polygons_of(piece.get());
        for (auto& p : polygons) pieces.push_back(std::move(p));
      }
      if (!pieces.empty()) {
        owned = geos::unary_union(std::move(pieces));
        if (geos::area(owned.get()) > 0) {
          basis = owned.get();
          out.masked = true;
        }
      }
    }
    out.basis_area = geos::area(basis);
    if (!(out.basis_area > 0)) {
      out.no_basis = true;
      return out;
    }
    auto prepared = geos::prepare(basis);
    for (auto p : m_index.query(geos::envelope(basis))) {
      const auto* part = m_parts.features[p].geometry.get();
      if (!geos::intersects(prepared.get(), part)) continue;
      const double area = geos::area(geos::intersection(basis, part).get());
      if (area > 0) out.parts.emplace_back(p, area / out.basis_area);
    }
    return out;
  }

 private:
  const Layer& m_parts;
  SpatialIndex m_index;
  const Layer* m_mask;
  SpatialIndex m_mask_index;
};

double count_of(const Value& value, const std::string& field, const LayerSchema& schema, std::int64_t fid) {
  if (std::holds_alternative<std::monostate>(value)) return 0;
  if (const auto* d = std::get_if<double>(&value)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i);
  const auto& text = std::get<std::string>(value);
  try {
    std::size_t used = 0;
    const double number = std::stod(text, &used);
    if (used == text.size()) return number;
  } catch (const std::exception&) {
  }
  throw InputError(fmt::format("field '{}' holds '{}', which is not a count", field, text),
                   {{}, {}, schema.name, fid, {}}, "apportion numeric fields only");
}

}  // namespace

Apportion::Apportion() : Algorithm(apportion_parameters(), apportion_outputs()) {}

std::vector<std::string> Apportion::tags() const {
  return {"population", "areal weighting", "census", "dasymetric", "jobs"};
}

std::string_view Apportion::help() const {
  return "Shares the counts of source polygons (population, jobs, dwellings of census units) out to the zone parts "
         "of shared-zones in proportion to area: a zone part receives a unit's count times the share of the unit's "
         "area that lies in it. With a mask (built-up area), only the built-up part of each unit counts, so "
         "people are not placed in fields and forests; a unit that meets no built-up area falls back to its whole "
         "area (counted in the stats). Totals are conserved: per hazard class, what the zone parts receive plus "
         "what lies outside every zone equals the source total (both in the stats). Areas are taken in the "
         "equal-area analysis CRS; NULL counts count as 0.";
}

StepOutput Apportion::run(const StepInput& input, Progress& progress) const {
  const Layer& parts = input.layer("zone_parts");
  const auto infos = zone_part_infos(parts);
  const Layer* mask = input.has("mask") ? &input.layer("mask") : nullptr;
  FeatureSource& source = input.source("source");
  const LayerSchema& schema = source.schema();
  const auto fields = input.texts("fields");
  if (fields.empty()) throw ConfigError("fields is empty", {}, "name the count fields to apportion, e.g. [population]");
  std::vector<std::size_t> columns;
  for (const auto& field : fields) {
    const auto index = schema.field_index(field);
    if (!index) {
      std::vector<std::string> names;
      for (const auto& f : schema.fields) names.push_back(f.name);
      throw ConfigError(fmt::format("field '{}' not found in layer '{}' (fields: {})", field, schema.name,
                                    fmt::join(names, ", ")),
                        {{}, {}, schema.name, {}, {}}, "set fields to count fields of the source layer");
    }
    columns.push_back(*index);
  }
  const Sharer sharer(parts, mask);

  std::vector<std::vector<double>> received(parts.features.size(), std::vector<double>(fields.size(), 0.0));
  std::vector<double> basis(parts.features.size(), 0.0);
  std::vector<double> totals(fields.size(), 0.0), lost(fields.size(), 0.0);
  std::int64_t units = 0, unmasked = 0, no_basis = 0;
  for (auto batch = source.next_batch(kBatchSize); !batch.empty(); batch = source.next_batch(kBatchSize)) {
    std::vector<Shares> shares(batch.size());
    tbb::parallel_for(std::size_t{0}, batch.size(), [&](std::size_t i) {
      try {
        shares[i] = sharer.shares(batch[i].geometry.get());
      } catch (const Error& error) {
        throw Error(error.kind(), error.message(), {{}, {}, schema.name, batch[i].fid, {}}, error.hint());
      }
    });
    for (std::size_t i = 0; i < batch.size(); ++i) {
      ++units;
      std::vector<double> counts;
      for (std::size_t k = 0; k < fields.size(); ++k) {
        counts.push_back(count_of(batch[i].values[columns[k]], fields[k], schema, batch[i].fid));
        totals[k] += counts[k];
      }
      if (mask && !shares[i].masked) ++unmasked;
      if (shares[i].no_basis) {
        ++no_basis;
        for (std::size_t k = 0; k < fields.size(); ++k) lost[k] += counts[k];
        if (no_basis <= 20) {
          progress.message(fmt::format("apportion: layer '{}', feature {} has no area; its counts cannot be shared out",
                                       schema.name, batch[i].fid));
        }
        continue;
      }
      for (const auto& [p, share] : shares[i].parts) {
        basis[p] += share * shares[i].basis_area;
        for (std::size_t k = 0; k < fields.size(); ++k) received[p][k] += share * counts[k];
      }
    }
  }

  std::vector<FieldDef> columns_out = {{"zone_id", FieldType::integer},         {"class", FieldType::string},
                                       {"municipality_id", FieldType::string},  {"municipality_name", FieldType::string},
                                       {"country", FieldType::string},          {"basis_area_m2", FieldType::real}};
  for (const auto& field : fields) columns_out.push_back({field, FieldType::real});
  Table table{"people_by_zone_part", columns_out, {}};
  std::map<Value, std::vector<double>> per_class;
  for (std::size_t p = 0; p < parts.features.size(); ++p) {
    const auto& info = infos[p];
    std::vector<Value> row = {info.zone_id, class_text(info.class_value), info.municipality_id, info.municipality_name,
                              info.country, basis[p]};
    auto& sums = per_class[info.class_value];
    sums.resize(fields.size(), 0.0);
    for (std::size_t k = 0; k < fields.size(); ++k) {
      row.emplace_back(received[p][k]);
      sums[k] += received[p][k];
    }
    table.rows.push_back(std::move(row));
  }

  StepOutput output;
  auto by_field = nlohmann::json::object();
  for (std::size_t k = 0; k < fields.size(); ++k) {
    auto classes = nlohmann::json::object();
    for (const auto& [class_value, sums] : per_class) {
      classes[to_display_string(class_value)] = {{"in_zones", sums[k]}, {"outside_zones", totals[k] - lost[k] - sums[k]}};
    }
    by_field[fields[k]] = {{"source_total", totals[k]}, {"without_area", lost[k]}, {"classes", classes}};
  }
  output.stats = {{"source_units", units}, {"units_without_built_up_area", unmasked},
                  {"units_without_area", no_basis}, {"fields", by_field}};
  output.tables.push_back(std::move(table));
  return output;
}

}  // namespace twinrisk::ops
