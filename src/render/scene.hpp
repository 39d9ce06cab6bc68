#pragma once
// The inside of a MapScene: each layer classified once and converted once into Mapnik features,
// and the Mapnik map built for one frame at one scale.

#include <mapnik/map.hpp>
#include <mapnik/memory_datasource.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crs.hpp"
#include "twinrisk/render/map.hpp"

namespace twinrisk::render {

namespace detail {

struct SceneLayer {
  const Layer* layer = nullptr;
  LayerStyle style;
  Classified classes;
  std::vector<std::vector<char>> overlay_hits;  // per outline, per feature
  std::vector<geos::Envelope> envelopes;        // per feature (empty geometry: min > max)
  std::vector<double> areas;                    // per feature, polygons only
  std::vector<std::string> labels;              // per feature, when the style labels
  std::shared_ptr<mapnik::memory_datasource> features;
  std::vector<geos::GeomPtr> border_geometries;             // one line string each
  std::shared_ptr<mapnik::memory_datasource> border_lines;  // the same, for Mapnik
};

// The legend of one frame: what is present in it, in the order it is listed.
struct LegendEntry {
  enum class Kind { fill, line, point, outline } kind = Kind::fill;
  Symbol symbol;
  std::string label;
  std::optional<Symbol> edge;  // a line's: drawn under it
};
struct LegendGroup {
  std::string heading;
  std::vector<LegendEntry> entries;
};

// A feature to emphasise (the atlas page's own), drawn over the fills.
struct Highlight {
  const GEOSGeometry* geometry = nullptr;
  std::string label;
};

// Mapnik's own projection handling is bypassed: every layer is already in the scene's CRS, and map
// and layers share one placeholder SRS so that Mapnik never reprojects.
inline constexpr const char* kMapnikSrs = "+proj=eqc +datum=WGS84 +units=m +no_defs";

void ensure_mapnik_ready();

}  // namespace detail

struct MapScene::Impl {
  std::vector<detail::SceneLayer> layers;  // in draw order
  std::string crs_wkt;
  std::unique_ptr<detail::MapCrs> crs;
  geos::Envelope extent;
  geos::Envelope focus;

  // The Mapnik map of one frame: `width_px` × `height_px` showing `extent` with symbols scaled by
  // `scale_factor` (dpi / 72). `map_units_per_mm` sets the label thresholds.
  // Polygon labels: one anchor per polygon big enough on this map, at the centre of the largest
  // circle inside the part of it that shows; Mapnik then places the text there or drops it.
  std::shared_ptr<mapnik::memory_datasource> label_anchors(const detail::SceneLayer& layer, const geos::Envelope& view,
                                                           double map_units_per_mm) const;
  mapnik::Map build_map(int width_px, int height_px, const geos::Envelope& extent, double map_units_per_mm,
                        const detail::Highlight* highlight) const;
  // What a legend lists for a frame showing `extent` at `map_units_per_mm`: only classes with a
  // feature in it, with the swatches they are drawn with.
  std::vector<detail::LegendGroup> legend(const geos::Envelope& extent, double map_units_per_mm,
                                          const detail::Highlight* highlight) const;
};

}  // namespace twinrisk::render
