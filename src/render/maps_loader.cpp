// The CLI's side of the map module (maps_module.hpp): the same functions, each loading
// twinrisk-maps.so from the program's folder on first use and calling its copy.

#include <dlfcn.h>

#include <fmt/format.h>

#include <mutex>

#include "maps_module.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/core/version.hpp"

namespace twinrisk::render {
namespace {

std::filesystem::path module_path() {
  std::error_code error;
  const auto program = std::filesystem::read_symlink("/proc/self/exe", error);
  return (error ? std::filesystem::path(".") : program.parent_path()) / "twinrisk-maps.so";
}

const MapsModule& maps() {
  static const MapsModule* module = nullptr;
  static std::once_flag loaded;
  std::call_once(loaded, [] {
    const auto path = module_path();
    const std::string hint = "build twinrisk again (cmake --build build): maps and reports need the module beside the program";
    // Never closed: scenes and exceptions the module made may live until the program ends.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) throw Error(ErrorKind::internal, fmt::format("cannot load the map module: {}", dlerror()), {}, hint);
    auto* entry = reinterpret_cast<const MapsModule* (*)()>(dlsym(handle, "twinrisk_maps_module"));
    const MapsModule* found = entry ? entry() : nullptr;
    if (!found || found->size != sizeof(MapsModule) || found->version != version_string()) {
      throw Error(ErrorKind::internal, fmt::format("the map module {} belongs to another build of twinrisk", path.string()),
                  {}, hint);
    }
    module = found;
  });
  return *module;
}

}  // namespace

std::shared_ptr<const MapScene> build_scene(std::vector<StyledLayer> layers, std::string crs_wkt) {
  return maps().build_scene(std::move(layers), std::move(crs_wkt));
}

PageInfo render_overview(const MapScene& scene, const OverviewOptions& options, const std::filesystem::path& file) {
  return maps().render_overview(scene, options, file);
}

AtlasInfo render_atlas(const MapScene& scene, const AtlasOptions& options, const std::filesystem::path& pdf) {
  return maps().render_atlas(scene, options, pdf);
}

Table attribute_table(const Layer& layer) { return maps().attribute_table(layer); }

void write_report_html(const ReportInput& input, const Translations& translations, const std::filesystem::path& html) {
  maps().write_report_html(input, translations, html);
}

void write_report_pdf(const ReportInput& input, const Translations& translations, const std::filesystem::path& pdf) {
  maps().write_report_pdf(input, translations, pdf);
}

}  // namespace twinrisk::render
