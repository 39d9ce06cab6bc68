// twinrisk: parse, dispatch, and map every failure to an exit code with a hint.

#include <pthread.h>
#include <signal.h>
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#ifdef TWINRISK_MIMALLOC
#include <mimalloc.h>
#endif
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <thread>

#include "commands.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/core/interrupt.hpp"
#include "twinrisk/core/redact.hpp"
#include "twinrisk/core/text.hpp"
#include "twinrisk/core/version.hpp"

namespace {

std::string failure_line(const twinrisk::cli::GlobalOptions& global, int code, const std::string& text) {
  const auto message = twinrisk::redact_secrets(text);
  // Invalid UTF-8 in a message (a file name, a GDAL error) is replaced, never a second failure.
  if (global.progress == "json") {
    return twinrisk::json_text(nlohmann::json{{"type", "error"}, {"exit_code", code}, {"message", message}}) + '\n';
  }
  return "twinrisk: error: " + message + '\n';
}

void report_failure(const twinrisk::cli::GlobalOptions& global, int code, const std::string& text) {
  twinrisk::cli::write_stderr(failure_line(global, code, text));
}

// SIGINT, SIGTERM (QGIS's Cancel) and SIGHUP go to one thread, whatever the others are doing: it
// removes what the run has staged and exits with 128 + the signal (130, 143, 129). Called first
// thing, so that every thread started later inherits the blocked signals.
void stop_cleanly_on_signals(const twinrisk::cli::GlobalOptions& global) {
  sigset_t signals;
  sigemptyset(&signals);
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&signals, signal);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread([signals, &global] {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) return;
    const char* name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "SIGHUP";
    twinrisk::cli::write_final_stderr([&] {
      twinrisk::run_interrupt_cleanup();
      return failure_line(global, 128 + signal,
                          fmt::format("interrupted ({}): stopped; staged files were removed and existing outputs were "
                                      "not changed",
                                      name));
    });
    std::_Exit(128 + signal);  // no destructors: the other threads are still running
  }).detach();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace twinrisk;
  CLI::App app{"twinrisk — cross-border flood-risk overlays for twinned municipalities", "twinrisk"};
#ifdef TWINRISK_MIMALLOC
  // A run is short and its peak is what counts: memory freed between steps and batches is kept
  // for reuse, not given back and faulted in again (50k page faults in exposure at 20k × 5k).
  mi_option_disable(mi_option_allow_decommit);
  const int allocator = mi_version();  // e.g. 209 for 2.0.9
  app.set_version_flag("--version", version_banner(fmt::format("mimalloc {}.{}.{}", allocator / 100,
                                                               allocator / 10 % 10, allocator % 10)));
#else
  app.set_version_flag("--version", version_banner("sanitized build"));
#endif
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand
  cli::GlobalOptions global;
  stop_cleanly_on_signals(global);
  app.add_option("--progress", global.progress, "Progress output: auto (a bar on a terminal), bar, json, none (warnings only)")
      ->check(CLI::IsMember({"auto", "bar", "json", "none"}))
      ->capture_default_str();
  cli::Action action;
  cli::add_run_command(app, global, action);
  cli::add_demo_command(app, global, action);
  cli::add_info_command(app, action);
  cli::add_algorithms_command(app, action);
  cli::add_algorithm_commands(app, global, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    report_failure(global, 2, fmt::format("{} (see twinrisk --help)", e.what()));
    return 2;
  }

  try {
    return action();
  } catch (const Error& e) {
    report_failure(global, exit_code(e.kind()), e.what());
    return exit_code(e.kind());
  } catch (const std::filesystem::filesystem_error& e) {
    // Reached only where no stage knew whether the path was an input or an output.
    report_failure(global, 3, fmt::format("{}: {}", e.path1().string(), e.code().message()));
    return 3;
  } catch (const std::bad_alloc&) {
    report_failure(global, 1, "out of memory");
    return 1;
  } catch (const std::exception& e) {
    report_failure(global, 1, fmt::format("internal error: {} (please report it)", e.what()));
    return 1;
  }
}
