#include "twinrisk/ops/shared_zones.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "twinrisk/core/error.hpp"
#include "twinrisk/ops/touching_partners.hpp"
#include "twinrisk/ops/zone_cut.hpp"

namespace twinrisk::ops {
namespace {

// Overlapping boundaries from two sources can touch every zone; the manifest has the totals.
constexpr std::int64_t kMaxOverlapMessages = 50;

const std::vector<FieldDef> kZoneFields = {
    {"zone_id", FieldType::integer},        {"class", FieldType::string},
    {"area_m2", FieldType::real},           {"n_municipalities", FieldType::integer},
    {"n_countries", FieldType::integer},    {"cross_border", FieldType::integer},
    {"cross_national", FieldType::integer}, {"municipalities", FieldType::string},
    {"countries", FieldType::string},       {"outside_area_m2", FieldType::real},
    {"dropped_area_m2", FieldType::real},
};
const std::vector<FieldDef> kPartFields = {
    {"zone_id", FieldType::integer},        {"class", FieldType::string},
    {"municipality_id", FieldType::string}, {"municipality_name", FieldType::string},
    {"country", FieldType::string},         {"area_m2", FieldType::real},
    {"share_of_zone", FieldType::real},     {"share_of_municipality", FieldType::real},
};
const std::vector<FieldDef> kZoneSummaryFields = {
    {"class", FieldType::string},           {"zones", FieldType::integer},
    {"area_m2", FieldType::real},           {"cross_border_zones", FieldType::integer},
    {"cross_border_area_m2", FieldType::real}, {"cross_national_zones", FieldType::integer},
    {"cross_national_area_m2", FieldType::real}, {"outside_area_m2", FieldType::real},
};
const std::vector<FieldDef> kMunicipalitySummaryFields = {
    {"municipality_id", FieldType::string}, {"municipality_name", FieldType::string},
    {"country", FieldType::string},         {"class", FieldType::string},
    {"hazard_area_m2", FieldType::real},    {"share_of_municipality", FieldType::real},
    {"zones", FieldType::integer},          {"cross_border_zones", FieldType::integer},
    {"partner_municipalities", FieldType::string}, {"n_partners", FieldType::integer},
};

// The class as written out: its text, or NULL where the source had none (not an empty string,
// which would be a class of its own).
Value class_output(const Value& class_value) {
  if (std::holds_alternative<std::monostate>(class_value)) return {};
  return to_display_string(class_value);
}

// Items already escaped as list items (MunicipalityTable::list_id), so the list is unambiguous.
template <typename Strings>
std::string join(const Strings& escaped) {
  return fmt::format("{}", fmt::join(escaped, ";"));
}

}  // namespace

namespace {

std::vector<ParamSpec> shared_zones_parameters() {
  return {
      ParamSpec::layer("municipalities", Role::municipalities,
                       "Administrative units (polygons) with fields id, name and country")
          .labelled("Municipalities layer"),
      ParamSpec::layer("hazard", Role::hazard, "Hazard polygons with an optional class field").labelled("Hazard layer"),
      ParamSpec::number("min_area_m2",
                        "Zone parts smaller than this are counted as slivers and left out of the parts and "
                        "municipality lists (0 keeps every part)",
                        0.0)
          .labelled("Minimum part area (m²)")
          .with_unit("m2")
          .with_range(0.0, std::nullopt),
  };
}

std::vector<OutputSpec> shared_zones_outputs() {
  return {
      OutputSpec{"zones", OutputKind::layer, GeometryFamily::polygon,
                 "Connected hazard zones per class, with the municipalities and countries they touch", kZoneFields}
          .labelled("Shared zones"),
      OutputSpec{"zone_parts", OutputKind::layer, GeometryFamily::polygon,
                 "Each zone cut by municipality; area outside every municipality has an empty municipality_id",
                 kPartFields}
          .labelled("Zone parts by municipality"),
      OutputSpec{"zone_summary", OutputKind::table, GeometryFamily::none,
                 "Per hazard class: zones, areas, cross-border totals", kZoneSummaryFields}
          .labelled("Summary by hazard class"),
      OutputSpec{"municipality_summary", OutputKind::table, GeometryFamily::none,
                 "Per municipality and class: hazard area, share, zones, and the partner municipalities whose "
                 "parts of its zones touch its own",
                 kMunicipalitySummaryFields}
          .labelled("Summary by municipality"),
  };
}

}  // namespace

SharedZones::SharedZones() : Algorithm(shared_zones_parameters(), shared_zones_outputs()) {}

std::string_view SharedZones::help() const {
  return "Dissolves the hazard polygons of each class into connected zones (overlapping or touching "
         "polygons merge; polygons of different classes never do), then cuts every zone by the "
         "municipalities. A zone is cross_border when its parts lie in two or more municipalities and "
         "cross_national when those are in two or more countries. Hazard area outside every "
         "municipality is kept as a part with an empty municipality_id, so the parts of a zone always "
         "add up to the zone. Where municipalities overlap, the shared area is counted once, in the "
         "municipality that comes first in its layer, and the overlap is reported. Areas are square "
         "metres in the analysis CRS. Lists of ids (municipalities, countries, partner_municipalities) "
         "are joined with ';'; a ';' or '\\' inside an id is escaped with '\\'. Rows that share an id "
         "are one municipality and must agree on its name and country.";
}

std::vector<std::string> SharedZones::tags() const {
  return {"flood", "hazard", "risk", "zones", "shared", "cross-border", "border", "cross-national", "municipal",
          "municipalities", "dissolve", "overlay", "intersection", "twinning", "cooperation"};
}

StepOutput SharedZones::run(const StepInput& input, Progress& progress) const {
  const Layer& municipalities = input.layer("municipalities");
  const Layer& hazard = input.layer("hazard");
  const double min_area_m2 = input.number("min_area_m2");

  // 1. Zones per class, each cut by the municipalities.
  const auto table = municipality_table(municipalities);
  // Named references, not a structured binding: clang 14 cannot capture those in a lambda.
  const auto& id_text = table.id;
  const auto& name_text = table.name;
  const auto& country_text = table.country;
  const auto& list_id = table.list_id;
  const auto& list_country = table.list_country;
  const auto& municipality_area = table.area;
  auto [zones, cuts, unclassed] = dissolve_and_cut(hazard, municipalities, table, progress);
  if (unclassed > 0) {
    progress.message(fmt::format("{} hazard polygons have no class; they form a class of their own (NULL)", unclassed));
  }

  // 2. Assemble layers and tables in zone order, so output never depends on thread timing.
  Layer zone_layer{result_schema("zones", GeometryFamily::polygon, input.analysis_crs_wkt, kZoneFields), {}};
  Layer part_layer{result_schema("zone_parts", GeometryFamily::polygon, input.analysis_crs_wkt, kPartFields), {}};
  struct ClassTotals {
    std::int64_t zones = 0, cross_border = 0, cross_national = 0;
    double area = 0, cross_border_area = 0, cross_national_area = 0, outside_area = 0;
  };
  std::map<Value, ClassTotals> class_totals;
  struct MunicipalityTotals {
    double area = 0;
    std::int64_t zones = 0, cross_border = 0;
  };
  // Municipality parts for touching_partners; their geometries now belong to part_layer.
  std::vector<ZonePart> touching_parts;
  std::map<std::pair<std::size_t, Value>, MunicipalityTotals> municipality_totals;
  std::int64_t sliver_count = 0, overlap_count = 0;
  double sliver_area = 0, overlap_area = 0;

  for (std::size_t z = 0; z < zones.size(); ++z) {
    auto& zone = zones[z];
    auto& cut = cuts[z];
    const auto zone_id = static_cast<std::int64_t>(z + 1);
    const Value class_text = class_output(zone.class_value);
    double dropped_area = 0, outside_area = 0;
    std::vector<Part*> kept;
    for (auto& part : cut.parts) {
      if (part.area_m2 < min_area_m2) {
        ++sliver_count;
        sliver_area += part.area_m2;
        dropped_area += part.area_m2;
        continue;
      }
      if (!part.municipality) outside_area += part.area_m2;
      kept.push_back(&part);
    }
    if (cut.overlap_m2 > 0) {
      ++overlap_count;
      overlap_area += cut.overlap_m2;
    }
    if (cut.overlap_m2 > 0 && overlap_count <= kMaxOverlapMessages) {
      std::set<std::string_view> ids;
      for (auto m : cut.overlapping) ids.insert(list_id[m]);
      progress.message(fmt::format("zone {}: municipalities overlap by {:.1f} m2; the overlap is counted in the "
                                   "municipality first in the layer, not in {}",
                                   zone_id, cut.overlap_m2, join(ids)));
    }
    std::set<std::string_view> ids, countries;
    for (const auto* part : kept) {
      if (!part->municipality) continue;
      ids.insert(list_id[*part->municipality]);
      if (const auto& country = list_country[*part->municipality]; !country.empty()) countries.insert(country);
    }
    const bool cross_border = ids.size() >= 2;
    const bool cross_national = countries.size() >= 2;

    for (auto* part : kept) {
      Feature feature{zone_id, std::move(part->geometry), {}};
      if (part->municipality) {
        const auto m = *part->municipality;
        const double municipality_area_m2 = municipality_area[m];
        feature.values = {zone_id, class_text, id_text[m], name_text[m], country_text[m], part->area_m2,
                          part->area_m2 / zone.area_m2,
                          municipality_area_m2 > 0 ? Value(part->area_m2 / municipality_area_m2) : Value()};
        auto& totals = municipality_totals[{m, zone.class_value}];
        totals.area += part->area_m2;
        ++totals.zones;
        if (cross_border) ++totals.cross_border;
        touching_parts.push_back({zone_id, m, feature.geometry.get(), part->area_m2});
      } else {
        feature.values = {zone_id, class_text, std::string(), std::string(), std::string(), part->area_m2,
                          part->area_m2 / zone.area_m2, Value()};
      }
      part_layer.features.push_back(std::move(feature));
    }

    auto& totals = class_totals[zone.class_value];
    ++totals.zones;
    totals.area += zone.area_m2;
    totals.outside_area += outside_area;
    if (cross_border) {
      ++totals.cross_border;
      totals.cross_border_area += zone.area_m2;
    }
    if (cross_national) {
      ++totals.cross_national;
      totals.cross_national_area += zone.area_m2;
    }
    Feature feature{zone_id, std::move(zone.geometry), {}};
    feature.values = {zone_id,
                      class_text,
                      zone.area_m2,
                      static_cast<std::int64_t>(ids.size()),
                      static_cast<std::int64_t>(countries.size()),
                      std::int64_t{cross_border},
                      std::int64_t{cross_national},
                      join(ids),
                      join(countries),
                      outside_area,
                      dropped_area};
    zone_layer.features.push_back(std::move(feature));
  }

  if (overlap_count > kMaxOverlapMessages) {
    progress.message(fmt::format("… and {} more zones where municipalities overlap ({:.1f} m2 in all; see the manifest)",
                                 overlap_count - kMaxOverlapMessages, overlap_area));
  }
  // The zones are done: they are written while partners and tables are worked out (the parts
  // are not, for touching_partners reads their geometries meanwhile).
  const auto zone_count = zone_layer.features.size();
  if (input.write_early) input.write_early(std::move(zone_layer));
  Table zone_summary{"zone_summary", kZoneSummaryFields, {}};
  for (const auto& [class_value, totals] : class_totals) {
    zone_summary.rows.push_back({class_output(class_value), totals.zones, totals.area, totals.cross_border,
                                 totals.cross_border_area, totals.cross_national, totals.cross_national_area,
                                 totals.outside_area});
  }
  // Partners are the municipalities whose part of a shared zone touches this one's: a river-long
  // zone lies in thousands of municipalities, each a neighbour of a few (whole-zone membership is
  // zones.municipalities).
  std::map<std::pair<std::size_t, Value>, std::set<std::string_view>> partners_of;
  for (const auto& pair : touching_partners(touching_parts)) {
    const auto& class_value = zones[static_cast<std::size_t>(pair.zone - 1)].class_value;
    partners_of[{pair.a, class_value}].insert(list_id[pair.b]);
    partners_of[{pair.b, class_value}].insert(list_id[pair.a]);
  }
  Table municipality_summary{"municipality_summary", kMunicipalitySummaryFields, {}};
  for (const auto& [key, totals] : municipality_totals) {
    const auto m = key.first;
    const auto partners = partners_of.find(key);
    const std::set<std::string_view> none;
    const auto& partner_ids = partners == partners_of.end() ? none : partners->second;
    const double municipality_area_m2 = municipality_area[m];
    municipality_summary.rows.push_back({id_text[m], name_text[m], country_text[m], class_output(key.second),
                                         totals.area,
                                         municipality_area_m2 > 0 ? Value(totals.area / municipality_area_m2) : Value(),
                                         totals.zones, totals.cross_border, join(partner_ids),
                                         static_cast<std::int64_t>(partner_ids.size())});
  }

  StepOutput output;
  std::int64_t cross_border_zones = 0, cross_national_zones = 0;
  for (const auto& [class_value, totals] : class_totals) {
    cross_border_zones += totals.cross_border;
    cross_national_zones += totals.cross_national;
  }
  output.stats = {{"hazard_features", hazard.features.size()},
                  {"classes", class_totals.size()},
                  {"zones", zone_count},
                  {"zone_parts", part_layer.features.size()},
                  {"cross_border_zones", cross_border_zones},
                  {"cross_national_zones", cross_national_zones},
                  {"slivers_dropped", sliver_count},
                  {"sliver_area_m2", sliver_area},
                  {"zones_with_municipality_overlap", overlap_count},
                  {"municipality_overlap_m2", overlap_area}};
  if (!input.write_early) output.layers.push_back(std::move(zone_layer));
  output.layers.push_back(std::move(part_layer));
  output.tables.push_back(std::move(zone_summary));
  output.tables.push_back(std::move(municipality_summary));
  return output;
}

}  // namespace twinrisk::ops
