#include "twinrisk/core/layer.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace twinrisk {

std::string_view to_string(EntryKind kind) {
  switch (kind) {
    case EntryKind::vector: return "vector layer";
    case EntryKind::table: return "table";
    case EntryKind::raster: return "raster";
  }
  return "vector layer";
}

const std::vector<RoleSpec>& role_specs() {
  using K = EntryKind;
  using G = GeometryFamily;
  static const std::vector<RoleSpec> specs = {
      {Role::municipalities, "municipalities", K::vector, G::polygon, {"id"}, {"name", "country"}},
      {Role::basins, "basins", K::vector, G::polygon, {"id"}, {"next_down"}},
      {Role::rivers, "rivers", K::vector, G::line, {}, {"id", "name", "order", "flow"}},
      {Role::hazard, "hazard", K::vector, G::polygon, {}, {"class"}},
      {Role::infrastructure, "infrastructure", K::vector, G::any, {"category"}, {"name"}},
      {Role::twinning, "twinning", K::table, G::none, {"a", "b"}, {}},
      {Role::features, "features", K::vector, G::any, {}, {}, true},
      {Role::table, "table", K::table, G::none, {}, {}, true},
      {Role::raster, "raster", K::raster, G::none, {}, {}},
      {Role::result, "result", K::vector, G::any, {}, {}, true},
      {Role::zone_parts, "zone_parts", K::vector, G::polygon, {"zone_id"},
       {"class", "municipality_id", "municipality_name", "country"}},
      {Role::exposed_assets, "exposed_assets", K::vector, G::any,
       {"asset_layer", "asset_id", "category", "zone_id", "municipality_id", "country", "length_m", "area_m2",
        "share_of_asset"},
       {"name", "class", "municipality_name"}},
      {Role::damage_curves, "damage_curves", K::table, G::none, {"category", "depth_m", "fraction"}, {}},
      {Role::damage_values, "damage_values", K::table, G::none, {"category", "max_damage", "unit", "currency"},
       {"country", "curve"}},
  };
  return specs;
}

const RoleSpec& role_spec(Role role) {
  const auto& specs = role_specs();
  return *std::find_if(specs.begin(), specs.end(), [role](const RoleSpec& s) { return s.role == role; });
}

std::optional<Role> role_from_name(std::string_view name) {
  for (const auto& spec : role_specs()) {
    if (spec.name == name && spec.role != Role::result) return spec.role;
  }
  return std::nullopt;
}

std::string_view to_string(Role role) { return role_spec(role).name; }

std::string_view to_string(GeometryFamily family) {
  switch (family) {
    case GeometryFamily::polygon: return "polygon";
    case GeometryFamily::line: return "line";
    case GeometryFamily::point: return "point";
    case GeometryFamily::any: return "any";
    case GeometryFamily::none: return "none";
  }
  return "any";
}

std::string_view to_string(FieldType type) {
  switch (type) {
    case FieldType::integer: return "integer";
    case FieldType::real: return "real";
    case FieldType::string: return "string";
  }
  return "string";
}

std::string to_display_string(const Value& value) {
  struct Visitor {
    std::string operator()(std::monostate) const { return {}; }
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return fmt::format("{}", v); }
    std::string operator()(const std::string& v) const { return v; }
  };
  return std::visit(Visitor{}, value);
}

LayerSchema result_schema(std::string name, GeometryFamily geometry, std::string crs_wkt, std::vector<FieldDef> fields) {
  LayerSchema schema;
  schema.name = std::move(name);
  schema.role = Role::result;
  schema.geometry = geometry;
  schema.crs_wkt = std::move(crs_wkt);
  schema.fields = std::move(fields);
  return schema;
}

std::optional<std::size_t> find_field(const std::vector<FieldDef>& fields, std::string_view name) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == name) return i;
  }
  return std::nullopt;
}

}  // namespace twinrisk
