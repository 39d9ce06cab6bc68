#pragma once
// Page composition with Cairo + Pango: the output surface, text, legend, scale bar, north arrow,
// tables, and the Mapnik map frame placed on the page. Page coordinates are points (1/72 in),
// origin top left; a PNG page is a Cairo image surface scaled by dpi/72.

#include <cairo.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "number_format.hpp"
#include "scene.hpp"
#include "twinrisk/render/map.hpp"

namespace twinrisk::render::detail {

inline constexpr double kPtPerMm = 72.0 / 25.4;

class Canvas {
 public:
  // Opens the output: a PNG image (written at finish()), or a PDF or SVG file.
  Canvas(Format format, std::filesystem::path file, const PageSize& page, double dpi);
  ~Canvas();
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;

  cairo_t* cr() const { return m_cr; }
  Format format() const { return m_format; }
  double px_per_pt() const { return m_px_per_pt; }
  double width_pt() const { return m_width_pt; }
  double height_pt() const { return m_height_pt; }
  // Ends the page and starts a new one (PDF).
  void next_page();
  // Writes and closes the file; throws OutputError when Cairo reports a failure.
  void finish();

 private:
  Format m_format;
  std::filesystem::path m_file;
  double m_px_per_pt = 1;
  double m_width_pt = 0, m_height_pt = 0;
  cairo_surface_t* m_surface = nullptr;
  cairo_t* m_cr = nullptr;
  bool m_finished = false;
};

struct Font {
  double size_pt = 8;
  bool bold = false;
  bool italic = false;
  Colour colour{0x20, 0x20, 0x20};
};
enum class Align { left, center, right };

// Draws UTF-8 text wrapped to `width` with its top left at (x, y); returns its height. With
// `draw` false it only measures.
double text(cairo_t* cr, double x, double y, double width, std::string_view utf8, const Font& font,
            Align align = Align::left, bool draw = true);
double text_width(cairo_t* cr, std::string_view utf8, const Font& font);

// Replaces each {key} in `pattern`.
std::string fill_in(std::string pattern, const std::vector<std::pair<std::string, std::string>>& values);

// `view` grown around its centre to the frame's width/height ratio.
geos::Envelope fit_extent(const geos::Envelope& view, double frame_width, double frame_height);

// The map's scale in a frame showing `extent`: map units per millimetre of paper.
double map_units_per_mm(const geos::Envelope& extent, const Rect& frame_pt);

// Draws the map frame: Mapnik's AGG renderer for PNG, its Cairo renderer (vector) otherwise.
// Returns the frame as drawn (a PNG frame is snapped to whole pixels).
Rect draw_map_frame(Canvas& canvas, const MapScene::Impl& scene, Rect frame_pt, const geos::Envelope& extent,
                    const Highlight* highlight);

// Draws the legend into a column; returns its height and appends each entry to the page info's
// legend ("heading: label") and legend_swatches.
double draw_legend(cairo_t* cr, const std::vector<LegendGroup>& groups, double x, double y, double width,
                   const MapTexts& texts, PageInfo& info);

// The scale bar for `ground_m_per_mm` (metres on the ground per mm on paper) at most
// `max_length_pt` long. Fills the page info's scale fields (in points; the caller converts).
double draw_scale_bar(cairo_t* cr, double x, double y, double max_length_pt, double ground_m_per_mm,
                      const MapTexts& texts, PageInfo& info);

void draw_north_arrow(cairo_t* cr, double centre_x, double centre_y, double height_pt, double angle_deg,
                      const MapTexts& texts);

// A table in a column: header row, then rows, numbers right-aligned; stops at `max_height` with a
// "… and N more" line. Returns the height used.
double draw_table(cairo_t* cr, double x, double y, double width, double max_height,
                  const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows,
                  const std::vector<bool>& numeric, const MapTexts& texts);

}  // namespace twinrisk::render::detail
