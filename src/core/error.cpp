#include "twinrisk/core/error.hpp"

#include <fmt/format.h>

#include "twinrisk/core/redact.hpp"

namespace twinrisk {

int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::internal: return 1;
    case ErrorKind::config: return 2;
    case ErrorKind::input: return 3;
    case ErrorKind::output: return 4;
  }
  return 1;
}

namespace {

std::string render(const std::string& message, const ErrorContext& context, const std::string& hint) {
  std::string out;
  if (!context.file.empty()) {
    out += context.file;
    if (context.line) out += fmt::format(":{}", *context.line);
    out += ": ";
  }
  if (!context.step.empty()) out += fmt::format("step '{}': ", context.step);
  if (!context.layer.empty()) {
    out += fmt::format("layer '{}'", context.layer);
    out += context.feature ? fmt::format(", feature {}: ", *context.feature) : ": ";
  } else if (context.feature) {
    out += fmt::format("feature {}: ", *context.feature);
  }
  out += message;
  if (!hint.empty()) out += " — " + hint;
  return redact_secrets(out);
}

}  // namespace

Error::Error(ErrorKind kind, std::string what, ErrorContext context, std::string hint)
    : std::runtime_error(render(what, context, hint)),
      m_kind(kind),
      m_context(std::move(context)),
      m_message(redact_secrets(what)),
      m_hint(std::move(hint)) {}

}  // namespace twinrisk
