#pragma once
// Progress and message reporting; implementations must accept advance() from any thread.

#include <cstddef>
#include <string_view>

namespace twinrisk {

class Progress {
 public:
  virtual ~Progress() = default;
  virtual void start(std::string_view task, std::size_t total) = 0;
  virtual void advance(std::size_t done = 1) = 0;
  virtual void finish() = 0;
  // A warning or note the user should see (a repair, a dropped feature, an overlap).
  virtual void message(std::string_view text) = 0;
  // Which of the run's stages (load, each step, write) the tasks that follow belong to.
  virtual void stage(std::size_t index, std::size_t count) {
    static_cast<void>(index);
    static_cast<void>(count);
  }
};

class NullProgress final : public Progress {
 public:
  void start(std::string_view, std::size_t) override {}
  void advance(std::size_t) override {}
  void finish() override {}
  void message(std::string_view) override {}
};

}  // namespace twinrisk
