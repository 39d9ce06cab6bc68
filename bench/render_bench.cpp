// twinrisk-render-bench: times the overview map, an atlas, the workbook and the report the way the
// `map` and `report` steps will make them, from a pipeline's input layers and a finished run's
// folder (twinrisk.gpkg with zones and zone_parts, tables/*.csv, manifest.json).
// Usage: twinrisk-render-bench PIPELINE.yaml RUN_DIR OUT_DIR [--pages N] [--dpi D] [--title T]
//                              [--lang en|de+fr|…] [--report]
// Writes OUT_DIR/overview.{png,pdf,svg}, OUT_DIR/atlas.pdf and, with --report, OUT_DIR/tables.xlsx
// and OUT_DIR/report/{index.html,report.pdf}; prints the time of each phase.

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <fmt/format.h>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/progress.hpp"
#include "twinrisk/io/loader.hpp"
#include "twinrisk/pipeline/pipeline.hpp"
#include "twinrisk/render/i18n.hpp"
#include "twinrisk/render/map.hpp"
#include "twinrisk/render/report.hpp"
#include "twinrisk/render/workbook.hpp"

namespace fs = std::filesystem;
using namespace twinrisk;

namespace {

struct Clock {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  double lap() {
    const auto now = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(now - start).count();
    start = now;
    return s;
  }
};

io::LayerDefinition result_layer(const fs::path& gpkg, const std::string& name) {
  io::LayerDefinition d;
  d.name = name;
  d.source = gpkg.string();
  d.layer = name;
  d.role = Role::features;
  d.geometry = GeometryFamily::polygon;
  return d;
}

// A run's CSV back into a typed table (the real steps hand their tables over in memory): a column
// whose fields all read as integers is integer, as numbers real, else text; "" is NULL.
Table read_csv(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false, any = false;
  for (char c; in.get(c);) {
    any = true;
    if (quoted) {
      if (c == '"') {
        if (in.peek() == '"') field += static_cast<char>(in.get());
        else quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      record.push_back(std::move(field)), field.clear();
    } else if (c == '\n') {
      if (!field.empty() && field.back() == '\r') field.pop_back();
      record.push_back(std::move(field)), field.clear();
      records.push_back(std::move(record)), record.clear();
    } else {
      field += c;
    }
  }
  if (any && (!field.empty() || !record.empty())) record.push_back(field), records.push_back(record);
  Table table;
  table.name = file.stem().string();
  if (records.empty()) return table;
  auto parses = [](const std::string& s, auto value) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    return ec == std::errc() && end == s.data() + s.size();
  };
  for (std::size_t c = 0; c < records[0].size(); ++c) {
    bool integer = true, real = true;
    for (std::size_t r = 1; r < records.size(); ++r) {
      const auto& s = records[r][c];
      if (s.empty()) continue;
      integer = integer && parses(s, std::int64_t{});
      real = real && parses(s, double{});
    }
    table.columns.push_back({records[0][c], integer ? FieldType::integer : real ? FieldType::real : FieldType::string});
  }
  for (std::size_t r = 1; r < records.size(); ++r) {
    std::vector<Value> row;
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
      const auto& s = records[r][c];
      if (s.empty()) row.emplace_back();
      else if (table.columns[c].type == FieldType::integer) row.emplace_back(std::stoll(s));
      else if (table.columns[c].type == FieldType::real) row.emplace_back(std::stod(s));
      else row.emplace_back(s);
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: twinrisk-render-bench PIPELINE.yaml RUN_DIR OUT_DIR [--pages N] [--dpi D] [--title T]\n";
    return 2;
  }
  try {
    const fs::path pipeline_file = argv[1], run_dir = argv[2], out = argv[3];
    std::size_t pages = 50;
    double dpi = 150;
    std::string title, lang = "en";
    bool with_report = false;
    for (int i = 4; i < argc; ++i) {
      const std::string option = argv[i];
      if (option == "--report") with_report = true;
      else if (i + 1 >= argc) throw ConfigError("option " + option + " needs a value");
      else if (option == "--pages") pages = std::stoul(argv[++i]);
      else if (option == "--dpi") dpi = std::stod(argv[++i]);
      else if (option == "--title") title = argv[++i];
      else if (option == "--lang") lang = argv[++i];
      else throw ConfigError("unknown option " + option);
    }
    const auto translations = render::Translations::load(lang);
    if (title.empty()) title = translations.joined("map.overview_title");
    fs::create_directories(out);
    NullProgress progress;
    Clock clock, total;
    const auto gpkg = run_dir / "twinrisk.gpkg";
    const bool has_zones = fs::exists(gpkg);  // a pipeline without steps (St. Louis) maps its inputs only
    const auto pipeline = pipeline::load_pipeline(pipeline_file);
    std::string crs;
    if (has_zones) {
      crs = io::probe_source(result_layer(gpkg, "zones"), false).crs_wkt;
    } else {
      std::vector<io::LonLatExtent> extents;
      for (const auto& definition : pipeline.layers) {
        if (auto e = io::probe_source(definition, true).extent) extents.push_back(*e);
      }
      crs = io::resolve_analysis_crs(pipeline.analysis_crs, extents);
    }
    std::vector<Layer> layers;
    io::LoadReport report;
    for (const auto& definition : pipeline.layers) {
      if (definition.role == Role::municipalities || definition.role == Role::rivers) {
        layers.push_back(io::load_layer(definition, crs, report, progress));
      }
    }
    Layer zone_parts;
    if (has_zones) {
      layers.push_back(io::load_layer(result_layer(gpkg, "zones"), crs, report, progress));
      zone_parts = io::load_layer(result_layer(gpkg, "zone_parts"), crs, report, progress);
    }
    std::cout << fmt::format("load            {:6.2f} s\n", clock.lap());

    std::vector<render::StyledLayer> styled;
    for (const auto& layer : layers) styled.push_back({&layer, translations.localise(*render::style_for(layer))});
    render::MapScene scene(std::move(styled), crs);
    std::cout << fmt::format("scene           {:6.2f} s  ({})\n", clock.lap(), scene.crs_name());

    render::OverviewOptions overview;
    overview.dpi = dpi;
    overview.texts = translations.map_texts();
    overview.texts.title = title;
    overview.texts.attribution = "Data: see manifest.json";
    for (const char* ext : {"png", "pdf", "svg"}) {
      const auto info = render::render_overview(scene, overview, out / fmt::format("overview.{}", ext));
      std::cout << fmt::format("overview.{:3}    {:6.2f} s  scale 1:{:.0f}, bar {} = {:.1f} px\n", ext, clock.lap(),
                               info.scale_denominator, info.scale_bar_label, info.scale_bar_px);
    }
    if (!has_zones) {
      std::cout << fmt::format("total           {:6.2f} s (no zones: no atlas)\n", total.lap());
      return 0;
    }
    const Layer& zones = layers.back();
    const Table rows = render::attribute_table(zone_parts);
    render::AtlasOptions atlas;
    atlas.index = &zones;
    atlas.where_field = "cross_border";
    // Two languages: the page heading in the first, the same line in the second as its subtitle.
    atlas.title = translations.text(0, "map.atlas_title");
    atlas.index_key = "zone_id";
    atlas.rows = &rows;
    atlas.rows_key = "zone_id";
    auto header = [&](const char* key) { return translations.joined(key, {}, "\n"); };  // a line per language
    atlas.columns = {{"municipality_name", header("atlas.municipality")},
                     {"country", header("atlas.country")},
                     {"area_m2", header("atlas.area_ha"), 1e-4, 2},
                     {"share_of_zone", header("atlas.share_of_zone"), 100, 1},
                     {"share_of_municipality", header("atlas.share_of_municipality"), 100, -1}};
    atlas.max_pages = pages;
    atlas.texts = overview.texts;
    atlas.texts.title.clear();
    if (translations.size() > 1) atlas.texts.subtitle = translations.text(1, "map.atlas_title");
    const auto info = render::render_atlas(scene, atlas, out / "atlas.pdf");
    std::cout << fmt::format("atlas           {:6.2f} s  ({} pages)\n", clock.lap(), info.pages);
    if (with_report) {
      std::vector<Table> tables;
      for (const auto& entry : fs::directory_iterator(run_dir / "tables")) {
        if (entry.path().extension() == ".csv") tables.push_back(read_csv(entry.path()));
      }
      std::sort(tables.begin(), tables.end(), [](const Table& a, const Table& b) { return a.name > b.name; });
      std::vector<const Table*> pointers;
      for (const auto& t : tables) pointers.push_back(&t);
      render::write_workbook(out / "tables.xlsx", pointers);
      std::cout << fmt::format("tables.xlsx     {:6.2f} s\n", clock.lap());
      render::ReportInput input;
      std::ifstream manifest(run_dir / "manifest.json");
      input.manifest = nlohmann::json::parse(manifest);
      input.maps = {{out / "overview.png"}};
      input.tables = pointers;
      fs::create_directories(out / "report");
      render::write_report_html(input, translations, out / "report" / "index.html");
      render::write_report_pdf(input, translations, out / "report" / "report.pdf");
      std::cout << fmt::format("report          {:6.2f} s\n", clock.lap());
    }
    std::cout << fmt::format("total           {:6.2f} s\n", total.lap());
    return 0;
  } catch (const Error& error) {
    std::cerr << "twinrisk-render-bench: " << error.what() << "\n";
    return exit_code(error.kind());
  }
}
