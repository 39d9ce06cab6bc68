#pragma once
// Maps of in-memory layers: an overview (PNG, PDF or SVG) and an atlas (a multi-page PDF, one page
// per feature of an index layer). Map frames are drawn by Mapnik (AGG for PNG, Cairo for PDF and
// SVG); the page around them — title, legend, scale bar, north arrow, tables — by Cairo + Pango.
//
//   render::MapScene scene({{&municipalities, *render::style_for(municipalities)},
//                           {&zones, *render::style_for(zones)}});
//   render::OverviewOptions overview;
//   overview.texts.title = "Flood hazard zones shared by municipalities";
//   render::render_overview(scene, overview, "maps/overview.png");
//
// Every error is a twinrisk::Error: a style reading a missing field or a dpi of 0 is a
// ConfigError (exit 2), nothing to draw is an InputError (exit 3), an unwritable file an OutputError.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "twinrisk/core/geos.hpp"
#include "twinrisk/core/layer.hpp"
#include "twinrisk/render/style.hpp"

namespace twinrisk::render {

enum class Format { png, pdf, svg };
// By the file's extension (.png, .pdf, .svg); ConfigError otherwise.
Format format_of(const std::filesystem::path& file);

struct StyledLayer {
  const Layer* layer = nullptr;  // must outlive the MapScene
  LayerStyle style;
};

// Every sentence and word a page prints, so a caller can translate them (and join two languages).
struct MapTexts {
  std::string title;
  std::string subtitle;
  std::string attribution;             // data sources and licences, printed in the footer
  std::string legend = "Legend";
  std::string scale = "Scale 1 : {denominator} at the map centre";
  std::string crs = "Coordinate reference system: {name}";
  std::string north = "N";
  std::string page = "Page {page} of {pages}";
  std::string more_rows = "… and {count} more";
  std::string highlight = "Feature of this page";
  char decimal_point = '.';
  std::string thousands_separator = ",";
};

struct PageSize {
  double width_mm = 297;   // A4 landscape
  double height_mm = 210;
};

// What the map draws: layers and their styles in one projected CRS (the analysis CRS). Built
// once — classification, Mapnik features and national borders — and rendered many times.
class MapScene {
 public:
  // Throws ConfigError when a style reads a field its layer lacks or suits another geometry, and
  // InputError when no layer has a feature to draw. `crs_wkt` empty: the first layer's CRS.
  explicit MapScene(std::vector<StyledLayer> layers, std::string crs_wkt = {});
  ~MapScene();
  MapScene(const MapScene&) = delete;
  MapScene& operator=(const MapScene&) = delete;

  // The envelope of everything drawn.
  geos::Envelope extent() const;
  // What an overview shows by default: the envelope of the layers that are not context layers
  // (LayerStyle::context), or of everything when there are only context layers.
  geos::Envelope focus() const;
  const std::string& crs_wkt() const;
  // The CRS's name as PROJ gives it ("ETRS89-extended / LAEA Europe").
  const std::string& crs_name() const;

  struct Impl;
  const Impl& impl() const { return *m_impl; }

 private:
  std::unique_ptr<Impl> m_impl;
};

// A scene built, and later destroyed, by the code that draws it: the CLI loads the map module
// (Mapnik, Cairo, Pango) only when a map is drawn, and a scene must not outlive that code's copy.
std::shared_ptr<const MapScene> build_scene(std::vector<StyledLayer> layers, std::string crs_wkt = {});

struct OverviewOptions {
  PageSize page;
  double dpi = 150;                      // PNG only; ConfigError unless 10 ≤ dpi ≤ 1200
  MapTexts texts;
  // The part of the map to show (map units), grown to the frame's shape around its centre;
  // default: the scene's extent with a margin.
  std::optional<geos::Envelope> extent;
};

struct Rect {
  double x = 0, y = 0, width = 0, height = 0;
};

// What a page shows, for tests and callers (the renderer's own numbers, not measurements).
struct PageInfo {
  Rect frame_px;                  // the map frame in output pixels (PDF/SVG: points)
  geos::Envelope extent;          // the map units the frame shows
  double ground_m_per_map_unit = 1;  // at the map centre, along the map's x axis
  double scale_denominator = 0;   // 1 : N on paper at the page's nominal size
  double scale_bar_ground_m = 0;  // the length the scale bar stands for
  double scale_bar_px = 0;        // its length in output pixels
  Rect scale_bar_px_rect;         // where the bar is drawn
  std::string scale_bar_label;    // e.g. "2 km"
  double north_deg = 0;           // clockwise from up to true north
  std::vector<std::string> legend;  // entries drawn, "Heading: label", top to bottom
  std::vector<std::string> legend_swatches;  // per entry: how it is drawn (fill, line, point or outline)
};

// Writes the overview map to `file` (format by extension).
PageInfo render_overview(const MapScene& scene, const OverviewOptions& options, const std::filesystem::path& file);

// A column of the table printed beside each atlas map.
struct AtlasColumn {
  std::string field;   // a column of AtlasOptions::rows
  std::string header;  // printed; default: the field name
  double factor = 1;   // e.g. 1e-6 for m² → km², 100 for a share → %
  int decimals = -1;   // -1: integers as they are; reals with one number of decimals per page, enough
                       // for 3 significant digits of the smallest value (2 to 6)
};

struct AtlasOptions {
  const Layer* index = nullptr;  // one page per feature (in the scene's CRS)
  std::string where_field;       // only features where this field is set and not 0/"0"/"" (empty: all)
  std::string title = "{zone_id}";  // page heading; {field} is the index feature's value (also in texts.subtitle)
  std::string index_key;         // index field matched with rows_key to pick a page's rows
  const Table* rows = nullptr;   // the table beside the map (optional)
  std::string rows_key;
  std::vector<AtlasColumn> columns;
  double margin = 0.2;           // around the feature, as a share of its size
  double min_width_m = 500;      // never zoom closer than this many map units across
  std::size_t max_pages = 0;     // 0: every feature
  PageSize page;
  MapTexts texts;
};

struct AtlasInfo {
  std::size_t pages = 0;
  std::vector<PageInfo> page_info;
};

// A layer's attributes as a table (no geometry), e.g. zone_parts as the rows beside each zone.
Table attribute_table(const Layer& layer);

// Writes a multi-page PDF: one page per selected index feature, the map zoomed to it and its
// table rows beside it. ConfigError when a field named in the options does not exist; InputError
// when no feature is selected.
AtlasInfo render_atlas(const MapScene& scene, const AtlasOptions& options, const std::filesystem::path& pdf);

}  // namespace twinrisk::render
