// The entry point of twinrisk-maps.so: the real functions, linked from twinrisk_render.

#include "maps_module.hpp"

#include <string>

#include "twinrisk/core/version.hpp"

extern "C" __attribute__((visibility("default"))) const twinrisk::render::MapsModule* twinrisk_maps_module() {
  using namespace twinrisk::render;
  static const std::string version = twinrisk::version_string();
  static const MapsModule module{sizeof(MapsModule), version.c_str(),  &build_scene,      &render_overview,
                                 &render_atlas,      &attribute_table, &write_report_html, &write_report_pdf};
  return &module;
}
