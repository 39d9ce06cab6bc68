// libFuzzer: a layer definition file's text through its parser, and the definition seen in every
// other role (LayerDefinition::used_as). Only twinrisk::Error may come out.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "twinrisk/core/error.hpp"
#include "twinrisk/pipeline/pipeline.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto definition =
        twinrisk::pipeline::parse_layer_definition(text, "/nonexistent/fuzz/layers/fuzzed.yaml", "fuzzed");
    for (const auto& spec : twinrisk::role_specs()) static_cast<void>(definition.used_as(spec.role));
  } catch (const twinrisk::Error&) {
  }
  return 0;
}
