#pragma once
// Depth–damage curves, maximum damages and Expected Annual Damage: the kernel of the damage step.
//
// The default set is the European one of the JRC global flood depth–damage functions (Huizinga,
// de Moel & Szewczyk 2017, EUR 28552 EN, doi:10.2760/16510): curves for residential, commercial,
// industrial, transport, infrastructure (roads) and agriculture; maximum damages (2010 euros per m²
// of building footprint) for residential, commercial and industrial buildings per European country,
// derived from JRC's construction costs by JRC's method. docs/damage.md says where every value comes
// from and how it was checked.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "twinrisk/core/layer.hpp"

namespace twinrisk::ops {

// Damage fraction (0..1) as a function of water depth (m).
class DamageCurve {
 public:
  // Points in any order; sorted by depth. Throws InputError (naming `where`) when a depth is
  // negative or repeated, a fraction is outside 0..1, or fractions fall as the water deepens.
  DamageCurve(std::string name, std::vector<std::pair<double, double>> points, const std::string& where = {});

  const std::string& name() const { return m_name; }
  const std::vector<std::pair<double, double>>& points() const { return m_points; }
  // Linear between points; the last point's fraction holds for deeper water and the first point's
  // for shallower flooded water; a dry cell (depth ≤ 0, or no value) has no damage.
  double at(double depth_m) const;

 private:
  std::string m_name;
  std::vector<std::pair<double, double>> m_points;  // (depth m, fraction), depth increasing
};

enum class DamageUnit { per_m2, per_m, per_item };
std::string_view to_string(DamageUnit unit);
std::optional<DamageUnit> damage_unit_from_name(std::string_view name);

// The maximum damage of a category: what a wholly destroyed m², m or item costs.
struct DamageValue {
  std::string category;
  std::string country;  // empty: any country without a row of its own
  std::string curve;    // the curve it takes (empty: the curve named like the category)
  std::optional<double> max_damage;  // empty: its curve's default for the country
  std::optional<DamageUnit> unit;
  std::string currency;
};

// The JRC European curves by name: residential, commercial, industrial, transport, infrastructure,
// agriculture (depths 0, 0.5, 1, 1.5, 2, 3, 4, 5, 6 m).
const std::vector<DamageCurve>& jrc_europe_curves();
// JRC maximum damages (EUR of 2010 per m², structure + content) of residential, commercial and
// industrial buildings for 31 European countries (ISO 3166-1 alpha-2: NL, BE, DE, GB, GR, …).
const std::vector<DamageValue>& jrc_europe_values();
// JRC's construction cost (EUR of 2010 per m²) and the factors that make a maximum damage of it.
struct JrcBuildingCost {
  std::string country;  // ISO 3166-1 alpha-2
  double residential, commercial, industrial;
};
const std::vector<JrcBuildingCost>& jrc_construction_costs();
constexpr double kJrcDepreciation = 0.6;        // depreciated value / construction cost
constexpr double kJrcUndamageable = 0.4;        // share of a building a flood cannot damage
constexpr double kJrcContentResidential = 0.5;  // content value / structure value
constexpr double kJrcContentCommercial = 1.0;
constexpr double kJrcContentIndustrial = 1.5;

// Curves and maximum damages in force: the defaults (if any) overridden by the user's tables.
class DamageModel {
 public:
  // `curves`: a damage_curves table (category, depth_m, fraction); `values`: a damage_values table
  // (category, max_damage, unit, currency, optional country and curve). Either may be null. A user
  // curve replaces the default of the same name; a user value row replaces the default row of the
  // same category and country. Throws InputError naming the table, row and what to fix.
  DamageModel(bool jrc_defaults, const Table* curves, const Table* values);

  struct Resolved {
    const DamageCurve* curve = nullptr;
    double max_damage = 0;
    DamageUnit unit = DamageUnit::per_m2;
    std::string currency;
    std::string source;  // where the maximum damage came from, for the manifest
  };
  // The curve and maximum damage for an asset of `category` in `country`: the row for that
  // country, else the row without one; a row without max_damage takes its curve's default for the
  // country. Throws InputError saying which table to add a row or curve to.
  Resolved resolve(const std::string& category, const std::string& country) const;

  const std::map<std::string, DamageCurve>& curves() const { return m_curves; }

 private:
  const DamageValue* find_value(const std::vector<DamageValue>& values, const std::string& category,
                                const std::string& country) const;
  std::map<std::string, DamageCurve> m_curves;
  std::vector<DamageValue> m_user_values;
  std::vector<DamageValue> m_default_values;
  std::string m_curves_name, m_values_name;
};

// Expected Annual Damage from damages at return periods, by trapezoidal integration of damage over
// annual exceedance probability p = 1/T. EAD = Σ wᵢ·Dᵢ: the weights depend on the return periods
// alone, so one set serves every asset, municipality and country, and their EADs add up.
enum class RareTail { none, flat };      // beyond the rarest event (p below its p)
enum class FrequentTail { none, linear };  // events more frequent than the most frequent one
struct EadOptions {
  RareTail rare = RareTail::flat;          // flat: the rarest event's damage holds down to p = 0
  FrequentTail frequent = FrequentTail::none;  // linear: damage falls to 0 at no_damage_return_period
  double no_damage_return_period = 1;      // for FrequentTail::linear; below the smallest return period
};
// One weight per return period, in the order given. Throws ConfigError for duplicate return periods,
// periods below 1 year, or a no-damage period not below the most frequent event's.
std::vector<double> ead_weights(const std::vector<double>& return_periods, const EadOptions& options);
double expected_annual_damage(const std::vector<double>& return_periods, const std::vector<double>& damages,
                              const EadOptions& options);

}  // namespace twinrisk::ops
