#include "page.hpp"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <fmt/format.h>
#include <mapnik/agg_renderer.hpp>
#include <mapnik/cairo/cairo_renderer.hpp>
#include <mapnik/image.hpp>
#include <mapnik/image_util.hpp>
#include <pango/pangocairo.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <numbers>

#include "twinrisk/core/error.hpp"

namespace twinrisk::render::detail {

namespace {

void set_colour(cairo_t* cr, const Colour& c, double alpha = 1.0) {
  cairo_set_source_rgba(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0, alpha);
}

[[noreturn]] void cairo_failure(const std::filesystem::path& file, cairo_status_t status) {
  ErrorContext context;
  context.file = file.string();
  throw OutputError(fmt::format("cannot write the file: {}", cairo_status_to_string(status)), context,
                    "check that the folder exists and is writable");
}

// A layout whose sizes are points whatever the surface: Pango's default 96 dpi would make every
// font a third too big, and hinted metrics would make PNG and PDF line breaks differ.
PangoLayout* new_layout(cairo_t* cr, std::string_view utf8, const Font& font) {
  PangoLayout* layout = pango_cairo_create_layout(cr);
  PangoContext* context = pango_layout_get_context(layout);
  pango_cairo_context_set_resolution(context, 72.0);
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options(context, options);
  cairo_font_options_destroy(options);
  pango_layout_context_changed(layout);
  PangoFontDescription* description = pango_font_description_new();
  pango_font_description_set_family(description, "DejaVu Sans");
  pango_font_description_set_size(description, static_cast<int>(std::lround(font.size_pt * PANGO_SCALE)));
  pango_font_description_set_weight(description, font.bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_font_description_set_style(description, font.italic ? PANGO_STYLE_ITALIC : PANGO_STYLE_NORMAL);
  pango_layout_set_font_description(layout, description);
  pango_font_description_free(description);
  pango_layout_set_text(layout, utf8.data(), static_cast<int>(utf8.size()));
  return layout;
}

// Copies Mapnik's RGBA image (straight alpha) into a Cairo ARGB32 surface (premultiplied, native
// endian words).
cairo_surface_t* to_cairo(mapnik::image_rgba8& image) {
  mapnik::premultiply_alpha(image);
  const int width = static_cast<int>(image.width()), height = static_cast<int>(image.height());
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
  cairo_surface_flush(surface);
  unsigned char* data = cairo_image_surface_get_data(surface);
  const int stride = cairo_image_surface_get_stride(surface);
  for (int row = 0; row < height; ++row) {
    const auto* in = image.get_row(static_cast<std::size_t>(row));
    auto* out = reinterpret_cast<std::uint32_t*>(data + static_cast<std::ptrdiff_t>(row) * stride);
    for (int col = 0; col < width; ++col) {
      const std::uint32_t p = in[col];  // bytes r, g, b, a
      const std::uint32_t r = p & 0xff, g = (p >> 8) & 0xff, b = (p >> 16) & 0xff, a = (p >> 24) & 0xff;
      out[col] = (a << 24) | (r << 16) | (g << 8) | b;
    }
  }
  cairo_surface_mark_dirty(surface);
  return surface;
}

void swatch(cairo_t* cr, const LegendEntry& entry, double x, double y, double w, double h) {
  const auto& s = entry.symbol;
  auto stroke = [&](const Colour& colour, double opacity, double width_mm) {
    set_colour(cr, colour, opacity);
    cairo_set_line_width(cr, std::max(0.35, width_mm * kPtPerMm));
    std::vector<double> dashes;
    for (double d : s.dash_mm) dashes.push_back(d * kPtPerMm);
    cairo_set_dash(cr, dashes.data(), static_cast<int>(dashes.size()), 0);
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
  };
  switch (entry.kind) {
    case LegendEntry::Kind::fill:
      cairo_rectangle(cr, x, y, w, h);
      if (s.fill) {
        set_colour(cr, *s.fill, s.fill_opacity);
        cairo_fill_preserve(cr);
      }
      if (s.stroke) stroke(*s.stroke, s.stroke_opacity, s.stroke_width_mm);
      else cairo_new_path(cr);
      break;
    case LegendEntry::Kind::outline: {
      const double inset = std::max(0.35, s.stroke_width_mm * kPtPerMm) / 2;
      cairo_rectangle(cr, x + inset, y + inset, w - 2 * inset, h - 2 * inset);
      if (s.stroke) stroke(*s.stroke, s.stroke_opacity, s.stroke_width_mm);
      else cairo_new_path(cr);
      break;
    }
    case LegendEntry::Kind::line:
      if (entry.edge && entry.edge->stroke) {
        cairo_move_to(cr, x, y + h / 2);
        cairo_line_to(cr, x + w, y + h / 2);
        stroke(*entry.edge->stroke, entry.edge->stroke_opacity, entry.edge->stroke_width_mm);
      }
      cairo_move_to(cr, x, y + h / 2);
      cairo_line_to(cr, x + w, y + h / 2);
      stroke(s.stroke.value_or(Colour{}), s.stroke_opacity, s.stroke_width_mm);
      break;
    case LegendEntry::Kind::point: {
      const double r = s.marker_size_mm * kPtPerMm / 2;
      // The label drawn before leaves a current point, which cairo_arc would join with a line.
      cairo_new_path(cr);
      cairo_arc(cr, x + w / 2, y + h / 2, r, 0, 2 * std::numbers::pi);
      if (s.fill) {
        set_colour(cr, *s.fill, s.fill_opacity);
        cairo_fill_preserve(cr);
      }
      if (s.stroke) stroke(*s.stroke, s.stroke_opacity, s.stroke_width_mm);
      else cairo_new_path(cr);
      break;
    }
  }
}

// Nice scale bar lengths: 1, 2, 5 × 10^n metres.
double nice_length(double max_m) {
  const double magnitude = std::pow(10.0, std::floor(std::log10(max_m)));
  for (double step : {5.0, 2.0, 1.0}) {
    if (step * magnitude <= max_m) return step * magnitude;
  }
  return magnitude;
}

std::string distance_text(double metres, bool unit, const MapTexts& texts) {
  if (metres >= 1000) return format_number(metres / 1000, -1, texts) + (unit ? " km" : "");
  return format_number(metres, -1, texts) + (unit ? " m" : "");
}

}  // namespace

// ---------------------------------------------------------------- canvas

Canvas::Canvas(Format format, std::filesystem::path file, const PageSize& page, double dpi)
    : m_format(format), m_file(std::move(file)) {
  m_width_pt = page.width_mm * kPtPerMm;
  m_height_pt = page.height_mm * kPtPerMm;
  switch (format) {
    case Format::png: {
      m_px_per_pt = dpi / 72.0;
      const int w = static_cast<int>(std::lround(m_width_pt * m_px_per_pt));
      const int h = static_cast<int>(std::lround(m_height_pt * m_px_per_pt));
      m_surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
      break;
    }
    case Format::pdf:
      m_surface = cairo_pdf_surface_create(m_file.c_str(), m_width_pt, m_height_pt);
      break;
    case Format::svg:
      m_surface = cairo_svg_surface_create(m_file.c_str(), m_width_pt, m_height_pt);
      cairo_svg_surface_restrict_to_version(m_surface, CAIRO_SVG_VERSION_1_1);
      break;
  }
  if (auto status = cairo_surface_status(m_surface); status != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(m_surface);
    cairo_failure(m_file, status);
  }
  if (format == Format::pdf) {
    cairo_pdf_surface_set_metadata(m_surface, CAIRO_PDF_METADATA_CREATOR, "twinrisk");
    // Reproducible files: the date a build system pins, as the GeoPackage writer does.
    if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) {
      const std::time_t seconds = std::strtoll(epoch, nullptr, 10);
      std::tm tm{};
      gmtime_r(&seconds, &tm);
      char iso[32];
      std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
      cairo_pdf_surface_set_metadata(m_surface, CAIRO_PDF_METADATA_CREATE_DATE, iso);
    }
  }
  m_cr = cairo_create(m_surface);
  cairo_scale(m_cr, m_px_per_pt, m_px_per_pt);
  if (format == Format::png) {  // a white page, not a transparent one
    cairo_set_source_rgb(m_cr, 1, 1, 1);
    cairo_paint(m_cr);
  }
}

Canvas::~Canvas() {
  if (m_cr) cairo_destroy(m_cr);
  if (m_surface) {
    if (!m_finished) cairo_surface_finish(m_surface);
    cairo_surface_destroy(m_surface);
  }
}

void Canvas::next_page() { cairo_show_page(m_cr); }

void Canvas::finish() {
  if (m_finished) return;
  m_finished = true;
  if (auto status = cairo_status(m_cr); status != CAIRO_STATUS_SUCCESS) cairo_failure(m_file, status);
  if (m_format == Format::png) {
    if (auto status = cairo_surface_write_to_png(m_surface, m_file.c_str()); status != CAIRO_STATUS_SUCCESS) {
      cairo_failure(m_file, status);
    }
  }
  cairo_surface_finish(m_surface);
  if (auto status = cairo_surface_status(m_surface); status != CAIRO_STATUS_SUCCESS) cairo_failure(m_file, status);
}

// ---------------------------------------------------------------- text

double text(cairo_t* cr, double x, double y, double width, std::string_view utf8, const Font& font, Align align,
            bool draw) {
  if (utf8.empty()) return 0;
  PangoLayout* layout = new_layout(cr, utf8, font);
  pango_layout_set_width(layout, static_cast<int>(width * PANGO_SCALE));
  pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment(layout, align == Align::left     ? PANGO_ALIGN_LEFT
                                     : align == Align::center ? PANGO_ALIGN_CENTER
                                                              : PANGO_ALIGN_RIGHT);
  int w = 0, h = 0;
  pango_layout_get_size(layout, &w, &h);
  if (draw) {
    cairo_save(cr);
    set_colour(cr, font.colour);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, layout);
    cairo_restore(cr);
  }
  g_object_unref(layout);
  return static_cast<double>(h) / PANGO_SCALE;
}

double text_width(cairo_t* cr, std::string_view utf8, const Font& font) {
  PangoLayout* layout = new_layout(cr, utf8, font);
  int w = 0, h = 0;
  pango_layout_get_size(layout, &w, &h);
  g_object_unref(layout);
  return static_cast<double>(w) / PANGO_SCALE;
}

std::string fill_in(std::string pattern, const std::vector<std::pair<std::string, std::string>>& values) {
  for (const auto& [key, value] : values) {
    const std::string token = "{" + key + "}";
    for (auto at = pattern.find(token); at != std::string::npos; at = pattern.find(token, at + value.size())) {
      pattern.replace(at, token.size(), value);
    }
  }
  return pattern;
}

geos::Envelope fit_extent(const geos::Envelope& view, double frame_width, double frame_height) {
  const double cx = (view.min_x + view.max_x) / 2, cy = (view.min_y + view.max_y) / 2;
  double w = std::max(view.max_x - view.min_x, 1e-9), h = std::max(view.max_y - view.min_y, 1e-9);
  const double ratio = frame_width / frame_height;
  if (w / h > ratio) h = w / ratio;
  else w = h * ratio;
  return {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
}

// ---------------------------------------------------------------- map frame

double map_units_per_mm(const geos::Envelope& extent, const Rect& frame_pt) {
  return (extent.max_x - extent.min_x) / (frame_pt.width / kPtPerMm);
}

Rect draw_map_frame(Canvas& canvas, const MapScene::Impl& scene, Rect frame, const geos::Envelope& extent,
                    const Highlight* highlight) {
  cairo_t* cr = canvas.cr();
  const double k = canvas.px_per_pt();
  if (canvas.format() == Format::png) {  // whole pixels, so the map image is not resampled
    const double x0 = std::round(frame.x * k), y0 = std::round(frame.y * k);
    const double x1 = std::round((frame.x + frame.width) * k), y1 = std::round((frame.y + frame.height) * k);
    frame = {x0 / k, y0 / k, (x1 - x0) / k, (y1 - y0) / k};
  }
  const int width_px = static_cast<int>(std::lround(frame.width * k));
  const int height_px = static_cast<int>(std::lround(frame.height * k));
  mapnik::Map map = scene.build_map(width_px, height_px, extent, map_units_per_mm(extent, frame), highlight);
  cairo_save(cr);
  cairo_rectangle(cr, frame.x, frame.y, frame.width, frame.height);
  cairo_clip(cr);
  if (canvas.format() == Format::png) {
    mapnik::image_rgba8 image(static_cast<std::size_t>(width_px), static_cast<std::size_t>(height_px));
    mapnik::agg_renderer<mapnik::image_rgba8> renderer(map, image, k);
    renderer.apply();
    cairo_surface_t* surface = to_cairo(image);
    cairo_translate(cr, frame.x, frame.y);
    cairo_scale(cr, 1 / k, 1 / k);
    cairo_set_source_surface(cr, surface, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_paint(cr);
    cairo_surface_destroy(surface);
  } else {
    cairo_translate(cr, frame.x, frame.y);
    mapnik::cairo_ptr context(cairo_reference(cr), mapnik::cairo_closer());
    mapnik::cairo_renderer<mapnik::cairo_ptr> renderer(map, context, 1.0);
    renderer.apply();
  }
  cairo_restore(cr);
  // The frame's edge.
  cairo_rectangle(cr, frame.x, frame.y, frame.width, frame.height);
  cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
  cairo_set_line_width(cr, 0.6);
  cairo_stroke(cr);
  return frame;
}

// ---------------------------------------------------------------- legend, scale bar, north arrow

namespace {

const char* swatch_name(LegendEntry::Kind kind) {
  switch (kind) {
    case LegendEntry::Kind::fill: return "fill";
    case LegendEntry::Kind::line: return "line";
    case LegendEntry::Kind::point: return "point";
    case LegendEntry::Kind::outline: return "outline";
  }
  return "fill";
}

}  // namespace

double draw_legend(cairo_t* cr, const std::vector<LegendGroup>& groups, double x, double y, double width,
                   const MapTexts& texts, PageInfo& info) {
  const double top = y;
  const Font heading{8.5, true};
  const Font group_font{7.5, true, false, Colour{0x30, 0x30, 0x30}};
  const Font label_font{7.5};
  const double sw = 7 * kPtPerMm, sh = 4.2 * kPtPerMm, gap = 2 * kPtPerMm;
  y += text(cr, x, y, width, texts.legend, heading) + 3;
  for (const auto& group : groups) {
    if (!group.heading.empty()) y += text(cr, x, y, width, group.heading, group_font) + 1.5;
    for (const auto& entry : group.entries) {
      const double h = text(cr, x + sw + gap, y, width - sw - gap, entry.label, label_font, Align::left, false);
      const double row = std::max(h, sh);
      swatch(cr, entry, x, y + (row - sh) / 2, sw, sh);
      text(cr, x + sw + gap, y + (row - h) / 2, width - sw - gap, entry.label, label_font);
      info.legend.push_back(group.heading.empty() ? entry.label : group.heading + ": " + entry.label);
      info.legend_swatches.emplace_back(swatch_name(entry.kind));
      y += row + 2;
    }
    y += 3;
  }
  return y - top;
}

double draw_scale_bar(cairo_t* cr, double x, double y, double max_length_pt, double ground_m_per_mm,
                      const MapTexts& texts, PageInfo& info) {
  const double max_mm = max_length_pt / kPtPerMm;
  const double length_m = nice_length(ground_m_per_mm * max_mm);
  const double length_pt = length_m / ground_m_per_mm * kPtPerMm;
  const double bar_h = 1.5 * kPtPerMm;
  const Font font{6.5};
  const double top = y;
  const int segments = 4;
  // Labels above the bar: 0, half and the whole length with its unit.
  const double label_h = text(cr, x, y, 100, "0", font, Align::left, false);
  auto label_at = [&](double at, const std::string& s) {
    const double w = text_width(cr, s, font);
    text(cr, x + at - w / 2, y, w + 2, s, font);
  };
  label_at(0, "0");
  label_at(length_pt / 2, distance_text(length_m / 2, false, texts));
  const std::string whole = distance_text(length_m, true, texts);
  const double unit_w = text_width(cr, whole, font);
  // The last label's number stays centred on the bar's end; its unit hangs to the right.
  const double number_w = text_width(cr, distance_text(length_m, false, texts), font);
  text(cr, x + length_pt - number_w / 2, y, unit_w + 2, whole, font);
  y += label_h + 1.5;
  for (int s = 0; s < segments; ++s) {
    cairo_rectangle(cr, x + length_pt * s / segments, y, length_pt / segments, bar_h);
    if (s % 2 == 0) cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    else cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_fill(cr);
  }
  cairo_rectangle(cr, x, y, length_pt, bar_h);
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  cairo_set_line_width(cr, 0.5);
  cairo_stroke(cr);
  info.scale_bar_ground_m = length_m;
  info.scale_bar_label = whole;
  info.scale_bar_px = length_pt;  // points here; the caller scales to pixels
  info.scale_bar_px_rect = {x, y, length_pt, bar_h};
  y += bar_h + 2.5;
  const double denominator = ground_m_per_mm * 1000;
  // Three significant digits: the scale is true at the centre only, more digits would be noise.
  const double magnitude = std::pow(10.0, std::floor(std::log10(denominator)) - 2);
  const double rounded = std::round(denominator / magnitude) * magnitude;
  info.scale_denominator = denominator;
  y += text(cr, x, y, max_length_pt + 40, fill_in(texts.scale, {{"denominator", format_number(rounded, 0, texts)}}), font);
  return y - top;
}

void draw_north_arrow(cairo_t* cr, double cx, double cy, double height, double angle_deg, const MapTexts& texts) {
  const Font font{8, true};
  cairo_save(cr);
  cairo_translate(cr, cx, cy);
  cairo_rotate(cr, angle_deg * std::numbers::pi / 180.0);
  const double h = height, w = height * 0.42;
  // The arrow below the letter: tip up, a notch at the base; left half dark, right half light.
  const double tip = -h / 2 + 0.38 * h, base = h / 2;
  cairo_move_to(cr, 0, tip);
  cairo_line_to(cr, -w / 2, base);
  cairo_line_to(cr, 0, base - 0.22 * (base - tip));
  cairo_close_path(cr);
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  cairo_fill(cr);
  cairo_move_to(cr, 0, tip);
  cairo_line_to(cr, w / 2, base);
  cairo_line_to(cr, 0, base - 0.22 * (base - tip));
  cairo_close_path(cr);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_fill_preserve(cr);
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  cairo_set_line_width(cr, 0.5);
  cairo_stroke(cr);
  const double lw = text_width(cr, texts.north, font);
  text(cr, -lw / 2, -h / 2, lw + 1, texts.north, font);
  cairo_restore(cr);
}

double draw_table(cairo_t* cr, double x, double y, double width, double max_height,
                  const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows,
                  const std::vector<bool>& numeric, const MapTexts& texts) {
  const double top = y;
  const std::size_t n = headers.size();
  if (n == 0) return 0;
  // Column widths: every cell on one line, headers too when there is room; else headers wrap at
  // word breaks first (the spare width goes to the columns that want it); a table still too wide
  // gets a smaller type (down to 5.4 pt) before anything is cut inside a word.
  const double pad = 4;
  Font head{6.8, true};
  Font body{6.8};
  std::vector<double> narrow(n, 0.0), wide(n, 0.0);
  double sum_narrow = 0, sum_wide = 0;
  auto pieces = [](const std::string& s, std::string_view separators) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
      const auto stop = std::min(s.find_first_of(separators, start), s.size());
      out.push_back(s.substr(start, stop - start));
      start = stop + 1;
    }
    return out;
  };
  for (double size = 6.8; size >= 5.39; size -= 0.7) {
    head.size_pt = body.size_pt = size;
    sum_narrow = sum_wide = 0;
    for (std::size_t c = 0; c < n; ++c) {
      double cells = 0, longest_word = 0, longest_line = 0;
      for (const auto& row : rows) cells = std::max(cells, text_width(cr, row[c], body));
      for (const auto& word : pieces(headers[c], " \n")) longest_word = std::max(longest_word, text_width(cr, word, head));
      for (const auto& line : pieces(headers[c], "\n")) longest_line = std::max(longest_line, text_width(cr, line, head));
      narrow[c] = std::max(cells, longest_word) + pad;
      wide[c] = std::max(cells, longest_line) + pad;
      sum_narrow += narrow[c], sum_wide += wide[c];
    }
    if (sum_narrow <= width) break;
  }
  std::vector<double> widths = wide;
  if (sum_wide > width) {
    const double spare = width - sum_narrow;
    for (std::size_t c = 0; c < n; ++c) {
      widths[c] = spare >= 0 ? narrow[c] + spare * (wide[c] - narrow[c]) / (sum_wide - sum_narrow)
                             : narrow[c] * width / sum_narrow;
    }
  }
  double total = 0;
  for (auto w : widths) total += w;
  auto draw_row = [&](const std::vector<std::string>& cells, const Font& font, bool draw) {
    double h = 0, cx = x;
    for (std::size_t c = 0; c < n; ++c) {
      const Align align = numeric[c] ? Align::right : Align::left;
      h = std::max(h, text(cr, cx, y, widths[c] - pad, cells[c], font, align, draw));
      cx += widths[c];
    }
    return h;
  };
  y += draw_row(headers, head, true) + 1.5;
  cairo_move_to(cr, x, y);
  cairo_line_to(cr, x + std::min(width, total), y);
  cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
  cairo_set_line_width(cr, 0.6);
  cairo_stroke(cr);
  y += 2;
  const double more_h = text(cr, x, y, width, "…", body, Align::left, false) + 2;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const double h = draw_row(rows[r], body, false);
    const bool last = r + 1 == rows.size();
    if (y + h + (last ? 0 : more_h) > top + max_height) {
      y += text(cr, x, y, width, fill_in(texts.more_rows, {{"count", std::to_string(rows.size() - r)}}), body);
      break;
    }
    if (r % 2 == 1) {
      cairo_rectangle(cr, x, y - 0.8, std::min(width, total), h + 1.6);
      cairo_set_source_rgb(cr, 0.95, 0.95, 0.95);
      cairo_fill(cr);
    }
    draw_row(rows[r], body, true);
    y += h + 1.6;
  }
  return y - top;
}

}  // namespace twinrisk::render::detail
