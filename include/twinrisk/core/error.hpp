#pragma once
// One exception hierarchy for the whole library; the CLI maps kinds to exit codes.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace twinrisk {

enum class ErrorKind {
  internal,  // a bug or an unexpected library failure: exit 1
  config,    // usage, pipeline or layer definition problems: exit 2
  input,     // unreadable or unusable input data: exit 3
  output,    // cannot write, or would overwrite, an output: exit 4
};

int exit_code(ErrorKind kind);

// Where an error happened; every part is optional and printed only when set.
struct ErrorContext {
  std::string file;
  std::optional<int> line;
  std::string layer;
  std::optional<std::int64_t> feature;
  std::string step;
};

// what() renders "file:line: step 's': layer 'x', feature 7: message — hint".
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string what, ErrorContext context = {}, std::string hint = {});

  ErrorKind kind() const { return m_kind; }
  const ErrorContext& context() const { return m_context; }
  const std::string& hint() const { return m_hint; }
  const std::string& message() const { return m_message; }

 private:
  ErrorKind m_kind;
  ErrorContext m_context;
  std::string m_message;
  std::string m_hint;
};

class ConfigError : public Error {
 public:
  ConfigError(std::string what, ErrorContext context = {}, std::string hint = {})
      : Error(ErrorKind::config, std::move(what), std::move(context), std::move(hint)) {}
};

class InputError : public Error {
 public:
  InputError(std::string what, ErrorContext context = {}, std::string hint = {})
      : Error(ErrorKind::input, std::move(what), std::move(context), std::move(hint)) {}
};

class OutputError : public Error {
 public:
  OutputError(std::string what, ErrorContext context = {}, std::string hint = {})
      : Error(ErrorKind::output, std::move(what), std::move(context), std::move(hint)) {}
};

class GeometryError : public Error {
 public:
  GeometryError(std::string what, ErrorContext context = {}, std::string hint = {})
      : Error(ErrorKind::input, std::move(what), std::move(context), std::move(hint)) {}
};

}  // namespace twinrisk
