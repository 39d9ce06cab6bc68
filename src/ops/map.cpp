#include "twinrisk/ops/map.hpp"

#include <unistd.h>
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <set>

#include "twinrisk/core/error.hpp"
#include "twinrisk/render/i18n.hpp"
#include "twinrisk/render/map.hpp"
#include "twinrisk/render/report.hpp"

namespace twinrisk::ops {
namespace {

namespace fs = std::filesystem;

// What both steps draw: base layers in their input roles and any result layers.
std::vector<ParamSpec> drawing_parameters() {
  return {
      ParamSpec::layer("municipalities", Role::municipalities,
                       "Municipalities drawn as the base map, with names and national borders")
          .labelled("Municipalities layer")
          .optional(),
      ParamSpec::layer("rivers", Role::rivers, "Rivers drawn over the base map").labelled("Rivers layer").optional(),
      ParamSpec::layer("layers", Role::features,
                       "Result layers to draw (zones, zone_parts, exposed assets, …), each with the style of the "
                       "output it is")
          .labelled("Result layers")
          .list()
          .optional(),
      ParamSpec::text("style_dir", "A folder of styles (<layer>.yaml) used instead of the built-in ones of the same name",
                      "")
          .labelled("Style folder"),
      ParamSpec::text("title", "The title printed on the map or report (empty: a translated default)", "")
          .labelled("Title"),
      ParamSpec::text("lang",
                      "Language of every printed word: en, de, fr, nl, pl, or two joined by + (de+fr) for both partners",
                      "en")
          .labelled("Language"),
      ParamSpec::text("border_label",
                      "Legend text of the line between countries (empty: \"National border\", translated); "
                      "e.g. \"State line\" where states stand for countries",
                      "")
          .labelled("National border legend text"),
  };
}

// The style a layer is drawn with: the user's (whose every field must exist), else the built-in
// one for its output or role.
std::optional<render::LayerStyle> style_of(const Layer& layer, const std::string& style_dir) {
  if (!style_dir.empty()) {
    for (const auto& name : {layer.style_name(), layer.name}) {
      const fs::path file = fs::path(style_dir) / (name + ".yaml");
      if (fs::exists(file)) return render::load_style(file);
    }
  }
  return render::style_for(layer);
}

struct Drawing {
  std::vector<const Layer*> layers;  // in the order given: base, rivers, results
  std::shared_ptr<const render::MapScene> scene;
  std::string attribution;
};

Drawing drawing(const StepInput& input, const render::Translations& translations, Progress& progress) {
  Drawing out;
  for (const char* name : {"municipalities", "rivers", "layers"}) {
    if (!input.has(name)) continue;
    for (const Layer* layer : input.layer_list(name)) out.layers.push_back(layer);
  }
  if (out.layers.empty()) {
    throw ConfigError("the map has no layer to draw", {}, "give municipalities, rivers or layers: [zones, …]");
  }
  const auto style_dir = input.text("style_dir");
  if (!style_dir.empty() && !fs::is_directory(style_dir)) {
    throw ConfigError(fmt::format("style_dir {} is not a folder", style_dir));
  }
  std::vector<render::StyledLayer> styled;
  for (const Layer* layer : out.layers) {
    auto style = style_of(*layer, style_dir);
    if (!style) {
      progress.message(fmt::format("layer '{}' has no style (styles/<layer>.yaml), so the map leaves it out",
                                   layer->name));
      continue;
    }
    auto localised = translations.localise(std::move(*style));
    if (!layer->title.empty()) localised.title = layer->title;
    if (localised.borders && !input.text("border_label").empty()) localised.borders->label = input.text("border_label");
    styled.push_back({layer, std::move(localised)});
  }
  if (styled.empty()) {
    throw ConfigError("none of the map's layers has a style", {},
                      "give a style_dir with <layer>.yaml styles, or draw layers twinrisk styles");
  }
  out.scene = render::build_scene(std::move(styled), input.analysis_crs_wkt);
  std::vector<std::string> credits;
  for (const auto& [name, text] : input.attributions) {
    if (!text.empty() && std::find(credits.begin(), credits.end(), text) == credits.end()) credits.push_back(text);
  }
  out.attribution = credits.empty() ? "Data: see manifest.json" : fmt::format("Data: {}", fmt::join(credits, "; "));
  return out;
}

const Layer* layer_styled_as(const Drawing& drawing, std::string_view style) {
  for (const Layer* layer : drawing.layers) {
    if (layer->style_name() == style || layer->name == style) return layer;
  }
  return nullptr;
}

std::string title_of(const StepInput& input, const render::Translations& translations, std::string_view key) {
  const auto given = input.text("title");
  return given.empty() ? translations.joined(key) : given;
}

// ------------------------------------------------------------------------------------ the atlas

struct AtlasData {
  Layer index;  // pairs: one feature per municipality pair
  Table rows;
};

// One page per pair of municipalities sharing a zone: the index feature is both municipalities'
// parts of the zones they share, the rows are those parts.
AtlasData pair_pages(const Layer& parts) {
  const auto zone = parts.field_index("zone_id");
  const auto id = parts.field_index("municipality_id");
  const auto name = parts.field_index("municipality_name");
  const auto country = parts.field_index("country");
  if (!zone || !id || !name || !country) {
    throw ConfigError(fmt::format("atlas: pairs needs zone parts (zone_id, municipality_id, …), and '{}' is not",
                                  parts.name));
  }
  std::map<std::int64_t, std::vector<std::size_t>> by_zone;
  for (std::size_t i = 0; i < parts.features.size(); ++i) {
    const auto& values = parts.features[i].values;
    if (to_display_string(values[*id]).empty()) continue;  // outside every municipality
    by_zone[std::get<std::int64_t>(values[*zone])].push_back(i);
  }
  std::map<std::pair<std::string, std::string>, std::set<std::size_t>> pairs;  // ids → parts
  for (const auto& [zone_id, members] : by_zone) {
    for (auto a : members) {
      for (auto b : members) {
        const auto ida = to_display_string(parts.features[a].values[*id]);
        const auto idb = to_display_string(parts.features[b].values[*id]);
        if (ida < idb) {
          auto& set = pairs[{ida, idb}];
          set.insert(a);
          set.insert(b);
        }
      }
    }
  }
  AtlasData out;
  out.index = Layer{result_schema("pairs", GeometryFamily::polygon, parts.crs_wkt,
                                  {{"pair_id", FieldType::integer},
                                   {"municipality_a", FieldType::string},
                                   {"municipality_b", FieldType::string},
                                   {"pair", FieldType::string}}),
                    {}};
  out.rows.name = "pair_parts";
  out.rows.columns = parts.fields;
  out.rows.columns.push_back({"pair_id", FieldType::integer});
  std::int64_t pair_id = 0;
  for (const auto& [ids, members] : pairs) {
    ++pair_id;
    std::vector<geos::GeomPtr> pieces;
    std::string name_a, name_b;
    for (auto m : members) {
      const auto& feature = parts.features[m];
      pieces.push_back(geos::clone(feature.geometry.get()));
      auto row = feature.values;
      row.emplace_back(pair_id);
      out.rows.rows.push_back(std::move(row));
      const auto member_id = to_display_string(feature.values[*id]);
      (member_id == ids.first ? name_a : name_b) = to_display_string(feature.values[*name]);
    }
    out.index.features.push_back(Feature{pair_id, geos::unary_union(std::move(pieces)),
                                         {pair_id, ids.first, ids.second, fmt::format("{} – {}", name_a, name_b)}});
  }
  return out;
}

std::size_t render_atlas(const StepInput& input, const Drawing& drawing, const render::Translations& translations,
                         const render::MapTexts& texts, Progress& progress) {
  const auto mode = input.text("atlas");
  if (mode == "none") return 0;
  const Layer* zones = layer_styled_as(drawing, "zones");
  const Layer* parts = input.has("parts") ? &input.layer("parts") : layer_styled_as(drawing, "zone_parts");
  if (!parts || (mode == "zones" && !zones)) {
    progress.message(fmt::format("atlas: {} needs a zones layer among the layers and zone parts (parts: zone_parts); "
                                 "no atlas",
                                 mode));
    return 0;
  }
  render::AtlasOptions atlas;
  AtlasData pairs;
  Table rows;
  if (mode == "pairs") {
    pairs = pair_pages(*parts);
    atlas.index = &pairs.index;
    atlas.title = "{pair}";
    atlas.index_key = "pair_id";
    atlas.rows = &pairs.rows;
    atlas.rows_key = "pair_id";
  } else {
    rows = render::attribute_table(*parts);
    atlas.index = zones;
    atlas.where_field = "cross_border";
    // Two languages: the page heading in the first, the same line in the second as its subtitle.
    atlas.title = translations.text(0, "map.atlas_title");
    atlas.index_key = "zone_id";
    atlas.rows = &rows;
    atlas.rows_key = "zone_id";
  }
  const bool any_page = std::any_of(atlas.index->features.begin(), atlas.index->features.end(), [&](const auto& f) {
    const auto where = atlas.where_field.empty() ? std::nullopt : atlas.index->field_index(atlas.where_field);
    return !where || to_display_string(f.values[*where]) == "1";
  });
  if (!any_page) {
    progress.message(mode == "pairs" ? "atlas: no two municipalities share a zone; no atlas"
                                     : "atlas: no zone crosses a municipal border; no atlas");
    return 0;
  }
  auto header = [&](const char* key) { return translations.joined(key, {}, "\n"); };  // a line per language
  atlas.columns = {{"municipality_name", header("atlas.municipality")},
                   {"country", header("atlas.country")},
                   {"area_m2", header("atlas.area_ha"), 1e-4, 2},
                   {"share_of_zone", header("atlas.share_of_zone"), 100, 1},
                   {"share_of_municipality", header("atlas.share_of_municipality"), 100, -1}};
  if (mode == "pairs") atlas.columns.insert(atlas.columns.begin(), {"zone_id", translations.joined("column.zone_id")});
  atlas.max_pages = static_cast<std::size_t>(input.integer("max_pages"));
  atlas.texts = texts;
  atlas.texts.title.clear();
  if (mode != "pairs" && translations.size() > 1) atlas.texts.subtitle = translations.text(1, "map.atlas_title");
  return render::render_atlas(*drawing.scene, atlas, input.stage_file("maps/atlas.pdf")).pages;
}

}  // namespace

// --------------------------------------------------------------------------------------- map

MapStep::MapStep()
    : Algorithm(
          [] {
            auto parameters = drawing_parameters();
            auto parts = ParamSpec::layer("parts", Role::features,
                                          "Zone parts (shared-zones' zone_parts) listed beside each atlas map; not "
                                          "drawn, so the overview shows the zones by class")
                             .labelled("Zone parts")
                             .optional();
            parts.geometry = GeometryFamily::polygon;
            parameters.push_back(parts);
            parameters.push_back(ParamSpec::number("dpi", "Resolution of overview.png", 150)
                                     .labelled("PNG resolution (dpi)")
                                     .with_unit("dpi")
                                     .with_range(10, 1200));
            ParamSpec atlas;
            atlas.name = "atlas";
            atlas.label = "Atlas pages";
            atlas.type = ParamType::enumeration;
            atlas.description = "Atlas pages: one per cross-border zone, one per pair of municipalities sharing "
                                "zones, or none";
            atlas.choices = {"zones", "pairs", "none"};
            atlas.default_value = "zones";
            parameters.push_back(atlas);
            ParamSpec pages;
            pages.name = "max_pages";
            pages.label = "Maximum atlas pages (0 = all)";
            pages.type = ParamType::integer;
            pages.description = "At most this many atlas pages (0: every one)";
            pages.default_value = 0;
            pages.min = 0;
            parameters.push_back(pages);
            return parameters;
          }(),
          {{"maps/overview.png", OutputKind::file, GeometryFamily::none, "The overview map as PNG", {},
            "Overview map (PNG)"},
           {"maps/overview.pdf", OutputKind::file, GeometryFamily::none, "The overview map as PDF (vector)", {},
            "Overview map (PDF)"},
           {"maps/overview.svg", OutputKind::file, GeometryFamily::none, "The overview map as SVG", {},
            "Overview map (SVG)"},
           {"maps/atlas.pdf", OutputKind::file, GeometryFamily::none,
            "One page per cross-border zone (or municipality pair) with its partners' table", {}, "Atlas (PDF)"}}) {}

std::string_view MapStep::help() const {
  return "Draws an overview of the study region — municipalities with names, national borders, rivers, hazard zones "
         "by class with cross-border zones outlined, and every other result layer given — with a legend of what is "
         "present, a scale bar true at the map centre, a north arrow, the CRS and the data's attribution; as PNG, PDF "
         "and SVG. The atlas has one page per cross-border zone (or per pair of municipalities sharing zones), the map "
         "zoomed to it beside the table of its parts. Layers are drawn with styles/<output>.yaml (the same colours as "
         "the QGIS styles in the GeoPackage) or the style_dir's.";
}

std::vector<std::string> MapStep::tags() const {
  return {"map", "overview", "atlas", "print", "layout", "legend", "png", "pdf", "svg", "cross-border", "border",
          "municipalities", "flood", "hazard"};
}

StepOutput MapStep::run(const StepInput& input, Progress& progress) const {
  const auto translations = render::Translations::load(input.text("lang"));
  progress.start("map", 5);
  const auto scene = drawing(input, translations, progress);
  progress.advance();
  render::OverviewOptions overview;
  overview.dpi = input.number("dpi");
  overview.texts = translations.map_texts();
  overview.texts.title = title_of(input, translations, "map.overview_title");
  overview.texts.attribution = scene.attribution;
  render::PageInfo info;
  for (const char* format : {"png", "pdf", "svg"}) {
    info = render::render_overview(*scene.scene, overview, input.stage_file(fmt::format("maps/overview.{}", format)));
    progress.advance();
  }
  const auto pages = render_atlas(input, scene, translations, overview.texts, progress);
  progress.advance();
  progress.finish();
  StepOutput output;
  output.stats = {{"layers_drawn", scene.layers.size()},
                  {"scale_denominator", std::round(info.scale_denominator)},
                  {"scale_bar", info.scale_bar_label},
                  {"legend_entries", info.legend.size()},
                  {"atlas_pages", pages}};
  return output;
}

// ------------------------------------------------------------------------------------ report

ReportStep::ReportStep()
    : Algorithm(
          [] {
            auto parameters = drawing_parameters();
            parameters.push_back(
                ParamSpec::table("tables", Role::table, "Result tables shown in the report (the first rows of each)")
                    .labelled("Result tables")
                    .list()
                    .optional());
            return parameters;
          }(),
          {{"report/index.html", OutputKind::file, GeometryFamily::none,
            "The report as one self-contained HTML page (maps embedded)", {}, "Report (HTML)"},
           {"report/report.pdf", OutputKind::file, GeometryFamily::none, "The report as PDF", {}, "Report (PDF)"}}) {}

std::string_view ReportStep::help() const {
  return "Writes a report two councils can read: the overview map, the tables, the method, the data sources and "
         "their licences, and what the run did (inputs, repairs, versions) — as one self-contained HTML page and as "
         "PDF. With lang: de+fr every heading and sentence is printed in both languages, one per partner council.";
}

std::vector<std::string> ReportStep::tags() const {
  return {"report", "html", "pdf", "council", "tables", "method", "sources", "licences", "translation", "bilingual",
          "cross-border", "municipalities"};
}

StepOutput ReportStep::run(const StepInput& input, Progress& progress) const {
  const auto translations = render::Translations::load(input.text("lang"));
  progress.start("report", 3);
  const auto scene = drawing(input, translations, progress);
  // The map is drawn for the report (the map step's files may not exist in this run).
  const fs::path scratch = fs::temp_directory_path() / fmt::format("twinrisk-report-{}.png", ::getpid());
  struct Remove {
    fs::path path;
    ~Remove() {
      std::error_code ignored;
      fs::remove(path, ignored);
    }
  } remove{scratch};
  render::OverviewOptions overview;
  overview.dpi = 110;
  overview.texts = translations.map_texts();
  overview.texts.title = title_of(input, translations, "map.overview_title");
  overview.texts.attribution = scene.attribution;
  render::render_overview(*scene.scene, overview, scratch);
  progress.advance();
  render::ReportInput report;
  report.manifest = input.run_record;
  report.maps = {{scratch}};
  if (input.has("tables")) report.tables = input.tables.at("tables");
  for (const auto& [name, text] : input.attributions) report.licences[name] = text;
  render::write_report_html(report, translations, input.stage_file("report/index.html"));
  progress.advance();
  render::write_report_pdf(report, translations, input.stage_file("report/report.pdf"));
  progress.advance();
  progress.finish();
  StepOutput output;
  output.stats = {{"languages", translations.languages()}, {"tables", report.tables.size()}};
  return output;
}

}  // namespace twinrisk::ops
