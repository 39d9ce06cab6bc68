// The folder layout: twinrisk.gpkg, tables/NAME.csv, files such as maps/overview.png, manifest.json;
// built beside the folder and swapped in whole (output_folder.hpp).

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <future>

#include "result_writers.hpp"
#include "twinrisk/io/writers.hpp"

namespace twinrisk::io {
namespace {

namespace fs = std::filesystem;

constexpr const char* kGeoPackage = "twinrisk.gpkg";
constexpr const char* kManifest = "manifest.json";

std::string table_path(const std::string& name) { return "tables/" + name + ".csv"; }

std::vector<std::string> planned_paths(const PlannedOutputs& outputs) {
  std::vector<std::string> paths = {kGeoPackage, kManifest};
  for (const auto& table : outputs.tables) paths.push_back(table_path(table));
  paths.insert(paths.end(), outputs.files.begin(), outputs.files.end());
  return paths;
}

class FolderWriter final : public ResultWriter {
 public:
  FolderWriter(const fs::path& folder, const PlannedOutputs& outputs, bool overwrite)
      : m_folder(folder, planned_paths(outputs), overwrite), m_geopackage(m_folder.stage(kGeoPackage)) {
    m_written.push_back((m_folder.folder() / kGeoPackage).string());
  }

  FeatureSink& layers() override { return m_geopackage; }
  bool tables_alongside_layers() const override { return true; }

  void write_table(const Table& table) override {
    write_csv(m_folder.stage(table_path(table.name)), table);
    m_written.push_back((m_folder.folder() / table_path(table.name)).string());
  }

  fs::path stage_file(const std::string& relative_path) override {
    m_written.push_back((m_folder.folder() / relative_path).string());
    return m_folder.stage(relative_path);
  }

  bool takes_files() const override { return true; }

  // The GeoPackage is closed and hashed on a thread of its own while the workbook is written.
  void layers_done() override {
    if (m_geopackage_digest.valid()) return;
    m_geopackage.close();
    m_geopackage_digest = std::async(std::launch::async, [path = m_folder.stage(kGeoPackage)] { return sha256_file(path); });
  }

  // The manifest, written last, lists every file of the result with its size and SHA-256: it
  // tells a complete result, and lets anyone check one.
  void commit(const nlohmann::json& manifest) override {
    layers_done();
    // The disk writes while the files are hashed, several at a time.
    m_folder.start_writeback();
    const auto staged = m_folder.staged();
    std::vector<fs::path> paths;
    for (const auto& relative : staged) paths.push_back(m_folder.stage(relative));
    std::vector<nlohmann::json> files(staged.size());
    tbb::parallel_for(std::size_t{0}, staged.size(), [&](std::size_t i) {
      const auto digest = staged[i] == kGeoPackage ? m_geopackage_digest.get() : sha256_file(paths[i]);
      files[i] = {{"path", staged[i]}, {"size_bytes", fs::file_size(paths[i])}, {"sha256", digest}};
    });
    m_geopackage.wait_synced();
    nlohmann::json complete = manifest;
    complete["files"] = std::move(files);
    write_json(m_folder.stage(kManifest), complete);
    m_written.push_back((m_folder.folder() / kManifest).string());
    m_folder.commit();
  }

  std::string location() const override { return m_folder.folder().string(); }

  nlohmann::json describe_layer(const std::string& name) const override {
    return {{"file", kGeoPackage}, {"layer", name}, {"features", m_geopackage.count(name)}};
  }

  nlohmann::json describe_table(const Table& table) const override {
    return {{"file", table_path(table.name)}, {"rows", table.rows.size()}};
  }

  std::vector<std::string> written() const override { return m_written; }

 private:
  OutputFolder m_folder;
  GeoPackageWriter m_geopackage;
  std::future<std::string> m_geopackage_digest;  // from layers_done
  std::vector<std::string> m_written;
};

}  // namespace

std::unique_ptr<ResultWriter> open_folder_writer(const fs::path& folder, const PlannedOutputs& outputs,
                                                 bool overwrite) {
  return std::make_unique<FolderWriter>(folder, outputs, overwrite);
}

std::unique_ptr<ResultWriter> open_result_writer(const OutputTarget& target, const PlannedOutputs& outputs,
                                                 bool overwrite) {
  if (!target.postgis.empty()) return open_postgis_writer(target.postgis, target.schema, outputs, overwrite);
  if (target.folder.empty()) throw ConfigError("no output given", {}, "use -o FOLDER (or -o PG:\"dbname=…\")");
  return open_folder_writer(target.folder, outputs, overwrite);
}

}  // namespace twinrisk::io
