#include "twinrisk/render/report.hpp"

#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>

#include "page.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/core/text.hpp"

namespace twinrisk::render {

namespace {

using detail::Align;
using detail::Font;
using detail::kPtPerMm;

// ---------------------------------------------------------------- what the report says

struct Summary {
  TextValues values;  // zones, classes, cross_border, cross_national
};

// One summary per shared-zones step in the manifest.
std::vector<Summary> summaries(const nlohmann::json& manifest, const Translations& t) {
  std::vector<Summary> out;
  if (!manifest.contains("steps")) return out;
  for (const auto& step : manifest["steps"]) {
    if (step.value("algorithm", "") != "shared-zones" || !step.contains("stats")) continue;
    const auto& s = step["stats"];
    auto n = [&](const char* key) { return t.number(s.value(key, 0.0), 0); };
    out.push_back({{{"zones", n("zones")}, {"classes", n("classes")}, {"cross_border", n("cross_border_zones")},
                    {"cross_national", n("cross_national_zones")}}});
  }
  return out;
}

std::string crs_name(const nlohmann::json& manifest) {
  const auto wkt = manifest.contains("analysis_crs") ? manifest["analysis_crs"].value("wkt", "") : "";
  // The name is the first quoted string of the WKT: PROJCRS["name", …
  const auto open = wkt.find('"'), close = open == std::string::npos ? open : wkt.find('"', open + 1);
  return close == std::string::npos ? std::string("?") : wkt.substr(open + 1, close - open - 1);
}

TextValues processing_values(const nlohmann::json& m, const Translations& t) {
  const auto libraries = m.value("libraries", nlohmann::json::object());
  const double seconds = m.contains("timings") ? m["timings"].value("total_seconds", 0.0) : 0.0;
  return {{"version", m.value("twinrisk", "?")},       {"gdal", libraries.value("gdal", "?")},
          {"geos", libraries.value("geos", "?")},       {"proj", libraries.value("proj", "?")},
          {"threads", std::to_string(m.value("threads", 0))}, {"seconds", t.number(seconds, 2)}};
}

TextValues subtitle_values(const nlohmann::json& m) {
  const auto pipeline = std::filesystem::path(m.value("pipeline", "")).filename().string();
  const auto started = m.value("started_at", "");
  return {{"pipeline", pipeline.empty() ? "-" : pipeline}, {"date", started.substr(0, 10)}};
}

struct SourceRow {
  std::string source, layer, features, repaired, dropped, licence;
};
std::vector<SourceRow> sources(const ReportInput& input, const Translations& t) {
  std::vector<SourceRow> rows;
  if (!input.manifest.contains("inputs")) return rows;
  for (const auto& in : input.manifest["inputs"]) {
    const auto name = in.value("name", "");
    const auto licence = input.licences.find(name);
    rows.push_back({std::filesystem::path(in.value("source", "")).filename().string(), name + " (" + in.value("layer", "") + ")",
                    t.number(in.value("loaded", 0.0), 0), t.number(in.value("repaired", 0.0), 0),
                    t.number(in.value("dropped", 0.0) + in.value("empty", 0.0), 0),
                    licence == input.licences.end() ? std::string() : licence->second});
  }
  return rows;
}

// One line per language (a bilingual header is narrow, and each council reads its own line).
std::string column_header(const Translations& t, const FieldDef& column, std::string_view separator) {
  const std::string key = "column." + column.name;
  return t.has(key) ? t.joined(key, {}, separator) : column.name;
}

std::string cell_text(const Value& v, const FieldDef& column, const Translations& t) {
  if (const auto* d = std::get_if<double>(&v)) {
    if (column.name.starts_with("share_")) return t.number(*d * 100, 2) + " %";
    return t.number(*d, std::fabs(*d) >= 100 ? 0 : 2);
  }
  if (const auto* i = std::get_if<std::int64_t>(&v)) {
    return column.name.ends_with("_id") ? std::to_string(*i) : t.number(static_cast<double>(*i), 0);
  }
  return to_display_string(v);
}

// ---------------------------------------------------------------- HTML

std::string html_lines(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    const auto stop = text.find('\n', start);
    out += xml_escape(text.substr(start, stop == std::string_view::npos ? std::string_view::npos : stop - start));
    if (stop == std::string_view::npos) return out;
    out += "<br>";
    start = stop + 1;
  }
}

std::string base64(const std::string& bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63], out += kAlphabet[(v >> 12) & 63], out += kAlphabet[(v >> 6) & 63], out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63], out += kAlphabet[(v >> 12) & 63], out += "==";
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63], out += kAlphabet[(v >> 12) & 63], out += kAlphabet[(v >> 6) & 63], out += '=';
  }
  return out;
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    ErrorContext context;
    context.file = file.string();
    throw InputError("cannot read the map image for the report", context, "render the maps before the report");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// One block per language, side by side when there are two.
std::string columns(const Translations& t, const std::function<std::string(std::size_t)>& block, const char* tag = "div") {
  std::string out = R"(<div class="langs">)";
  for (std::size_t i = 0; i < t.size(); ++i) {
    out += fmt::format(R"(<{0} lang="{1}">{2}</{0}>)", tag, t.languages()[i], block(i));
  }
  return out + "</div>\n";
}

constexpr const char* kCss = R"(
body { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; color: #202020; max-width: 1200px; margin: 2em auto; padding: 0 1.5em; line-height: 1.45; }
h1 { font-size: 1.7em; margin: 0 0 .2em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #bbb; padding-bottom: .2em; }
h3 { font-size: 1em; margin: 1.5em 0 .4em; font-family: "DejaVu Sans Mono", monospace; }
.langs { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 0 2.5em; }
.langs > * { margin-top: 0; } .sub { color: #555; }
figure { margin: 1em 0; } figure img { width: 100%; height: auto; border: 1px solid #ccc; }
figcaption { font-size: .9em; color: #444; margin-top: .3em; }
table { border-collapse: collapse; font-size: .85em; margin: .3em 0; }
th, td { padding: .25em .6em; border-bottom: 1px solid #e0e0e0; vertical-align: top; }
th { text-align: left; border-bottom: 1.5px solid #555; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #f5f5f5; } .note { font-size: .85em; color: #555; }
footer { margin-top: 3em; font-size: .8em; color: #666; }
)";

}  // namespace

void write_report_html(const ReportInput& input, const Translations& t, const std::filesystem::path& html) {
  const auto& m = input.manifest;
  std::string out;
  out += fmt::format("<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n", t.languages()[0]);
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n", xml_escape(t.joined("report.title")), kCss);
  out += "<header>" + columns(t, [&](std::size_t i) {
           return fmt::format("<h1>{}</h1><p class=\"sub\">{}</p>", xml_escape(t.text(i, "report.title")),
                              xml_escape(t.text(i, "report.subtitle", subtitle_values(m))));
         }) + "</header>\n";

  const auto results = summaries(m, t);
  if (!results.empty()) {
    out += fmt::format("<section id=\"summary\"><h2>{}</h2>\n", xml_escape(t.joined("report.summary")));
    for (const auto& s : results) {
      out += columns(t, [&](std::size_t i) { return xml_escape(t.text(i, "report.summary_text", s.values)); }, "p");
    }
    out += "</section>\n";
  }

  if (!input.maps.empty()) {
    out += fmt::format("<section id=\"maps\"><h2>{}</h2>\n", xml_escape(t.joined("report.maps")));
    for (const auto& map : input.maps) {
      out += fmt::format("<figure><img src=\"data:image/png;base64,{}\" alt=\"{}\">", base64(read_file(map.png)),
                         xml_escape(t.text(0, map.caption_key)));
      out += "<figcaption>" + columns(t, [&](std::size_t i) { return xml_escape(t.text(i, map.caption_key)); }) +
             "</figcaption></figure>\n";
    }
    out += columns(t, [&](std::size_t i) { return xml_escape(t.text(i, "report.atlas_note")); }, "p");
    out += "</section>\n";
  }

  if (!input.tables.empty()) {
    out += fmt::format("<section id=\"tables\"><h2>{}</h2>\n", xml_escape(t.joined("report.tables")));
    for (const Table* table : input.tables) {
      out += fmt::format("<h3>{}</h3>\n<table>\n<thead><tr>", xml_escape(table->name));
      for (const auto& column : table->columns) {
        out += fmt::format("<th{}>{}</th>", column.type == FieldType::string ? "" : " class=\"n\"",
                           html_lines(column_header(t, column, "\n")));
      }
      out += "</tr></thead>\n<tbody>\n";
      const std::size_t shown = std::min(table->rows.size(), input.max_rows);
      for (std::size_t r = 0; r < shown; ++r) {
        out += "<tr>";
        for (std::size_t c = 0; c < table->columns.size(); ++c) {
          const bool number = table->columns[c].type != FieldType::string;
          out += fmt::format("<td{}>{}</td>", number ? " class=\"n\"" : "",
                             xml_escape(cell_text(table->rows[r][c], table->columns[c], t)));
        }
        out += "</tr>\n";
      }
      out += "</tbody></table>\n";
      if (shown < table->rows.size()) {
        const TextValues count{{"count", t.number(static_cast<double>(table->rows.size() - shown), 0)}};
        out += fmt::format("<p class=\"note\">{}</p>\n", xml_escape(t.joined("report.more_rows", count)));
      }
    }
    out += "</section>\n";
  }

  out += fmt::format("<section id=\"method\"><h2>{}</h2>\n", xml_escape(t.joined("report.method")));
  out += columns(t, [&](std::size_t i) { return xml_escape(t.text(i, "report.method_text", {{"crs", crs_name(m)}})); }, "p");
  out += "</section>\n";

  const auto rows = sources(input, t);
  out += fmt::format("<section id=\"sources\"><h2>{}</h2>\n<table>\n<thead><tr>", xml_escape(t.joined("report.sources")));
  for (const char* key : {"report.source", "report.layer", "report.features", "report.repaired", "report.dropped"}) {
    const bool number = std::string_view(key) != "report.source" && std::string_view(key) != "report.layer";
    out += fmt::format("<th{}>{}</th>", number ? " class=\"n\"" : "", xml_escape(t.joined(key)));
  }
  out += "<th></th></tr></thead>\n<tbody>\n";
  for (const auto& r : rows) {
    out += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
                       xml_escape(r.source), xml_escape(r.layer), r.features, r.repaired, r.dropped, xml_escape(r.licence));
  }
  out += "</tbody></table>\n</section>\n";

  out += fmt::format("<section id=\"processing\"><h2>{}</h2>\n", xml_escape(t.joined("report.processing")));
  out += columns(t, [&](std::size_t i) { return xml_escape(t.text(i, "report.processing_text", processing_values(m, t))); }, "p");
  out += "</section>\n";
  out += "<footer>" + columns(t, [&](std::size_t i) { return xml_escape(t.text(i, "report.generated")); }) + "</footer>\n";
  out += "</body>\n</html>\n";

  std::ofstream file(html, std::ios::binary);
  file << out;
  file.close();
  if (!file) {
    ErrorContext context;
    context.file = html.string();
    throw OutputError("cannot write the report", context, "check that the folder exists and is writable");
  }
}

// ---------------------------------------------------------------- PDF

namespace {

// Top-to-bottom flow on A4 portrait pages.
class Flow {
 public:
  Flow(detail::Canvas& canvas) : m_canvas(canvas) {
    m_left = 18 * kPtPerMm;
    m_width = canvas.width_pt() - 2 * m_left;
    m_top = m_y = 18 * kPtPerMm;
    m_bottom = canvas.height_pt() - 18 * kPtPerMm;
  }
  cairo_t* cr() const { return m_canvas.cr(); }
  double x() const { return m_left; }
  double y() const { return m_y; }
  double width() const { return m_width; }
  double room() const { return m_bottom - m_y; }
  void advance(double h) { m_y += h; }
  // Starts a new page unless `h` still fits.
  void need(double h) {
    if (m_y + h > m_bottom && m_y > m_top) {
      m_canvas.next_page();
      m_y = m_top;
    }
  }
  // Text per language, side by side.
  void columns(const std::vector<std::string>& texts, const Font& font, double after = 6) {
    const double gap = 8 * kPtPerMm;
    const double w = texts.size() > 1 ? (m_width - gap) / 2 : m_width;
    double h = 0;
    for (const auto& s : texts) h = std::max(h, detail::text(cr(), 0, 0, w, s, font, Align::left, false));
    need(h);
    for (std::size_t i = 0; i < texts.size(); ++i) detail::text(cr(), m_left + static_cast<double>(i) * (w + gap), m_y, w, texts[i], font);
    m_y += h + after;
  }

 private:
  detail::Canvas& m_canvas;
  double m_left = 0, m_width = 0, m_top = 0, m_y = 0, m_bottom = 0;
};

std::vector<std::string> each(const Translations& t, std::string_view key, const TextValues& values = {}) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < t.size(); ++i) out.push_back(t.text(i, key, values));
  return out;
}

}  // namespace

void write_report_pdf(const ReportInput& input, const Translations& t, const std::filesystem::path& pdf) {
  const auto& m = input.manifest;
  detail::Canvas canvas(Format::pdf, pdf, PageSize{210, 297}, 72);
  Flow flow(canvas);
  const Font title{18, true}, subtitle{9.5, false, false, Colour{0x55, 0x55, 0x55}}, heading{12.5, true}, body{9.5};
  const Font small{7.5, false, false, Colour{0x55, 0x55, 0x55}};
  const MapTexts texts = t.map_texts();
  auto section = [&](std::string_view key) {
    flow.need(60);
    flow.advance(8);
    flow.columns({t.joined(key)}, heading, 4);
  };

  flow.columns(each(t, "report.title"), title, 2);
  flow.columns(each(t, "report.subtitle", subtitle_values(m)), subtitle, 10);

  const auto results = summaries(m, t);
  if (!results.empty()) {
    section("report.summary");
    for (const auto& s : results) flow.columns(each(t, "report.summary_text", s.values), body);
  }

  if (!input.maps.empty()) {
    section("report.maps");
    for (const auto& map : input.maps) {
      cairo_surface_t* image = cairo_image_surface_create_from_png(map.png.c_str());
      if (cairo_surface_status(image) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(image);
        ErrorContext context;
        context.file = map.png.string();
        throw InputError("cannot read the map image for the report", context, "render the maps before the report");
      }
      const double w = cairo_image_surface_get_width(image), h = cairo_image_surface_get_height(image);
      const double scale = flow.width() / w;
      flow.need(h * scale + 30);
      cairo_t* cr = flow.cr();
      cairo_save(cr);
      cairo_translate(cr, flow.x(), flow.y());
      cairo_scale(cr, scale, scale);
      cairo_set_source_surface(cr, image, 0, 0);
      cairo_paint(cr);
      cairo_restore(cr);
      cairo_surface_destroy(image);
      flow.advance(h * scale + 4);
      flow.columns(each(t, map.caption_key), small);
    }
    flow.columns(each(t, "report.atlas_note"), body);
  }

  if (!input.tables.empty()) {
    section("report.tables");
    for (const Table* table : input.tables) {
      std::vector<std::string> headers;
      std::vector<bool> numeric;
      for (const auto& column : table->columns) {
        headers.push_back(column_header(t, column, "\n"));
        numeric.push_back(column.type != FieldType::string);
      }
      std::vector<std::vector<std::string>> cells;
      const std::size_t shown = std::min(table->rows.size(), input.max_rows);
      for (std::size_t r = 0; r < shown; ++r) {
        std::vector<std::string> row;
        for (std::size_t c = 0; c < table->columns.size(); ++c) row.push_back(cell_text(table->rows[r][c], table->columns[c], t));
        cells.push_back(std::move(row));
      }
      flow.need(120);
      flow.columns({table->name}, Font{9, true}, 2);
      flow.advance(detail::draw_table(flow.cr(), flow.x(), flow.y(), flow.width(), flow.room(), headers, cells, numeric, texts) + 2);
      if (shown < table->rows.size()) {
        const TextValues count{{"count", t.number(static_cast<double>(table->rows.size() - shown), 0)}};
        flow.columns({t.joined("report.more_rows", count)}, small);
      }
      flow.advance(6);
    }
  }

  section("report.method");
  flow.columns(each(t, "report.method_text", {{"crs", crs_name(m)}}), body);

  section("report.sources");
  {
    std::vector<std::string> headers;
    for (const char* key : {"report.source", "report.layer", "report.features", "report.repaired", "report.dropped"}) {
      headers.push_back(t.joined(key));
    }
    headers.push_back("");
    std::vector<std::vector<std::string>> cells;
    for (const auto& r : sources(input, t)) cells.push_back({r.source, r.layer, r.features, r.repaired, r.dropped, r.licence});
    flow.advance(detail::draw_table(flow.cr(), flow.x(), flow.y(), flow.width(), flow.room(), headers, cells,
                                    {false, false, true, true, true, false}, texts) + 6);
  }

  section("report.processing");
  flow.columns(each(t, "report.processing_text", processing_values(m, t)), body);
  flow.advance(10);
  flow.columns(each(t, "report.generated"), small);
  canvas.finish();
}

}  // namespace twinrisk::render
