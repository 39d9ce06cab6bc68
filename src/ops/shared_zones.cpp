#include "twinrisk/ops/shared_zones.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <numeric>
#include <set>
#include <unordered_map>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/spatial_index.hpp"

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

// A polygon of a hazard feature: what is dissolved and cut. Multi-part features are split so
// that every unit is connected and so lies in exactly one zone.
struct Unit {
  const GEOSGeometry* polygon;  // points into the hazard layer's geometry
  Value class_value;
  double area_m2 = 0;
};

// Units grouped by class value (NULL class is a class of its own), in layer order.
std::map<Value, std::vector<std::size_t>> units_by_class(const Layer& hazard, std::vector<Unit>& units) {
  std::map<Value, std::vector<std::size_t>> groups;
  const auto class_field = hazard.field_index("class");
  for (const auto& feature : hazard.features) {
    const Value class_value = class_field ? feature.values[*class_field] : Value(std::int64_t{1});
    for (const auto* polygon : geos::polygon_views(feature.geometry.get())) {
      groups[class_value].push_back(units.size());
      units.push_back(Unit{polygon, class_value, 0.0});
    }
  }
  tbb::parallel_for(std::size_t{0}, units.size(), [&](std::size_t u) { units[u].area_m2 = geos::area(units[u].polygon); });
  return groups;
}

// Connected components of one class's units (overlapping or touching), each in ascending order.
std::vector<std::vector<std::size_t>> components_of(const std::vector<Unit>& units, const std::vector<std::size_t>& members) {
  std::vector<geos::Envelope> envelopes;
  envelopes.reserve(members.size());
  for (auto u : members) envelopes.push_back(geos::envelope(units[u].polygon));
  const SpatialIndex index(envelopes);
  std::vector<std::vector<std::size_t>> links(members.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, members.size(), 16), [&](const auto& range) {
    for (std::size_t a = range.begin(); a != range.end(); ++a) {
      auto prepared = geos::prepare(units[members[a]].polygon);
      for (auto b : index.query(envelopes[a])) {
        if (b > a && geos::intersects(prepared.get(), units[members[b]].polygon)) links[a].push_back(b);
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

// Unions one component into its zones: one polygon, or several where members touch only at points.
std::vector<Zone> dissolve(const std::vector<Unit>& units, const std::vector<std::size_t>& component) {
  const auto& class_value = units[component.front()].class_value;
  if (component.size() == 1) {  // a valid polygon alone is already its own union
    const auto& unit = units[component.front()];
    std::vector<Zone> zones;
    zones.push_back(Zone{class_value, geos::clone(unit.polygon), unit.area_m2});
    return zones;
  }
  std::vector<geos::GeomPtr> pieces;
  pieces.reserve(component.size());
  for (auto u : component) pieces.push_back(geos::clone(units[u].polygon));
  auto polygons = geos::polygons_of(geos::unary_union(std::move(pieces)).get());
  std::vector<Zone> zones;
  zones.reserve(polygons.size());
  for (auto& polygon : polygons) {
    const double area = geos::area(polygon.get());
    zones.push_back(Zone{class_value, std::move(polygon), area});
  }
  return zones;
}

// One zone's share of one municipality (nullopt: outside every municipality).
struct Part {
  std::optional<std::size_t> municipality;
  geos::GeomPtr geometry;
  double area_m2 = 0;
};

struct ZoneCut {
  std::vector<Part> parts;  // in municipality order, the outside part last
  double overlap_m2 = 0;    // area claimed by more than one municipality
  std::set<std::size_t> overlapping;  // municipalities that lost area to an earlier one
};

// Cuts a zone by the municipalities in one overlay: the zone's boundary and the municipalities'
// boundaries are noded together and polygonized, and each face inside the zone goes to the
// municipality holding its interior point. One noding per zone costs far less than one overlay
// per zone and municipality (each of which would walk the whole zone again).
// `group_of` maps each municipality feature to the first feature with the same id: a municipality
// stored as several rows (islands, exclaves) is one municipality.
ZoneCut cut_zone(const Zone& zone, const Layer& municipalities, const std::vector<std::size_t>& group_of,
                 const SpatialIndex& index) {
  ZoneCut cut;
  const auto zone_envelope = geos::envelope(zone.geometry.get());
  auto prepared_zone = geos::prepare(zone.geometry.get());
  std::vector<std::size_t> candidates;
  std::vector<geos::PreparedPtr> prepared;
  std::vector<geos::GeomPtr> lines;
  lines.push_back(geos::boundary(zone.geometry.get()));
  bool covered_by_one = false;
  for (auto m : index.query(zone_envelope)) {
    const auto* municipality = municipalities.features[m].geometry.get();
    if (!geos::intersects(prepared_zone.get(), municipality)) continue;
    auto prepared_municipality = geos::prepare(municipality);
    if (candidates.empty() && geos::covers(prepared_municipality.get(), zone.geometry.get())) covered_by_one = true;
    candidates.push_back(m);
    prepared.push_back(std::move(prepared_municipality));
    lines.push_back(geos::clip_by_rect(geos::boundary(municipality).get(), zone_envelope));
  }
  // The common case: the zone lies in one municipality and touches no other.
  if (covered_by_one && candidates.size() == 1) {
    cut.parts.push_back(Part{group_of[candidates.front()], geos::clone(zone.geometry.get()), zone.area_m2});
    return cut;
  }
  std::map<std::size_t, std::vector<geos::GeomPtr>> faces_of;  // by municipality (group) in layer order
  std::vector<geos::GeomPtr> outside;
  if (candidates.empty()) {
    outside.push_back(geos::clone(zone.geometry.get()));
  } else {
    const auto noded = geos::unary_union(geos::collection(std::move(lines), GEOS_GEOMETRYCOLLECTION).get());
    std::vector<geos::Envelope> candidate_envelopes;
    for (auto m : candidates) candidate_envelopes.push_back(geos::envelope(municipalities.features[m].geometry.get()));
    const SpatialIndex candidate_index(candidate_envelopes);
    for (auto& face : geos::polygonize(noded.get())) {
      const auto inside = geos::point_on_surface(face.get());
      if (!geos::contains(prepared_zone.get(), inside.get())) continue;  // a hole, or outside the zone
      // Candidates come in layer order, so the first container is the first in the layer.
      std::optional<std::size_t> owner;
      bool shared = false;
      for (auto c : candidate_index.query(geos::envelope(inside.get()))) {
        if (!geos::contains(prepared[c].get(), inside.get())) continue;
        const auto group = group_of[candidates[c]];
        if (!owner) {
          owner = group;
        } else if (group != *owner) {
          shared = true;
          cut.overlapping.insert(group);
        }
      }
      if (shared) cut.overlap_m2 += geos::area(face.get());
      (owner ? faces_of[*owner] : outside).push_back(std::move(face));
    }
  }
  auto add_part = [&](std::optional<std::size_t> municipality, std::vector<geos::GeomPtr> faces) {
    auto geometry = geos::coverage_union(std::move(faces));
    const double area = geos::area(geometry.get());
    if (area > 0) cut.parts.push_back(Part{municipality, std::move(geometry), area});
  };
  for (auto& [group, faces] : faces_of) add_part(group, std::move(faces));
  if (!outside.empty()) add_part(std::nullopt, std::move(outside));
  return cut;
}

// What the cut and the tables need of each municipality feature, computed once: big zones touch
// thousands of municipalities.
struct MunicipalityTable {
  std::vector<std::string> id, name, country;
  // Rows that share an id are one municipality: `group_of` maps each row to the first row with
  // its id, and `area` (indexed by that first row) adds up the rows' areas.
  std::vector<std::size_t> group_of;
  std::vector<double> area;
  SpatialIndex index;
};

MunicipalityTable municipality_table(const Layer& municipalities) {
  const auto id_field = municipalities.field_index("id");
  const auto name_field = municipalities.field_index("name");
  const auto country_field = municipalities.field_index("country");
  const auto& features = municipalities.features;
  MunicipalityTable table{{}, {}, {}, std::vector<std::size_t>(features.size()),
                          std::vector<double>(features.size(), 0.0), SpatialIndex(municipalities)};
  std::vector<double> feature_area(features.size());
  tbb::parallel_for(std::size_t{0}, features.size(),
                    [&](std::size_t m) { feature_area[m] = geos::area(features[m].geometry.get()); });
  for (const auto& feature : features) {
    table.id.push_back(text_of(feature, id_field));
    table.name.push_back(text_of(feature, name_field));
    table.country.push_back(text_of(feature, country_field));
  }
  std::unordered_map<std::string_view, std::size_t> first_with_id;
  first_with_id.reserve(features.size());
  for (std::size_t m = 0; m < features.size(); ++m) {
    table.group_of[m] = first_with_id.try_emplace(table.id[m], m).first->second;
    table.area[table.group_of[m]] += feature_area[m];
  }
  return table;
}

// The class as written out: its text, or NULL where the source had none (not an empty string,
// which would be a class of its own).
Value class_output(const Value& class_value) {
  if (std::holds_alternative<std::monostate>(class_value)) return {};
  return to_display_string(class_value);
}

template <typename Strings>
std::string join(const Strings& values) {
  return fmt::format("{}", fmt::join(values, ";"));
}

// `joined` (= join(members), members sorted and unique) without `own`, cut out of the text instead
// of joined again: every member of a river-long zone has a row listing the thousands of others.
std::string without_member(const std::string& joined, const std::vector<std::string_view>& members,
                           std::string_view own) {
  const auto found = std::lower_bound(members.begin(), members.end(), own);
  if (found == members.end() || *found != own) return joined;
  if (members.size() == 1) return {};
  std::size_t start = 0;
  for (auto it = members.begin(); it != found; ++it) start += it->size() + 1;
  if (start == 0) return joined.substr(own.size() + 1);
  return joined.substr(0, start - 1) + joined.substr(start + own.size());
}

}  // namespace

namespace {

std::vector<ParamSpec> shared_zones_parameters() {
  return {
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
}

std::vector<OutputSpec> shared_zones_outputs() {
  return {
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
         "metres in the analysis CRS.";
}

StepOutput SharedZones::run(const StepInput& input, Progress& progress) const {
  const Layer& municipalities = input.layer("municipalities");
  const Layer& hazard = input.layer("hazard");
  const double min_area_m2 = input.number("min_area_m2");

  // 1. Connected components per class.
  std::vector<Unit> units;
  const auto classes = units_by_class(hazard, units);
  if (auto unclassed = classes.find(Value()); unclassed != classes.end()) {
    progress.message(fmt::format("{} hazard polygons have no class; they form a class of their own (NULL)",
                                 unclassed->second.size()));
  }
  std::vector<std::vector<std::size_t>> components;
  for (const auto& [class_value, members] : classes) {
    for (auto& component : components_of(units, members)) components.push_back(std::move(component));
  }
  const auto [id_text, name_text, country_text, group_of, municipality_area, index] =
      municipality_table(municipalities);

  // 2. Dissolve each component and cut its zones by the municipalities, as one task per
  // component: the biggest start first, so that a river-long zone does not finish last alone.
  std::vector<std::size_t> schedule(components.size());
  std::iota(schedule.begin(), schedule.end(), 0);
  std::stable_sort(schedule.begin(), schedule.end(),
                   [&](auto a, auto b) { return components[a].size() > components[b].size(); });
  std::vector<std::vector<Zone>> dissolved(components.size());
  std::vector<std::vector<ZoneCut>> component_cuts(components.size());
  progress.start("shared-zones: dissolve and cut", units.size());
  // simple_partitioner makes every component a task of its own that an idle thread can take; the
  // default partitioner hands out chunks, and the thread whose chunk starts with the river-long
  // zone would work through the next biggest components alone (0.64 s → 0.48 s at 20k × 5k).
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, schedule.size(), 1),
      [&](const auto& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i) {
          const auto c = schedule[i];
          dissolved[c] = dissolve(units, components[c]);
          for (const auto& zone : dissolved[c]) {
            component_cuts[c].push_back(cut_zone(zone, municipalities, group_of, index));
          }
          progress.advance(components[c].size());
        }
      },
      tbb::simple_partitioner());
  progress.finish();
  std::vector<Zone> zones;
  std::vector<ZoneCut> cuts;
  for (std::size_t c = 0; c < components.size(); ++c) {
    std::move(dissolved[c].begin(), dissolved[c].end(), std::back_inserter(zones));
    std::move(component_cuts[c].begin(), component_cuts[c].end(), std::back_inserter(cuts));
  }
  dissolved.clear();
  component_cuts.clear();

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
    std::vector<std::size_t> zone_list;
  };
  std::vector<std::vector<std::string_view>> zone_member_ids(zones.size());
  std::vector<std::string> zone_member_text(zones.size());
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
      for (auto m : cut.overlapping) ids.insert(id_text[m]);
      progress.message(fmt::format("zone {}: municipalities overlap by {:.1f} m2; the overlap is counted in the "
                                   "municipality first in the layer, not in {}",
                                   zone_id, cut.overlap_m2, join(ids)));
    }
    std::set<std::string_view> ids, countries;
    for (const auto* part : kept) {
      if (!part->municipality) continue;
      ids.insert(id_text[*part->municipality]);
      if (const auto& country = country_text[*part->municipality]; !country.empty()) countries.insert(country);
    }
    zone_member_ids[z].assign(ids.begin(), ids.end());
    zone_member_text[z] = join(ids);
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
        totals.zone_list.push_back(z);
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
                      zone_member_text[z],
                      join(countries),
                      outside_area,
                      dropped_area};
    zone_layer.features.push_back(std::move(feature));
  }

  if (overlap_count > kMaxOverlapMessages) {
    progress.message(fmt::format("… and {} more zones where municipalities overlap ({:.1f} m2 in all; see the manifest)",
                                 overlap_count - kMaxOverlapMessages, overlap_area));
  }
  Table zone_summary{"zone_summary", kZoneSummaryFields, {}};
  for (const auto& [class_value, totals] : class_totals) {
    zone_summary.rows.push_back({class_output(class_value), totals.zones, totals.area, totals.cross_border,
                                 totals.cross_border_area, totals.cross_national, totals.cross_national_area,
                                 totals.outside_area});
  }
  // Rows are independent, and partner lists of a river-long zone are long: build them in parallel.
  std::vector<const std::pair<const std::pair<std::size_t, Value>, MunicipalityTotals>*> entries;
  for (const auto& entry : municipality_totals) entries.push_back(&entry);
  Table municipality_summary{"municipality_summary", kMunicipalitySummaryFields, {}};
  municipality_summary.rows.resize(entries.size());
  tbb::parallel_for(std::size_t{0}, entries.size(), [&](std::size_t r) {
    const auto& [key, totals] = *entries[r];
    const auto m = key.first;
    const std::string_view own = id_text[m];
    std::string partner_text;
    std::int64_t partner_count = 0;
    if (totals.zone_list.size() == 1) {
      const auto z = totals.zone_list.front();
      partner_text = without_member(zone_member_text[z], zone_member_ids[z], own);
      const auto& members = zone_member_ids[z];
      partner_count = static_cast<std::int64_t>(members.size()) -
                      (std::binary_search(members.begin(), members.end(), own) ? 1 : 0);
    } else {
      std::vector<std::string_view> partners;
      for (auto z : totals.zone_list) {
        for (auto id : zone_member_ids[z]) {
          if (id != own) partners.push_back(id);
        }
      }
      std::sort(partners.begin(), partners.end());
      partners.erase(std::unique(partners.begin(), partners.end()), partners.end());
      partner_text = join(partners);
      partner_count = static_cast<std::int64_t>(partners.size());
    }
    const double municipality_area_m2 = municipality_area[m];
    municipality_summary.rows[r] = {id_text[m], name_text[m], country_text[m], class_output(key.second),
                                    totals.area,
                                    municipality_area_m2 > 0 ? Value(totals.area / municipality_area_m2) : Value(),
                                    totals.zones, totals.cross_border, std::move(partner_text), partner_count};
  });

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
