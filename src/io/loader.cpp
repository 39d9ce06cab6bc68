#include "twinrisk/io/loader.hpp"

#include <cpl_error.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>
#include <proj.h>
#include <unistd.h>
#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>

#include "arrow_rows.hpp"
#include "twinrisk/core/redact.hpp"
#include "twinrisk/core/text.hpp"
#include "twinrisk/io/gdal.hpp"

namespace twinrisk::io {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxNotesPerLayer = 50;
// load_layer's batches: the next one is read while this one is built (LayerReader::Impl::next_batch).
constexpr std::size_t kBatchSize = 8192;
// A read's features are reserved up to this many: growing the vector to a batch of 8192 points
// took 13 reallocations that moved each feature about twice (reading 1M points alone:
// 0.345 -> 0.32 s of CPU, four runs each).
constexpr std::size_t kMostReserved = 65536;

ErrorContext context_of(const LayerDefinition& definition) {
  ErrorContext context = definition.origin;
  context.layer = definition.name;
  return context;
}

// A plain file path, which can be checked for existence (not a /vsi… path or a connection string).
bool looks_like_path(const std::string& source) {
  if (source.rfind("/vsi", 0) == 0) return false;
  return source.find(':') == std::string::npos || source.rfind("/", 0) == 0 || source.rfind(".", 0) == 0;
}

// GeoPackage's srs_id 0 and -1 stand for "no CRS" but reach OGR as named placeholder CRSes.
bool is_undefined(const OGRSpatialReference& crs) {
  const char* name = crs.GetName();
  return crs.IsEmpty() || (name && (std::string_view(name) == "Undefined geographic SRS" ||
                                    std::string_view(name) == "Undefined Cartesian SRS"));
}

// A thread of its own that runs one call at a time, kept for a reader's life: a thread started
// for every batch cost its start and mimalloc's teardown of its heap, about 1 % of exposure's CPU
// at 20k × 5k (150 batches). The call's failure reaches the caller through its future.
template <typename Result>
class Prefetcher {
 public:
  Prefetcher() : m_thread([this] { work(); }) {}
  ~Prefetcher() {  // a call under way is finished first
    {
      const std::lock_guard lock(m_mutex);
      m_stopping = true;
    }
    m_wake.notify_one();
    m_thread.join();
  }
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // One call at a time: the caller takes the last call's result before it starts the next.
  std::future<Result> start(std::function<Result()> call) {
    std::packaged_task<Result()> task(std::move(call));
    auto result = task.get_future();
    {
      const std::lock_guard lock(m_mutex);
      m_task = std::move(task);
    }
    m_wake.notify_one();
    return result;
  }

 private:
  void work() {
    std::unique_lock lock(m_mutex);
    for (;;) {
      m_wake.wait(lock, [&] { return m_task.valid() || m_stopping; });
      if (!m_task.valid()) return;
      auto task = std::move(m_task);
      lock.unlock();
      task();
      lock.lock();
    }
  }

  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::packaged_task<Result()> m_task;
  bool m_stopping = false;
  std::thread m_thread;  // last: started once the rest exists
};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

bool exists_in_any_case(fs::path path, const std::string& extension) {
  std::string upper = extension;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  std::error_code ignored;
  return fs::exists(path.replace_extension(extension), ignored) || fs::exists(path.replace_extension(upper), ignored);
}

constexpr const char* kEncodingHint =
    "re-encode the source as UTF-8 (ogr2ogr -lco ENCODING=UTF-8 OUT IN for a shapefile, or give it a .cpg file "
    "naming its code page; iconv -f latin1 -t utf-8 for a CSV)";

constexpr const char* kSourceHint = "check the `source:` path (relative paths are relative to the file that names them)";

// A local source is checked before GDAL opens it: it exists and is a file or a folder (a FIFO or
// a device would block or never end), it is not empty, and a shapefile has its .shx and .dbf.
void check_local_source(const std::string& source, const ErrorContext& context) {
  if (!looks_like_path(source)) return;
  std::error_code error;
  const auto status = fs::status(source, error);
  if (error && error != std::errc::no_such_file_or_directory) {
    throw InputError(fmt::format("cannot read {}: {}", source, error.message()), context, kSourceHint);
  }
  if (!fs::exists(status)) throw InputError(fmt::format("input file not found: {}", source), context, kSourceHint);
  if (::access(source.c_str(), R_OK) != 0) {
    throw InputError(fmt::format("cannot read {}: {}", source, std::strerror(errno)), context,
                     "check its permissions");
  }
  if (fs::is_directory(status)) return;
  if (!fs::is_regular_file(status)) {
    throw InputError(fmt::format("{} is not a regular file (a FIFO, socket or device); it is not opened", source),
                     context, "point `source:` at a data file, a folder or a database");
  }
  if (fs::file_size(source, error) == 0 && !error) {
    throw InputError(fmt::format("{} is empty (0 bytes)", source), context,
                     "was it copied or downloaded completely? `twinrisk info SOURCE` checks a source");
  }
  const fs::path path(source);
  if (lower(path.extension().string()) != ".shp") return;
  if (!exists_in_any_case(path, ".shx")) {
    throw InputError(fmt::format("{} has no .shx beside it (a shapefile is its .shp, .shx and .dbf together)", source),
                     context,
                     "copy the .shx next to the .shp, or rebuild it: ogr2ogr --config SHAPE_RESTORE_SHX YES OUT.shp IN.shp");
  }
  if (!exists_in_any_case(path, ".dbf")) {
    throw InputError(fmt::format("{} has no .dbf beside it, so it has no attributes (a shapefile is its .shp, .shx "
                                 "and .dbf together)",
                                 source),
                     context, "copy the .dbf next to the .shp");
  }
}

// An open source with the layer a definition names (or its SQL result set).
class OpenLayer {
 public:
  explicit OpenLayer(const LayerDefinition& definition) : m_definition(definition) {
    ensure_gdal_registered();
    const auto context = context_of(definition);
    check_local_source(definition.source, context);
    CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
    CPLErrorReset();
    m_dataset.reset(GDALDataset::Open(definition.source.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
    if (!m_dataset) {
      const std::string reason = last_gdal_error("not a format GDAL reads");
      if (GDALDatasetUniquePtr raster{GDALDataset::Open(definition.source.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY)}) {
        throw ConfigError(fmt::format("{} is a raster, but role {} needs a {}", definition.source,
                                      to_string(definition.role), to_string(definition.kind())),
                          context, "give it to a raster parameter, with role: raster");
      }
      throw InputError(fmt::format("cannot open {} as a vector source: {}", definition.source, reason), context,
                       "`twinrisk info SOURCE` lists what GDAL sees in a source");
    }
    if (!definition.sql.empty()) {
      m_layer = m_dataset->ExecuteSQL(definition.sql.c_str(), nullptr, nullptr);
      if (!m_layer) {
        throw ConfigError(fmt::format("sql failed on {}: {}", definition.source, last_gdal_error("no result")),
                          context, "`sql:` takes an OGR SQL SELECT statement");
      }
      m_owns_result_set = true;
    } else if (!definition.layer.empty()) {
      m_layer = m_dataset->GetLayerByName(definition.layer.c_str());
      if (!m_layer) {
        throw ConfigError(fmt::format("layer '{}' not found in {} (layers: {})", definition.layer,
                                      definition.source, fmt::join(layer_names(), ", ")),
                          context, "set `layer:` to one of them");
      }
    } else if (m_dataset->GetLayerCount() == 1) {
      m_layer = m_dataset->GetLayer(0);
    } else {
      throw ConfigError(fmt::format("{} has {} layers ({}) and no `layer:` says which one", definition.source,
                                    m_dataset->GetLayerCount(), fmt::join(layer_names(), ", ")),
                        context, "set `layer:` to one of them");
    }
    if (!definition.where.empty() && m_layer->SetAttributeFilter(definition.where.c_str()) != OGRERR_NONE) {
      release_result_set();
      throw ConfigError(fmt::format("invalid where filter '{}': {}", definition.where, last_gdal_error("syntax error")),
                        context, "`where:` takes an OGR SQL expression such as \"class IS NOT NULL\"");
    }
    if (definition.bbox) {
      const auto& [min_x, min_y, max_x, max_y] = *definition.bbox;
      m_layer->SetSpatialFilterRect(min_x, min_y, max_x, max_y);
    }
  }
  ~OpenLayer() { release_result_set(); }
  OpenLayer(const OpenLayer&) = delete;
  OpenLayer& operator=(const OpenLayer&) = delete;

  OGRLayer& layer() { return *m_layer; }
  GDALDataset& dataset() { return *m_dataset; }

  // The number of features without reading them: a PostgreSQL table's planner estimate (GDAL
  // would run count(*), a full scan), counts the format stores (GeoPackage, shapefile), or — when
  // `count_local_files` — a count of a local file; -1 when none of these is available.
  std::int64_t feature_count(bool count_local_files) {
    const std::string driver = m_dataset->GetDriverName();
    if (driver == "PostgreSQL") return postgres_estimate();
    if (driver == "MySQL" || driver == "MSSQLSpatial" || driver == "OCI" || driver == "ODBC") return -1;
    if (m_layer->TestCapability(OLCFastFeatureCount)) return m_layer->GetFeatureCount(TRUE);
    return count_local_files ? m_layer->GetFeatureCount(TRUE) : -1;
  }

  std::vector<std::string> layer_names() const {
    std::vector<std::string> names;
    for (auto* layer : m_dataset->GetLayers()) names.emplace_back(layer->GetName());
    return names;
  }

  // Names that are not UTF-8 could not be written on as column names, nor named in messages.
  std::vector<std::string> field_names() const {
    std::vector<std::string> names;
    const auto* defn = m_layer->GetLayerDefn();
    for (int i = 0; i < defn->GetFieldCount(); ++i) {
      names.emplace_back(defn->GetFieldDefn(i)->GetNameRef());
      if (!is_valid_utf8(names.back())) {
        throw InputError(fmt::format("the name of field {} of layer '{}' is not UTF-8", i + 1,
                                     m_layer->GetName()),
                         context_of(m_definition), kEncodingHint);
      }
    }
    return names;
  }

  // The layer's CRS, or the definition's `crs:`; a conflict between them is an error.
  OGRSpatialReference crs() const {
    const auto context = context_of(m_definition);
    const OGRSpatialReference* native = m_layer->GetSpatialRef();
    if (native && is_undefined(*native)) native = nullptr;
    OGRSpatialReference declared;
    if (!m_definition.crs.empty() && declared.SetFromUserInput(m_definition.crs.c_str()) != OGRERR_NONE) {
      throw ConfigError(fmt::format("crs '{}' is not a CRS PROJ knows", m_definition.crs), context,
                        "use an authority code such as EPSG:25832, or a WKT/PROJ string");
    }
    // Both sides in GIS axis order, so that only a real difference counts as a conflict.
    declared.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    if (native && !m_definition.crs.empty() && !native->IsSame(&declared)) {
      throw ConfigError(fmt::format("crs '{}' conflicts with the CRS stored in {} ({})", m_definition.crs,
                                    m_definition.source, crs_label(*native)),
                        context, "remove `crs:`; it is only for sources that have no CRS");
    }
    OGRSpatialReference result;
    if (native) {
      result = *native;
    } else if (!m_definition.crs.empty()) {
      result = declared;
    } else {
      throw InputError(fmt::format("{} has no CRS", m_definition.source), context,
                       "add `crs: EPSG:XXXX` to the layer definition (or --LAYER-crs on the command line)");
    }
    result.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    return result;
  }

 private:
  void release_result_set() {
    if (m_owns_result_set) m_dataset->ReleaseResultSet(m_layer);
    m_owns_result_set = false;
  }

  std::int64_t postgres_estimate() {
    if (!m_definition.sql.empty() || !m_definition.where.empty() || m_definition.bbox) return -1;
    std::string table = m_layer->GetName();
    std::string quoted;
    for (char c : table) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    const auto query = fmt::format("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass('{}')", quoted);
    OGRLayer* result = m_dataset->ExecuteSQL(query.c_str(), nullptr, nullptr);
    if (!result) return -1;
    std::int64_t estimate = -1;
    if (std::unique_ptr<OGRFeature> row{result->GetNextFeature()}) estimate = row->GetFieldAsInteger64(0);
    m_dataset->ReleaseResultSet(result);
    return estimate >= 0 ? estimate : -1;
  }

  const LayerDefinition& m_definition;
  GDALDatasetUniquePtr m_dataset;
  OGRLayer* m_layer = nullptr;
  bool m_owns_result_set = false;
};

// Says how to fix a field mapping in the words of where the layer was defined.
std::string mapping_hint(const LayerDefinition& definition, std::string_view role_field, bool constant_too) {
  const bool from_command_line = definition.origin.file.rfind("--", 0) == 0;
  if (from_command_line) {
    return fmt::format("use {}-field {}=FIELD with one of them{}", definition.origin.file, role_field,
                       constant_too ? fmt::format(", or {}-field {}==VALUE", definition.origin.file, role_field) : "");
  }
  return fmt::format("set fields.{} to one of them{}", role_field, constant_too ? ", or to \"=VALUE\"" : "");
}

// A binding to the source's FID column, which QGIS lists as a field ("fid" of a GeoPackage).
constexpr int kFidColumn = -2;

// How each role field is filled: from a source field (by index), the FID column, or a constant.
struct FieldBinding {
  FieldDef output;
  int source_index = -1;
  std::string constant;
  bool required = false;  // a feature with NULL here cannot be used
};

FieldType field_type_of(const OGRFieldDefn& defn) {
  switch (defn.GetType()) {
    case OFTInteger:
    case OFTInteger64: return FieldType::integer;
    case OFTReal: return FieldType::real;
    default: return FieldType::string;
  }
}

std::vector<FieldBinding> bind_fields(const LayerDefinition& definition, OGRLayer& layer,
                                      const std::vector<std::string>& field_names) {
  const auto& spec = role_spec(definition.role);
  const auto context = context_of(definition);
  const auto* defn = layer.GetLayerDefn();
  if (spec.keeps_all_fields) {
    if (!definition.fields.empty()) {
      throw ConfigError(fmt::format("role {} keeps every source field; it takes no `fields:` mapping", spec.name),
                        context);
    }
    std::vector<FieldBinding> all;
    for (int i = 0; i < defn->GetFieldCount(); ++i) {
      all.push_back(FieldBinding{{defn->GetFieldDefn(i)->GetNameRef(), field_type_of(*defn->GetFieldDefn(i))}, i, {}});
    }
    return all;
  }
  std::vector<std::string_view> role_fields = spec.required_fields;
  role_fields.insert(role_fields.end(), spec.optional_fields.begin(), spec.optional_fields.end());

  for (const auto& [key, value] : definition.fields) {
    if (std::find(role_fields.begin(), role_fields.end(), key) == role_fields.end()) {
      throw ConfigError(fmt::format("'{}' is not a field of role {} (its fields: {})", key, spec.name,
                                    role_fields.empty() ? "none" : fmt::format("{}", fmt::join(role_fields, ", "))),
                        context);
    }
  }
  std::vector<FieldBinding> bindings;
  for (auto role_field : role_fields) {
    auto given = std::find_if(definition.fields.begin(), definition.fields.end(),
                              [&](const auto& f) { return f.first == role_field; });
    FieldBinding binding;
    binding.output.name = std::string(role_field);
    if (given != definition.fields.end() && given->second.rfind("=", 0) == 0) {
      binding.constant = given->second.substr(1);
      bindings.push_back(binding);
      continue;
    }
    // Without a mapping, a source field with the role field's own name is used.
    const std::string wanted = given != definition.fields.end() ? given->second : std::string(role_field);
    const int index = defn->GetFieldIndex(wanted.c_str());
    if (index < 0 && given != definition.fields.end() && *layer.GetFIDColumn() &&
        EQUAL(wanted.c_str(), layer.GetFIDColumn())) {
      binding.source_index = kFidColumn;
      binding.output.type = FieldType::integer;
      binding.required = std::find(spec.required_fields.begin(), spec.required_fields.end(), role_field) !=
                         spec.required_fields.end();
      bindings.push_back(binding);
      continue;
    }
    const bool required = std::find(spec.required_fields.begin(), spec.required_fields.end(), role_field) !=
                          spec.required_fields.end();
    // An optional field left unmapped may be missing; a layer without fields is fine then.
    if (index < 0 && field_names.empty() && (required || given != definition.fields.end())) {
      throw InputError(fmt::format("layer '{}' has no fields at all, so '{}' cannot be read from it", layer.GetName(),
                                   wanted),
                       context, "an empty or cut-off export? `twinrisk info SOURCE` shows what it holds");
    }
    if (index < 0) {
      if (given == definition.fields.end()) {
        if (required) {
          throw ConfigError(fmt::format("role {} needs field '{}' and none is mapped (fields: {})", spec.name,
                                        role_field, fmt::join(field_names, ", ")),
                            context, mapping_hint(definition, role_field, true));
        }
        continue;
      }
      throw ConfigError(fmt::format("field '{}' not found in layer '{}' (fields: {})", wanted, layer.GetName(),
                                    fmt::join(field_names, ", ")),
                        context, mapping_hint(definition, role_field, false));
    }
    binding.source_index = index;
    binding.output.type = field_type_of(*defn->GetFieldDefn(index));
    binding.required = required;
    bindings.push_back(binding);
  }
  return bindings;
}

bool family_accepts(GeometryFamily family, OGRwkbGeometryType type) {
  const auto flat = wkbFlatten(type);
  switch (family) {
    case GeometryFamily::polygon: return flat == wkbPolygon || flat == wkbMultiPolygon || flat == wkbCurvePolygon ||
                                         flat == wkbMultiSurface || flat == wkbUnknown ||
                                         flat == wkbGeometryCollection;
    case GeometryFamily::line: return flat == wkbLineString || flat == wkbMultiLineString ||
                                      flat == wkbCircularString || flat == wkbCompoundCurve ||
                                      flat == wkbMultiCurve || flat == wkbUnknown || flat == wkbGeometryCollection;
    case GeometryFamily::point: return flat == wkbPoint || flat == wkbMultiPoint || flat == wkbUnknown;
    case GeometryFamily::any: return true;
    case GeometryFamily::none: return true;
  }
  return true;
}

std::optional<LonLatExtent> extent_lonlat(OGRLayer& layer, const OGRSpatialReference& crs) {
  OGREnvelope envelope;
  // Unforced first: a database answers from its index or statistics instead of a scan.
  if (layer.GetExtent(&envelope, FALSE) != OGRERR_NONE && layer.GetExtent(&envelope, TRUE) != OGRERR_NONE) {
    return std::nullopt;
  }
  OGRSpatialReference wgs84;
  wgs84.SetWellKnownGeogCS("WGS84");
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> transform(OGRCreateCoordinateTransformation(&crs, &wgs84));
  if (!transform) return std::nullopt;
  LonLatExtent out;
  if (!transform->TransformBounds(envelope.MinX, envelope.MinY, envelope.MaxX, envelope.MaxY, &out.min_lon,
                                  &out.min_lat, &out.max_lon, &out.max_lat, 21)) {
    return std::nullopt;
  }
  return out;
}

// A feature as read from OGR, before the parallel GEOS stage.
struct RawFeature {
  std::int64_t fid = 0;
  std::optional<geos::XY> point;   // a 2D point, read straight from its WKB
  std::vector<geos::XY> line;      // a 2D line string, read straight from its WKB
  std::vector<unsigned char> wkb;  // any other geometry
  std::vector<Value> values;
  std::string repair;  // what was mended before GEOS saw it (an unclosed ring)
};

// A vertex farther than this from the analysis CRS's origin is a data error, not a place (the
// Earth's circumference is 4·10⁷ m): its areas would overflow or drown every other in rounding.
constexpr double kMaxCoordinate = 1e9;

bool plausible(double x, double y) {
  return std::isfinite(x) && std::isfinite(y) && std::abs(x) <= kMaxCoordinate && std::abs(y) <= kMaxCoordinate;
}

// WKB of a 2D point, little-endian (what exportToWkb gives for wkbNDR).
constexpr std::size_t kPointWkbSize = 21;
constexpr std::uint32_t kWkbPoint = 1;

// The coordinates of a little-endian 2D point's WKB on a little-endian machine; nullopt for any
// other geometry, which goes through OGR.
std::optional<geos::XY> plain_point(std::span<const unsigned char> wkb) {
  if constexpr (std::endian::native != std::endian::little) return std::nullopt;
  std::uint32_t type = 0;
  if (wkb.size() != kPointWkbSize || wkb[0] != 1) return std::nullopt;
  std::memcpy(&type, wkb.data() + 1, sizeof type);
  if (type != kWkbPoint) return std::nullopt;
  geos::XY at;
  std::memcpy(&at.x, wkb.data() + 5, sizeof at.x);
  std::memcpy(&at.y, wkb.data() + 13, sizeof at.y);
  return at;
}

constexpr std::uint32_t kWkbLineString = 2;

// The vertices of a little-endian 2D line string of two or more vertices, each plausible, on a
// little-endian machine: such a line needs nothing of take_geometry but its check. Empty for any
// other geometry, which goes through OGR.
std::vector<geos::XY> plain_line(std::span<const unsigned char> wkb) {
  if constexpr (std::endian::native != std::endian::little) return {};
  constexpr std::size_t kHeader = 9, kVertex = 16;
  static_assert(sizeof(geos::XY) == kVertex);
  if (wkb.size() < kHeader + 2 * kVertex || wkb[0] != 1) return {};
  std::uint32_t type = 0, count = 0;
  std::memcpy(&type, wkb.data() + 1, sizeof type);
  std::memcpy(&count, wkb.data() + 5, sizeof count);
  if (type != kWkbLineString || wkb.size() != kHeader + std::size_t{count} * kVertex) return {};
  std::vector<geos::XY> points(count);
  std::memcpy(points.data(), wkb.data() + kHeader, std::size_t{count} * kVertex);
  for (const auto& p : points) {
    if (!plausible(p.x, p.y)) return {};
  }
  return points;
}

// Whether every vertex is finite and within kMaxCoordinate. Curves are linearised before this.
bool coordinates_plausible(const OGRGeometry& geometry) {
  switch (wkbFlatten(geometry.getGeometryType())) {
    case wkbPoint: return plausible(geometry.toPoint()->getX(), geometry.toPoint()->getY());
    case wkbLineString:
    case wkbLinearRing: {
      const auto* curve = geometry.toSimpleCurve();
      for (int i = 0; i < curve->getNumPoints(); ++i) {
        if (!plausible(curve->getX(i), curve->getY(i))) return false;
      }
      return true;
    }
    case wkbPolygon:
      for (const auto* ring : *geometry.toPolygon()) {
        if (!coordinates_plausible(*ring)) return false;
      }
      return true;
    case wkbMultiPoint:
    case wkbMultiLineString:
    case wkbMultiPolygon:
    case wkbGeometryCollection:
      for (const auto* part : *geometry.toGeometryCollection()) {
        if (!coordinates_plausible(*part)) return false;
      }
      return true;
    default: return true;
  }
}

// OGR reads rings that do not end where they start (GeoJSON and WKT written by other tools; QGIS
// draws them closed), GEOS refuses them. Closes them and says whether one was open.
bool close_open_rings(OGRGeometry& geometry) {
  bool closed = false;
  switch (wkbFlatten(geometry.getGeometryType())) {
    case wkbPolygon:
      for (auto* ring : *geometry.toPolygon()) {
        // GDAL 3.6 reads through a null point array when asked whether an empty ring is closed.
        if (!ring->IsEmpty() && !ring->get_IsClosed()) {
          ring->closeRings();
          closed = true;
        }
      }
      return closed;
    case wkbMultiPolygon:
    case wkbGeometryCollection:
      for (auto* part : *geometry.toGeometryCollection()) closed = close_open_rings(*part) || closed;
      return closed;
    default: return false;
  }
}

// Text as read; text that is not UTF-8 is refused, for it would be written on into GeoPackages and
// CSVs that promise UTF-8.
Value checked_text(std::string text, const char* field, std::int64_t fid, const ErrorContext& context) {
  if (const auto bad = first_invalid_utf8(text)) {
    ErrorContext where = context;
    where.feature = fid;
    throw InputError(fmt::format("field '{}' is not UTF-8 (byte 0x{:02X} at position {})", field,
                                 static_cast<unsigned char>(text[*bad]), *bad + 1),
                     where, kEncodingHint);
  }
  return text;
}

Value read_value(OGRFeature& feature, const FieldBinding& binding, const ErrorContext& context) {
  if (binding.source_index == kFidColumn) return static_cast<std::int64_t>(feature.GetFID());
  if (binding.source_index < 0) return binding.constant;
  if (!feature.IsFieldSetAndNotNull(binding.source_index)) return std::monostate{};
  switch (binding.output.type) {
    case FieldType::integer: return static_cast<std::int64_t>(feature.GetFieldAsInteger64(binding.source_index));
    case FieldType::real: return feature.GetFieldAsDouble(binding.source_index);
    case FieldType::string:
      return checked_text(feature.GetFieldAsString(binding.source_index),
                          feature.GetFieldDefnRef(binding.source_index)->GetNameRef(), feature.GetFID(), context);
  }
  return std::monostate{};
}

}  // namespace

LayerDefinition LayerDefinition::used_as(Role use) const {
  LayerDefinition copy = *this;
  if (use == role) return copy;
  copy.role = use;
  const auto& spec = role_spec(use);
  std::erase_if(copy.fields, [&](const auto& mapping) {
    if (spec.keeps_all_fields) return true;
    const auto& key = mapping.first;
    return std::find(spec.required_fields.begin(), spec.required_fields.end(), key) == spec.required_fields.end() &&
           std::find(spec.optional_fields.begin(), spec.optional_fields.end(), key) == spec.optional_fields.end();
  });
  return copy;
}

nlohmann::json LoadReport::to_json() const {
  return {{"name", name},         {"source", source},     {"layer", source_layer}, {"read", read},
          {"loaded", loaded},     {"repaired", repaired}, {"empty", empty},        {"dropped", dropped},
          {"reprojected", reprojected}};
}

namespace {

GDALDatasetUniquePtr open_raster(const LayerDefinition& definition) {
  ensure_gdal_registered();
  const auto context = context_of(definition);
  check_local_source(definition.source, context);
  CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
  CPLErrorReset();
  GDALDatasetUniquePtr dataset(GDALDataset::Open(definition.source.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!dataset) {
    const std::string reason = last_gdal_error("not a raster format GDAL reads");
    if (GDALDatasetUniquePtr vector{GDALDataset::Open(definition.source.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY)}) {
      throw ConfigError(fmt::format("{} is a vector source, but role raster needs a raster", definition.source),
                        context, "give it to a layer parameter with a vector role (hazard, features, …)");
    }
    throw InputError(fmt::format("cannot open {} as a raster: {}", definition.source, reason), context,
                     "`twinrisk info SOURCE` lists what GDAL sees in a source");
  }
  if (dataset->GetRasterCount() == 0) {
    throw InputError(fmt::format("{} has no raster bands", definition.source), context);
  }
  return dataset;
}

RasterInfo raster_info(GDALDataset& dataset, const LayerDefinition& definition) {
  RasterInfo info;
  info.name = definition.name;
  info.source = definition.source;
  info.width = dataset.GetRasterXSize();
  info.height = dataset.GetRasterYSize();
  if (dataset.GetGeoTransform(info.geotransform.data()) != CE_None) {
    throw InputError(fmt::format("{} has no georeferencing (no geotransform)", definition.source),
                     context_of(definition), "georeference it first, e.g. with gdal_translate -a_ullr -a_srs");
  }
  const OGRSpatialReference* native = dataset.GetSpatialRef();
  OGRSpatialReference crs;
  if (native && !is_undefined(*native)) {
    crs = *native;
  } else if (!definition.crs.empty()) {
    if (crs.SetFromUserInput(definition.crs.c_str()) != OGRERR_NONE) {
      throw ConfigError(fmt::format("crs '{}' is not a CRS PROJ knows", definition.crs), context_of(definition));
    }
  } else {
    throw InputError(fmt::format("{} has no CRS", definition.source), context_of(definition),
                     "add `crs: EPSG:XXXX` to the layer definition, or assign one with gdal_edit.py -a_srs");
  }
  crs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  info.crs_wkt = to_wkt(crs);
  for (int b = 1; b <= dataset.GetRasterCount(); ++b) {
    GDALRasterBand* band = dataset.GetRasterBand(b);
    RasterBand out;
    out.index = b;
    out.data_type = GDALGetDataTypeName(band->GetRasterDataType());
    int has_nodata = 0;
    const double nodata = band->GetNoDataValue(&has_nodata);
    if (has_nodata) out.nodata = nodata;
    out.description = band->GetDescription();
    info.bands.push_back(std::move(out));
  }
  return info;
}

std::optional<LonLatExtent> raster_extent_lonlat(const RasterInfo& raster) {
  OGRSpatialReference crs;
  crs.importFromWkt(raster.crs_wkt.c_str());
  crs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  OGRSpatialReference wgs84;
  wgs84.SetWellKnownGeogCS("WGS84");
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> transform(OGRCreateCoordinateTransformation(&crs, &wgs84));
  if (!transform) return std::nullopt;
  const auto [min_x, min_y, max_x, max_y] = raster.extent();
  LonLatExtent out;
  if (!transform->TransformBounds(min_x, min_y, max_x, max_y, &out.min_lon, &out.min_lat, &out.max_lon, &out.max_lat,
                                  21)) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

class OpenedSource {
 public:
  explicit OpenedSource(const LayerDefinition& definition) : layer(definition) {}
  OpenLayer layer;
};

SourceInfo probe_source(const LayerDefinition& definition, bool with_extent) {
  SourceInfo info;
  info.kind = definition.kind();
  if (info.kind == EntryKind::raster) {
    auto dataset = open_raster(definition);
    info.raster = raster_info(*dataset, definition);
    info.crs_wkt = info.raster->crs_wkt;
    if (with_extent) info.extent = raster_extent_lonlat(*info.raster);
    return info;
  }
  auto opened = std::make_shared<OpenedSource>(definition);
  OpenLayer& open = opened->layer;
  info.layer_name = open.layer().GetName();
  info.fields = open.field_names();
  {
    // A database applies where: in its own SQL, so a mistake in it shows first here (a GeoPackage's
    // count), not when the filter is set; read later, it looked like a damaged file.
    GdalErrorTrap errors;
    info.feature_count = open.feature_count(true);
    if (const auto failure = errors.take_failure(); !failure.empty() && !definition.where.empty()) {
      throw ConfigError(fmt::format("where: '{}' cannot be evaluated on layer '{}': {}", definition.where,
                                    info.layer_name, failure),
                        context_of(definition),
                        "write it in the source's SQL: SQLite's for a GeoPackage (SpatiaLite's functions included)");
    }
  }
  if (info.kind == EntryKind::table) {
    bind_fields(definition, open.layer(), info.fields);
    return info;  // geometry, if any, is not needed
  }

  const auto family = definition.geometry.value_or(role_spec(definition.role).geometry);
  const auto type = open.layer().GetGeomType();
  if (type == wkbNone) {
    throw ConfigError(fmt::format("layer '{}' has no geometry, but role {} needs {} features", info.layer_name,
                                  to_string(definition.role), to_string(family)),
                      context_of(definition), "a table goes to a table parameter (role table or twinning)");
  }
  if (!family_accepts(family, type)) {
    const std::string who = definition.geometry ? std::string("its step") : fmt::format("role {}", to_string(definition.role));
    throw InputError(fmt::format("{} needs {} geometries but layer '{}' holds {}", who, to_string(family),
                                 info.layer_name, OGRGeometryTypeToName(type)),
                     context_of(definition), "point the definition at a layer of the right geometry type");
  }
  bind_fields(definition, open.layer(), info.fields);
  const auto crs = open.crs();
  info.crs_wkt = to_wkt(crs);
  if (with_extent) info.extent = extent_lonlat(open.layer(), crs);
  info.opened = std::move(opened);
  return info;
}

Table load_table(const LayerDefinition& definition, LoadReport& report) {
  OpenLayer open(definition);
  const auto bindings = bind_fields(definition, open.layer(), open.field_names());
  Table table;
  table.name = definition.name;
  table.role = definition.role;
  table.source = definition.source;
  for (const auto& binding : bindings) table.columns.push_back(binding.output);
  report = LoadReport{};
  report.name = definition.name;
  report.source = definition.source;
  report.source_layer = open.layer().GetName();
  const auto context = context_of(definition);
  GdalErrorTrap errors;
  open.layer().ResetReading();
  while (true) {
    std::unique_ptr<OGRFeature> feature{open.layer().GetNextFeature()};
    // No row is dropped from a table: a failure while reading is an error even where a row came back.
    if (const auto failure = errors.take_failure(); !failure.empty()) {
      throw InputError(fmt::format("reading {} failed after {} rows: {}", definition.source, table.rows.size(), failure),
                       context, "the source is damaged or was cut off; `ogrinfo` shows the same error");
    }
    if (!feature) break;
    std::vector<Value> row;
    row.reserve(bindings.size());
    for (const auto& binding : bindings) row.push_back(read_value(*feature, binding, context));
    table.rows.push_back(std::move(row));
  }
  report.read = report.loaded = static_cast<std::int64_t>(table.rows.size());
  if (table.rows.empty()) {
    throw InputError(fmt::format("table '{}' of {} has no rows{}", report.source_layer, definition.source,
                                 definition.where.empty() ? "" : ", where: " + definition.where),
                     context, "point the definition at a table with data");
  }
  return table;
}

struct LayerReader::Impl {
  const LayerDefinition definition;  // a copy: the reader may outlive the caller's definition
  std::shared_ptr<OpenedSource> opened;
  OpenLayer& open;
  std::vector<FieldBinding> bindings;
  std::unique_ptr<OGRCoordinateTransformation> transform;
  LayerSchema schema;
  LoadReport report;
  Progress& progress;
  std::size_t expected_features = 0;  // 0: unknown
  bool progress_started = false;
  bool exhausted = false;
  bool plain_as_vertices = false;
  std::int64_t last_fid = 0;  // of the read thread
  // The GeoPackage's Arrow stream where it reads the bound fields as GetNextFeature does
  // (arrow_rows.hpp); arrow_field[b] is binding b's column in it (-1: the FID or a constant).
  std::unique_ptr<ArrowRows> arrow;
  std::vector<int> arrow_field;

  // What one read gathered: its features, counts and notes, merged into `report` by the thread
  // that takes the batch (the next batch is read meanwhile, see next_batch).
  struct RawBatch {
    std::vector<RawFeature> features;
    std::int64_t read = 0, empty = 0, dropped = 0;
    std::vector<std::pair<std::int64_t, std::string>> notes;  // (fid, text)
    bool exhausted = false;
    void note(std::int64_t fid, std::string text) {
      if (notes.size() < kMaxNotesPerLayer) notes.emplace_back(fid, std::move(text));
    }
  };
  std::future<RawBatch> ahead;
  Prefetcher<RawBatch> prefetcher;  // last: finishes a read under way before what the read uses goes

  Impl(const LayerDefinition& d, const std::string& target_crs_wkt, Progress& p, std::shared_ptr<OpenedSource> given)
      : definition(d),
        opened(given ? std::move(given) : std::make_shared<OpenedSource>(definition)),
        open(opened->layer),
        bindings(bind_fields(definition, open.layer(), open.field_names())),
        progress(p) {
    OGRLayer& source = open.layer();
    const auto source_crs = open.crs();
    OGRSpatialReference target;
    target.importFromWkt(target_crs_wkt.c_str());
    target.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    report.name = d.name;
    report.source = d.source;
    report.source_layer = source.GetName();
    report.reprojected = !source_crs.IsSame(&target);
    if (report.reprojected) {
      CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
      transform.reset(OGRCreateCoordinateTransformation(&source_crs, &target));
      if (!transform) {
        throw InputError(fmt::format("no transformation from {} to the analysis CRS: {}", crs_label(source_crs),
                                     last_gdal_error("PROJ found none")),
                         context_of(d));
      }
    }
    schema.name = d.name;
    schema.title = d.title;
    schema.role = d.role;
    schema.geometry = d.geometry.value_or(role_spec(d.role).geometry);
    schema.crs_wkt = target_crs_wkt;
    for (const auto& binding : bindings) schema.fields.push_back(binding.output);
    schema.fid_column = source.GetFIDColumn();
    const auto expected = open.feature_count(false);
    expected_features = expected > 0 ? static_cast<std::size_t>(expected) : 0;
    source.ResetReading();
    if (d.sql.empty()) {
      std::vector<int> fields;
      for (const auto& binding : bindings) {
        arrow_field.push_back(binding.source_index >= 0 ? static_cast<int>(fields.size()) : -1);
        if (binding.source_index >= 0) fields.push_back(binding.source_index);
      }
      arrow = ArrowRows::open(open.dataset(), source, fields);
    }
  }

  void note(std::int64_t fid, const std::string& text) {
    if (report.notes.size() < kMaxNotesPerLayer) {
      report.notes.push_back(fmt::format("layer '{}', feature {}: {}", definition.name, fid, text));
      progress.message(report.notes.back());
    }
  }

  // Sequential: OGR reading and reprojection. A failure GDAL reports while reading (a damaged
  // page, a lost connection) ends the read as an error; one that spoils a single feature drops it.
  RawBatch read_raw(std::size_t max_features) {
    if (arrow) return read_raw_arrow(max_features);
    RawBatch batch;
    auto& raw = batch.features;
    raw.reserve(std::min(max_features, kMostReserved));
    GdalErrorTrap errors;
    OGRLayer& source = open.layer();
    const auto context = context_of(definition);
    while (raw.size() < max_features) {
      // What the last feature's own steps raised (a reprojection GDAL only warned about) is not a
      // failure of this read.
      static_cast<void>(errors.take_failure());
      std::unique_ptr<OGRFeature> feature(source.GetNextFeature());
      const std::string failure = errors.take_failure();
      if (!feature) {
        if (!failure.empty()) {
          const auto read = report.read + batch.read;  // the batch before this one is merged by now
          throw InputError(fmt::format("reading {} failed after {} features{}: {}", definition.source, read,
                                       read ? fmt::format(" (the last was feature {})", last_fid) : "", failure),
                           context,
                           "the source is damaged or was cut off; `ogrinfo` shows the same error — repair or "
                           "export it again");
        }
        batch.exhausted = true;
        break;
      }
      ++batch.read;
      const std::int64_t fid = last_fid = feature->GetFID();
      if (!failure.empty()) {
        ++batch.dropped;
        batch.note(fid, fmt::format("cannot be read ({}), dropped", failure));
        continue;
      }
      if (auto item = prepare(*feature, context, errors, batch)) raw.push_back(std::move(*item));
    }
    return batch;
  }

  // read_raw's rows from the Arrow stream: the same checks, counts and notes per row.
  RawBatch read_raw_arrow(std::size_t max_features) {
    RawBatch batch;
    batch.features.reserve(std::min(max_features, kMostReserved));
    GdalErrorTrap errors;
    const auto context = context_of(definition);
    while (batch.features.size() < max_features) {
      static_cast<void>(errors.take_failure());
      try {
        if (!arrow->next()) {
          batch.exhausted = true;
          break;
        }
      } catch (const std::runtime_error& failure) {
        const auto read = report.read + batch.read;
        throw InputError(fmt::format("reading {} failed after {} features{}: {}", definition.source, read,
                                     read ? fmt::format(" (the last was feature {})", last_fid) : "", failure.what()),
                         context,
                         "the source is damaged or was cut off; `ogrinfo` shows the same error — repair or "
                         "export it again");
      }
      ++batch.read;
      const std::int64_t fid = last_fid = arrow->fid();
      const auto wkb = arrow->wkb();
      RawFeature item;
      if (const auto at = plain_point(wkb)) {
        if (!take_point(fid, *at, errors, batch, item)) continue;
      } else if (auto line = transform ? std::vector<geos::XY>() : plain_line(wkb); !line.empty()) {
        item.fid = fid;
        item.line = std::move(line);
      } else {
        std::unique_ptr<OGRGeometry> geometry;
        if (!wkb.empty()) {
          OGRGeometry* parsed = nullptr;
          if (OGRGeometryFactory::createFromWkb(wkb.data(), nullptr, &parsed, wkb.size(), wkbVariantIso) !=
              OGRERR_NONE) {
            ++batch.dropped;
            batch.note(fid, "cannot be read (its geometry is not valid WKB), dropped");
            continue;
          }
          geometry.reset(parsed);
        }
        if (!take_geometry(fid, geometry.get(), errors, batch, item)) continue;
      }
      const bool kept = take_values(item, batch, [&](const FieldBinding& binding, std::size_t b) -> Value {
        if (binding.source_index == kFidColumn) return fid;
        if (binding.source_index < 0) return binding.constant;
        Value value = arrow->value(static_cast<std::size_t>(arrow_field[b]));
        if (auto* text = std::get_if<std::string>(&value)) {
          const char* field = open.layer().GetLayerDefn()->GetFieldDefn(binding.source_index)->GetNameRef();
          return checked_text(std::move(*text), field, fid, context);
        }
        return value;
      });
      if (kept) batch.features.push_back(std::move(item));
    }
    return batch;
  }

  // One feature's geometry, reprojected and checked, and its values; nullopt when it is dropped.
  std::optional<RawFeature> prepare(OGRFeature& feature, const ErrorContext& context, GdalErrorTrap& errors,
                                    RawBatch& batch) {
    RawFeature item;
    if (!take_geometry(feature.GetFID(), feature.GetGeometryRef(), errors, batch, item)) return std::nullopt;
    const bool kept = take_values(item, batch, [&](const FieldBinding& binding, std::size_t) {
      return read_value(feature, binding, context);
    });
    if (!kept) return std::nullopt;
    return item;
  }

  // A row's geometry, linearised, flattened, mended, reprojected and checked, as WKB in `item`;
  // false (counted and noted) when it is dropped. `geometry` may be changed in place.
  bool take_geometry(std::int64_t fid, OGRGeometry* geometry, GdalErrorTrap& errors, RawBatch& batch,
                     RawFeature& item) {
    if (!geometry || geometry->IsEmpty()) {
      ++batch.empty;
      batch.note(fid, "NULL or empty geometry, dropped");
      return false;
    }
    std::unique_ptr<OGRGeometry> linear;
    if (geometry->hasCurveGeometry()) {
      linear.reset(geometry->getLinearGeometry());
      geometry = linear.get();
    }
    geometry->flattenTo2D();  // areas and overlays are planar; Z and M are not carried
    item.fid = fid;
    if (close_open_rings(*geometry)) item.repair = "a ring that did not end where it began was closed";
    if (transform && geometry->transform(transform.get()) != OGRERR_NONE) return drop_unprojected(fid, errors, batch);
    if (!coordinates_plausible(*geometry)) return drop_implausible(fid, batch);
    item.wkb.resize(geometry->WkbSize());
    geometry->exportToWkb(wkbNDR, item.wkb.data(), wkbVariantIso);
    return true;
  }

  // take_geometry for a 2D point read straight from its WKB: the same drops and notes, without an
  // OGR geometry to build, check and write back (a million points paid for one each).
  bool take_point(std::int64_t fid, geos::XY at, GdalErrorTrap& errors, RawBatch& batch, RawFeature& item) {
    if (std::isnan(at.x) && std::isnan(at.y)) {  // WKB's empty point
      ++batch.empty;
      batch.note(fid, "NULL or empty geometry, dropped");
      return false;
    }
    item.fid = fid;
    double z = 0;  // as OGRPoint::transform passes it
    if (transform && !transform->Transform(1, &at.x, &at.y, &z)) return drop_unprojected(fid, errors, batch);
    if (!plausible(at.x, at.y)) return drop_implausible(fid, batch);
    item.point = at;
    return true;
  }

  static bool drop_unprojected(std::int64_t fid, GdalErrorTrap& errors, RawBatch& batch) {
    ++batch.dropped;
    const auto reason = errors.take_failure();
    batch.note(fid, fmt::format("cannot be reprojected ({}), dropped", reason.empty() ? "outside the CRS's area" : reason));
    return false;
  }

  static bool drop_implausible(std::int64_t fid, RawBatch& batch) {
    ++batch.dropped;
    batch.note(fid, fmt::format("a vertex is not finite or lies more than {:g} m from the analysis CRS's origin, dropped",
                                kMaxCoordinate));
    return false;
  }

  // The bound values of `item`'s row, read(binding, its position); false (counted and noted) when
  // a required one is NULL.
  template <typename Read>
  bool take_values(RawFeature& item, RawBatch& batch, Read&& read) {
    item.values.reserve(bindings.size());
    const FieldBinding* missing = nullptr;
    for (std::size_t b = 0; b < bindings.size(); ++b) {
      item.values.push_back(read(bindings[b], b));
      if (bindings[b].required && !missing && std::holds_alternative<std::monostate>(item.values.back())) {
        missing = &bindings[b];
      }
    }
    if (missing) {
      ++batch.dropped;
      batch.note(item.fid, fmt::format("{} is NULL, dropped (every {} needs one; or filter with where:)",
                                       missing->output.name, to_string(definition.role)));
      return false;
    }
    return true;
  }

  // The next batch is read on a thread of its own while this one is built and used: GDAL reads
  // one feature at a time, and reading 100k points alone took half of exposure's time for them.
  // With `plain`, plain points and line strings come as vertices there (FeatureSource::use_plain_vertices).
  std::vector<Feature> next_batch(std::size_t max_features, PlainVertices* plain = nullptr) {
    std::vector<Feature> features;
    if (plain) plain->clear();
    if (exhausted) return features;
    // Started by the first read, not when opened: a step opens all its streamed layers first
    // (exposure's points and roads), and the bar is the layer being read.
    if (!progress_started) {
      progress.start(fmt::format("load {}", definition.name), expected_features);
      progress_started = true;
    }
    // A batch may come back empty only when the source is exhausted.
    while (features.empty() && !exhausted) {
      auto raw = ahead.valid() ? ahead.get() : read_raw(max_features);
      merge(raw);
      if (!exhausted) ahead = prefetcher.start([this, max_features] { return read_raw(max_features); });
      features = build(raw.features, plain);
      report.loaded += static_cast<std::int64_t>(features.size());
    }
    if (exhausted) {
      progress.finish();
      if (report.loaded == 0 && definition.role != Role::result) throw nothing_usable();
    }
    return features;
  }

  void merge(const RawBatch& batch) {
    report.read += batch.read;
    report.empty += batch.empty;
    report.dropped += batch.dropped;
    progress.advance(static_cast<std::size_t>(batch.read));
    for (const auto& [fid, text] : batch.notes) note(fid, text);
    exhausted = batch.exhausted;
  }

  // An input without a usable feature gives empty results that look like an answer ("no shared
  // zones"); it is refused instead, with what was read and why it was dropped.
  InputError nothing_usable() const {
    std::string filters;
    if (!definition.where.empty()) filters += fmt::format(", where: {}", definition.where);
    if (definition.bbox) filters += ", bbox";
    if (!definition.sql.empty()) filters += ", sql";
    if (report.read == 0) {
      return InputError(fmt::format("layer '{}' of {} has no features{}", report.source_layer, definition.source, filters),
                        context_of(definition),
                        filters.empty() ? "point the definition at a layer with data" : "check where:, bbox: and sql:");
    }
    return InputError(fmt::format("none of the {} features of layer '{}' is usable ({} NULL or empty, {} dropped){}",
                                  report.read, report.source_layer, report.empty, report.dropped,
                                  report.notes.empty() ? "" : "; first: " + report.notes.front()),
                      context_of(definition), "the warnings name each feature and why it was dropped");
  }

  enum class Outcome { kept, repaired, dropped_wrong_type, dropped_collapsed, dropped_unreadable };

  // Parallel: WKB to GEOS, validity check and repair, polygon extraction. A geometry GEOS cannot
  // take (a ring of fewer than 4 points) is a named drop, never an error without a feature.
  std::vector<Feature> build(std::vector<RawFeature>& raw, PlainVertices* plain = nullptr) {
    const auto family = schema.geometry;
    // Plain points and lines are valid as GEOS would find them (build_one); a polygon layer drops
    // them, which build_one says. The others (`built`, by position in raw) become GEOS geometries.
    std::vector<char> as_vertices(raw.size(), 0);
    if (plain && family != GeometryFamily::polygon) {
      for (std::size_t i = 0; i < raw.size(); ++i) as_vertices[i] = raw[i].point || two_distinct(raw[i].line);
    }
    std::vector<std::size_t> built;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (!as_vertices[i]) built.push_back(i);
    }
    std::vector<Outcome> outcomes(built.size(), Outcome::kept);
    std::vector<std::string> reasons(built.size());
    std::vector<geos::GeomPtr> geometries(built.size());
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, built.size(), 64), [&](const auto& range) {
      for (std::size_t k = range.begin(); k != range.end(); ++k) {
        auto& item = raw[built[k]];
        try {
          outcomes[k] = build_one(item, family, reasons[k], geometries[k]);
        } catch (const Error& error) {
          outcomes[k] = Outcome::dropped_unreadable;
          reasons[k] = error.message();
        }
        item.wkb = {};
        item.line = {};
      }
    });
    std::vector<Feature> features;
    features.reserve(raw.size());
    for (std::size_t i = 0, k = 0; i < raw.size(); ++i) {
      if (as_vertices[i]) {
        add_vertices(raw[i], *plain);
        features.push_back(Feature{raw[i].fid, nullptr, std::move(raw[i].values)});
        continue;
      }
      const auto outcome = outcomes[k];
      const auto& reason = reasons[k];
      auto& geometry = geometries[k++];
      switch (outcome) {
        case Outcome::dropped_wrong_type:
          ++report.dropped;
          note(raw[i].fid, fmt::format("not a {} geometry, dropped", to_string(family)));
          continue;
        case Outcome::dropped_collapsed:
          ++report.dropped;
          note(raw[i].fid, fmt::format("{}, dropped", reason));
          continue;
        case Outcome::dropped_unreadable:
          ++report.dropped;
          note(raw[i].fid, fmt::format("geometry cannot be used ({}), dropped", reason));
          continue;
        case Outcome::repaired:
          ++report.repaired;
          note(raw[i].fid, fmt::format("{}, repaired", reason));
          break;
        case Outcome::kept: break;
      }
      if (plain) plain->ends.push_back(plain->vertices.size());  // a GEOS geometry: no vertices
      features.push_back(Feature{raw[i].fid, std::move(geometry), std::move(raw[i].values)});
    }
    return features;
  }

  static void add_vertices(const RawFeature& item, PlainVertices& plain) {
    if (item.point) {
      plain.vertices.push_back(*item.point);
    } else {
      plain.vertices.insert(plain.vertices.end(), item.line.begin(), item.line.end());
    }
    plain.ends.push_back(plain.vertices.size());
  }

  static bool two_distinct(const std::vector<geos::XY>& points) {
    return std::any_of(points.begin(), points.end(),
                       [&](const geos::XY& p) { return p.x != points.front().x || p.y != points.front().y; });
  }

  static Outcome build_one(const RawFeature& item, GeometryFamily family, std::string& reason, geos::GeomPtr& out) {
    // GEOS's WKB reader costs more than the point or short line itself.
    auto geometry = item.point           ? geos::point(item.point->x, item.point->y)
                    : !item.line.empty() ? geos::line_string(item.line)
                                         : geos::from_wkb(item.wkb);
    Outcome outcome = item.repair.empty() ? Outcome::kept : Outcome::repaired;
    reason = item.repair;
    auto also = [&](const std::string& text) { reason += (reason.empty() ? "" : "; ") + text; };
    // A point is valid when its coordinates are finite, and a line string when it also has two
    // distinct vertices, all that GEOS's check asks of them; take_point and plain_line checked the
    // coordinates. GEOS's check would repeat it at a cost that shows on a million points.
    const bool valid = geos::type_id(geometry.get()) == GEOS_POINT || two_distinct(item.line) ||
                       geos::is_valid(geometry.get());
    if (!valid) {
      also(fmt::format("invalid ({})", geos::invalid_reason(geometry.get())));
      geometry = geos::make_valid(geometry.get());
      if (family == GeometryFamily::polygon && geos::polygon_views(geometry.get()).empty()) {
        also("collapses to no area when repaired");
        return Outcome::dropped_collapsed;
      }
      outcome = Outcome::repaired;
    }
    if (family == GeometryFamily::polygon) {
      const bool plain_polygon = geos::type_id(geometry.get()) == GEOS_POLYGON && !geos::is_empty(geometry.get());
      if (!plain_polygon) {
        auto polygons = geos::polygons_of(geometry.get());
        if (polygons.empty()) return Outcome::dropped_wrong_type;
        geometry = polygons.size() == 1 ? std::move(polygons.front()) : geos::multipolygon(std::move(polygons));
      }
      if (auto cleaned = geos::without_small_parts(geometry.get(), geos::kMinPartArea)) {
        also(fmt::format("polygon parts or holes under {:g} m² or with fewer than 3 distinct points", geos::kMinPartArea));
        if (geos::is_empty(cleaned.get())) {
          also("nothing is left");
          return Outcome::dropped_collapsed;
        }
        also("removed");
        geometry = std::move(cleaned);
        outcome = Outcome::repaired;
      }
    }
    geos::envelope(geometry.get());  // computes GEOS's cached envelope now, before geometries are shared
    out = std::move(geometry);
    return outcome;
  }
};

LayerReader::LayerReader(const LayerDefinition& definition, const std::string& target_crs_wkt, Progress& progress,
                         std::shared_ptr<OpenedSource> opened)
    : m_impl(std::make_unique<Impl>(definition, target_crs_wkt, progress, std::move(opened))) {}
LayerReader::~LayerReader() = default;
std::vector<Feature> LayerReader::take_batch(std::size_t max_features) { return m_impl->next_batch(max_features); }
std::span<const Feature> LayerReader::next_batch(std::size_t max_features) {
  m_current = m_impl->next_batch(max_features, m_impl->plain_as_vertices ? &m_vertices : nullptr);
  return m_current;
}
void LayerReader::use_plain_vertices() { m_impl->plain_as_vertices = true; }
std::span<const geos::XY> LayerReader::vertices(std::size_t feature) const { return m_vertices.of(feature); }
const LayerSchema& LayerReader::schema() const { return m_impl->schema; }
const LoadReport& LayerReader::report() const { return m_impl->report; }

Layer load_layer(const LayerDefinition& definition, const std::string& target_crs_wkt, LoadReport& report,
                 Progress& progress, std::shared_ptr<OpenedSource> opened) {
  LayerReader reader(definition, target_crs_wkt, progress, std::move(opened));
  Layer layer;
  static_cast<LayerSchema&>(layer) = reader.schema();
  for (auto batch = reader.take_batch(kBatchSize); !batch.empty(); batch = reader.take_batch(kBatchSize)) {
    std::move(batch.begin(), batch.end(), std::back_inserter(layer.features));
  }
  report = reader.report();
  return layer;
}

std::string resolve_analysis_crs(const std::string& spec, const std::vector<LonLatExtent>& extents) {
  ensure_gdal_registered();
  OGRSpatialReference crs;
  if (spec == "auto") {
    if (extents.empty()) {
      throw ConfigError("analysis_crs: auto needs at least one layer with features to centre on",
                        {}, "set analysis_crs to a projected CRS, e.g. EPSG:3035");
    }
    LonLatExtent all = extents.front();
    for (const auto& e : extents) {
      all.min_lon = std::min(all.min_lon, e.min_lon);
      all.min_lat = std::min(all.min_lat, e.min_lat);
      all.max_lon = std::max(all.max_lon, e.max_lon);
      all.max_lat = std::max(all.max_lat, e.max_lat);
    }
    // Rounded so that a small change in the data does not change the CRS.
    const double lat = std::round((all.min_lat + all.max_lat) / 2 * 100) / 100;
    const double lon = std::round((all.min_lon + all.max_lon) / 2 * 100) / 100;
    const auto proj = fmt::format("+proj=laea +lat_0={} +lon_0={} +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs", lat, lon);
    crs.SetFromUserInput(proj.c_str());
    // A name, so that QGIS shows more than "unknown" for the analysis CRS.
    crs.SetProjCS(fmt::format("twinrisk auto: Lambert azimuthal equal-area at {}, {}", lat, lon).c_str());
  } else {
    CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
    if (crs.SetFromUserInput(spec.c_str()) != OGRERR_NONE) {
      throw ConfigError(fmt::format("analysis_crs '{}' is not a CRS PROJ knows", spec), {},
                        "use auto, an authority code such as EPSG:3035, or a WKT/PROJ string");
    }
  }
  if (!crs.IsProjected()) {
    throw ConfigError(fmt::format("analysis_crs '{}' is not projected; areas need metres", spec), {},
                      "use auto (equal-area, centred on the data) or a projected CRS such as EPSG:3035");
  }
  return to_wkt(crs);
}

bool is_equal_area(const std::string& crs_wkt) {
  // PROJ names the method directly; OGRSpatialReference::GetAttrValue would build the WKT1 tree
  // first, 16 ms of every run before its inputs are read.
  const std::unique_ptr<PJ_CONTEXT, decltype(&proj_context_destroy)> context(proj_context_create(),
                                                                              &proj_context_destroy);
  proj_log_level(context.get(), PJ_LOG_NONE);  // text that is not a CRS is simply not equal-area
  auto owned = [&](PJ* object) { return std::unique_ptr<PJ, decltype(&proj_destroy)>(object, &proj_destroy); };
  auto crs = owned(proj_create(context.get(), crs_wkt.c_str()));
  if (crs && proj_get_type(crs.get()) == PJ_TYPE_BOUND_CRS) crs = owned(proj_get_source_crs(context.get(), crs.get()));
  if (crs && proj_get_type(crs.get()) == PJ_TYPE_COMPOUND_CRS) crs = owned(proj_crs_get_sub_crs(context.get(), crs.get(), 0));
  if (!crs || proj_get_type(crs.get()) != PJ_TYPE_PROJECTED_CRS) return false;
  const auto conversion = owned(proj_crs_get_coordoperation(context.get(), crs.get()));
  const char* method = nullptr;
  if (!conversion || !proj_coordoperation_get_method_info(context.get(), conversion.get(), &method, nullptr, nullptr) ||
      !method) {
    return false;
  }
  std::string name = method;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* equal_area : {"equal area", "mollweide", "sinusoidal", "eckert iv", "eckert vi", "goode", "equal earth"}) {
    if (name.find(equal_area) != std::string::npos) return true;
  }
  return false;
}

nlohmann::json describe_source(const std::string& source) {
  ensure_gdal_registered();
  check_local_source(source, {});
  CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
  GDALDatasetUniquePtr dataset(GDALDataset::Open(source.c_str(), GDAL_OF_VECTOR | GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!dataset) {
    throw InputError(fmt::format("cannot open {}: {}", source, last_gdal_error("not a format GDAL reads")));
  }
  if (dataset->GetRasterCount() > 0 && dataset->GetLayerCount() == 0) {
    nlohmann::json described = {{"source", redact_secrets(source)}, {"driver", dataset->GetDriverName()},
                                {"kind", "raster"}};
    nlohmann::json bands = nlohmann::json::array();
    std::string crs_text = "none";
    double gt[6] = {0, 1, 0, 0, 0, 1};
    const bool georeferenced = dataset->GetGeoTransform(gt) == CE_None;
    if (const auto* crs = dataset->GetSpatialRef(); crs && !is_undefined(*crs)) crs_text = crs_label(*crs);
    for (int b = 1; b <= dataset->GetRasterCount(); ++b) {
      auto* band = dataset->GetRasterBand(b);
      int has_nodata = 0;
      const double nodata = band->GetNoDataValue(&has_nodata);
      bands.push_back({{"band", b},
                       {"type", GDALGetDataTypeName(band->GetRasterDataType())},
                       {"nodata", has_nodata ? nlohmann::json(nodata) : nlohmann::json(nullptr)},
                       {"description", band->GetDescription()}});
    }
    described["crs"] = crs_text;
    described["width"] = dataset->GetRasterXSize();
    described["height"] = dataset->GetRasterYSize();
    if (georeferenced) {
      described["resolution"] = {std::hypot(gt[1], gt[4]), std::hypot(gt[2], gt[5])};
      described["origin"] = {gt[0], gt[3]};
      described["rotated"] = gt[2] != 0 || gt[4] != 0;
    } else {
      described["resolution"] = nullptr;
    }
    described["bands"] = bands;
    return described;
  }
  nlohmann::json layers = nlohmann::json::array();
  for (auto* layer : dataset->GetLayers()) {
    nlohmann::json fields = nlohmann::json::array();
    const auto* defn = layer->GetLayerDefn();
    for (int i = 0; i < defn->GetFieldCount(); ++i) {
      fields.push_back({{"name", defn->GetFieldDefn(i)->GetNameRef()},
                        {"type", OGRFieldDefn::GetFieldTypeName(defn->GetFieldDefn(i)->GetType())}});
    }
    std::int64_t invalid = 0, empty = 0, count = 0;
    nlohmann::json invalid_examples = nlohmann::json::array();
    GdalErrorTrap errors;
    for (auto& feature : *layer) {
      ++count;
      const OGRGeometry* geometry = feature->GetGeometryRef();
      if (!geometry || geometry->IsEmpty()) {
        ++empty;
        continue;
      }
      std::vector<unsigned char> wkb(geometry->WkbSize());
      geometry->exportToWkb(wkbNDR, wkb.data(), wkbVariantIso);
      auto parsed = geos::from_wkb(wkb);
      if (!geos::is_valid(parsed.get())) {
        ++invalid;
        if (invalid_examples.size() < 10) {
          invalid_examples.push_back({{"fid", feature->GetFID()}, {"reason", geos::invalid_reason(parsed.get())}});
        }
      }
    }
    if (const auto failure = errors.take_failure(); !failure.empty()) {
      throw InputError(fmt::format("reading layer '{}' of {} failed after {} features: {}", layer->GetName(), source,
                                   count, failure),
                       {}, "the source is damaged or was cut off; repair or export it again");
    }
    const auto* crs = layer->GetSpatialRef();
    layers.push_back({{"name", layer->GetName()},
                      {"geometry_type", OGRGeometryTypeToName(layer->GetGeomType())},
                      {"crs", crs && !is_undefined(*crs) ? crs_label(*crs) : "none"},
                      {"features", count},
                      {"empty_geometries", empty},
                      {"invalid_geometries", invalid},
                      {"invalid_examples", invalid_examples},
                      {"fields", fields}});
  }
  return {{"source", redact_secrets(source)}, {"driver", dataset->GetDriverName()}, {"kind", "vector"},
          {"layers", layers}};
}

}  // namespace twinrisk::io
