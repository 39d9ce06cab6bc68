#include "twinrisk/render/map.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>

#include "page.hpp"
#include "scene.hpp"
#include "twinrisk/core/error.hpp"

namespace twinrisk::render {

namespace {

using detail::Align;
using detail::Font;
using detail::kPtPerMm;

constexpr double kMarginMm = 10;

ErrorContext in_file(const std::filesystem::path& file) {
  ErrorContext context;
  context.file = file.string();
  return context;
}

void check_dpi(double dpi) {
  if (!(dpi >= 10 && dpi <= 1200)) {
    throw ConfigError(fmt::format("dpi must be between 10 and 1200, not {}", dpi), {},
                      "150 suits a screen or a report, 300 a print");
  }
}

void check_page(const PageSize& page) {
  if (!(page.width_mm >= 100 && page.height_mm >= 80 && page.width_mm <= 2000 && page.height_mm <= 2000)) {
    throw ConfigError(fmt::format("a page of {} × {} mm is too small or too large for a map", page.width_mm, page.height_mm),
                      {}, "use at least 100 × 80 mm (A4 landscape is 297 × 210)");
  }
}

struct Frame {
  Rect map;      // points
  Rect panel;    // points: legend, table, scale bar
  double body_top = 0;
  double footer_top = 0;
};

// Title and subtitle across the top; returns where the body starts.
double draw_title(cairo_t* cr, const std::string& title, const std::string& subtitle, double width) {
  const double x = kMarginMm * kPtPerMm;
  double y = kMarginMm * kPtPerMm;
  if (!title.empty()) y += detail::text(cr, x, y, width, title, Font{15, true, false, Colour{0x10, 0x10, 0x10}}) + 2;
  if (!subtitle.empty()) y += detail::text(cr, x, y, width, subtitle, Font{9, false, false, Colour{0x50, 0x50, 0x50}});
  return y + 3 * kPtPerMm;
}

// CRS and attribution (left) and an optional page number (right) along the bottom; returns its top.
double draw_footer(cairo_t* cr, const MapScene& scene, const MapTexts& texts, const std::string& page_text,
                   double page_width, double page_height) {
  const Font font{6.5, false, false, Colour{0x50, 0x50, 0x50}};
  const double x = kMarginMm * kPtPerMm;
  const double width = page_width - 2 * x;
  const double page_w = page_text.empty() ? 0 : detail::text_width(cr, page_text, font) + 12;
  std::string line = detail::fill_in(texts.crs, {{"name", scene.crs_name()}});
  if (!texts.attribution.empty()) line += " · " + texts.attribution;
  const double h = detail::text(cr, x, 0, width - page_w, line, font, Align::left, false);
  const double top = page_height - kMarginMm * kPtPerMm - h;
  detail::text(cr, x, top, width - page_w, line, font);
  if (!page_text.empty()) detail::text(cr, page_width - x - page_w, top, page_w, page_text, font, Align::right);
  return top;
}

Frame layout(double page_w, double body_top, double footer_top, double panel_share) {
  const double margin = kMarginMm * kPtPerMm, gap = 6 * kPtPerMm;
  const double inner = page_w - 2 * margin;
  const double panel_w = std::clamp(inner * panel_share, 48 * kPtPerMm, 110 * kPtPerMm);
  Frame f;
  f.body_top = body_top;
  f.footer_top = footer_top;
  f.map = {margin, body_top, inner - panel_w - gap, footer_top - 3 * kPtPerMm - body_top};
  f.panel = {margin + inner - panel_w, body_top, panel_w, f.map.height};
  if (f.map.width < 40 * kPtPerMm || f.map.height < 40 * kPtPerMm) {
    throw ConfigError("the page leaves no room for the map", {}, "use a larger page or shorter texts");
  }
  return f;
}

// Scale bar and north arrow at the bottom of the panel; fills the scale part of `info`.
void draw_scale_and_north(cairo_t* cr, const MapScene::Impl& scene, const Rect& panel, const geos::Envelope& extent,
                          const Rect& frame, const MapTexts& texts, PageInfo& info) {
  const double cx = (extent.min_x + extent.max_x) / 2, cy = (extent.min_y + extent.max_y) / 2;
  const double width_units = extent.max_x - extent.min_x;
  info.ground_m_per_map_unit = scene.crs->ground_per_map_unit(cx, cy, width_units / 1000);
  const double ground_m_per_mm = info.ground_m_per_map_unit * detail::map_units_per_mm(extent, frame);
  info.north_deg = scene.crs->north_angle_deg(cx, cy, std::max(width_units / 100, 1.0));
  const double arrow_h = 11 * kPtPerMm;
  const double bar_block = 12 * kPtPerMm;
  const double bottom = panel.y + panel.height;
  const double max_bar = std::min(panel.width - 10, 50 * kPtPerMm);
  detail::draw_scale_bar(cr, panel.x, bottom - bar_block, max_bar, ground_m_per_mm, texts, info);
  detail::draw_north_arrow(cr, panel.x + 4 * kPtPerMm, bottom - bar_block - arrow_h / 2 - 3 * kPtPerMm, arrow_h,
                           info.north_deg, texts);
}

void to_pixels(PageInfo& info, double k) {
  auto scale = [k](Rect& r) { r = {r.x * k, r.y * k, r.width * k, r.height * k}; };
  scale(info.frame_px);
  scale(info.scale_bar_px_rect);
  info.scale_bar_px *= k;
}

geos::Envelope padded(geos::Envelope e, double share, double min_width) {
  double w = e.max_x - e.min_x, h = e.max_y - e.min_y;
  const double pad = std::max(w, h) * share;
  e.min_x -= pad, e.max_x += pad, e.min_y -= pad, e.max_y += pad;
  w = e.max_x - e.min_x, h = e.max_y - e.min_y;
  if (w < min_width && h < min_width) {
    const double grow = (min_width - std::max(w, h)) / 2;
    e.min_x -= grow, e.max_x += grow, e.min_y -= grow, e.max_y += grow;
  }
  return e;
}

double number_of(const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return std::nan("");
}

// Decimals for a column of one page: as given, or enough for three significant digits of its
// smallest non-zero value (2 to 6), the same in every row so the decimal points line up.
int column_decimals(const AtlasColumn& column, FieldType type, const Table& rows, std::size_t c,
                    const std::vector<std::size_t>& page_rows) {
  if (column.decimals >= 0) return column.decimals;
  if (type == FieldType::integer && column.factor == 1) return 0;
  double smallest = 0;
  for (auto r : page_rows) {
    const double v = std::fabs(number_of(rows.rows[r][c]) * column.factor);
    if (std::isfinite(v) && v > 0 && (smallest == 0 || v < smallest)) smallest = v;
  }
  if (smallest == 0) return 2;
  return static_cast<int>(std::clamp(2.0 - std::floor(std::log10(smallest)), 2.0, 6.0));
}

std::string value_text(const Value& v, const AtlasColumn& column, FieldType type, int decimals, const MapTexts& texts) {
  if (std::holds_alternative<std::monostate>(v)) return "";
  if (type == FieldType::string || std::holds_alternative<std::string>(v)) return to_display_string(v);
  return detail::format_number(number_of(v) * column.factor, decimals, texts);
}

bool truthy(const Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return false;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i != 0;
  if (const auto* d = std::get_if<double>(&v)) return *d != 0;
  const auto& s = std::get<std::string>(v);
  return !s.empty() && s != "0";
}

[[noreturn]] void missing_field(const std::string& option, const std::string& field, const std::string& owner,
                                const std::vector<FieldDef>& fields) {
  std::string names;
  for (const auto& f : fields) {
    if (!names.empty()) names += ", ";
    names += f.name;
  }
  ErrorContext context;
  context.layer = owner;
  throw ConfigError(fmt::format("atlas option {} names field '{}', which '{}' does not have (fields: {})", option, field,
                                owner, names),
                    context, "name one of its fields");
}

}  // namespace

Format format_of(const std::filesystem::path& file) {
  auto ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".png") return Format::png;
  if (ext == ".pdf") return Format::pdf;
  if (ext == ".svg") return Format::svg;
  throw ConfigError(fmt::format("cannot tell the map format from '{}'", file.filename().string()), in_file(file),
                    "name the file .png, .pdf or .svg");
}

PageInfo render_overview(const MapScene& scene, const OverviewOptions& options, const std::filesystem::path& file) {
  const Format format = format_of(file);
  check_dpi(options.dpi);
  check_page(options.page);
  const auto& impl = scene.impl();
  detail::Canvas canvas(format, file, options.page, options.dpi);
  cairo_t* cr = canvas.cr();
  const double inner = canvas.width_pt() - 2 * kMarginMm * kPtPerMm;
  const double body_top = draw_title(cr, options.texts.title, options.texts.subtitle, inner);
  const double footer_top = draw_footer(cr, scene, options.texts, "", canvas.width_pt(), canvas.height_pt());
  const Frame f = layout(canvas.width_pt(), body_top, footer_top, 0.24);

  const geos::Envelope view = options.extent ? *options.extent : padded(impl.focus, 0.04, 0);
  const geos::Envelope extent = detail::fit_extent(view, f.map.width, f.map.height);
  PageInfo info;
  info.frame_px = detail::draw_map_frame(canvas, impl, f.map, extent, nullptr);
  info.extent = extent;
  // The scale the map was drawn at: a PNG frame is snapped to whole pixels.
  const auto legend = impl.legend(extent, detail::map_units_per_mm(extent, info.frame_px), nullptr);
  detail::draw_legend(cr, legend, f.panel.x, f.panel.y, f.panel.width, options.texts, info);
  draw_scale_and_north(cr, impl, f.panel, extent, info.frame_px, options.texts, info);
  to_pixels(info, canvas.px_per_pt());
  canvas.finish();
  return info;
}

Table attribute_table(const Layer& layer) {
  Table table;
  table.name = layer.name;
  table.columns = layer.fields;
  table.rows.reserve(layer.features.size());
  for (const auto& feature : layer.features) table.rows.push_back(feature.values);
  return table;
}

AtlasInfo render_atlas(const MapScene& scene, const AtlasOptions& options, const std::filesystem::path& pdf) {
  if (format_of(pdf) != Format::pdf) {
    throw ConfigError("an atlas is a PDF", in_file(pdf), "name the file .pdf");
  }
  check_page(options.page);
  if (!options.index) throw ConfigError("the atlas needs an index layer: one page per feature");
  const Layer& index = *options.index;
  // Every field the options name must exist before anything is drawn.
  std::optional<std::size_t> where;
  if (!options.where_field.empty()) {
    where = index.field_index(options.where_field);
    if (!where) missing_field("where_field", options.where_field, index.name, index.fields);
  }
  std::vector<std::pair<std::string, std::size_t>> title_fields;
  static const std::regex placeholder(R"(\{([A-Za-z_][A-Za-z0-9_]*)\})");
  for (const std::string* text : {&options.title, &options.texts.subtitle}) {
    for (std::sregex_iterator it(text->begin(), text->end(), placeholder), end; it != end; ++it) {
      const auto name = (*it)[1].str();
      const auto i = index.field_index(name);
      if (!i) missing_field(text == &options.title ? "title" : "texts.subtitle", name, index.name, index.fields);
      title_fields.emplace_back(name, *i);
    }
  }
  std::optional<std::size_t> index_key, rows_key;
  std::vector<std::size_t> columns;
  std::map<std::string, std::vector<std::size_t>> rows_by_key;
  if (options.rows) {
    const Table& rows = *options.rows;
    index_key = index.field_index(options.index_key);
    if (!index_key) missing_field("index_key", options.index_key, index.name, index.fields);
    for (std::size_t c = 0; c < rows.columns.size(); ++c) {
      if (rows.columns[c].name == options.rows_key) rows_key = c;
    }
    if (!rows_key) missing_field("rows_key", options.rows_key, rows.name, rows.columns);
    for (const auto& column : options.columns) {
      auto it = std::find_if(rows.columns.begin(), rows.columns.end(), [&](const FieldDef& f) { return f.name == column.field; });
      if (it == rows.columns.end()) missing_field("columns", column.field, rows.name, rows.columns);
      columns.push_back(static_cast<std::size_t>(it - rows.columns.begin()));
    }
    for (std::size_t r = 0; r < rows.rows.size(); ++r) rows_by_key[to_display_string(rows.rows[r][*rows_key])].push_back(r);
  }
  std::vector<std::size_t> pages;
  for (std::size_t i = 0; i < index.features.size(); ++i) {
    const auto& feature = index.features[i];
    if (!feature.geometry || geos::is_empty(feature.geometry.get())) continue;
    if (where && !truthy(feature.values[*where])) continue;
    pages.push_back(i);
    if (options.max_pages && pages.size() == options.max_pages) break;
  }
  if (pages.empty()) {
    ErrorContext context;
    context.layer = index.name;
    throw InputError(options.where_field.empty() ? "the atlas index layer has no feature with a geometry"
                                                 : fmt::format("no feature of the atlas index has '{}' set", options.where_field),
                     context, "an atlas needs at least one page");
  }

  const auto& impl = scene.impl();
  detail::Canvas canvas(Format::pdf, pdf, options.page, 72);
  cairo_t* cr = canvas.cr();
  AtlasInfo atlas;
  const double inner = canvas.width_pt() - 2 * kMarginMm * kPtPerMm;
  for (std::size_t p = 0; p < pages.size(); ++p) {
    const auto& feature = index.features[pages[p]];
    std::vector<std::pair<std::string, std::string>> values;
    for (const auto& [name, i] : title_fields) values.emplace_back(name, to_display_string(feature.values[i]));
    const double body_top = draw_title(cr, detail::fill_in(options.title, values), detail::fill_in(options.texts.subtitle, values), inner);
    const std::string page_text = detail::fill_in(options.texts.page, {{"page", std::to_string(p + 1)}, {"pages", std::to_string(pages.size())}});
    const double footer_top = draw_footer(cr, scene, options.texts, page_text, canvas.width_pt(), canvas.height_pt());
    const Frame f = layout(canvas.width_pt(), body_top, footer_top, 0.36);

    const auto envelope = geos::envelope(feature.geometry.get());
    const auto extent = detail::fit_extent(padded(envelope, options.margin, options.min_width_m), f.map.width, f.map.height);
    detail::Highlight highlight{feature.geometry.get(), options.texts.highlight};
    PageInfo info;
    info.frame_px = detail::draw_map_frame(canvas, impl, f.map, extent, &highlight);
    info.extent = extent;

    double y = f.panel.y;
    if (options.rows) {
      std::vector<std::string> headers;
      std::vector<bool> numeric;
      for (std::size_t c = 0; c < columns.size(); ++c) {
        headers.push_back(options.columns[c].header.empty() ? options.columns[c].field : options.columns[c].header);
        numeric.push_back(options.rows->columns[columns[c]].type != FieldType::string);
      }
      std::vector<std::vector<std::string>> cells;
      if (auto it = rows_by_key.find(to_display_string(feature.values[*index_key])); it != rows_by_key.end()) {
        std::vector<int> decimals;
        for (std::size_t c = 0; c < columns.size(); ++c) {
          decimals.push_back(column_decimals(options.columns[c], options.rows->columns[columns[c]].type, *options.rows,
                                             columns[c], it->second));
        }
        for (auto r : it->second) {
          std::vector<std::string> row;
          for (std::size_t c = 0; c < columns.size(); ++c) {
            row.push_back(value_text(options.rows->rows[r][columns[c]], options.columns[c],
                                     options.rows->columns[columns[c]].type, decimals[c], options.texts));
          }
          cells.push_back(std::move(row));
        }
      }
      y += detail::draw_table(cr, f.panel.x, y, f.panel.width, f.panel.height * 0.45, headers, cells, numeric, options.texts);
      y += 5 * kPtPerMm;
    }
    const auto legend = impl.legend(extent, detail::map_units_per_mm(extent, info.frame_px), &highlight);
    detail::draw_legend(cr, legend, f.panel.x, y, f.panel.width, options.texts, info);
    draw_scale_and_north(cr, impl, f.panel, extent, info.frame_px, options.texts, info);
    atlas.page_info.push_back(std::move(info));
    canvas.next_page();
  }
  canvas.finish();
  atlas.pages = pages.size();
  return atlas;
}

}  // namespace twinrisk::render
