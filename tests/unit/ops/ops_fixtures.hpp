#pragma once
// In-memory layers for the river, basin, restoration and cooperation kernel tests.

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "twinrisk/core/geos.hpp"
#include "twinrisk/core/layer.hpp"

namespace twinrisk::test {

struct MunicipalityRow {
  std::string id, country, wkt;
};

inline Layer municipality_layer(const std::vector<MunicipalityRow>& rows) {
  Layer layer;
  layer.name = "municipalities";
  layer.role = Role::municipalities;
  layer.fields = {{"id", FieldType::string}, {"name", FieldType::string}, {"country", FieldType::string}};
  std::int64_t fid = 1;
  for (const auto& row : rows) {
    layer.features.push_back({fid++, geos::from_wkt(row.wkt), {row.id, "name " + row.id, row.country}});
  }
  return layer;
}

struct RiverRow {
  std::string id, wkt;
  std::int64_t order = 1;
};

inline Layer river_layer(const std::vector<RiverRow>& rows) {
  Layer layer;
  layer.name = "rivers";
  layer.role = Role::rivers;
  layer.geometry = GeometryFamily::line;
  layer.fields = {{"id", FieldType::string}, {"name", FieldType::string}, {"order", FieldType::integer}};
  std::int64_t fid = 101;
  for (const auto& row : rows) layer.features.push_back({fid++, geos::from_wkt(row.wkt), {row.id, "river " + row.id, row.order}});
  return layer;
}

// WKT with every digit of the coordinates, so expected values can use the same doubles.
inline std::string line(const std::vector<std::pair<double, double>>& points) {
  std::ostringstream wkt;
  wkt.precision(17);
  wkt << "LINESTRING(";
  for (std::size_t i = 0; i < points.size(); ++i) wkt << (i ? "," : "") << points[i].first << " " << points[i].second;
  wkt << ")";
  return wkt.str();
}

}  // namespace twinrisk::test
