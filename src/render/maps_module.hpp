#pragma once
// The map module's interface: the functions of map.hpp and report.hpp that need Mapnik, Cairo or
// Pango, as the module twinrisk-maps.so exports them. The CLI loads it on the first map or report
// drawn (maps_loader.cpp): linking the render stack into the program cost every run 15–20 ms of
// dynamic loading, 1–2 % of a shared-zones or exposure run that draws nothing.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "twinrisk/render/map.hpp"
#include "twinrisk/render/report.hpp"

namespace twinrisk::render {

struct MapsModule {
  std::size_t size;     // sizeof(MapsModule) where the module was built
  const char* version;  // twinrisk's version there: a module from another build is refused
  std::shared_ptr<const MapScene> (*build_scene)(std::vector<StyledLayer> layers, std::string crs_wkt);
  PageInfo (*render_overview)(const MapScene& scene, const OverviewOptions& options, const std::filesystem::path& file);
  AtlasInfo (*render_atlas)(const MapScene& scene, const AtlasOptions& options, const std::filesystem::path& pdf);
  Table (*attribute_table)(const Layer& layer);
  void (*write_report_html)(const ReportInput& input, const Translations& translations, const std::filesystem::path& html);
  void (*write_report_pdf)(const ReportInput& input, const Translations& translations, const std::filesystem::path& pdf);
};

}  // namespace twinrisk::render

// The module's one exported symbol.
extern "C" const twinrisk::render::MapsModule* twinrisk_maps_module();
