#include "twinrisk/ops/damage.hpp"

#include <fmt/format.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <cctype>
#include <map>
#include <set>
#include <span>
#include <tuple>

#include "twinrisk/core/error.hpp"
#include "twinrisk/ops/damage_curves.hpp"
#include "twinrisk/ops/raster_sampling.hpp"
#include "twinrisk/ops/reproject.hpp"
#include "twinrisk/ops/zonal_stats.hpp"
#include "twinrisk/ops/zone_parts.hpp"
#include "step_support.hpp"

namespace twinrisk::ops {
namespace {

constexpr std::size_t kBatchSize = 16384;
// Pieces per task: points of a task are sampled together, block by block.
constexpr std::size_t kGrain = 512;

const std::vector<FieldDef> kByEventFields = {
    {"municipality_id", FieldType::string}, {"municipality_name", FieldType::string},
    {"country", FieldType::string},         {"event", FieldType::string},
    {"return_period", FieldType::real},     {"category", FieldType::string},
    {"damaged_assets", FieldType::integer}, {"damage", FieldType::real},
    {"currency", FieldType::string},
};
const std::vector<FieldDef> kEadMunicipalityFields = {
    {"municipality_id", FieldType::string}, {"municipality_name", FieldType::string}, {"country", FieldType::string},
    {"ead", FieldType::real},               {"currency", FieldType::string},          {"share_of_total", FieldType::real},
};
const std::vector<FieldDef> kEadCountryFields = {
    {"country", FieldType::string}, {"ead", FieldType::real}, {"currency", FieldType::string},
    {"share_of_total", FieldType::real},
};
const std::vector<FieldDef> kEadZonePartFields = {
    {"zone_id", FieldType::integer},          {"class", FieldType::string},
    {"municipality_id", FieldType::string},   {"municipality_name", FieldType::string},
    {"country", FieldType::string},           {"ead", FieldType::real},
    {"currency", FieldType::string},          {"share_of_zone", FieldType::real},
    {"country_share_of_zone", FieldType::real}, {"zone_ead", FieldType::real},
    {"zone_countries", FieldType::string},    {"cross_national", FieldType::integer},
};

// A name usable in a field name: damage_hq10.
std::string field_safe(const std::string& name) {
  std::string out;
  for (unsigned char c : name) out += std::isalnum(c) ? static_cast<char>(c) : '_';
  return out;
}

struct Event {
  std::string name;
  double return_period = 0;
  std::unique_ptr<io::RasterSource> raster;
  std::string crs_wkt;
};

// The fields of an exposed piece the step reads, by index into its schema.
struct PieceFields {
  std::size_t layer, id, category, name, zone, class_value, municipality, municipality_name, country, length, area,
      share;
  explicit PieceFields(const LayerSchema& schema) {
    auto need = [&](const char* field) {
      const auto index = schema.field_index(field);
      if (!index) {
        throw ConfigError(fmt::format("layer '{}' has no field {}", schema.name, field), {{}, {}, schema.name, {}, {}},
                          "give the exposed_assets layer that exposure writes");
      }
      return *index;
    };
    layer = need("asset_layer");
    id = need("asset_id");
    category = need("category");
    zone = need("zone_id");
    municipality = need("municipality_id");
    country = need("country");
    length = need("length_m");
    area = need("area_m2");
    share = need("share_of_asset");
    name = schema.field_index("name").value_or(SIZE_MAX);
    class_value = schema.field_index("class").value_or(SIZE_MAX);
    municipality_name = schema.field_index("municipality_name").value_or(SIZE_MAX);
  }
};

Value value_at(const Feature& feature, std::size_t index) { return index == SIZE_MAX ? Value() : feature.values[index]; }
std::string text_at(const Feature& feature, std::size_t index) { return to_display_string(value_at(feature, index)); }
double number_at(const Feature& feature, std::size_t index) {
  const Value& value = feature.values[index];
  if (const auto* d = std::get_if<double>(&value)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i);
  return 0.0;
}

// Mean damage fraction of each piece of a task under one event: the cells under lines and polygons
// weighted by length and coverage fraction (cells without a value, and what lies beyond the raster,
// are undamaged); points (and centroids) by their depth.
class Sampler {
 public:
  Sampler(const std::vector<Event>& events, bool bilinear, bool centroids, const std::string& analysis_crs)
      : m_events(events), m_bilinear(bilinear), m_centroids(centroids) {
    for (const auto& event : events) m_transforms.emplace_back(CrsTransform(analysis_crs, event.crs_wkt));
  }

  // factors[i][e]: piece i under event e.
  void fractions(std::span<const Feature> pieces, const std::vector<const DamageCurve*>& curves,
                 std::vector<std::vector<double>>& factors) {
    for (std::size_t e = 0; e < m_events.size(); ++e) {
      auto& transform = m_transforms[e].local();
      const io::RasterSource& raster = *m_events[e].raster;
      std::vector<std::size_t> at_points;
      std::vector<geos::XY> xy;
      for (std::size_t i = 0; i < pieces.size(); ++i) {
        const auto* geometry = pieces[i].geometry.get();
        const auto kind = asset_kind(geometry);
        if (!kind) continue;
        if (*kind == AssetKind::point || (*kind == AssetKind::polygon && m_centroids)) {
          const auto at = *kind == AssetKind::point ? geos::clone(geometry) : geos::centroid(geometry);
          const auto moved = transform.apply(at.get());
          for (const auto* point : geos::point_views(moved.get())) {
            at_points.push_back(i);
            xy.push_back(geos::point_xy(point));
          }
          continue;
        }
        const auto moved = transform.apply(geometry);
        const DamageCurve& curve = *curves[i];
        factors[i][e] = *kind == AssetKind::line ? along(moved.get(), raster, curve) : over(moved.get(), raster, curve);
      }
      const auto values = m_bilinear ? point_values_bilinear(xy, raster) : point_values(xy, raster);
      // A MultiPoint piece: the mean over its points.
      std::map<std::size_t, std::pair<double, int>> sums;
      for (std::size_t k = 0; k < at_points.size(); ++k) {
        auto& [sum, count] = sums[at_points[k]];
        sum += values[k] ? curves[at_points[k]]->at(*values[k]) : 0.0;
        ++count;
      }
      for (const auto& [i, sum_count] : sums) factors[i][e] = sum_count.first / sum_count.second;
    }
  }

 private:
  static double along(const GEOSGeometry* line, const io::RasterSource& raster, const DamageCurve& curve) {
    const auto cells = line_cells(line, raster.grid());
    if (!(cells.total_length > 0)) return 0.0;
    std::vector<io::RasterSource::Cell> where;
    where.reserve(cells.pieces.size());
    for (const auto& piece : cells.pieces) where.push_back({piece.row, piece.col});
    const auto values = raster.values_at(where);
    double sum = 0;
    for (std::size_t k = 0; k < values.size(); ++k) {
      if (values[k]) sum += cells.pieces[k].length * curve.at(*values[k]);
    }
    return sum / cells.total_length;
  }

  static double over(const GEOSGeometry* polygon, const io::RasterSource& raster, const DamageCurve& curve) {
    double sum = 0;
    const double cells = for_each_covered_cell(polygon, raster, [&](double fraction, bool valid, double value) {
      if (valid) sum += fraction * curve.at(value);
    });
    return cells > 0 ? sum / cells : 0.0;
  }

  const std::vector<Event>& m_events;
  std::vector<tbb::enumerable_thread_specific<CrsTransform>> m_transforms;
  bool m_bilinear, m_centroids;
};

// The tables, added to piece by piece in input order.
class Tally {
 public:
  Tally(const std::vector<Event>& events, std::vector<double> weights) : m_events(events), m_weights(std::move(weights)) {
    m_event_totals.assign(events.size(), 0.0);
  }

  void add(const Feature& piece, const PieceFields& f, const std::vector<double>& damages, const std::string& currency) {
    const std::string municipality = text_at(piece, f.municipality);
    const std::string country = text_at(piece, f.country);
    const std::string category = text_at(piece, f.category);
    const auto zone = static_cast<std::int64_t>(number_at(piece, f.zone));
    const std::pair<std::string, std::int64_t> asset{text_at(piece, f.layer), static_cast<std::int64_t>(number_at(piece, f.id))};
    m_municipalities.try_emplace(municipality, text_at(piece, f.municipality_name), country);
    double ead = 0;
    for (std::size_t e = 0; e < damages.size(); ++e) {
      ead += m_weights[e] * damages[e];
      m_event_totals[e] += damages[e];
      auto& cell = m_by_event[{municipality, e, category}];
      cell.damage += damages[e];
      if (damages[e] > 0 && cell.last_asset != asset) {
        ++cell.assets;
        cell.last_asset = asset;
      }
    }
    m_ead_total += ead;
    m_ead_municipality[municipality] += ead;
    m_ead_country[country] += ead;
    auto& part = m_ead_part[{zone, municipality}];
    part.ead += ead;
    part.class_value = value_at(piece, f.class_value);
    m_zone_ead[zone] += ead;
    m_zone_country_ead[{zone, country}] += ead;
    if (!country.empty()) m_zone_countries[zone].insert(country);
    m_currency = currency;
  }

  std::vector<Table> tables() const {
    const auto share = [](double part, double whole) { return whole > 0 ? Value(part / whole) : Value(); };
    Table by_event{"damage_by_event", kByEventFields, {}};
    for (const auto& [key, cell] : m_by_event) {
      const auto& [municipality, e, category] = key;
      const auto& [name, country] = m_municipalities.at(municipality);
      by_event.rows.push_back({municipality, name, country, m_events[e].name, m_events[e].return_period, category,
                               cell.assets, cell.damage, m_currency});
    }
    Table by_municipality{"ead_by_municipality", kEadMunicipalityFields, {}};
    for (const auto& [municipality, ead] : m_ead_municipality) {
      const auto& [name, country] = m_municipalities.at(municipality);
      by_municipality.rows.push_back({municipality, name, country, ead, m_currency, share(ead, m_ead_total)});
    }
    Table by_country{"ead_by_country", kEadCountryFields, {}};
    for (const auto& [country, ead] : m_ead_country) {
      by_country.rows.push_back({country, ead, m_currency, share(ead, m_ead_total)});
    }
    Table by_part{"ead_by_zone_part", kEadZonePartFields, {}};
    for (const auto& [key, part] : m_ead_part) {
      const auto& [zone, municipality] = key;
      const auto& [name, country] = m_municipalities.at(municipality);
      const double zone_ead = m_zone_ead.at(zone);
      const auto countries = m_zone_countries.count(zone) ? m_zone_countries.at(zone) : std::set<std::string>{};
      by_part.rows.push_back({zone, class_text(part.class_value), municipality, name, country, part.ead, m_currency,
                              share(part.ead, zone_ead), share(m_zone_country_ead.at({zone, country}), zone_ead),
                              zone_ead, fmt::format("{}", fmt::join(countries, ";")),
                              std::int64_t{countries.size() >= 2 ? 1 : 0}});
    }
    return moved_into_vector(std::move(by_event), std::move(by_municipality), std::move(by_country), std::move(by_part));
  }

  nlohmann::json stats(std::int64_t pieces) const {
    auto events = nlohmann::json::array();
    for (std::size_t e = 0; e < m_events.size(); ++e) {
      events.push_back({{"event", m_events[e].name},
                        {"return_period", m_events[e].return_period},
                        {"weight", m_weights[e]},
                        {"damage", m_event_totals[e]}});
    }
    return {{"pieces", pieces}, {"ead", m_ead_total}, {"currency", m_currency}, {"events", events}};
  }

 private:
  struct EventCell {
    double damage = 0;
    std::int64_t assets = 0;
    std::pair<std::string, std::int64_t> last_asset{{}, -1};
  };
  struct PartCell {
    double ead = 0;
    Value class_value;
  };
  const std::vector<Event>& m_events;
  std::vector<double> m_weights;
  std::vector<double> m_event_totals;
  double m_ead_total = 0;
  std::string m_currency;
  std::map<std::string, std::pair<std::string, std::string>> m_municipalities;
  std::map<std::tuple<std::string, std::size_t, std::string>, EventCell> m_by_event;
  std::map<std::string, double> m_ead_municipality, m_ead_country;
  std::map<std::pair<std::int64_t, std::string>, PartCell> m_ead_part;
  std::map<std::int64_t, double> m_zone_ead;
  std::map<std::pair<std::int64_t, std::string>, double> m_zone_country_ead;
  std::map<std::int64_t, std::set<std::string>> m_zone_countries;
};

std::vector<ParamSpec> damage_parameters() {
  auto assets = ParamSpec::layer("assets", Role::exposed_assets,
                                 "Exposed asset pieces (exposure's exposed_assets); read batch by batch")
                    .labelled("Exposed assets layer");
  assets.streamable = true;
  auto return_periods = ParamSpec::numbers("return_periods",
                                           "Return period of each event in years, in the order of events (2, 10, 50)",
                                           {}).labelled("Return periods (years)")
                            .with_range(1, std::nullopt)
                            .with_unit("years");
  return_periods.default_value = nullptr;
  return {
      assets,
      ParamSpec::raster("events", "Water depth raster of each event (metres; any GDAL raster, any CRS)")
          .labelled("Depth rasters of the events")
          .list(),
      return_periods,
      ParamSpec::table("curves", Role::damage_curves,
                       "Depth–damage curves: rows category,depth_m,fraction; a curve replaces the default of its name")
          .labelled("Depth-damage curves")
          .optional(),
      ParamSpec::table("damage_values", Role::damage_values,
                       "Maximum damage per category: category,max_damage,unit (m2, m or item),currency, optional "
                       "country (empty: every other) and curve (the curve it takes; empty max_damage: that curve's "
                       "default)").labelled("Maximum damage values")
          .optional(),
      ParamSpec::choice("defaults",
                        "jrc_europe: the JRC 2017 European curves and building maximum damages per country (see "
                        "docs/damage.md); none: only the tables given",
                        {"jrc_europe", "none"}, "jrc_europe").labelled("Default curves and values"),
      ParamSpec::integer("band", "Raster band holding the depth", 1)
          .labelled("Raster band")
          .with_range(1, std::nullopt),
      ParamSpec::choice("sampling", "Points (and centroids): cell value, or bilinear between cell centres (InaSAFE)",
                        {"cell", "bilinear"}, "cell").labelled("Point sampling"),
      ParamSpec::choice("polygon_depth",
                        "coverage: a polygon's damage fraction averaged over the cells it covers, weighted by "
                        "coverage fraction; centroid: the fraction at its centroid's depth (InaSAFE)",
                        {"coverage", "centroid"}, "coverage").labelled("Depth under polygons"),
      ParamSpec::choice("rare_tail",
                        "Beyond the rarest event: flat, its damage holds down to probability 0 (adds p·D); none, "
                        "nothing is added",
                        {"flat", "none"}, "flat").labelled("Rare tail"),
      ParamSpec::choice("frequent_tail",
                        "Above the most frequent event's probability: none, no damage; linear, damage falls "
                        "linearly to 0 at no_damage_return_period",
                        {"none", "linear"}, "none").labelled("Frequent tail"),
      ParamSpec::number("no_damage_return_period",
                        "For frequent_tail: linear, the return period up to which floods do no damage (protection "
                        "standard)",
                        1.0).labelled("No-damage return period (years)")
          .with_unit("years")
          .with_range(1, std::nullopt),
  };
}

std::vector<OutputSpec> damage_outputs() {
  return {
      {"damage_by_asset", OutputKind::layer, GeometryFamily::any,
       "Each exposed piece with its fields, damage_EVENT for every event and ead, in the currency of the damage values",
       {}, "Damage by asset"},
      {"damage_by_event", OutputKind::table, GeometryFamily::none,
       "Per municipality, event and category: damage and the assets damaged", kByEventFields, "Damage by event"},
      {"ead_by_municipality", OutputKind::table, GeometryFamily::none, "Expected Annual Damage per municipality",
       kEadMunicipalityFields, "EAD by municipality"},
      {"ead_by_country", OutputKind::table, GeometryFamily::none, "Expected Annual Damage per country",
       kEadCountryFields, "EAD by country"},
      {"ead_by_zone_part", OutputKind::table, GeometryFamily::none,
       "Each shared zone's Expected Annual Damage split per municipality (share_of_zone) and per country "
       "(country_share_of_zone): the cross-border burden",
       kEadZonePartFields, "EAD by zone part"},
  };
}

// Every event needs a return period of its own: one per event, none twice. The problems with their
// hints, empty when there are none.
std::vector<std::pair<std::string, std::string>> event_problems(const std::vector<std::string>& names,
                                                                 const std::vector<double>& periods) {
  std::vector<std::pair<std::string, std::string>> problems;
  if (periods.size() != names.size()) {
    const std::string what = periods.size() < names.size()
                                 ? fmt::format("event '{}' has no return period", names[periods.size()])
                                 : fmt::format("return period {} has no event", periods[names.size()]);
    problems.emplace_back(fmt::format("{}: {} events ({}) but {} return periods ({})", what, names.size(),
                                      fmt::join(names, ", "), periods.size(), fmt::join(periods, ", ")),
                          "give one return period per event, in the order of events");
  }
  std::map<double, std::string> seen;
  for (std::size_t e = 0; e < std::min(periods.size(), names.size()); ++e) {
    auto [it, added] = seen.emplace(periods[e], names[e]);
    if (!added) {
      problems.emplace_back(
          fmt::format("events '{}' and '{}' both have return period {}", it->second, names[e], periods[e]),
          "each event needs its own return period; drop one of them or correct its period");
    }
  }
  return problems;
}

std::vector<Event> open_events(const StepInput& input) {
  const auto& rasters = input.rasters.at("events");
  const auto periods = input.numbers("return_periods");
  std::vector<std::string> names;
  for (const auto* raster : rasters) names.push_back(raster->name);
  if (const auto problems = event_problems(names, periods); !problems.empty()) {
    throw ConfigError(problems.front().first, {}, problems.front().second);
  }
  std::vector<Event> events;
  const int band = static_cast<int>(input.integer("band"));
  for (std::size_t e = 0; e < rasters.size(); ++e) {
    events.push_back({rasters[e]->name, periods[e], open_raster(*rasters[e], band), rasters[e]->crs_wkt});
  }
  return events;
}

EadOptions ead_options(const StepInput& input) {
  EadOptions options;
  options.rare = input.text("rare_tail") == "flat" ? RareTail::flat : RareTail::none;
  options.frequent = input.text("frequent_tail") == "linear" ? FrequentTail::linear : FrequentTail::none;
  options.no_damage_return_period = input.number("no_damage_return_period");
  return options;
}

}  // namespace

Damage::Damage() : Algorithm(damage_parameters(), damage_outputs()) {}

std::vector<std::string> Damage::check_arguments(const nlohmann::json& values,
                                                 const std::map<std::string, std::vector<std::string>>& data) const {
  const auto events = data.find("events");
  const auto periods = values.find("return_periods");
  if (events == data.end() || periods == values.end() || !periods->is_array()) return {};
  std::vector<std::string> texts;
  for (const auto& [what, hint] : event_problems(events->second, periods->get<std::vector<double>>())) {
    texts.push_back(fmt::format("{} — {}", what, hint));
  }
  return texts;
}

std::vector<std::string> Damage::tags() const {
  return {"flood damage", "depth-damage curve", "expected annual damage", "EAD", "JRC", "risk",
          "CLIMADA", "CanFlood"};
}

std::string_view Damage::help() const {
  return "Damage of every exposed asset piece (exposure's exposed_assets) in every event: the water depth under the "
         "piece (from the event's depth raster, never resampled) turned into a damage fraction by the depth–damage "
         "curve of its category, times the category's maximum damage per m² (polygons: area), per m (lines: "
         "length) or per item (points; lines and polygons by their share of the asset). Lines and polygons average "
         "the fraction over the cells they cross, weighted by length and by exact coverage fraction; InaSAFE's "
         "buildings take the fraction at their centroid (polygon_depth: centroid, sampling: bilinear). Curves are "
         "linear between their points, flat beyond the last and before the first; dry cells do no damage. The "
         "defaults are the JRC 2017 European curves (residential, commercial, industrial, transport, "
         "infrastructure, agriculture) and JRC's building maximum damages per country (EUR 2010 per m²); the "
         "curves and damage_values tables override any of them and map other categories to a curve. Expected "
         "Annual Damage integrates damage over annual exceedance probability p = 1/T with the trapezoidal rule "
         "between events; rare_tail: flat adds the rarest event's damage times its p (the damage holds for rarer "
         "floods), frequent_tail: linear adds the triangle from the most frequent event down to no damage at "
         "no_damage_return_period. EADs add up: a municipality's is the sum of its pieces'.";
}

StepOutput Damage::run(const StepInput& input, Progress&) const {
  auto events = open_events(input);
  std::vector<double> periods;
  for (const auto& event : events) periods.push_back(event.return_period);
  const auto weights = ead_weights(periods, ead_options(input));
  const DamageModel model(input.text("defaults") == "jrc_europe", input.has("curves") ? &input.table("curves") : nullptr,
                          input.has("damage_values") ? &input.table("damage_values") : nullptr);
  Sampler sampler(events, input.text("sampling") == "bilinear", input.text("polygon_depth") == "centroid",
                  input.analysis_crs_wkt);

  FeatureSource& source = input.source("assets");
  const LayerSchema& schema = source.schema();
  const PieceFields f(schema);
  std::vector<FieldDef> extra;
  for (const auto& event : events) extra.push_back({"damage_" + field_safe(event.name), FieldType::real});
  extra.push_back({"ead", FieldType::real});
  extra.push_back({"currency", FieldType::string});
  const auto fields = fields_without_clash(schema.fields, extra);
  FeatureSink& sink = *input.sink;
  sink.begin_layer(result_schema("damage_by_asset", schema.geometry, input.analysis_crs_wkt, fields));

  std::map<std::pair<std::string, std::string>, DamageModel::Resolved> resolved;
  std::set<std::string> currencies;
  Tally tally(events, weights);
  std::int64_t pieces = 0;
  for (auto batch = source.next_batch(kBatchSize); !batch.empty(); batch = source.next_batch(kBatchSize)) {
    // Each piece's curve, maximum damage and amount (m², m or share of an item), checked in order.
    std::vector<const DamageModel::Resolved*> costs(batch.size());
    std::vector<const DamageCurve*> curves(batch.size());
    std::vector<double> amounts(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto& piece = batch[i];
      const std::pair key{text_at(piece, f.category), text_at(piece, f.country)};
      auto it = resolved.find(key);
      if (it == resolved.end()) {
        try {
          it = resolved.emplace(key, model.resolve(key.first, key.second)).first;
        } catch (const Error& error) {
          throw InputError(error.message(), {{}, {}, text_at(piece, f.layer), static_cast<std::int64_t>(number_at(piece, f.id)), {}},
                           error.hint());
        }
        currencies.insert(it->second.currency);
        if (currencies.size() > 1) {
          throw InputError(fmt::format("damage values mix currencies ({}): damages in different currencies cannot be "
                                       "added",
                                       fmt::join(currencies, ", ")),
                           {}, "convert every max_damage to one currency");
        }
      }
      costs[i] = &it->second;
      curves[i] = it->second.curve;
      const auto kind = asset_kind(piece.geometry.get());
      const ErrorContext where{{}, {}, text_at(piece, f.layer), static_cast<std::int64_t>(number_at(piece, f.id)), {}};
      switch (it->second.unit) {
        case DamageUnit::per_m2:
          if (kind != AssetKind::polygon) {
            throw InputError(fmt::format("category '{}' has its maximum damage per m2, but this asset is not a polygon",
                                         key.first),
                             where, "give the category's max_damage per m (lines) or per item (points)");
          }
          amounts[i] = number_at(piece, f.area);
          break;
        case DamageUnit::per_m:
          if (kind != AssetKind::line) {
            throw InputError(fmt::format("category '{}' has its maximum damage per m, but this asset is not a line",
                                         key.first),
                             where, "give the category's max_damage per m2 (polygons) or per item (points)");
          }
          amounts[i] = number_at(piece, f.length);
          break;
        case DamageUnit::per_item: amounts[i] = number_at(piece, f.share); break;
      }
    }
    std::vector<std::vector<double>> factors(batch.size(), std::vector<double>(events.size(), 0.0));
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, batch.size(), kGrain), [&](const auto& range) {
      const auto part = batch.subspan(range.begin(), range.size());
      std::vector<std::vector<double>> local(range.size(), std::vector<double>(events.size(), 0.0));
      const std::vector<const DamageCurve*> local_curves(curves.begin() + static_cast<std::ptrdiff_t>(range.begin()),
                                                         curves.begin() + static_cast<std::ptrdiff_t>(range.end()));
      try {
        sampler.fractions(part, local_curves, local);
      } catch (const Error& error) {
        throw Error(error.kind(), error.message(), {{}, {}, schema.name, part.front().fid, {}}, error.hint());
      }
      std::move(local.begin(), local.end(), factors.begin() + static_cast<std::ptrdiff_t>(range.begin()));
    });
    std::vector<Feature> out;
    out.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      std::vector<double> damages(events.size());
      double ead = 0;
      for (std::size_t e = 0; e < events.size(); ++e) {
        damages[e] = factors[i][e] * costs[i]->max_damage * amounts[i];
        ead += weights[e] * damages[e];
      }
      tally.add(batch[i], f, damages, costs[i]->currency);
      Feature feature{batch[i].fid, geos::clone(batch[i].geometry.get()), batch[i].values};
      for (double damage : damages) feature.values.emplace_back(damage);
      feature.values.emplace_back(ead);
      feature.values.emplace_back(costs[i]->currency);
      out.push_back(std::move(feature));
    }
    pieces += static_cast<std::int64_t>(batch.size());
    sink.write(std::move(out));
  }
  sink.end_layer();

  StepOutput output;
  output.tables = tally.tables();
  output.stats = tally.stats(pieces);
  // What each category cost where, and why: for the manifest and the summary.
  auto sources = nlohmann::json::object();
  for (const auto& [key, cost] : resolved) {
    sources[key.first + (key.second.empty() ? "" : " " + key.second)] =
        fmt::format("{:.2f} {}/{}, curve {} ({})", cost.max_damage, cost.currency, to_string(cost.unit),
                    cost.curve->name(), cost.source);
  }
  output.stats["damage_values"] = sources;
  return output;
}

}  // namespace twinrisk::ops
