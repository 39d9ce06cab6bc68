#pragma once
// Reading layers from any GDAL vector source into the analysis CRS, repaired and counted.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/layer.hpp"
#include "twinrisk/core/progress.hpp"
#include "twinrisk/core/raster.hpp"
#include "twinrisk/core/stream.hpp"

namespace twinrisk::io {

// Where a layer comes from and what its fields mean (a layer definition file or an inline layer).
struct LayerDefinition {
  std::string name;    // the catalogue name steps refer to
  std::string source;  // a path (already resolved against the defining file) or a GDAL connection string
  std::string layer;   // empty: the source's only layer
  Role role = Role::result;  // what the layer means to the step using it (the definition's role by default)
  // The geometry the step needs, for a role that takes any (features); else the role's own.
  std::optional<GeometryFamily> geometry;
  std::vector<std::pair<std::string, std::string>> fields;  // role field → source field, or "=constant"
  std::string crs;    // only for sources without one
  std::string where;  // OGR SQL attribute filter
  std::string sql;    // OGR SQL statement used instead of `layer`
  // min x, min y, max x, max y in the source's CRS: only features meeting it are read (a
  // database source filters on its spatial index).
  std::optional<std::array<double, 4>> bbox;
  std::string attribution;  // source and licence, printed on maps and in the report
  std::string title;        // the legend heading on maps ("Counties"); empty: the style's
  ErrorContext origin;  // the file and line that defined it, for messages

  EntryKind kind() const { return role_spec(role).kind; }
  // The same source seen in another role: the field mappings that role has are kept.
  LayerDefinition used_as(Role use) const;
};

struct LonLatExtent {
  double min_lon = 0, min_lat = 0, max_lon = 0, max_lat = 0;
};

// A vector layer as probe_source opened it, for its reader to go on with (opening a GeoPackage
// layer again took 7 ms of GDAL before the load could start). One reader takes it.
class OpenedSource;

// What opening a source tells before any feature is read.
struct SourceInfo {
  EntryKind kind = EntryKind::vector;
  std::string layer_name;
  std::string crs_wkt;  // the source's CRS or the definition's `crs:` (none for a table)
  std::vector<std::string> fields;
  std::int64_t feature_count = -1;  // -1: unknown without reading the whole source
  std::optional<LonLatExtent> extent;  // nullopt for an empty layer, or when not asked for
  std::optional<RasterInfo> raster;    // for a raster
  std::shared_ptr<OpenedSource> opened;  // for a vector layer
};

struct LoadReport {
  std::string name;
  std::string source;
  std::string source_layer;
  std::int64_t read = 0;      // features the source returned (after `where`)
  std::int64_t loaded = 0;    // features kept
  std::int64_t repaired = 0;  // invalid geometries made valid
  std::int64_t empty = 0;     // NULL or empty geometries, dropped
  std::int64_t dropped = 0;   // other features that could not be used, each noted
  bool reprojected = false;
  std::vector<std::string> notes;  // one line per repaired or dropped feature

  nlohmann::json to_json() const;
};

// Opens the source and checks that it is what the role needs (vector layer, table or raster), its
// layer, fields, CRS and geometry type. Counts come from the source's metadata, never from a scan.
// The lon/lat extent (only analysis_crs: auto needs it) costs a PROJ transformation, ~15 ms.
SourceInfo probe_source(const LayerDefinition& definition, bool with_extent);

// Reads a source in batches, so a step can stream a layer that does not fit in memory. Every
// feature is reprojected to `target_crs_wkt` and repaired; what is dropped is counted and noted.
// The vertices of a batch's plain points and line strings, feature by feature.
struct PlainVertices {
  std::vector<geos::XY> vertices;
  std::vector<std::size_t> ends;  // feature i's vertices end at ends[i] and start where i − 1's end
  void clear() {
    vertices.clear();
    ends.clear();
  }
  std::span<const geos::XY> of(std::size_t feature) const {
    if (feature >= ends.size()) return {};
    const std::size_t begin = feature == 0 ? 0 : ends[feature - 1];
    return std::span<const geos::XY>(vertices).subspan(begin, ends[feature] - begin);
  }
};

class LayerReader final : public FeatureSource {
 public:
  // With `opened` (from probe_source of the same definition) it reads from there.
  LayerReader(const LayerDefinition& definition, const std::string& target_crs_wkt, Progress& progress,
              std::shared_ptr<OpenedSource> opened = nullptr);
  ~LayerReader() override;
  LayerReader(const LayerReader&) = delete;
  LayerReader& operator=(const LayerReader&) = delete;

  // Up to `max_features` features, handed over; empty once the source is exhausted.
  std::vector<Feature> take_batch(std::size_t max_features);
  // The same as a view, valid until the next call.
  std::span<const Feature> next_batch(std::size_t max_features) override;
  // Points and line strings read straight from their WKB (2D, reprojected, checked) skip GEOS;
  // not for take_batch.
  void use_plain_vertices() override;
  std::span<const geos::XY> vertices(std::size_t feature) const override;
  const LayerSchema& schema() const override;
  const LoadReport& report() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
  std::vector<Feature> m_current;
  PlainVertices m_vertices;  // of m_current, when plain geometries come as vertices
};

// Reads every feature (through a LayerReader) into memory.
Layer load_layer(const LayerDefinition& definition, const std::string& target_crs_wkt, LoadReport& report,
                 Progress& progress, std::shared_ptr<OpenedSource> opened = nullptr);

// Reads every row of an attribute table (a source without geometry, or one whose geometry is not
// needed): no CRS is needed and no row is dropped.
Table load_table(const LayerDefinition& definition, LoadReport& report);

// `auto` → a Lambert azimuthal equal-area CRS centred on the extents; otherwise anything PROJ accepts.
// Returns WKT2; a geographic CRS is rejected because areas must be in square metres.
std::string resolve_analysis_crs(const std::string& spec, const std::vector<LonLatExtent>& extents);

// True when the CRS's projection preserves area (LAEA, Albers, Mollweide, …).
bool is_equal_area(const std::string& crs_wkt);

// Layers, CRS, feature counts and invalid geometries of a source — or a raster's CRS, size,
// resolution, bands and nodata — for `twinrisk info`.
nlohmann::json describe_source(const std::string& source);

}  // namespace twinrisk::io
