#pragma once
// Output files: GeoPackage, CSV and JSON writers, and checksums. Where they go and how they are
// swapped into place: output_folder.hpp.

#include <gdal_priv.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "twinrisk/core/layer.hpp"
#include "twinrisk/core/stream.hpp"
#include "twinrisk/core/text.hpp"
#include "twinrisk/io/output_folder.hpp"
#include "twinrisk/io/styles.hpp"

namespace twinrisk::io {

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
  // Waits for the layers' early syncs to disk; throws OutputError if one failed.
  void wait_synced();

 private:
  GDALDataset& dataset();  // waits until the file exists
  void sync_early();
  void write_rows(std::span<const Feature> features);

  std::filesystem::path m_path;
  std::future<GDALDatasetUniquePtr> m_creating;
  GDALDatasetUniquePtr m_dataset;
  OGRLayer* m_layer = nullptr;
  LayerSchema m_schema;
  std::vector<std::string> m_layer_names;
  // A layer with a QGIS style, and for automatic classes the values of their field it was given
  // (in the maps' order), which the stored style lists for QGIS to rank.
  struct StyledLayer {
    std::string layer;
    const QgisStyle* style = nullptr;
    std::optional<std::size_t> class_field;  // in the layer's schema
    FieldType class_type = FieldType::string;
    std::set<std::string, bool (*)(const std::string&, const std::string&)> values{&value_less};
  };
  void note_class_values(std::span<const Feature> features);
  std::vector<StyledLayer> m_styled;
  std::optional<std::size_t> m_styled_now;  // the layer being written, when it is styled
  std::map<std::string, std::int64_t> m_counts;
  std::unique_ptr<class GpkgSpatialIndex> m_index;
  std::unique_ptr<class GpkgRows> m_rows;              // the layer's rows, when it has a geometry
  std::vector<struct GpkgLayerTotals> m_layer_totals;  // of the layers GpkgRows wrote, for close()
  std::future<int> m_syncing;  // sync_early(); its destructor waits
  int m_sync_error = 0;         // the first error of an early sync
};

void write_geopackage(const std::filesystem::path& path, const std::vector<const Layer*>& layers);
// RFC 4180: comma separated, CRLF line ends, quotes doubled, UTF-8; NULL is an empty field and an
// empty string is "" (as PostgreSQL's COPY reads CSV). Text that a spreadsheet would take for a
// formula (it starts with = + - @ tab or CR and is not a plain number) is written as "'…" (OWASP).
void write_csv(const std::filesystem::path& path, const Table& table);
void write_json(const std::filesystem::path& path, const nlohmann::json& document);

// Lower-case hex SHA-256 of a file's bytes; "" when `stop` is set before the end.
std::string sha256_file(const std::filesystem::path& path, const std::atomic<bool>* stop = nullptr);

}  // namespace twinrisk::io
