#include "gpkg_rows.hpp"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <fmt/format.h>
#include <geos_c.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <utility>

#include "sql_identifier.hpp"
#include "twinrisk/core/error.hpp"

namespace twinrisk::io {
namespace {

void put_u32(std::vector<unsigned char>& out, std::uint32_t value) {
  for (int b = 0; b < 4; ++b) out.push_back(static_cast<unsigned char>(value >> (8 * b)));
}
void put_double(std::vector<unsigned char>& out, double value) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  for (int b = 0; b < 8; ++b) out.push_back(static_cast<unsigned char>(bits >> (8 * b)));
}
void append(std::vector<unsigned char>& out, const std::vector<unsigned char>& bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

constexpr std::uint32_t kWkbMultiLineString = 5;
constexpr std::uint32_t kWkbMultiPolygon = 6;

// What a layer of `family` stores of a geometry, when it is not already of the layer's type:
// its polygons or its lines, in one MultiPolygon or MultiLineString as GDAL writes that type
// (forceToMultiPolygon / forceToMultiLineString); null when the geometry needs no change.
geos::GeomPtr of_family(const GEOSGeometry* geometry, GeometryFamily family) {
  const int type = geos::type_id(geometry);
  if (family == GeometryFamily::polygon && type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON) {
    return geos::collection(geos::polygons_of(geometry), GEOS_MULTIPOLYGON);
  }
  if (family == GeometryFamily::line && type != GEOS_LINESTRING && type != GEOS_MULTILINESTRING) {
    std::vector<geos::GeomPtr> lines;
    for (const auto* line : geos::line_views(geometry)) lines.push_back(geos::line_string(geos::coordinates(line)));
    return geos::collection(std::move(lines), GEOS_MULTILINESTRING);
  }
  return nullptr;
}

void put_coordinates(std::vector<unsigned char>& out, const GEOSGeometry* line_or_ring) {
  const auto points = geos::coordinates(line_or_ring);
  put_u32(out, static_cast<std::uint32_t>(points.size()));
  if constexpr (std::endian::native == std::endian::little) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(points.data());
    out.insert(out.end(), bytes, bytes + points.size() * sizeof(geos::XY));
  } else {
    for (const auto& p : points) {
      put_double(out, p.x);
      put_double(out, p.y);
    }
  }
}

// Little-endian 2D WKB, byte for byte as GEOS's writer makes it, from the coordinates: GEOS's
// writer goes through a stream and its output is copied twice more (2 % of an exposure run's
// CPU). False, with `out` to be cut back, for what this does not write: an empty point (NaN
// coordinates in WKB) and anything with Z.
bool put_plain_wkb(std::vector<unsigned char>& out, const GEOSGeometry* geometry) {
  const int type = geos::type_id(geometry);
  if (GEOSHasZ_r(geos::context(), geometry) != 0 || (type == GEOS_POINT && geos::is_empty(geometry))) return false;
  out.push_back(1);  // little-endian
  switch (type) {
    case GEOS_POINT: {
      put_u32(out, 1);
      const auto at = geos::point_xy(geometry);
      put_double(out, at.x);
      put_double(out, at.y);
      return true;
    }
    case GEOS_LINESTRING:
    case GEOS_LINEARRING:
      put_u32(out, 2);
      put_coordinates(out, geometry);
      return true;
    case GEOS_POLYGON: {
      put_u32(out, 3);
      const auto rings = geos::ring_views(geometry);
      put_u32(out, static_cast<std::uint32_t>(rings.size()));
      for (const auto* ring : rings) put_coordinates(out, ring);
      return true;
    }
    case GEOS_MULTIPOINT:
    case GEOS_MULTILINESTRING:
    case GEOS_MULTIPOLYGON:
    case GEOS_GEOMETRYCOLLECTION: {
      put_u32(out, static_cast<std::uint32_t>(type - GEOS_MULTIPOINT + 4));
      const int parts = GEOSGetNumGeometries_r(geos::context(), geometry);
      put_u32(out, static_cast<std::uint32_t>(parts));
      for (int p = 0; p < parts; ++p) {
        if (!put_plain_wkb(out, GEOSGetGeometryN_r(geos::context(), geometry, p))) return false;
      }
      return true;
    }
    default: return false;
  }
}

// The layer's geometry as GDAL writes it: polygons as a MultiPolygon and lines as a
// MultiLineString (ogr_type), anything else as it is. Little-endian WKB, as GEOS writes it here.
void append_wkb(std::vector<unsigned char>& out, const GEOSGeometry* geometry, GeometryFamily family) {
  const int type = geos::type_id(geometry);
  const bool single_polygon = family == GeometryFamily::polygon && type == GEOS_POLYGON;
  const bool single_line = family == GeometryFamily::line && type == GEOS_LINESTRING;
  if (single_polygon || single_line) {
    out.push_back(1);  // little-endian
    put_u32(out, single_polygon ? kWkbMultiPolygon : kWkbMultiLineString);
    put_u32(out, 1);
  }
  const auto start = out.size();
  if (put_plain_wkb(out, geometry)) return;
  out.resize(start);
  append(out, geos::to_wkb(geometry));
}

}  // namespace

GpkgRows::GpkgRows(GDALDataset& dataset, std::filesystem::path path, const LayerSchema& schema)
    : m_path(std::move(path)), m_schema(schema) {
  m_totals.table = schema.name;
  m_db = static_cast<sqlite3*>(dataset.GetInternalHandle("SQLITE_HANDLE"));
  if (!m_db) fail("GDAL gives no SQLite connection");
  sqlite3_stmt* srs = nullptr;
  const std::string srs_sql = "SELECT srs_id FROM gpkg_geometry_columns WHERE lower(table_name) = lower(?)";
  if (sqlite3_prepare_v2(m_db, srs_sql.c_str(), -1, &srs, nullptr) != SQLITE_OK) fail(sqlite3_errmsg(m_db));
  sqlite3_bind_text(srs, 1, schema.name.c_str(), -1, SQLITE_TRANSIENT);
  const bool found = sqlite3_step(srs) == SQLITE_ROW;
  if (found) m_srs_id = sqlite3_column_int(srs, 0);
  sqlite3_finalize(srs);
  if (!found) fail("GDAL registered no geometry column");
  const std::string trigger = "trigger_insert_feature_count_" + schema.name;
  sqlite3_stmt* find = nullptr;
  if (sqlite3_prepare_v2(m_db, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", -1, &find,
                         nullptr) != SQLITE_OK) {
    fail(sqlite3_errmsg(m_db));
  }
  sqlite3_bind_text(find, 1, trigger.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(find) == SQLITE_ROW) {
    m_count_trigger_sql = reinterpret_cast<const char*>(sqlite3_column_text(find, 0));
  }
  sqlite3_finalize(find);
  if (!m_count_trigger_sql.empty()) exec("DROP TRIGGER " + sql_identifier(trigger));
  // Prepared last: nothing after it throws, so a failed constructor leaves no statement open
  // (GDAL's sqlite3_close would refuse to close the connection).
  const int per_row = static_cast<int>(schema.fields.size()) + 1;
  const int variables = sqlite3_limit(m_db, SQLITE_LIMIT_VARIABLE_NUMBER, -1);
  m_rows_per_statement = std::clamp(variables / per_row, 1, kRowsPerStatement);
  // Rows of one statement take consecutive fids only when SQLite chooses them: a field that GDAL
  // mapped onto the fid column sets them, and its rows go in one at a time.
  OGRLayer* layer = dataset.GetLayerByName(schema.name.c_str());
  const char* fid_column = layer ? layer->GetFIDColumn() : "";
  if (std::any_of(schema.fields.begin(), schema.fields.end(),
                  [&](const FieldDef& field) { return EQUAL(field.name.c_str(), fid_column); })) {
    m_rows_per_statement = 1;
  }
  std::string columns = "geom";
  std::string row = "(?";
  for (const auto& field : schema.fields) {
    columns += ", " + sql_identifier(field.name);
    row += ", ?";
  }
  row += ")";
  const auto insert = fmt::format("INSERT INTO {} ({}) VALUES ", sql_identifier(schema.name), columns);
  std::string rows = insert + row;
  for (int r = 1; r < m_rows_per_statement; ++r) rows += ", " + row;
  if (sqlite3_prepare_v2(m_db, (insert + row).c_str(), -1, &m_statement, nullptr) != SQLITE_OK ||
      (m_rows_per_statement > 1 &&
       sqlite3_prepare_v2(m_db, rows.c_str(), -1, &m_rows_statement, nullptr) != SQLITE_OK)) {
    const std::string error = sqlite3_errmsg(m_db);
    sqlite3_finalize(m_statement);
    m_statement = nullptr;
    fail(error);
  }
}

void GpkgRows::exec(const std::string& sql) {
  if (sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) fail(sqlite3_errmsg(m_db));
}

void GpkgRows::finish() {
  if (!m_count_trigger_sql.empty()) exec(std::exchange(m_count_trigger_sql, {}));
}

GpkgRows::~GpkgRows() {
  sqlite3_finalize(m_statement);
  sqlite3_finalize(m_rows_statement);
}

void GpkgRows::fail(const std::string& what) const {
  std::string message = what;
  if (const int error = sqlite3_system_errno(m_db)) message += fmt::format(" ({})", std::strerror(error));
  throw OutputError(fmt::format("{}: layer '{}': {}", m_path.string(), m_schema.name, message));
}

// GeoPackage 1.3, 2.1.3: "GP", version 0, flags (little-endian; an xy envelope, none for a point
// or an empty geometry, which also sets the empty bit), the srs_id, then the WKB.
GpkgRows::Encoded GpkgRows::encode(const Feature& feature) const {
  Encoded out;
  const GEOSGeometry* geometry = feature.geometry.get();
  if (!geometry) return out;
  geos::GeomPtr converted = of_family(geometry, m_schema.geometry);
  if (converted) geometry = converted.get();
  if (m_schema.geometry == GeometryFamily::polygon) {  // no collapsed part in any result layer (as to_ogr)
    if (auto cleaned = geos::without_small_parts(geometry)) geometry = (converted = std::move(cleaned)).get();
  }
  const bool empty = geos::is_empty(geometry);
  if (!empty) out.envelope = geos::envelope(geometry);
  const bool with_envelope = !empty && geos::type_id(geometry) != GEOS_POINT;
  auto& blob = out.blob;
  blob.reserve(8 + (with_envelope ? 32 : 0) + 64);
  blob.insert(blob.end(), {'G', 'P', 0});
  blob.push_back(static_cast<unsigned char>(0x01 | (with_envelope ? 0x02 : 0) | (empty ? 0x10 : 0)));
  put_u32(blob, static_cast<std::uint32_t>(m_srs_id));
  if (with_envelope) {
    const auto& e = *out.envelope;
    put_double(blob, e.min_x);
    put_double(blob, e.max_x);
    put_double(blob, e.min_y);
    put_double(blob, e.max_y);
  }
  append_wkb(blob, geometry, m_schema.geometry);
  return out;
}

std::vector<std::int64_t> GpkgRows::insert(std::span<const Feature> features, std::span<const Encoded> geometries) {
  const auto rows = static_cast<std::size_t>(m_rows_per_statement);
  const int per_row = static_cast<int>(m_schema.fields.size()) + 1;  // parameters
  std::vector<std::int64_t> fids;
  fids.reserve(features.size());
  std::size_t done = 0;
  // Values converted to a text column's type, alive until the step; reserved, for a reallocation
  // would move short strings' characters away from what was bound.
  std::vector<std::string> texts;
  texts.reserve(rows * m_schema.fields.size());
  for (; rows > 1 && features.size() - done >= rows; done += rows) {
    texts.clear();
    for (std::size_t r = 0; r < rows; ++r) {
      bind(m_rows_statement, static_cast<int>(r) * per_row, features[done + r], geometries[done + r], texts);
    }
    const int rc = sqlite3_step(m_rows_statement);
    sqlite3_reset(m_rows_statement);
    if (rc != SQLITE_DONE) {
      // SQLite undid the whole transaction (a full disk, an I/O error): nothing can go on.
      if (sqlite3_get_autocommit(m_db) != 0) {
        fail(fmt::format("features {} to {}: {}", features[done].fid, features[done + rows - 1].fid,
                         sqlite3_errmsg(m_db)));
      }
      // SQLite undid the statement: its rows go in one at a time, to name the feature that fails.
      break;
    }
    // SQLite gives the rows of a statement the next fids in turn.
    const auto last = sqlite3_last_insert_rowid(m_db);
    for (std::size_t r = 0; r < rows; ++r) {
      fids.push_back(last - static_cast<std::int64_t>(rows - 1 - r));
      add_to_extent(geometries[done + r]);
    }
    m_totals.rows += static_cast<std::int64_t>(rows);
  }
  for (; done < features.size(); ++done) {
    texts.clear();
    bind(m_statement, 0, features[done], geometries[done], texts);
    const int rc = sqlite3_step(m_statement);
    sqlite3_reset(m_statement);
    if (rc != SQLITE_DONE) fail(fmt::format("feature {}: {}", features[done].fid, sqlite3_errmsg(m_db)));
    fids.push_back(sqlite3_last_insert_rowid(m_db));
    add_to_extent(geometries[done]);
    ++m_totals.rows;
  }
  return fids;
}

void GpkgRows::bind(sqlite3_stmt* statement, int offset, const Feature& feature, const Encoded& geometry,
                    std::vector<std::string>& texts) const {
  const auto& blob = geometry.blob;
  if (blob.empty()) {
    sqlite3_bind_null(statement, offset + 1);
  } else {
    sqlite3_bind_blob(statement, offset + 1, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC);
  }
  for (std::size_t f = 0; f < m_schema.fields.size(); ++f) {
    const int column = offset + static_cast<int>(f) + 2;
    static const Value kNull;
    const Value& value = f < feature.values.size() ? feature.values[f] : kNull;
    const FieldType type = m_schema.fields[f].type;
    if (std::holds_alternative<std::monostate>(value)) {
      sqlite3_bind_null(statement, column);
    } else if (const auto* text = std::get_if<std::string>(&value)) {
      // As OGR sets a text into a number field: its leading number, 0 without one.
      if (type == FieldType::integer) {
        sqlite3_bind_int64(statement, column, CPLAtoGIntBig(text->c_str()));
      } else if (type == FieldType::real) {
        sqlite3_bind_double(statement, column, CPLAtof(text->c_str()));
      } else {
        sqlite3_bind_text(statement, column, text->data(), static_cast<int>(text->size()), SQLITE_STATIC);
      }
    } else if (type == FieldType::string) {
      texts.push_back(to_display_string(value));
      sqlite3_bind_text(statement, column, texts.back().data(), static_cast<int>(texts.back().size()), SQLITE_STATIC);
    } else if (const auto* integer = std::get_if<std::int64_t>(&value)) {
      if (type == FieldType::real) {
        sqlite3_bind_double(statement, column, static_cast<double>(*integer));
      } else {
        sqlite3_bind_int64(statement, column, *integer);
      }
    } else {
      const double real = std::get<double>(value);
      if (type == FieldType::integer) {
        // As OGR sets a double into an integer field: truncated; NULL where no integer holds it.
        if (std::isfinite(real) && real >= -0x1p63 && real < 0x1p63) {
          sqlite3_bind_int64(statement, column, static_cast<std::int64_t>(real));
        } else {
          sqlite3_bind_null(statement, column);
        }
      } else {
        sqlite3_bind_double(statement, column, real);
      }
    }
  }
}

void GpkgRows::add_to_extent(const Encoded& geometry) {
  const auto& envelope = geometry.envelope;
  if (!envelope) return;
  if (!m_totals.extent) {
    m_totals.extent = envelope;
    return;
  }
  auto& e = *m_totals.extent;
  e.min_x = std::min(e.min_x, envelope->min_x);
  e.min_y = std::min(e.min_y, envelope->min_y);
  e.max_x = std::max(e.max_x, envelope->max_x);
  e.max_y = std::max(e.max_y, envelope->max_y);
}

void write_layer_totals(const std::filesystem::path& path, const std::vector<GpkgLayerTotals>& layers) {
  if (layers.empty()) return;
  sqlite3* db = nullptr;
  sqlite3_stmt* count = nullptr;
  sqlite3_stmt* extent = nullptr;
  auto fail = [&](const std::string& what) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    if (const int error = db ? sqlite3_system_errno(db) : 0) message += fmt::format(" ({})", std::strerror(error));
    sqlite3_finalize(count);
    sqlite3_finalize(extent);
    sqlite3_close(db);
    throw OutputError(fmt::format("{}: {}: {}", path.string(), what, message));
  };
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) fail("reopen");
  auto run = [&](sqlite3_stmt* statement) {
    const int rc = sqlite3_step(statement);
    sqlite3_reset(statement);
    if (rc != SQLITE_DONE) fail("layer totals");
  };
  // The file is staged: the swap's fsync covers this change, and a run that fails discards it.
  if (sqlite3_exec(db, "PRAGMA synchronous = OFF; BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db, "UPDATE gpkg_ogr_contents SET feature_count = ? WHERE lower(table_name) = lower(?)", -1,
                         &count, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db,
                         "UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ? "
                         "WHERE lower(table_name) = lower(?)",
                         -1, &extent, nullptr) != SQLITE_OK) {
    fail("layer totals");
  }
  for (const auto& layer : layers) {
    sqlite3_bind_int64(count, 1, layer.rows);
    sqlite3_bind_text(count, 2, layer.table.c_str(), -1, SQLITE_STATIC);
    run(count);
    if (layer.extent) {
      const auto& e = *layer.extent;
      for (int i = 0; const double value : {e.min_x, e.min_y, e.max_x, e.max_y}) sqlite3_bind_double(extent, ++i, value);
      sqlite3_bind_text(extent, 5, layer.table.c_str(), -1, SQLITE_STATIC);
      run(extent);
    }
  }
  sqlite3_finalize(count);
  sqlite3_finalize(extent);
  count = extent = nullptr;
  if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) fail("layer totals");
  if (sqlite3_close(db) != SQLITE_OK) fail("close");
}

}  // namespace twinrisk::io
