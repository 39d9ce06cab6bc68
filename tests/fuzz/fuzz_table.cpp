// libFuzzer: a CSV table (a twinning list, damage curves — every table input goes through
// load_table and GDAL's CSV driver) read as a twinning table and as a generic table. Only
// twinrisk::Error may come out.

#include <cpl_vsi.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "twinrisk/core/error.hpp"
#include "twinrisk/io/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace twinrisk;
  const std::string path = "/vsimem/fuzz.csv";
  VSILFILE* file = VSIFOpenL(path.c_str(), "wb");
  VSIFWriteL(data, 1, size, file);
  VSIFCloseL(file);
  for (const Role role : {Role::twinning, Role::table}) {
    io::LayerDefinition definition;
    definition.name = "fuzzed";
    definition.source = path;
    definition.role = role;
    try {
      io::probe_source(definition, false);
      io::LoadReport report;
      io::load_table(definition, report);
    } catch (const Error&) {
    }
  }
  VSIUnlink(path.c_str());
  return 0;
}
