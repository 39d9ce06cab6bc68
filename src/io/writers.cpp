#include "twinrisk/io/writers.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <openssl/evp.h>
#include <signal.h>
#include <unistd.h>
#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <fstream>
#include <memory>
#include <optional>

#include "gpkg_rtree.hpp"
#include "ogr_convert.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/io/gdal.hpp"
#include "twinrisk/io/styles.hpp"

namespace twinrisk::io {

namespace fs = std::filesystem;

OutputFolder::OutputFolder(fs::path folder, const std::vector<std::string>& relative_paths, bool overwrite)
    : m_folder(std::move(folder)), m_overwrite(overwrite) {
  if (fs::exists(m_folder) && !fs::is_directory(m_folder)) {
    throw OutputError(fmt::format("output {} exists and is not a folder", m_folder.string()), {},
                      "choose another folder with -o");
  }
  for (const auto& relative : relative_paths) {
    check_replaceable(m_folder / relative);
    remove_abandoned_staging(m_folder / relative);
  }
  if (m_overwrite) return;
  std::vector<std::string> existing;
  for (const auto& relative : relative_paths) {
    if (fs::exists(m_folder / relative)) existing.push_back((m_folder / relative).string());
  }
  if (!existing.empty()) {
    throw OutputError(fmt::format("output already exists: {}", fmt::join(existing, ", ")), {},
                      "use --overwrite to replace it, or choose another folder with -o");
  }
}

OutputFolder::~OutputFolder() {
  std::error_code ignored;
  for (const auto& [temporary, final_path] : m_staged) fs::remove(temporary, ignored);
  // Folders made for this run's files go too, deepest first, when nothing else is in them.
  for (auto it = m_created.rbegin(); it != m_created.rend(); ++it) {
    if (fs::is_empty(*it, ignored)) fs::remove(*it, ignored);
  }
}

fs::path OutputFolder::stage(const std::string& relative_path) {
  const fs::path final_path = m_folder / relative_path;
  std::error_code error;
  std::vector<fs::path> missing;
  for (auto folder = final_path.parent_path(); !folder.empty() && !fs::exists(folder, error);
       folder = folder.parent_path()) {
    missing.push_back(folder);
    if (folder == folder.parent_path()) break;
  }
  fs::create_directories(final_path.parent_path(), error);
  m_created.insert(m_created.end(), missing.rbegin(), missing.rend());
  if (error) {
    throw OutputError(fmt::format("cannot create folder {}: {}", final_path.parent_path().string(), error.message()));
  }
  // The extension stays last, so a writer that goes by it (maps: .png, .pdf, .svg) still can.
  const fs::path temporary = final_path.parent_path() / fmt::format(".{}.tmp-{}{}", final_path.filename().string(),
                                                                      ::getpid(), final_path.extension().string());
  fs::remove(temporary, error);
  m_staged.emplace_back(temporary, final_path);
  return temporary;
}

// Staged files of a run that was killed (".NAME.tmp-PID" whose process is gone) are removed.
void OutputFolder::remove_abandoned_staging(const fs::path& final_path) {
  std::error_code error;
  std::string prefix = ".";  // built in steps: GCC 12 warns falsely (-Wrestrict) on a + b + c here
  prefix += final_path.filename().string();
  prefix += ".tmp-";
  for (const auto& entry : fs::directory_iterator(final_path.parent_path(), error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    std::string pid_text = name.substr(prefix.size());
    const auto extension = final_path.extension().string();
    if (pid_text.ends_with(extension)) pid_text.resize(pid_text.size() - extension.size());
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto pid = static_cast<pid_t>(std::stol(pid_text));
    if (pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH) fs::remove(entry.path(), error);
  }
}

void OutputFolder::check_replaceable(const fs::path& final_path) {
  if (fs::is_directory(final_path)) {
    throw OutputError(fmt::format("output {} is a folder", final_path.string()), {},
                      "remove or rename it, or choose another folder with -o");
  }
  // An SQLite file open elsewhere (QGIS keeps a GeoPackage open) has these beside it; SQLite would
  // replay the old file's journal into the new one.
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    fs::path sidecar = final_path;
    sidecar += suffix;
    if (fs::exists(sidecar)) {
      throw OutputError(fmt::format("{} is open in another program ({} exists)", final_path.string(),
                                    sidecar.filename().string()),
                        {}, "close it (in QGIS: remove its layers from the project) and run again");
    }
  }
}

void OutputFolder::commit() {
  // Everything that could refuse is checked before the first rename, so a refusal changes nothing.
  for (const auto& [temporary, final_path] : m_staged) {
    if (!m_overwrite && fs::exists(final_path)) {
      throw OutputError(fmt::format("output appeared while running: {}", final_path.string()), {},
                        "use --overwrite to replace it");
    }
    check_replaceable(final_path);
  }
  for (const auto& [temporary, final_path] : m_staged) {
    std::error_code error;
    fs::rename(temporary, final_path, error);
    if (error) throw OutputError(fmt::format("cannot move {} into place: {}", final_path.string(), error.message()));
  }
  m_staged.clear();
  m_created.clear();
}

namespace {

[[noreturn]] void gdal_write_failure(const fs::path& path, const std::string& what) {
  throw OutputError(fmt::format("cannot write {}: {}: {}", path.string(), what, last_gdal_error("unknown error")));
}

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

// QGIS reads a layer's default style from the GeoPackage's layer_styles table.
void write_layer_styles(GDALDataset& dataset, const fs::path& path,
                        const std::vector<std::pair<std::string, std::string>>& layers) {
  std::vector<std::pair<const std::string*, std::string_view>> styled;
  for (const auto& [layer, style] : layers) {
    if (auto qml = qgis_style(style); !qml.empty()) styled.emplace_back(&layer, qml);
  }
  if (styled.empty()) return;
  OGRLayer* table = dataset.CreateLayer("layer_styles", nullptr, wkbNone, nullptr);
  if (!table) gdal_write_failure(path, "create layer_styles");
  const std::vector<std::pair<const char*, OGRFieldType>> columns = {
      {"f_table_catalog", OFTString}, {"f_table_schema", OFTString}, {"f_table_name", OFTString},
      {"f_geometry_column", OFTString}, {"styleName", OFTString}, {"styleQML", OFTString},
      {"styleSLD", OFTString}, {"useAsDefault", OFTInteger}, {"description", OFTString},
      {"owner", OFTString}, {"ui", OFTString}, {"update_time", OFTDateTime}};
  for (const auto& [name, type] : columns) {
    OGRFieldDefn defn(name, type);
    if (type == OFTInteger) defn.SetSubType(OFSTBoolean);
    if (table->CreateField(&defn) != OGRERR_NONE) gdal_write_failure(path, "create layer_styles field");
  }
  for (const auto& [layer, qml] : styled) {
    OGRFeature feature(table->GetLayerDefn());
    feature.SetField("f_table_catalog", "");
    feature.SetField("f_table_schema", "");
    feature.SetField("f_table_name", layer->c_str());
    feature.SetField("f_geometry_column", "geom");
    feature.SetField("styleName", layer->c_str());
    feature.SetField("styleQML", std::string(qml).c_str());
    feature.SetField("useAsDefault", 1);
    feature.SetField("description", "twinrisk default style");
    if (table->CreateFeature(&feature) != OGRERR_NONE) gdal_write_failure(path, "write layer_styles");
  }
}

}  // namespace

GeoPackageWriter::GeoPackageWriter(fs::path path) : m_path(std::move(path)) {
  ensure_gdal_registered();
  CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
  const PinnedDate date;
  auto* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
  if (!driver) throw OutputError("GDAL was built without the GeoPackage driver");
  m_dataset.reset(driver->Create(m_path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!m_dataset) gdal_write_failure(m_path, "create");
}

GeoPackageWriter::~GeoPackageWriter() = default;

void GeoPackageWriter::begin_layer(const LayerSchema& schema) {
  CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
  const PinnedDate date;
  m_schema = schema;
  OGRSpatialReference crs;
  crs.importFromWkt(schema.crs_wkt.c_str());
  crs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  // The spatial index is bulk-loaded at end_layer() (see gpkg_rtree.hpp), not built by GDAL.
  const char* options[] = {"GEOMETRY_NAME=geom", "FID=fid", "SPATIAL_INDEX=NO", nullptr};
  m_layer = m_dataset->CreateLayer(schema.name.c_str(), schema.crs_wkt.empty() ? nullptr : &crs,
                                   ogr_type(schema.geometry), const_cast<char**>(options));
  if (!m_layer) gdal_write_failure(m_path, fmt::format("create layer '{}'", schema.name));
  for (const auto& field : schema.fields) {
    OGRFieldDefn defn(field.name.c_str(), ogr_field_type(field.type));
    if (m_layer->CreateField(&defn) != OGRERR_NONE) {
      gdal_write_failure(m_path, fmt::format("create field '{}'", field.name));
    }
  }
  if (schema.geometry != GeometryFamily::none) {
    m_index = std::make_unique<GpkgSpatialIndex>(*m_dataset, m_path, schema.name, "geom");
  }
  if (m_dataset->StartTransaction() != OGRERR_NONE) gdal_write_failure(m_path, "start transaction");
  m_layer_names.push_back(schema.name);
  m_styles.emplace_back(schema.name, schema.style_name());
  m_counts[schema.name] = 0;
}

void GeoPackageWriter::write(std::vector<Feature> batch) { write_view(batch); }

void GeoPackageWriter::write_view(std::span<const Feature> features) {
  CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
  const PinnedDate date;
  // In chunks, so that only one chunk of converted geometries exists at a time: GEOS → OGR in
  // parallel, then OGR writes sequentially.
  for (std::size_t begin = 0; begin < features.size(); begin += kWriteChunk) {
    const std::size_t end = std::min(features.size(), begin + kWriteChunk);
    std::vector<std::unique_ptr<OGRGeometry>> geometries(end - begin);
    std::vector<std::optional<geos::Envelope>> envelopes(end - begin);
    tbb::parallel_for(begin, end, [&](std::size_t i) {
      geometries[i - begin] = to_ogr(m_schema, features[i]);
      const auto* geometry = features[i].geometry.get();
      if (geometry && !geos::is_empty(geometry)) envelopes[i - begin] = geos::envelope(geometry);
    });
    for (std::size_t i = begin; i < end; ++i) {
      OGRFeature feature(m_layer->GetLayerDefn());
      if (geometries[i - begin]) feature.SetGeometryDirectly(geometries[i - begin].release());
      const auto& values = features[i].values;
      for (std::size_t f = 0; f < values.size(); ++f) set_field(feature, static_cast<int>(f), values[f]);
      if (m_layer->CreateFeature(&feature) != OGRERR_NONE) {
        gdal_write_failure(m_path, fmt::format("layer '{}' feature {}", m_schema.name, features[i].fid));
      }
      if (m_index && envelopes[i - begin]) m_index->add(feature.GetFID(), *envelopes[i - begin]);
    }
  }
  m_counts[m_schema.name] += static_cast<std::int64_t>(features.size());
}

void GeoPackageWriter::end_layer() {
  CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
  const PinnedDate date;
  if (m_dataset->CommitTransaction() != OGRERR_NONE) gdal_write_failure(m_path, "commit");
  if (m_index) m_index->finish();
  m_index.reset();
  m_layer = nullptr;
}

std::int64_t GeoPackageWriter::count(const std::string& layer) const {
  auto it = m_counts.find(layer);
  return it == m_counts.end() ? 0 : it->second;
}

void GeoPackageWriter::close() {
  CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
  const PinnedDate date;
  write_layer_styles(*m_dataset, m_path, m_styles);
  // GDAL 3.6 has no GDALDataset::Close() status; a failed flush surfaces as a CPL error.
  CPLErrorReset();
  m_dataset.reset();
  if (CPLGetLastErrorType() == CE_Failure) gdal_write_failure(m_path, "close");
}

void write_geopackage(const fs::path& path, const std::vector<const Layer*>& layers) {
  GeoPackageWriter writer(path);
  for (const Layer* layer : layers) writer.write_layer(*layer);
  writer.close();
}

namespace {

std::string csv_escape(const std::string& text) {
  // One pass over the text (find_first_of would scan the four specials once per character).
  const bool needs_quotes =
      std::any_of(text.begin(), text.end(), [](char c) { return c == ',' || c == '"' || c == '\r' || c == '\n'; });
  if (!needs_quotes) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

void check_stream(const std::ofstream& out, const fs::path& path) {
  if (!out) throw OutputError(fmt::format("cannot write {}", path.string()));
}

}  // namespace

void write_csv(const fs::path& path, const Table& table) {
  std::ofstream out(path, std::ios::binary);
  check_stream(out, path);
  for (std::size_t c = 0; c < table.columns.size(); ++c) out << (c ? "," : "") << csv_escape(table.columns[c].name);
  out << "\r\n";
  for (const auto& row : table.rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      // As PostgreSQL's COPY reads CSV: NULL is an empty field, an empty string is "".
      const auto* text = std::get_if<std::string>(&row[c]);
      out << (c ? "," : "") << (text && text->empty() ? "\"\"" : csv_escape(to_display_string(row[c])));
    }
    out << "\r\n";
  }
  out.close();
  check_stream(out, path);
}

void write_json(const fs::path& path, const nlohmann::json& document) {
  std::ofstream out(path, std::ios::binary);
  check_stream(out, path);
  out << document.dump(2) << '\n';
  out.close();
  check_stream(out, path);
}

std::string sha256_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("cannot read {}", path.string()));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr);
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    EVP_DigestUpdate(context.get(), buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest, &length);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace twinrisk::io
