#pragma once
// The in-memory data model: layers of features with a GEOS geometry, attribute tables, and the
// schema both share.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "twinrisk/core/geos.hpp"

namespace twinrisk {

// What a catalogue entry is: features with geometry, rows without, or a grid of cells.
enum class EntryKind { vector, table, raster };
std::string_view to_string(EntryKind kind);

// What a layer means to the step that uses it; decides its expected fields and geometry type.
// `features` is any vector layer for generic overlays and `table` any attribute table: both keep
// every source field under its own name.
enum class Role {
  municipalities, basins, rivers, hazard, infrastructure, twinning, features, table, raster, result
};

enum class GeometryFamily { polygon, line, point, any, none };

struct RoleSpec {
  Role role;
  std::string_view name;
  EntryKind kind;
  GeometryFamily geometry;
  std::vector<std::string_view> required_fields;
  std::vector<std::string_view> optional_fields;
  // Every source field is kept under its own name (no `fields:` mapping).
  bool keeps_all_fields = false;
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

// Index of a field by name, or nullopt.
std::optional<std::size_t> find_field(const std::vector<FieldDef>& fields, std::string_view name);

// Name, meaning, geometry, CRS and fields of a layer: what a reader promises and a writer creates.
struct LayerSchema {
  std::string name;
  Role role = Role::result;
  GeometryFamily geometry = GeometryFamily::polygon;
  std::string crs_wkt;
  std::vector<FieldDef> fields;
  // The source's feature id column ("fid" in a GeoPackage; QGIS shows it as a field), or empty.
  std::string fid_column;
  // The output whose style it takes (styles/<style>.yaml): `zones` for hq100_zones. Empty: its name.
  std::string style;
  // What a person calls it, for legends ("Counties"); empty: the style's title.
  std::string title;

  std::optional<std::size_t> field_index(std::string_view field) const { return find_field(fields, field); }
  const std::string& style_name() const { return style.empty() ? name : style; }
};

// The schema of a result layer a step makes.
LayerSchema result_schema(std::string name, GeometryFamily geometry, std::string crs_wkt, std::vector<FieldDef> fields);

struct Feature {
  std::int64_t fid = 0;  // the source's feature id, kept for messages and provenance
  geos::GeomPtr geometry;
  std::vector<Value> values;  // one per LayerSchema::fields entry
};

struct Layer : LayerSchema {
  std::vector<Feature> features;
};

// Rows without geometry: an input table (a twinning list, damage curves) or a result written as CSV.
struct Table {
  std::string name;
  std::vector<FieldDef> columns;
  std::vector<std::vector<Value>> rows;
  Role role = Role::result;

  std::optional<std::size_t> column_index(std::string_view column) const { return find_field(columns, column); }
};

}  // namespace twinrisk
