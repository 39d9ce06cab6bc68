#include "twinrisk/ops/damage_curves.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "twinrisk/core/error.hpp"

namespace twinrisk::ops {

DamageCurve::DamageCurve(std::string name, std::vector<std::pair<double, double>> points, const std::string& where)
    : m_name(std::move(name)), m_points(std::move(points)) {
  const auto fail = [&](const std::string& what) {
    throw InputError(fmt::format("{}curve '{}': {}", where.empty() ? "" : where + ": ", m_name, what), {},
                     "a curve lists depth_m (≥ 0, each once) and fraction (0..1, never falling as depth grows)");
  };
  if (m_points.empty()) fail("has no points");
  std::stable_sort(m_points.begin(), m_points.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < m_points.size(); ++i) {
    const auto [depth, fraction] = m_points[i];
    if (!std::isfinite(depth) || depth < 0) fail(fmt::format("depth {} m is not a depth (≥ 0)", depth));
    if (!std::isfinite(fraction) || fraction < 0 || fraction > 1) {
      fail(fmt::format("fraction {} at {} m is outside 0..1", fraction, depth));
    }
    if (i == 0) continue;
    const auto [previous_depth, previous_fraction] = m_points[i - 1];
    if (depth == previous_depth) fail(fmt::format("depth {} m is given twice", depth));
    if (fraction < previous_fraction) {
      fail(fmt::format("is not monotonic: the fraction falls from {} at {} m to {} at {} m", previous_fraction,
                       previous_depth, fraction, depth));
    }
  }
}

double DamageCurve::at(double depth_m) const {
  if (!(depth_m > 0)) return 0.0;
  if (depth_m <= m_points.front().first) return m_points.front().second;
  if (depth_m >= m_points.back().first) return m_points.back().second;
  const auto upper = std::upper_bound(m_points.begin(), m_points.end(), depth_m,
                                      [](double d, const auto& point) { return d < point.first; });
  const auto& [d1, f1] = *upper;
  const auto& [d0, f0] = *(upper - 1);
  return f0 + (f1 - f0) * (depth_m - d0) / (d1 - d0);
}

std::string_view to_string(DamageUnit unit) {
  switch (unit) {
    case DamageUnit::per_m2: return "m2";
    case DamageUnit::per_m: return "m";
    case DamageUnit::per_item: return "item";
  }
  return "m2";
}

std::optional<DamageUnit> damage_unit_from_name(std::string_view name) {
  if (name == "m2" || name == "m²") return DamageUnit::per_m2;
  if (name == "m") return DamageUnit::per_m;
  if (name == "item") return DamageUnit::per_item;
  return std::nullopt;
}

// The curves at 0, 0.5, 1, 1.5, 2, 3, 4, 5 and 6 m for Europe, as CLIMADA-petals ships them
// (ImpfRiverFlood.from_jrc_region_sector, tested in its test_fl.py) from JRC's spreadsheet.
const std::vector<DamageCurve>& jrc_europe_curves() {
  static const std::vector<DamageCurve> curves = [] {
    const std::vector<double> depths = {0, 0.5, 1, 1.5, 2, 3, 4, 5, 6};
    const std::vector<std::pair<std::string, std::vector<double>>> fractions = {
        {"residential", {0, 0.25, 0.40, 0.50, 0.60, 0.75, 0.85, 0.95, 1.00}},
        {"commercial", {0, 0.15, 0.30, 0.45, 0.55, 0.75, 0.90, 1.00, 1.00}},
        {"industrial", {0, 0.15, 0.27, 0.40, 0.52, 0.70, 0.85, 1.00, 1.00}},
        {"transport", {0, 0.317, 0.542, 0.702, 0.832, 1.00, 1.00, 1.00, 1.00}},
        {"infrastructure", {0, 0.25, 0.42, 0.55, 0.65, 0.80, 0.90, 1.00, 1.00}},
        {"agriculture", {0, 0.30, 0.55, 0.65, 0.75, 0.85, 0.95, 1.00, 1.00}},
    };
    std::vector<DamageCurve> out;
    for (const auto& [name, values] : fractions) {
      std::vector<std::pair<double, double>> points;
      for (std::size_t i = 0; i < depths.size(); ++i) points.emplace_back(depths[i], values[i]);
      out.emplace_back(name, std::move(points));
    }
    return out;
  }();
  return curves;
}

// JRC's construction costs (2010 €/m²) as HydroMT-FIAT ships them (JRC_base_damage_values.csv, from
// JRC's spreadsheet); each is a·GDP^b of the country's 2010 GDP per capita (docs/damage.md).
const std::vector<JrcBuildingCost>& jrc_construction_costs() {
  static const std::vector<JrcBuildingCost> costs = {
      {"AT", 1511.201454, 1566.185027, 1011.987128}, {"BE", 1484.68729, 1540.673085, 996.9904855},
      {"BG", 711.9044621, 778.995481, 536.3496982},  {"HR", 938.9350803, 1007.100749, 677.3971539},
      {"CY", 1241.656317, 1305.20806, 857.4530452},  {"CZ", 1087.405517, 1154.0579, 766.6883148},
      {"DK", 1642.382404, 1691.943646, 1085.594448}, {"EE", 968.4306262, 1036.421489, 695.3020278},
      {"FI", 1508.166341, 1563.266288, 1010.272543}, {"FR", 1436.35291, 1494.080603, 969.5434816},
      {"DE", 1450.075218, 1507.319721, 977.3502816}, {"GR", 1223.830116, 1287.812776, 847.0581133},
      {"HU", 924.2232407, 992.4513611, 668.4337339}, {"IS", 1449.7087, 1506.966227, 977.1419154},
      {"IE", 1529.285536, 1583.566984, 1022.191997}, {"IT", 1368.137169, 1428.129461, 930.5586385},
      {"LV", 881.092001, 949.4050662, 642.0248841},  {"LT", 892.9915407, 961.2960566, 649.3306751},
      {"LU", 2052.734797, 2080.914052, 1310.278866}, {"MT", 1085.946695, 1152.621327, 765.8206764},
      {"NL", 1558.804244, 1611.907838, 1038.809007}, {"NO", 1916.796979, 1952.742448, 1236.702354},
      {"PL", 911.0387691, 979.3085581, 660.3818969}, {"PT", 1143.847869, 1209.534515, 800.1203128},
      {"RO", 772.636806, 840.4709292, 574.6932186},  {"SK", 1014.601583, 1082.190305, 723.1595686},
      {"SI", 1160.829551, 1226.186556, 810.1278932}, {"ES", 1289.027494, 1351.347305, 884.9640521},
      {"SE", 1579.319664, 1631.581807, 1050.328746}, {"CH", 1810.809955, 1852.35646, 1178.769909},
      {"GB", 1403.929998, 1462.762918, 951.0510097},
  };
  return costs;
}

// JRC's method: structure = cost × depreciation × (1 − undamageable); content = structure × factor.
const std::vector<DamageValue>& jrc_europe_values() {
  static const std::vector<DamageValue> values = [] {
    std::vector<DamageValue> out;
    const double structure = kJrcDepreciation * (1 - kJrcUndamageable);
    for (const auto& cost : jrc_construction_costs()) {
      out.push_back({"residential", cost.country, "residential",
                     cost.residential * structure * (1 + kJrcContentResidential), DamageUnit::per_m2, "EUR"});
      out.push_back({"commercial", cost.country, "commercial",
                     cost.commercial * structure * (1 + kJrcContentCommercial), DamageUnit::per_m2, "EUR"});
      out.push_back({"industrial", cost.country, "industrial",
                     cost.industrial * structure * (1 + kJrcContentIndustrial), DamageUnit::per_m2, "EUR"});
    }
    return out;
  }();
  return values;
}

namespace {

std::string table_label(const Table& table) {
  return table.source.empty() ? fmt::format("table '{}'", table.name) : table.source;
}

std::string cell_text(const Table& table, const std::vector<Value>& row, std::string_view column) {
  const auto index = table.column_index(column);
  return index ? to_display_string(row[*index]) : std::string();
}

std::optional<double> cell_number(const Table& table, const std::vector<Value>& row, std::string_view column,
                                  const std::string& where) {
  const auto index = table.column_index(column);
  if (!index) return std::nullopt;
  const Value& value = row[*index];
  if (std::holds_alternative<std::monostate>(value)) return std::nullopt;
  if (const auto* d = std::get_if<double>(&value)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i);
  const auto& text = std::get<std::string>(value);
  if (text.find_first_not_of(" \t") == std::string::npos) return std::nullopt;
  try {
    std::size_t used = 0;
    const double number = std::stod(text, &used);
    if (text.find_first_not_of(" \t", used) == std::string::npos) return number;
  } catch (const std::exception&) {
  }
  throw InputError(fmt::format("{}: {} '{}' is not a number", where, column, text), {},
                   "write numbers with a decimal point and no unit, e.g. 0.25");
}

}  // namespace

DamageModel::DamageModel(bool jrc_defaults, const Table* curves, const Table* values) {
  if (jrc_defaults) {
    for (const auto& curve : jrc_europe_curves()) m_curves.emplace(curve.name(), curve);
    m_default_values = jrc_europe_values();
  }
  if (curves) {
    m_curves_name = table_label(*curves);
    std::map<std::string, std::vector<std::pair<double, double>>> points;
    for (std::size_t r = 0; r < curves->rows.size(); ++r) {
      const auto& row = curves->rows[r];
      const std::string where = fmt::format("{}, row {}", m_curves_name, r + 1);
      const auto category = cell_text(*curves, row, "category");
      const auto depth = cell_number(*curves, row, "depth_m", where);
      const auto fraction = cell_number(*curves, row, "fraction", where);
      if (category.empty() || !depth || !fraction) {
        throw InputError(fmt::format("{}: category, depth_m and fraction must all be given", where), {},
                         "one row per curve point: category,depth_m,fraction");
      }
      points[category].emplace_back(*depth, *fraction);
    }
    for (auto& [name, list] : points) {
      m_curves.insert_or_assign(name, DamageCurve(name, std::move(list), m_curves_name));
    }
  }
  if (values) {
    m_values_name = table_label(*values);
    std::set<std::pair<std::string, std::string>> seen;
    for (std::size_t r = 0; r < values->rows.size(); ++r) {
      const auto& row = values->rows[r];
      const std::string where = fmt::format("{}, row {}", m_values_name, r + 1);
      DamageValue value;
      value.category = cell_text(*values, row, "category");
      value.country = cell_text(*values, row, "country");
      value.curve = cell_text(*values, row, "curve");
      value.max_damage = cell_number(*values, row, "max_damage", where);
      value.currency = cell_text(*values, row, "currency");
      const auto unit = cell_text(*values, row, "unit");
      if (value.category.empty()) throw InputError(fmt::format("{}: no category", where));
      if (!unit.empty()) {
        value.unit = damage_unit_from_name(unit);
        if (!value.unit) {
          throw InputError(fmt::format("{}: unit '{}' is not m2, m or item", where, unit), {},
                           "m2: per square metre (polygons), m: per metre (lines), item: per asset");
        }
      }
      if (value.max_damage && !(std::isfinite(*value.max_damage) && *value.max_damage >= 0)) {
        throw InputError(fmt::format("{}: max_damage {} is not a cost (≥ 0)", where, *value.max_damage));
      }
      if (value.max_damage && (!value.unit || value.currency.empty())) {
        throw InputError(fmt::format("{}: category '{}' has a max_damage but no {}", where, value.category,
                                     value.unit ? "currency" : "unit"),
                         {}, "give max_damage with its unit (m2, m or item) and currency (e.g. EUR)");
      }
      if (!seen.emplace(value.category, value.country).second) {
        throw InputError(fmt::format("{}: category '{}'{} has two rows", where, value.category,
                                     value.country.empty() ? "" : " in country " + value.country));
      }
      m_user_values.push_back(std::move(value));
    }
  }
}

const DamageValue* DamageModel::find_value(const std::vector<DamageValue>& values, const std::string& category,
                                           const std::string& country) const {
  const DamageValue* any_country = nullptr;
  for (const auto& value : values) {
    if (value.category != category) continue;
    if (value.country == country) return &value;
    if (value.country.empty()) any_country = &value;
  }
  return any_country;
}

DamageModel::Resolved DamageModel::resolve(const std::string& category, const std::string& country) const {
  Resolved out;
  const DamageValue* user = find_value(m_user_values, category, country);
  const std::string curve_name = user && !user->curve.empty() ? user->curve : category;
  const auto curve = m_curves.find(curve_name);
  if (curve == m_curves.end()) {
    std::vector<std::string> names;
    for (const auto& [name, c] : m_curves) names.push_back(name);
    throw InputError(
        fmt::format("category '{}' has no damage curve{} (curves: {})", category,
                    curve_name == category ? "" : fmt::format(" ('{}' names curve '{}')", m_values_name, curve_name),
                    names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))),
        {},
        fmt::format("add a curve '{}' to the damage_curves table{}", curve_name,
                    m_values_name.empty() ? ", or map the category to one of the curves with a damage_values row "
                                            "(category,curve,…)"
                                          : ", or set the curve column of its damage_values row"));
  }
  out.curve = &curve->second;
  if (user && user->max_damage) {
    out.max_damage = *user->max_damage;
    out.unit = *user->unit;
    out.currency = user->currency;
    out.source = fmt::format("{} ({}{})", m_values_name, category, user->country.empty() ? "" : ", " + user->country);
    return out;
  }
  // No cost of its own: the default of its curve's class in the country.
  const DamageValue* fallback = find_value(m_default_values, curve_name, country);
  if (!fallback) {
    throw InputError(fmt::format("category '{}' has no maximum damage for {}", category,
                                 country.empty() ? "assets without a country" : "country '" + country + "'"),
                     {},
                     fmt::format("add a damage_values row: {},max_damage,unit,currency{} (the JRC defaults give "
                                 "residential, commercial and industrial buildings in 31 European countries)",
                                 category, country.empty() ? "" : "," + country));
  }
  out.max_damage = *fallback->max_damage;
  out.unit = *fallback->unit;
  out.currency = fallback->currency;
  out.source = fmt::format("JRC 2017 {} {}", curve_name, fallback->country);
  return out;
}

std::vector<double> ead_weights(const std::vector<double>& return_periods, const EadOptions& options) {
  std::vector<std::size_t> order(return_periods.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (!(return_periods[i] >= 1) || !std::isfinite(return_periods[i])) {
      throw ConfigError(fmt::format("return period {} is not a number of years ≥ 1", return_periods[i]));
    }
    order[i] = i;
  }
  // Most frequent first: p = 1/T falling.
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return return_periods[a] < return_periods[b]; });
  for (std::size_t k = 1; k < order.size(); ++k) {
    if (return_periods[order[k]] == return_periods[order[k - 1]]) {
      throw ConfigError(fmt::format("return period {} is given twice (events {} and {})", return_periods[order[k]],
                                    order[k - 1] + 1, order[k] + 1),
                        {}, "give each event its own return period; merge or drop one of them");
    }
  }
  std::vector<double> weights(return_periods.size(), 0.0);
  if (order.empty()) return weights;
  auto p = [&](std::size_t k) { return 1.0 / return_periods[order[k]]; };
  for (std::size_t k = 0; k + 1 < order.size(); ++k) {
    const double width = p(k) - p(k + 1);
    weights[order[k]] += width / 2;
    weights[order[k + 1]] += width / 2;
  }
  if (options.frequent == FrequentTail::linear) {
    if (!(options.no_damage_return_period < return_periods[order.front()]) || options.no_damage_return_period < 1) {
      throw ConfigError(fmt::format("no_damage_return_period {} must be at least 1 and below the most frequent event's "
                                    "return period ({})",
                                    options.no_damage_return_period, return_periods[order.front()]));
    }
    weights[order.front()] += (1.0 / options.no_damage_return_period - p(0)) / 2;
  }
  if (options.rare == RareTail::flat) weights[order.back()] += p(order.size() - 1);
  return weights;
}

double expected_annual_damage(const std::vector<double>& return_periods, const std::vector<double>& damages,
                              const EadOptions& options) {
  const auto weights = ead_weights(return_periods, options);
  double ead = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) ead += weights[i] * damages.at(i);
  return ead;
}

}  // namespace twinrisk::ops
