#include "twinrisk/core/interrupt.hpp"

#include <map>

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
