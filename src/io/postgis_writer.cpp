// Results into a PostGIS schema: every layer and table in one transaction, committed last, so a
// failure at any point leaves the database as it was.

#include <cpl_error.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <fmt/format.h>

#include <map>
#include <set>

#include "ogr_convert.hpp"
#include "result_writers.hpp"
#include "twinrisk/core/redact.hpp"
#include "twinrisk/core/text.hpp"
#include "twinrisk/io/gdal.hpp"

namespace twinrisk::io {
namespace {

constexpr const char* kManifestTable = "twinrisk_manifest";

std::string sql_literal(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return quoted + "'";
}

std::string sql_identifier(const std::string& name) {
  std::string quoted = "\"";
  for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

class PostgisWriter final : public ResultWriter, private FeatureSink {
 public:
  PostgisWriter(const std::string& connection, std::string schema, const PlannedOutputs& outputs, bool overwrite)
      : m_connection(connection), m_schema(std::move(schema)), m_overwrite(overwrite) {
    ensure_gdal_registered();
    if (!outputs.files.empty()) {
      throw ConfigError(fmt::format("a PostGIS output holds layers and tables, but the pipeline also writes files ({})",
                                    fmt::join(outputs.files, ", ")),
                        {}, "write to a folder (-o DIR), or leave out the steps that write files");
    }
    CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
    CPLErrorReset();
    m_dataset.reset(GDALDataset::Open(connection.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE));
    if (!m_dataset) {
      throw OutputError(fmt::format("cannot connect to {}: {}", location(), last_gdal_error("connection refused")), {},
                        "check the connection string (dbname, host, port, user) and that the server runs");
    }
    if (std::string(m_dataset->GetDriverName()) != "PostgreSQL") {
      throw ConfigError(fmt::format("{} is not a PostgreSQL connection", location()));
    }
    std::vector<std::string> planned = outputs.layers;
    planned.insert(planned.end(), outputs.tables.begin(), outputs.tables.end());
    planned.push_back(kManifestTable);
    m_existing = existing_tables(planned);
    if (!m_existing.empty() && !m_overwrite) {
      std::vector<std::string> qualified;
      for (const auto& name : m_existing) qualified.push_back(m_schema + "." + name);
      throw OutputError(fmt::format("output already exists: {}", fmt::join(qualified, ", ")), {},
                        "use --overwrite to replace it, or choose another schema");
    }
    if (m_dataset->StartTransaction(FALSE) != OGRERR_NONE) failure("start a transaction");
    m_in_transaction = true;
    execute(fmt::format("CREATE SCHEMA IF NOT EXISTS {}", sql_identifier(m_schema)));
  }

  ~PostgisWriter() override {
    if (!m_in_transaction) return;
    CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
    m_dataset->RollbackTransaction();
  }

  FeatureSink& layers() override { return *this; }
  bool tables_alongside_layers() const override { return false; }

  void write_table(const Table& table) override {
    create_layer(result_schema(table.name, GeometryFamily::none, {}, table.columns));
    for (const auto& row : table.rows) {
      OGRFeature feature(m_layer->GetLayerDefn());
      for (std::size_t c = 0; c < row.size(); ++c) set_field(feature, static_cast<int>(c), row[c]);
      if (m_layer->CreateFeature(&feature) != OGRERR_NONE) failure(fmt::format("write a row of {}", table.name));
    }
    end_layer();
  }

  std::filesystem::path stage_file(const std::string& relative_path) override {
    throw Error(ErrorKind::internal, fmt::format("a PostGIS output cannot take the file {}", relative_path));
  }

  bool takes_files() const override { return false; }

  void commit(const nlohmann::json& manifest) override {
    Table table{kManifestTable, {{"manifest", FieldType::string}}, {{json_text(manifest, 2)}}};
    write_table(table);
    CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
    if (m_dataset->CommitTransaction() != OGRERR_NONE) failure("commit");
    m_in_transaction = false;
  }

  std::string location() const override {
    return redact_secrets(fmt::format("{} (schema {})", m_connection, m_schema));
  }

  nlohmann::json describe_layer(const std::string& name) const override {
    auto it = m_counts.find(name);
    return {{"table", m_schema + "." + name}, {"features", it == m_counts.end() ? 0 : it->second}};
  }

  nlohmann::json describe_table(const Table& table) const override {
    return {{"table", m_schema + "." + table.name}, {"rows", table.rows.size()}};
  }

  std::vector<std::string> written() const override {
    std::vector<std::string> out;
    for (const auto& name : m_created) out.push_back(m_schema + "." + name);
    return out;
  }

 private:
  void begin_layer(const LayerSchema& schema) override { create_layer(schema); }

  void write(std::vector<Feature> batch) override { write_view(batch); }

  void write_view(std::span<const Feature> features) override {
    CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
    for (const auto& item : features) {
      OGRFeature feature(m_layer->GetLayerDefn());
      if (auto geometry = to_ogr(m_schema_of_layer, item)) feature.SetGeometryDirectly(geometry.release());
      for (std::size_t f = 0; f < item.values.size(); ++f) set_field(feature, static_cast<int>(f), item.values[f]);
      if (m_layer->CreateFeature(&feature) != OGRERR_NONE) {
        failure(fmt::format("write feature {} of {}", item.fid, m_schema_of_layer.name));
      }
    }
    m_counts[m_schema_of_layer.name] += static_cast<std::int64_t>(features.size());
  }

  void end_layer() override {
    CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
    // Ends the layer's COPY and creates a table that got no rows, inside the transaction.
    if (m_layer->SyncToDisk() != OGRERR_NONE) failure(fmt::format("finish {}", m_schema_of_layer.name));
    m_layer = nullptr;
  }

  void create_layer(const LayerSchema& schema) {
    CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
    OGRSpatialReference crs;
    if (!schema.crs_wkt.empty()) {
      crs.importFromWkt(schema.crs_wkt.c_str());
      crs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    }
    const std::string schema_option = "SCHEMA=" + m_schema;
    // An existing table is dropped by GDAL inside the transaction, so a failure brings it back.
    const char* replace = m_existing.count(schema.name) ? "OVERWRITE=YES" : nullptr;
    const char* options[] = {schema_option.c_str(), "GEOMETRY_NAME=geom", "FID=fid", "LAUNDER=NO",
                             "SPATIAL_INDEX=GIST", replace, nullptr};
    m_layer = m_dataset->CreateLayer(schema.name.c_str(), schema.crs_wkt.empty() ? nullptr : &crs,
                                     ogr_type(schema.geometry), const_cast<char**>(options));
    if (!m_layer) failure(fmt::format("create table {}", schema.name));
    for (const auto& field : schema.fields) {
      OGRFieldDefn defn(field.name.c_str(), ogr_field_type(field.type));
      if (m_layer->CreateField(&defn) != OGRERR_NONE) failure(fmt::format("create column {}.{}", schema.name, field.name));
    }
    m_schema_of_layer = schema;
    m_created.push_back(schema.name);
    m_counts[schema.name] = 0;
  }

  std::set<std::string> existing_tables(const std::vector<std::string>& names) {
    std::vector<std::string> literals;
    for (const auto& name : names) literals.push_back(sql_literal(name));
    const auto query = fmt::format(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = {} AND table_name IN ({})",
        sql_literal(m_schema), fmt::join(literals, ", "));
    std::set<std::string> found;
    OGRLayer* result = m_dataset->ExecuteSQL(query.c_str(), nullptr, nullptr);
    if (!result) failure("list the schema's tables");
    for (auto& row : *result) found.insert(row->GetFieldAsString(0));
    m_dataset->ReleaseResultSet(result);
    return found;
  }

  void execute(const std::string& sql) {
    CPLErrorReset();
    OGRLayer* result = m_dataset->ExecuteSQL(sql.c_str(), nullptr, nullptr);
    if (result) m_dataset->ReleaseResultSet(result);
    if (CPLGetLastErrorType() == CE_Failure) failure(sql);
  }

  [[noreturn]] void failure(const std::string& what) const {
    throw OutputError(fmt::format("{}: cannot {}: {}", location(), what, last_gdal_error("unknown error")));
  }

  std::string m_connection;
  std::string m_schema;
  bool m_overwrite;
  GDALDatasetUniquePtr m_dataset;
  bool m_in_transaction = false;
  std::set<std::string> m_existing;
  OGRLayer* m_layer = nullptr;
  LayerSchema m_schema_of_layer;
  std::vector<std::string> m_created;
  std::map<std::string, std::int64_t> m_counts;
};

}  // namespace

std::unique_ptr<ResultWriter> open_postgis_writer(const std::string& connection, const std::string& schema,
                                                  const PlannedOutputs& outputs, bool overwrite) {
  return std::make_unique<PostgisWriter>(connection, schema.empty() ? "public" : schema, outputs, overwrite);
}

}  // namespace twinrisk::io
