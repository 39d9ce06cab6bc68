#include "twinrisk/core/interrupt.hpp"

#include <chrono>
#include <map>
#include <thread>

namespace twinrisk {
namespace {

struct Registry {
  std::recursive_mutex mutex;
  std::map<std::uint64_t, std::function<void()>> undo;
  std::uint64_t next_id = 0;
};

// Never destroyed: a signal may come while static objects are being destroyed at exit.
Registry& registry() {
  static auto* instance = new Registry;
  return *instance;
}

}  // namespace

InterruptCleanup::InterruptCleanup(std::function<void()> undo) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  m_id = r.next_id++;
  r.undo.emplace(m_id, std::move(undo));
}

InterruptCleanup::~InterruptCleanup() {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.undo.erase(m_id);
}

std::unique_lock<std::recursive_mutex> hold_interrupt_cleanup() {
  return std::unique_lock<std::recursive_mutex>(registry().mutex);
}

void remove_staged_tree(const std::filesystem::path& path) {
  // Bounded, so that an exit never hangs on it; the next run removes whatever is left.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  do {
    std::error_code error;
    std::filesystem::remove_all(path, error);
    if (!std::filesystem::exists(std::filesystem::symlink_status(path, error))) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  } while (std::chrono::steady_clock::now() < give_up);
}

void run_interrupt_cleanup() {
  auto& r = registry();
  r.mutex.lock();  // never unlocked: the process ends next
  for (auto it = r.undo.rbegin(); it != r.undo.rend(); ++it) {
    try {
      it->second();
    } catch (...) {
      // Best effort: the next run removes whatever is left.
    }
  }
  r.undo.clear();
}

}  // namespace twinrisk
