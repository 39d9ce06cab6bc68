#pragma once
// What the river, basin, restoration and cooperation kernels need of a municipalities layer,
// computed once: ids, names, countries, areas, an R-tree, and the rule that rows sharing an id
// are one municipality. Kernels name a municipality by its *group*: the position of the first
// row with its id.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "twinrisk/core/geos.hpp"
#include "twinrisk/core/layer.hpp"
#include "twinrisk/core/spatial_index.hpp"

namespace twinrisk::ops {

class MunicipalityIndex {
 public:
  // Reads the role fields `id`, `name` and `country` (absent fields read as empty text). The layer
  // must outlive the index.
  explicit MunicipalityIndex(const Layer& municipalities);

  const Layer& layer() const { return *m_layer; }
  std::size_t rows() const { return m_group_of.size(); }
  // The group (first row with the same id) of a row.
  std::size_t group(std::size_t row) const { return m_group_of[row]; }
  // Every group, in layer order.
  const std::vector<std::size_t>& groups() const { return m_groups; }
  // The rows of a group, in layer order.
  const std::vector<std::size_t>& rows_of(std::size_t group) const { return m_rows_of.at(group); }
  const std::string& id(std::size_t group) const { return m_id[group]; }
  const std::string& name(std::size_t group) const { return m_name[group]; }
  const std::string& country(std::size_t group) const { return m_country[group]; }
  // Sum of the areas of the group's rows.
  double area_m2(std::size_t group) const { return m_area[group]; }
  std::optional<std::size_t> find(std::string_view id) const;
  // Both countries known and different.
  bool cross_national(std::size_t group_a, std::size_t group_b) const;
  const SpatialIndex& index() const { return m_index; }
  const geos::Envelope& envelope(std::size_t row) const { return m_envelope[row]; }
  // A point inside the group's largest row (GEOSPointOnSurface).
  geos::GeomPtr point_on_surface(std::size_t group) const;

 private:
  const Layer* m_layer;
  std::vector<std::string> m_id, m_name, m_country;
  std::vector<std::size_t> m_group_of, m_groups;
  std::unordered_map<std::size_t, std::vector<std::size_t>> m_rows_of;
  std::unordered_map<std::string_view, std::size_t> m_by_id;
  std::vector<double> m_area;
  std::vector<geos::Envelope> m_envelope;
  SpatialIndex m_index;
};

// One municipality's share of a polygon; `municipality` is a group, nullopt outside every one.
struct MunicipalityPart {
  std::optional<std::size_t> municipality;
  geos::GeomPtr geometry;
  double area_m2 = 0;
};

// Cuts a polygon by the municipalities, the way shared-zones cuts a zone: the polygon's outline and
// the candidates' outlines are noded together and polygonized once, and every face goes to the
// municipality whose row, first in the layer, contains its interior point (so where municipalities
// overlap, the overlap is counted once, in the first). Parts come in group order, the outside part
// (area in no municipality) last; empty parts are left out. A polygon wholly inside one row and
// touching no other is returned as is.
std::vector<MunicipalityPart> cut_by_municipalities(const GEOSGeometry* polygon, const MunicipalityIndex& municipalities);

// Text of a field of a feature, "" when the field is absent or NULL; integral reals without ".0",
// so an id read as 1.02e9 from one source and 1020000000 from another compare equal.
std::string key_text(const Feature& feature, std::optional<std::size_t> field);

}  // namespace twinrisk::ops
