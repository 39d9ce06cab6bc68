// libFuzzer: a pipeline file's text through the parser and the validator. The only exception
// allowed out is twinrisk::Error (a config error with file:line); anything else — a yaml-cpp
// exception, std::bad_alloc, a crash or a sanitizer report — is a finding.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "twinrisk/core/error.hpp"
#include "twinrisk/ops/builtin.hpp"
#include "twinrisk/pipeline/pipeline.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    // A folder that does not exist: sources and definition files named in the text are not found.
    const auto pipeline = twinrisk::pipeline::parse_pipeline(text, "/nonexistent/fuzz/pipeline.yaml");
    twinrisk::pipeline::validate(pipeline, twinrisk::ops::builtin_registry());
  } catch (const twinrisk::Error&) {
  }
  return 0;
}
