#pragma once
// An interrupted run (SIGINT, or SIGTERM from QGIS's Cancel) leaves nothing behind: code that
// stages files registers how to remove them, and the program's signal thread runs that before it
// exits. Library code never exits; it only registers.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>

namespace twinrisk {

// Registers `undo` for as long as it lives. `undo` must not throw.
class InterruptCleanup {
 public:
  explicit InterruptCleanup(std::function<void()> undo);
  ~InterruptCleanup();
  InterruptCleanup(const InterruptCleanup&) = delete;
  InterruptCleanup& operator=(const InterruptCleanup&) = delete;

 private:
  std::uint64_t m_id;
};

// Held around work the cleanup must not cut in two (the renames that swap a result into place):
// an interruption waits until it is released.
std::unique_lock<std::recursive_mutex> hold_interrupt_cleanup();

// Removes `path` and everything in it, for an undo: other threads keep working while it runs, so
// a database being written may put a journal into the folder between its listing and its removal.
void remove_staged_tree(const std::filesystem::path& path);

// Runs every registered undo, newest first, and keeps the registry locked, so that nothing can
// commit afterwards. For the signal thread, which exits right after.
void run_interrupt_cleanup();

}  // namespace twinrisk
