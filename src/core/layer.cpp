#include "twinrisk/core/layer.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace twinrisk {

const std::vector<RoleSpec>& role_specs() {
  static const std::vector<RoleSpec> specs = {
      {Role::municipalities, "municipalities", GeometryFamily::polygon, {"id"}, {"name", "country"}},
      {Role::basins, "basins", GeometryFamily::polygon, {"id"}, {"next_down"}},
      {Role::rivers, "rivers", GeometryFamily::line, {}, {"name", "order"}},
      {Role::hazard, "hazard", GeometryFamily::polygon, {}, {"class"}},
      {Role::infrastructure, "infrastructure", GeometryFamily::any, {}, {"category"}},
      {Role::twinning, "twinning", GeometryFamily::none, {"a", "b"}, {}},
      {Role::features, "features", GeometryFamily::any, {}, {}},
      {Role::result, "result", GeometryFamily::any, {}, {}},
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

std::optional<std::size_t> Layer::field_index(std::string_view field) const {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == field) return i;
  }
  return std::nullopt;
}

}  // namespace twinrisk
