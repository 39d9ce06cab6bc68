#include "twinrisk/ops/shared_zones.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/spatial_index.hpp"

namespace twinrisk::ops {
namespace {

// Below this share of a zone's area, a difference between areas is floating-point noise.
constexpr double kRelativeAreaNoise = 1e-12;

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

class DisjointSets {
 public:
  explicit DisjointSets(std::size_t n) : m_parent(n) { std::iota(m_parent.begin(), m_parent.end(), 0); }
  std::size_t find(std::size_t x) {
    while (m_parent[x] != x) x = m_parent[x] = m_parent[m_parent[x]];
    return x;
  }
  void unite(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a != b) m_parent[std::max(a, b)] = std::min(a, b);
  }

 private:
  std::vector<std::size_t> m_parent;
};

std::string text_of(const Feature& feature, std::optional<std::size_t> field) {
  return field ? to_display_string(feature.values[*field]) : std::string();
}

// Hazard features grouped by class value; NULL class is a class of its own.
std::map<Value, std::vector<std::size_t>> group_by_class(const Layer& hazard) {
  std::map<Value, std::vector<std::size_t>> groups;
  const auto class_field = hazard.field_index("class");
  for (std::size_t i = 0; i < hazard.features.size(); ++i) {
    groups[class_field ? hazard.features[i].values[*class_field] : Value(std::int64_t{1})].push_back(i);
  }
  return groups;
}

// Connected components of one class's polygons (intersecting or touching), each sorted.
std::vector<std::vector<std::size_t>> components_of(const Layer& hazard, const std::vector<std::size_t>& members) {
  std::vector<geos::Envelope> envelopes;
  envelopes.reserve(members.size());
  for (auto i : members) envelopes.push_back(geos::envelope(hazard.features[i].geometry.get()));
  const SpatialIndex index(envelopes);
  std::vector<std::vector<std::size_t>> links(members.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, members.size(), 16), [&](const auto& range) {
    for (std::size_t a = range.begin(); a != range.end(); ++a) {
      const auto* geometry = hazard.features[members[a]].geometry.get();
      auto prepared = geos::prepare(geometry);
      for (auto b : index.query(envelopes[a])) {
        if (b > a && geos::intersects(prepared.get(), hazard.features[members[b]].geometry.get())) {
          links[a].push_back(b);
        }
      }
    }
  });
  DisjointSets sets(members.size());
  for (std::size_t a = 0; a < links.size(); ++a) {
    for (auto b : links[a]) sets.unite(a, b);
  }
  std::map<std::size_t, std::vector<std::size_t>> by_root;
  for (std::size_t a = 0; a < members.size(); ++a) by_root[sets.find(a)].push_back(members[a]);
  std::vector<std::vector<std::size_t>> components;
  components.reserve(by_root.size());
  for (auto& [root, component] : by_root) components.push_back(std::move(component));
  return components;
}

struct Zone {
  Value class_value;
  geos::GeomPtr geometry;
  double area_m2 = 0;
};

struct Part {
  std::optional<std::size_t> municipality;  // nullopt: outside every municipality
  geos::GeomPtr geometry;
  double area_m2 = 0;
};

struct ZoneCut {
  std::vector<Part> parts;
  double outside_area_m2 = 0;
  double overlap_m2 = 0;  // area claimed by more than one municipality
  std::vector<std::size_t> overlapping;  // municipalities that lost area to an earlier one
};

geos::GeomPtr polygonal(geos::GeomPtr geometry) {
  auto polygons = geos::polygons_of(geometry.get());
  if (polygons.empty()) return nullptr;
  return polygons.size() == 1 ? std::move(polygons.front()) : geos::multipolygon(std::move(polygons));
}

// Cuts one zone by the municipalities; the parts partition the zone.
ZoneCut cut_zone(const Zone& zone, const Layer& municipalities, const SpatialIndex& index) {
  ZoneCut cut;
  auto prepared = geos::prepare(zone.geometry.get());
  for (auto m : index.query(geos::envelope(zone.geometry.get()))) {
    const auto* municipality = municipalities.features[m].geometry.get();
    if (!geos::intersects(prepared.get(), municipality)) continue;
    // A municipality wholly inside the zone is its own part; no overlay needed.
    auto piece = geos::covers(prepared.get(), municipality) ? geos::clone(municipality)
                                                             : polygonal(geos::intersection(zone.geometry.get(), municipality));
    if (!piece) continue;
    const double area = geos::area(piece.get());
    if (area > 0) cut.parts.push_back(Part{m, std::move(piece), area});
  }

  const double noise = kRelativeAreaNoise * zone.area_m2;
  double sum = 0;
  for (const auto& part : cut.parts) sum += part.area_m2;
  geos::GeomPtr covered;
  double covered_area = sum;
  if (cut.parts.size() == 1) {
    covered = geos::clone(cut.parts.front().geometry.get());
  } else if (cut.parts.size() > 1) {
    std::vector<geos::GeomPtr> pieces;
    for (const auto& part : cut.parts) pieces.push_back(geos::clone(part.geometry.get()));
    covered = geos::unary_union(std::move(pieces));
    covered_area = geos::area(covered.get());
    if (sum - covered_area > noise) {
      // Municipalities overlap here: the earlier one in the layer keeps the shared area.
      cut.overlap_m2 = sum - covered_area;
      geos::GeomPtr claimed = geos::clone(cut.parts.front().geometry.get());
      for (std::size_t i = 1; i < cut.parts.size(); ++i) {
        auto& part = cut.parts[i];
        auto remainder = polygonal(geos::difference(part.geometry.get(), claimed.get()));
        std::vector<geos::GeomPtr> both;
        both.push_back(std::move(claimed));
        both.push_back(std::move(part.geometry));
        claimed = geos::unary_union(std::move(both));
        const double remaining = remainder ? geos::area(remainder.get()) : 0.0;
        if (part.area_m2 - remaining > noise) cut.overlapping.push_back(*part.municipality);
        part.geometry = std::move(remainder);
        part.area_m2 = remaining;
      }
      std::erase_if(cut.parts, [](const Part& part) { return !part.geometry || part.area_m2 <= 0; });
    }
  }
  if (zone.area_m2 - covered_area > noise) {
    auto outside = covered ? polygonal(geos::difference(zone.geometry.get(), covered.get()))
                           : geos::clone(zone.geometry.get());
    if (outside) {
      const double area = geos::area(outside.get());
      if (area > 0) {
        cut.outside_area_m2 = area;
        cut.parts.push_back(Part{std::nullopt, std::move(outside), area});
      }
    }
  }
  return cut;
}

std::string join(const std::set<std::string>& values) { return fmt::format("{}", fmt::join(values, ";")); }

}  // namespace

SharedZones::SharedZones() {
  m_parameters = {
      ParamSpec::layer("municipalities", Role::municipalities,
                       "Administrative units (polygons) with fields id, name and country"),
      ParamSpec::layer("hazard", Role::hazard, "Hazard polygons with an optional class field"),
      ParamSpec::number("min_area_m2",
                        "Zone parts smaller than this are counted as slivers and left out of the parts and "
                        "municipality lists (0 keeps every part)",
                        0.0)
          .with_unit("m2")
          .with_range(0.0, std::nullopt),
  };
  m_outputs = {
      {"zones", OutputKind::layer, GeometryFamily::polygon,
       "Connected hazard zones per class, with the municipalities and countries they touch", kZoneFields},
      {"zone_parts", OutputKind::layer, GeometryFamily::polygon,
       "Each zone cut by municipality; area outside every municipality has an empty municipality_id",
       kPartFields},
      {"zone_summary", OutputKind::table, GeometryFamily::none, "Per hazard class: zones, areas, cross-border totals",
       kZoneSummaryFields},
      {"municipality_summary", OutputKind::table, GeometryFamily::none,
       "Per municipality and class: hazard area, share, zones and partner municipalities",
       kMunicipalitySummaryFields},
  };
}

std::string_view SharedZones::help() const {
  return "Dissolves the hazard polygons of each class into connected zones (overlapping or touching "
         "polygons merge; polygons of different classes never do), then cuts every zone by the "
         "municipalities. A zone is cross_border when its parts lie in two or more municipalities and "
         "cross_national when those are in two or more countries. Hazard area outside every "
         "municipality is kept as a part with an empty municipality_id, so the parts of a zone always "
         "add up to the zone. Where municipalities overlap, the shared area is counted once, in the "
         "municipality that comes first in its layer, and the overlap is reported. Areas are square "
         "metres in the analysis CRS.";
}

StepOutput SharedZones::run(const StepInput& input, Progress& progress) const {
  const Layer& municipalities = input.layer("municipalities");
  const Layer& hazard = input.layer("hazard");
  const double min_area_m2 = input.number("min_area_m2");
  const auto id_field = municipalities.field_index("id");
  const auto name_field = municipalities.field_index("name");
  const auto country_field = municipalities.field_index("country");

  // 1. Dissolve: connected components per class, each unioned on its own.
  const auto classes = group_by_class(hazard);
  struct Component {
    const Value* class_value;
    std::vector<std::size_t> members;
  };
  std::vector<Component> components;
  for (const auto& [class_value, members] : classes) {
    for (auto& component : components_of(hazard, members)) components.push_back({&class_value, std::move(component)});
  }
  std::vector<std::vector<geos::GeomPtr>> dissolved(components.size());
  progress.start("shared-zones: dissolve", components.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, components.size(), 1), [&](const auto& range) {
    for (std::size_t c = range.begin(); c != range.end(); ++c) {
      std::vector<geos::GeomPtr> pieces;
      for (auto i : components[c].members) pieces.push_back(geos::clone(hazard.features[i].geometry.get()));
      dissolved[c] = geos::polygons_of(geos::unary_union(std::move(pieces)).get());
      progress.advance();
    }
  });
  progress.finish();

  std::vector<Zone> zones;
  for (std::size_t c = 0; c < components.size(); ++c) {
    for (auto& polygon : dissolved[c]) {
      geos::envelope(polygon.get());
      const double area = geos::area(polygon.get());
      zones.push_back(Zone{*components[c].class_value, std::move(polygon), area});
    }
  }
  dissolved.clear();

  // 2. Cut every zone by the municipalities.
  std::vector<double> municipality_area(municipalities.features.size());
  tbb::parallel_for(std::size_t{0}, municipalities.features.size(), [&](std::size_t m) {
    municipality_area[m] = geos::area(municipalities.features[m].geometry.get());
  });
  const SpatialIndex index(municipalities);
  std::vector<ZoneCut> cuts(zones.size());
  progress.start("shared-zones: intersect", zones.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, zones.size(), 1), [&](const auto& range) {
    for (std::size_t z = range.begin(); z != range.end(); ++z) {
      cuts[z] = cut_zone(zones[z], municipalities, index);
      progress.advance();
    }
  });
  progress.finish();

  // 3. Assemble layers and tables in zone order, so output never depends on thread timing.
  Layer zone_layer{"zones", Role::result, GeometryFamily::polygon, input.analysis_crs_wkt, kZoneFields, {}};
  Layer part_layer{"zone_parts", Role::result, GeometryFamily::polygon, input.analysis_crs_wkt, kPartFields, {}};
  struct ClassTotals {
    std::int64_t zones = 0, cross_border = 0, cross_national = 0;
    double area = 0, cross_border_area = 0, cross_national_area = 0, outside_area = 0;
  };
  std::map<Value, ClassTotals> class_totals;
  struct MunicipalityTotals {
    double area = 0;
    std::int64_t zones = 0, cross_border = 0;
    std::set<std::string> partners;
  };
  std::map<std::pair<std::size_t, Value>, MunicipalityTotals> municipality_totals;
  std::int64_t sliver_count = 0, overlap_count = 0;
  double sliver_area = 0, overlap_area = 0;

  for (std::size_t z = 0; z < zones.size(); ++z) {
    auto& zone = zones[z];
    auto& cut = cuts[z];
    const auto zone_id = static_cast<std::int64_t>(z + 1);
    const std::string class_text = to_display_string(zone.class_value);
    double dropped_area = 0;
    std::vector<Part> kept;
    for (auto& part : cut.parts) {
      if (part.area_m2 < min_area_m2) {
        ++sliver_count;
        sliver_area += part.area_m2;
        dropped_area += part.area_m2;
        if (!part.municipality) cut.outside_area_m2 -= part.area_m2;
        continue;
      }
      kept.push_back(std::move(part));
    }
    if (cut.overlap_m2 > 0) {
      ++overlap_count;
      overlap_area += cut.overlap_m2;
      std::set<std::string> ids;
      for (auto m : cut.overlapping) ids.insert(text_of(municipalities.features[m], id_field));
      progress.message(fmt::format("zone {}: municipalities overlap by {:.1f} m2; the overlap is counted in the "
                                   "municipality first in the layer, not in {}",
                                   zone_id, cut.overlap_m2, join(ids)));
    }
    std::set<std::string> ids, countries;
    for (const auto& part : kept) {
      if (!part.municipality) continue;
      const auto& feature = municipalities.features[*part.municipality];
      ids.insert(text_of(feature, id_field));
      if (auto country = text_of(feature, country_field); !country.empty()) countries.insert(country);
    }
    const bool cross_border = ids.size() >= 2;
    const bool cross_national = countries.size() >= 2;

    for (auto& part : kept) {
      Feature feature{zone_id, std::move(part.geometry), {}};
      if (part.municipality) {
        const auto& municipality = municipalities.features[*part.municipality];
        const double municipality_area_m2 = municipality_area[*part.municipality];
        feature.values = {zone_id, class_text, text_of(municipality, id_field), text_of(municipality, name_field),
                          text_of(municipality, country_field), part.area_m2, part.area_m2 / zone.area_m2,
                          municipality_area_m2 > 0 ? Value(part.area_m2 / municipality_area_m2) : Value()};
        auto& totals = municipality_totals[{*part.municipality, zone.class_value}];
        totals.area += part.area_m2;
        ++totals.zones;
        if (cross_border) ++totals.cross_border;
        for (const auto& other : ids) {
          if (other != text_of(municipality, id_field)) totals.partners.insert(other);
        }
      } else {
        feature.values = {zone_id, class_text, std::string(), std::string(), std::string(), part.area_m2,
                          part.area_m2 / zone.area_m2, Value()};
      }
      part_layer.features.push_back(std::move(feature));
    }

    auto& totals = class_totals[zone.class_value];
    ++totals.zones;
    totals.area += zone.area_m2;
    totals.outside_area += cut.outside_area_m2;
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
                      cut.outside_area_m2,
                      dropped_area};
    zone_layer.features.push_back(std::move(feature));
  }

  Table zone_summary{"zone_summary", kZoneSummaryFields, {}};
  for (const auto& [class_value, totals] : class_totals) {
    zone_summary.rows.push_back({to_display_string(class_value), totals.zones, totals.area, totals.cross_border,
                                 totals.cross_border_area, totals.cross_national, totals.cross_national_area,
                                 totals.outside_area});
  }
  Table municipality_summary{"municipality_summary", kMunicipalitySummaryFields, {}};
  for (const auto& [key, totals] : municipality_totals) {
    const auto& municipality = municipalities.features[key.first];
    const double municipality_area_m2 = municipality_area[key.first];
    municipality_summary.rows.push_back(
        {text_of(municipality, id_field), text_of(municipality, name_field), text_of(municipality, country_field),
         to_display_string(key.second), totals.area,
         municipality_area_m2 > 0 ? Value(totals.area / municipality_area_m2) : Value(), totals.zones,
         totals.cross_border, join(totals.partners), static_cast<std::int64_t>(totals.partners.size())});
  }

  StepOutput output;
  std::int64_t cross_border_zones = 0, cross_national_zones = 0;
  for (const auto& [class_value, totals] : class_totals) {
    cross_border_zones += totals.cross_border;
    cross_national_zones += totals.cross_national;
  }
  output.stats = {{"hazard_features", hazard.features.size()},
                  {"classes", class_totals.size()},
                  {"zones", zone_layer.features.size()},
                  {"zone_parts", part_layer.features.size()},
                  {"cross_border_zones", cross_border_zones},
                  {"cross_national_zones", cross_national_zones},
                  {"slivers_dropped", sliver_count},
                  {"sliver_area_m2", sliver_area},
                  {"zones_with_municipality_overlap", overlap_count},
                  {"municipality_overlap_m2", overlap_area}};
  output.layers.push_back(std::move(zone_layer));
  output.layers.push_back(std::move(part_layer));
  output.tables.push_back(std::move(zone_summary));
  output.tables.push_back(std::move(municipality_summary));
  return output;
}

}  // namespace twinrisk::ops
