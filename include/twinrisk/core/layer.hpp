#pragma once
// The in-memory layer model: a schema of typed fields and features holding a GEOS geometry.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "twinrisk/core/geos.hpp"

namespace twinrisk {

// What a layer means to the algorithms; decides its expected fields and geometry type.
// `features` is any layer for generic overlays: it keeps every source field under its own name.
enum class Role { municipalities, basins, rivers, hazard, infrastructure, twinning, features, result };

enum class GeometryFamily { polygon, line, point, any, none };

struct RoleSpec {
  Role role;
  std::string_view name;
  GeometryFamily geometry;
  std::vector<std::string_view> required_fields;
  std::vector<std::string_view> optional_fields;
};

const std::vector<RoleSpec>& role_specs();
const RoleSpec& role_spec(Role role);
std::optional<Role> role_from_name(std::string_view name);
std::string_view to_string(Role role);
std::string_view to_string(GeometryFamily family);

enum class FieldType { integer, real, string };
std::string_view to_string(FieldType type);

using Value = std::variant<std::monostate, std::int64_t, double, std::string>;
std::string to_display_string(const Value& value);

struct FieldDef {
  std::string name;
  FieldType type = FieldType::string;
};

struct Feature {
  std::int64_t fid = 0;  // the source's feature id, kept for messages and provenance
  geos::GeomPtr geometry;
  std::vector<Value> values;  // one per Layer::fields entry
};

struct Layer {
  std::string name;
  Role role = Role::result;
  GeometryFamily geometry = GeometryFamily::polygon;
  std::string crs_wkt;
  std::vector<FieldDef> fields;
  std::vector<Feature> features;

  // Index of a field by name, or nullopt.
  std::optional<std::size_t> field_index(std::string_view field) const;
};

// A non-spatial result, written as CSV.
struct Table {
  std::string name;
  std::vector<FieldDef> columns;
  std::vector<std::vector<Value>> rows;
};

}  // namespace twinrisk
