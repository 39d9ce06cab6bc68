#pragma once
// Output files: every file is staged under a temporary name in its target folder and renamed
// into place only when all of them are written, so a failed run leaves existing outputs untouched.

#include <gdal_priv.h>

#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "twinrisk/core/layer.hpp"
#include "twinrisk/core/stream.hpp"

namespace twinrisk::io {

class OutputFolder {
 public:
  // Throws OutputError (exit 4) when one of `relative_paths` exists and `overwrite` is false.
  OutputFolder(std::filesystem::path folder, const std::vector<std::string>& relative_paths, bool overwrite);
  ~OutputFolder();  // removes staged files that were never committed
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;

  // A temporary path next to `relative_path`'s final place; creates parent folders.
  std::filesystem::path stage(const std::string& relative_path);
  // Renames every staged file into place, after checking that each can be replaced.
  void commit();
  const std::filesystem::path& folder() const { return m_folder; }

 private:
  // Throws OutputError when `path` is a folder or an SQLite file open in another program.
  static void check_replaceable(const std::filesystem::path& path);
  static void remove_abandoned_staging(const std::filesystem::path& path);

  std::filesystem::path m_folder;
  bool m_overwrite;
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> m_staged;  // temporary → final
  std::vector<std::filesystem::path> m_created;  // folders stage() made, parents first
};

// Writes layers to a new GeoPackage, whole or batch by batch (it is a FeatureSink, so a
// streaming step writes straight into it), and each layer's QGIS style into layer_styles.
class GeoPackageWriter final : public FeatureSink {
 public:
  explicit GeoPackageWriter(std::filesystem::path path);
  ~GeoPackageWriter() override;
  GeoPackageWriter(const GeoPackageWriter&) = delete;
  GeoPackageWriter& operator=(const GeoPackageWriter&) = delete;

  void begin_layer(const LayerSchema& schema) override;
  void write(std::vector<Feature> batch) override;
  void write_view(std::span<const Feature> features) override;
  void end_layer() override;
  // Features written to a layer so far.
  std::int64_t count(const std::string& layer) const;
  const std::vector<std::string>& layer_names() const { return m_layer_names; }
  // Adds the styles and closes the file; throws if GDAL reports a failure.
  void close();

 private:
  std::filesystem::path m_path;
  GDALDatasetUniquePtr m_dataset;
  OGRLayer* m_layer = nullptr;
  LayerSchema m_schema;
  std::vector<std::string> m_layer_names;
  std::vector<std::pair<std::string, std::string>> m_styles;  // layer → the style it takes
  std::map<std::string, std::int64_t> m_counts;
  std::unique_ptr<class GpkgSpatialIndex> m_index;
};

void write_geopackage(const std::filesystem::path& path, const std::vector<const Layer*>& layers);
// RFC 4180: comma separated, CRLF line ends, quotes doubled, UTF-8; NULL is an empty field and an
// empty string is "" (as PostgreSQL's COPY reads CSV).
void write_csv(const std::filesystem::path& path, const Table& table);
void write_json(const std::filesystem::path& path, const nlohmann::json& document);

// Lower-case hex SHA-256 of a file's bytes.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace twinrisk::io
