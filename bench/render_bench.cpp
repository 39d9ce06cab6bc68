// twinrisk-render-bench: times the overview map and an atlas the way the `map` step will draw them,
// from a pipeline's input layers and a finished run's GeoPackage (zones, zone_parts).
// Usage: twinrisk-render-bench PIPELINE.yaml RUN_DIR OUT_DIR [--pages N] [--dpi D] [--title T]
// Writes OUT_DIR/overview.{png,pdf,svg} and OUT_DIR/atlas.pdf and prints the time of each phase.

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>

#include <fmt/format.h>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/progress.hpp"
#include "twinrisk/io/loader.hpp"
#include "twinrisk/pipeline/pipeline.hpp"
#include "twinrisk/render/map.hpp"

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
    std::string title = "Flood hazard zones shared by municipalities";
    for (int i = 4; i + 1 < argc; i += 2) {
      const std::string option = argv[i];
      if (option == "--pages") pages = std::stoul(argv[i + 1]);
      else if (option == "--dpi") dpi = std::stod(argv[i + 1]);
      else if (option == "--title") title = argv[i + 1];
    }
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
    for (const auto& layer : layers) styled.push_back({&layer, *render::style_for(layer)});
    render::MapScene scene(std::move(styled), crs);
    std::cout << fmt::format("scene           {:6.2f} s  ({})\n", clock.lap(), scene.crs_name());

    render::OverviewOptions overview;
    overview.dpi = dpi;
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
    atlas.title = "Zone {zone_id} · hazard class {class} · {countries}";
    atlas.index_key = "zone_id";
    atlas.rows = &rows;
    atlas.rows_key = "zone_id";
    atlas.columns = {{"municipality_name", "Municipality"},
                     {"country", "Country"},
                     {"area_m2", "Area (ha)", 1e-4, 2},
                     {"share_of_zone", "Share of zone (%)", 100, 1},
                     {"share_of_municipality", "Share of municipality (%)", 100, -1}};
    atlas.max_pages = pages;
    atlas.texts.attribution = overview.texts.attribution;
    const auto info = render::render_atlas(scene, atlas, out / "atlas.pdf");
    std::cout << fmt::format("atlas           {:6.2f} s  ({} pages)\n", clock.lap(), info.pages);
    std::cout << fmt::format("total           {:6.2f} s\n", total.lap());
    return 0;
  } catch (const Error& error) {
    std::cerr << "twinrisk-render-bench: " << error.what() << "\n";
    return exit_code(error.kind());
  }
}
