#include "twinrisk/ops/municipalities.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <cmath>

#include "twinrisk/ops/zone_cut.hpp"

namespace twinrisk::ops {

std::string key_text(const Feature& feature, std::optional<std::size_t> field) {
  if (!field) return {};
  const Value& value = feature.values[*field];
  if (const auto* real = std::get_if<double>(&value)) {
    if (std::isfinite(*real) && std::trunc(*real) == *real && std::fabs(*real) < 9.0e15) {
      return fmt::format("{}", static_cast<std::int64_t>(*real));
    }
  }
  return to_display_string(value);
}

MunicipalityIndex::MunicipalityIndex(const Layer& municipalities)
    : m_layer(&municipalities), m_index(municipalities) {
  const auto id_field = municipalities.field_index("id");
  const auto name_field = municipalities.field_index("name");
  const auto country_field = municipalities.field_index("country");
  const auto& features = municipalities.features;
  const std::size_t n = features.size();
  m_id.reserve(n);
  m_name.reserve(n);
  m_country.reserve(n);
  for (const auto& feature : features) {
    m_id.push_back(key_text(feature, id_field));
    m_name.push_back(key_text(feature, name_field));
    m_country.push_back(key_text(feature, country_field));
  }
  std::vector<double> row_area(n, 0.0);
  m_envelope.resize(n);
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t r) {
    const auto* geometry = features[r].geometry.get();
    if (!geometry || geos::is_empty(geometry)) return;
    row_area[r] = geos::area(geometry);
    m_envelope[r] = geos::envelope(geometry);
  });
  m_group_of.resize(n);
  m_area.assign(n, 0.0);
  m_by_id.reserve(n);
  for (std::size_t r = 0; r < n; ++r) {
    const auto [it, inserted] = m_by_id.try_emplace(m_id[r], r);
    m_group_of[r] = it->second;
    if (inserted) m_groups.push_back(r);
    m_rows_of[it->second].push_back(r);
    m_area[it->second] += row_area[r];
  }
}

std::optional<std::size_t> MunicipalityIndex::find(std::string_view id) const {
  const auto it = m_by_id.find(id);
  if (it == m_by_id.end()) return std::nullopt;
  return it->second;
}

bool MunicipalityIndex::cross_national(std::size_t group_a, std::size_t group_b) const {
  return !m_country[group_a].empty() && !m_country[group_b].empty() && m_country[group_a] != m_country[group_b];
}

geos::GeomPtr MunicipalityIndex::point_on_surface(std::size_t group) const {
  const auto& rows = rows_of(group);
  std::size_t largest = rows.front();
  double largest_area = -1;
  for (auto r : rows) {
    const auto* geometry = m_layer->features[r].geometry.get();
    if (!geometry || geos::is_empty(geometry)) continue;
    const double a = geos::area(geometry);
    if (a > largest_area) {
      largest_area = a;
      largest = r;
    }
  }
  return geos::point_on_surface(m_layer->features[largest].geometry.get());
}

std::vector<MunicipalityPart> cut_by_municipalities(const GEOSGeometry* polygon, const MunicipalityIndex& municipalities) {
  std::vector<MunicipalityPart> parts;
  if (!polygon || geos::is_empty(polygon)) return parts;
  // shared-zones' cut, so a basin or corridor is cut exactly as a zone is.
  auto cut = cut_by_municipalities(polygon, geos::area(polygon), municipalities.layer().features,
                                   municipalities.index(), municipalities.group_of());
  for (auto& part : cut.parts) {
    if (part.area_m2 > 0) parts.push_back({part.municipality, std::move(part.geometry), part.area_m2});
  }
  return parts;
}

}  // namespace twinrisk::ops
