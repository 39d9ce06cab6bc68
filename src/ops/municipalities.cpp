#include "twinrisk/ops/municipalities.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <cmath>
#include <map>

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
  const auto& features = municipalities.layer().features;
  const auto polygon_envelope = geos::envelope(polygon);
  auto prepared_polygon = geos::prepare(polygon);
  std::vector<std::size_t> candidates;
  std::vector<geos::PreparedPtr> prepared;
  std::vector<geos::GeomPtr> lines;
  lines.push_back(geos::boundary(polygon));
  bool covered_by_first = false;
  for (auto r : municipalities.index().query(polygon_envelope)) {
    const auto* municipality = features[r].geometry.get();
    if (!geos::intersects(prepared_polygon.get(), municipality)) continue;
    auto prepared_municipality = geos::prepare(municipality);
    if (candidates.empty() && geos::covers(prepared_municipality.get(), polygon)) covered_by_first = true;
    candidates.push_back(r);
    prepared.push_back(std::move(prepared_municipality));
    lines.push_back(geos::clip_by_rect(geos::boundary(municipality).get(), polygon_envelope));
  }
  if (covered_by_first && candidates.size() == 1) {
    const double area = geos::area(polygon);
    if (area > 0) parts.push_back({municipalities.group(candidates.front()), geos::clone(polygon), area});
    return parts;
  }
  std::map<std::size_t, std::vector<geos::GeomPtr>> faces_of;  // by group
  std::vector<geos::GeomPtr> outside;
  if (candidates.empty()) {
    outside.push_back(geos::clone(polygon));
  } else {
    const auto noded = geos::unary_union(geos::collection(std::move(lines), GEOS_GEOMETRYCOLLECTION).get());
    std::vector<geos::Envelope> envelopes;
    envelopes.reserve(candidates.size());
    for (auto r : candidates) envelopes.push_back(municipalities.envelope(r));
    const SpatialIndex candidate_index(envelopes);
    for (auto& face : geos::polygonize(noded.get())) {
      const auto inside = geos::point_on_surface(face.get());
      if (!geos::contains(prepared_polygon.get(), inside.get())) continue;  // a hole, or outside the polygon
      std::optional<std::size_t> owner;  // candidates are in layer order: the first container wins
      for (auto c : candidate_index.query(geos::envelope(inside.get()))) {
        if (geos::contains(prepared[c].get(), inside.get())) {
          owner = municipalities.group(candidates[c]);
          break;
        }
      }
      (owner ? faces_of[*owner] : outside).push_back(std::move(face));
    }
  }
  auto add_part = [&](std::optional<std::size_t> municipality, std::vector<geos::GeomPtr> faces) {
    auto geometry = geos::coverage_union(std::move(faces));
    const double area = geos::area(geometry.get());
    if (area > 0) parts.push_back({municipality, std::move(geometry), area});
  };
  for (auto& [group, faces] : faces_of) add_part(group, std::move(faces));
  if (!outside.empty()) add_part(std::nullopt, std::move(outside));
  return parts;
}

}  // namespace twinrisk::ops
