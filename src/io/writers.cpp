#include "twinrisk/io/writers.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <openssl/evp.h>
#include <sys/statvfs.h>
#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <variant>

#include "gpkg_rows.hpp"
#include "gpkg_rtree.hpp"
#include "ogr_convert.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/core/text.hpp"
#include "twinrisk/io/gdal.hpp"
#include "twinrisk/io/styles.hpp"

namespace twinrisk::io {

namespace fs = std::filesystem;

namespace {

// Says when the disk is full: the error of the call that failed last ("no such table") hides it.
std::string write_hint(const fs::path& path) {
  struct statvfs disk {};
  const auto folder = path.parent_path();
  if (::statvfs(folder.c_str(), &disk) == 0 && disk.f_bavail * disk.f_frsize < (1u << 20)) {
    return fmt::format("the disk holding {} is full: free some space, or write elsewhere with -o", folder.string());
  }
  return {};
}

// GDAL's first failure is the cause; later ones follow from it.
[[noreturn]] void gdal_write_failure(const fs::path& path, const std::string& what, GdalErrorTrap& errors) {
  auto cause = errors.take_failure();
  if (cause.empty()) cause = last_gdal_error("unknown error");
  throw OutputError(fmt::format("cannot write {}: {}: {}", path.string(), what, cause), {}, write_hint(path));
}

// Runs `work`; an OutputError it throws is replaced by one with GDAL's first failure, the cause.
template <typename F>
void first_cause(GdalErrorTrap& errors, const fs::path& path, F&& work) {
  try {
    work();
  } catch (const OutputError&) {
    if (errors.failed()) gdal_write_failure(path, "spatial index", errors);
    throw;
  }
}

// Features whose geometry blobs exist at one time.
constexpr std::size_t kWriteChunk = 65536;

// Reproducible output (reproducible-builds.org): with SOURCE_DATE_EPOCH set, the GeoPackage's
// timestamps are that time, so equal results give byte-identical files. The option is set per
// call, on the calling thread only.
class PinnedDate {
 public:
  PinnedDate() {
    if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) {
      const std::time_t seconds = std::strtoll(epoch, nullptr, 10);
      std::tm tm{};
      gmtime_r(&seconds, &tm);
      char iso[32];
      std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
      m_setter.emplace("OGR_CURRENT_DATE", iso, true);
    }
  }

 private:
  std::optional<CPLConfigOptionSetter> m_setter;
};

// `values` as a QGIS array literal: numbers for a numeric field, quoted text otherwise.
std::string qgis_array(const std::set<std::string, bool (*)(const std::string&, const std::string&)>& values,
                       FieldType type) {
  std::string out = "array(";
  for (const auto& value : values) {
    if (out.back() != '(') out += ',';
    if (type != FieldType::string && as_number(value)) {
      out += value;
      continue;
    }
    out += '\'';
    for (char c : value) out += c == '\'' ? std::string("''") : std::string(1, c);
    out += '\'';
  }
  return out + ")";
}

void replace_all(std::string& text, std::string_view from, const std::string& to) {
  for (auto at = text.find(from); !from.empty() && at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// QGIS reads a layer's default style from the GeoPackage's layer_styles table.
template <typename StyledLayer>
void write_layer_styles(GDALDataset& dataset, const fs::path& path, GdalErrorTrap& errors,
                        const std::vector<StyledLayer>& layers) {
  std::vector<std::pair<const std::string*, std::string>> styled;
  for (const auto& layer : layers) {
    std::string qml(layer.style->qml);
    // The values written, ranked as the maps rank them, in place of QGIS's own ranking of those
    // it has open (a mixed table's sublayer has only its own).
    if (!layer.values.empty()) {
      replace_all(qml, layer.style->values_expression, xml_escape(qgis_array(layer.values, layer.class_type)));
    }
    styled.emplace_back(&layer.layer, std::move(qml));
  }
  if (styled.empty()) return;
  OGRLayer* table = dataset.CreateLayer("layer_styles", nullptr, wkbNone, nullptr);
  if (!table) gdal_write_failure(path, "create layer_styles", errors);
  const std::vector<std::pair<const char*, OGRFieldType>> columns = {
      {"f_table_catalog", OFTString}, {"f_table_schema", OFTString}, {"f_table_name", OFTString},
      {"f_geometry_column", OFTString}, {"styleName", OFTString}, {"styleQML", OFTString},
      {"styleSLD", OFTString}, {"useAsDefault", OFTInteger}, {"description", OFTString},
      {"owner", OFTString}, {"ui", OFTString}, {"update_time", OFTDateTime}};
  for (const auto& [name, type] : columns) {
    OGRFieldDefn defn(name, type);
    if (type == OFTInteger) defn.SetSubType(OFSTBoolean);
    if (table->CreateField(&defn) != OGRERR_NONE) gdal_write_failure(path, "create layer_styles field", errors);
  }
  for (const auto& [layer, qml] : styled) {
    OGRFeature feature(table->GetLayerDefn());
    feature.SetField("f_table_catalog", "");
    feature.SetField("f_table_schema", "");
    feature.SetField("f_table_name", layer->c_str());
    feature.SetField("f_geometry_column", "geom");
    feature.SetField("styleName", layer->c_str());
    feature.SetField("styleQML", qml.c_str());
    feature.SetField("useAsDefault", 1);
    feature.SetField("description", "twinrisk default style");
    if (table->CreateFeature(&feature) != OGRERR_NONE) gdal_write_failure(path, "write layer_styles", errors);
  }
}

}  // namespace

namespace {

GDALDatasetUniquePtr create_geopackage(const fs::path& path) {
  GdalErrorTrap errors;
  const PinnedDate date;
  auto* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
  if (!driver) throw OutputError("GDAL was built without the GeoPackage driver");
  // Validating the (absent) options makes the driver list its tiling schemes, reading a dozen
  // JSON files and PROJ's database: 20 ms of every run before any input is read.
  const CPLConfigOptionSetter unvalidated("GDAL_VALIDATE_CREATION_OPTIONS", "NO", true);
  GDALDatasetUniquePtr dataset(driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  // A full disk can leave GDAL with a dataset whose metadata tables were never made.
  if (!dataset || errors.failed()) gdal_write_failure(path, "create", errors);
  return dataset;
}

}  // namespace

// GDAL takes 13 ms to create the file's metadata tables: done on a thread of its own while the
// run reads its inputs; the first use waits for it and rethrows its failure.
GeoPackageWriter::GeoPackageWriter(fs::path path) : m_path(std::move(path)) {
  ensure_gdal_registered();
  m_creating = std::async(std::launch::async, [path = m_path] { return create_geopackage(path); });
}

GeoPackageWriter::~GeoPackageWriter() = default;

GDALDataset& GeoPackageWriter::dataset() {
  if (m_creating.valid()) m_dataset = m_creating.get();
  return *m_dataset;
}

void GeoPackageWriter::begin_layer(const LayerSchema& schema) {
  GdalErrorTrap errors;
  const PinnedDate date;
  m_schema = schema;
  OGRSpatialReference crs;
  crs.importFromWkt(schema.crs_wkt.c_str());
  crs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  // The spatial index is bulk-loaded at end_layer() (see gpkg_rtree.hpp), not built by GDAL.
  const char* options[] = {"GEOMETRY_NAME=geom", "FID=fid", "SPATIAL_INDEX=NO", nullptr};
  m_layer = dataset().CreateLayer(schema.name.c_str(), schema.crs_wkt.empty() ? nullptr : &crs,
                                   ogr_type(schema.geometry), const_cast<char**>(options));
  if (!m_layer) gdal_write_failure(m_path, fmt::format("create layer '{}'", schema.name), errors);
  for (const auto& field : schema.fields) {
    OGRFieldDefn defn(field.name.c_str(), ogr_field_type(field.type));
    if (m_layer->CreateField(&defn) != OGRERR_NONE) {
      gdal_write_failure(m_path, fmt::format("create field '{}'", field.name), errors);
    }
  }
  if (schema.geometry != GeometryFamily::none) {
    first_cause(errors, m_path, [&] {
      m_index = std::make_unique<GpkgSpatialIndex>(dataset(), m_path, schema.name, "geom");
      m_rows = std::make_unique<GpkgRows>(dataset(), m_path, schema);
    });
  }
  if (dataset().StartTransaction() != OGRERR_NONE || errors.failed()) {
    gdal_write_failure(m_path, fmt::format("create layer '{}'", schema.name), errors);
  }
  m_layer_names.push_back(schema.name);
  m_styled_now.reset();
  if (const auto* style = qgis_style(schema.style_name())) {
    StyledLayer styled;
    styled.layer = schema.name;
    styled.style = style;
    if (!style->class_field.empty()) {
      styled.class_field = schema.field_index(std::string(style->class_field));
      if (styled.class_field) styled.class_type = schema.fields[*styled.class_field].type;
    }
    m_styled_now = m_styled.size();
    m_styled.push_back(std::move(styled));
  }
  m_counts[schema.name] = 0;
}

void GeoPackageWriter::note_class_values(std::span<const Feature> features) {
  if (!m_styled_now || !m_styled[*m_styled_now].class_field) return;
  auto& styled = m_styled[*m_styled_now];
  const auto field = *styled.class_field;
  auto& values = styled.values;
  for (const auto& feature : features) {
    if (field >= feature.values.size()) continue;
    const auto& value = feature.values[field];
    if (std::holds_alternative<std::monostate>(value)) continue;
    if (const auto* text = std::get_if<std::string>(&value)) {
      if (!text->empty()) values.insert(*text);
    } else {
      values.insert(to_display_string(value));
    }
  }
}

void GeoPackageWriter::write(std::vector<Feature> batch) { write_view(batch); }

void GeoPackageWriter::write_view(std::span<const Feature> features) {
  note_class_values(features);
  if (m_rows) {
    write_rows(features);
    return;
  }
  // A table without geometry (few rows): through OGR.
  GdalErrorTrap errors;
  const PinnedDate date;
  for (const auto& item : features) {
    OGRFeature feature(m_layer->GetLayerDefn());
    for (std::size_t f = 0; f < item.values.size(); ++f) set_field(feature, static_cast<int>(f), item.values[f]);
    if (m_layer->CreateFeature(&feature) != OGRERR_NONE) {
      gdal_write_failure(m_path, fmt::format("layer '{}' feature {}", m_schema.name, item.fid), errors);
    }
  }
  if (errors.failed()) gdal_write_failure(m_path, fmt::format("layer '{}'", m_schema.name), errors);
  m_counts[m_schema.name] += static_cast<std::int64_t>(features.size());
}

// Geometries encoded in parallel, a chunk at a time; rows inserted in order.
void GeoPackageWriter::write_rows(std::span<const Feature> features) {
  for (std::size_t begin = 0; begin < features.size(); begin += kWriteChunk) {
    const std::size_t end = std::min(features.size(), begin + kWriteChunk);
    std::vector<GpkgRows::Encoded> geometries(end - begin);
    tbb::parallel_for(begin, end, [&](std::size_t i) { geometries[i - begin] = m_rows->encode(features[i]); });
    const auto fids = m_rows->insert(features.subspan(begin, end - begin), geometries);
    for (std::size_t i = 0; i < fids.size(); ++i) {
      if (const auto& envelope = geometries[i].envelope) m_index->add(fids[i], *envelope);
    }
  }
  m_counts[m_schema.name] += static_cast<std::int64_t>(features.size());
}

void GeoPackageWriter::end_layer() {
  GdalErrorTrap errors;
  const PinnedDate date;
  if (m_rows) m_layer_totals.push_back(m_rows->totals());
  if (dataset().CommitTransaction() != OGRERR_NONE || errors.failed()) gdal_write_failure(m_path, "commit", errors);
  if (m_index) first_cause(errors, m_path, [&] { m_index->finish(); });
  if (m_rows) first_cause(errors, m_path, [&] { m_rows->finish(); });
  m_index.reset();
  m_rows.reset();
  m_layer = nullptr;
  sync_early();
}

// The disk takes the layer on a thread of its own while the run goes on. Started writeback was not
// enough: the fsync before the swap still took 55 ms for 38 MB of river corridors, most of it the
// flush of the disk's cache, which an fdatasync does here. One at a time; the swap's fsync still
// covers everything, but an error this one saw is not told again, so it is kept for wait_synced().
void GeoPackageWriter::sync_early() {
  if (m_syncing.valid()) {
    if (m_syncing.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
    if (const int error = m_syncing.get(); error && !m_sync_error) m_sync_error = error;
  }
  m_syncing = std::async(std::launch::async, [path = m_path] { return sync_data(path); });
}

void GeoPackageWriter::wait_synced() {
  if (m_syncing.valid()) {
    if (const int error = m_syncing.get(); error && !m_sync_error) m_sync_error = error;
  }
  if (m_sync_error) throw_not_on_disk(m_path, m_sync_error);
}

std::int64_t GeoPackageWriter::count(const std::string& layer) const {
  auto it = m_counts.find(layer);
  return it == m_counts.end() ? 0 : it->second;
}

void GeoPackageWriter::close() {
  GdalErrorTrap errors;
  const PinnedDate date;
  write_layer_styles(dataset(), m_path, errors, m_styled);
  if (errors.failed()) gdal_write_failure(m_path, "write layer_styles", errors);
  // GDAL 3.6 has no GDALDataset::Close() status; a failed flush surfaces as a CPL error.
  m_dataset.reset();
  if (errors.failed()) gdal_write_failure(m_path, "close", errors);
  write_layer_totals(m_path, m_layer_totals);
}

void write_geopackage(const fs::path& path, const std::vector<const Layer*>& layers) {
  GeoPackageWriter writer(path);
  for (const Layer* layer : layers) writer.write_layer(*layer);
  writer.close();
}

namespace {

// RFC 4180 quoting, and OWASP's advice against formula injection for text from the data: a cell
// that starts with = + - @ tab or CR gets a leading ' (spreadsheets then show it as text; plain
// numbers such as -3.5 stay as they are). A cell holding ';' is quoted too: Excel in many
// European locales splits on ';', and a quoted cell stays whole.
void append_csv_cell(fmt::memory_buffer& out, const std::string& text) {
  const bool formula = looks_like_formula(text);
  // One pass over the text (find_first_of would scan the specials once per character).
  const bool needs_quotes = formula || std::any_of(text.begin(), text.end(), [](char c) {
                              return c == ',' || c == '"' || c == '\r' || c == '\n' || c == ';';
                            });
  if (!needs_quotes) {
    out.append(text);
    return;
  }
  out.append(std::string_view(formula ? "\"'" : "\""));
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void check_stream(const std::ofstream& out, const fs::path& path) {
  if (!out) throw OutputError(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)), {}, write_hint(path));
}

}  // namespace

// Rows are formatted into a buffer written a megabyte at a time: a stream insertion and a string
// per cell made exposure's 60k critical facilities cost 0.2 s.
void write_csv(const fs::path& path, const Table& table) {
  std::ofstream out(path, std::ios::binary);
  check_stream(out, path);
  fmt::memory_buffer text;
  const auto flush = [&] {
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    text.clear();
  };
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    if (c) text.push_back(',');
    append_csv_cell(text, table.columns[c].name);
  }
  text.append(std::string_view("\r\n"));
  for (const auto& row : table.rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) text.push_back(',');
      // As PostgreSQL's COPY reads CSV: NULL is an empty field, an empty string is "". Numbers
      // are never neutralised: only text can carry a formula. Numbers as to_display_string.
      std::visit(
          [&](const auto& value) {
            using T = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<T, std::string>) {
              if (value.empty()) {
                text.append(std::string_view("\"\""));
              } else {
                append_csv_cell(text, value);
              }
            } else if constexpr (!std::is_same_v<T, std::monostate>) {
              fmt::format_to(std::back_inserter(text), "{}", value);
            }
          },
          row[c]);
    }
    text.append(std::string_view("\r\n"));
    if (text.size() >= (1u << 20)) flush();
  }
  flush();
  out.close();
  check_stream(out, path);
}

void write_json(const fs::path& path, const nlohmann::json& document) {
  std::ofstream out(path, std::ios::binary);
  check_stream(out, path);
  out << json_text(document, 2) << '\n';
  out.close();
  check_stream(out, path);
}

std::string sha256_file(const fs::path& path, const std::atomic<bool>* stop) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("cannot read {}", path.string()));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr);
  std::vector<char> buffer(1 << 20);
  while (in) {
    if (stop && stop->load(std::memory_order_relaxed)) return {};
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    EVP_DigestUpdate(context.get(), buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  // A read error ends the loop as the end of the file does: its digest would be a part's.
  if (in.bad()) throw InputError(fmt::format("cannot read {} to the end: {}", path.string(), std::strerror(errno)));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest, &length);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace twinrisk::io
