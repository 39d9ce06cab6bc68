// Progress reporters: a bar on a terminal, JSON lines for the QGIS provider, or just messages.

#include <unistd.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <iostream>
#include <mutex>

#include "commands.hpp"
#include "twinrisk/core/redact.hpp"
#include "twinrisk/core/text.hpp"

namespace twinrisk::cli {
namespace {


// Shared bookkeeping: a thread-safe counter that reports each new whole percent once.
class CountingProgress : public Progress {
 public:
  void start(std::string_view task, std::size_t total) override {
    std::lock_guard lock(m_mutex);
    m_task = task;
    m_total = total;
    m_done = 0;
    m_last_percent = -1;
    show(0);
  }
  void advance(std::size_t done) override {
    const auto now = m_done.fetch_add(done) + done;
    const int percent = m_total ? static_cast<int>(100 * now / m_total) : 100;
    if (percent == m_last_percent.load()) return;
    std::lock_guard lock(m_mutex);
    if (percent <= m_last_percent) return;
    m_last_percent = percent;
    show(percent);
  }
  void finish() override {
    std::lock_guard lock(m_mutex);
    done();
  }

 protected:
  virtual void show(int percent) = 0;
  virtual void done() = 0;
  std::mutex m_mutex;
  std::string m_task;

 private:
  std::size_t m_total = 0;
  std::atomic<std::size_t> m_done{0};
  std::atomic<int> m_last_percent{-1};
};

class BarProgress final : public CountingProgress {
 public:
  void message(std::string_view text) override {
    std::lock_guard lock(m_mutex);
    std::cerr << "\r\033[K" << "warning: " << redact_secrets(text) << '\n';
  }

 private:
  void show(int percent) override {
    constexpr int kWidth = 30;
    const int filled = percent * kWidth / 100;
    std::cerr << fmt::format("\r\033[K{:<28} [{}{}] {:3}%", m_task, std::string(filled, '#'),
                             std::string(kWidth - filled, '.'), percent)
              << std::flush;
  }
  void done() override { std::cerr << "\r\033[K" << std::flush; }
};

class JsonProgress final : public CountingProgress {
 public:
  void message(std::string_view text) override {
    std::lock_guard lock(m_mutex);
    std::cerr << json_text(nlohmann::json{{"type", "message"}, {"text", redact_secrets(text)}}) << std::endl;
  }
  void stage(std::size_t index, std::size_t count) override {
    std::lock_guard lock(m_mutex);
    m_stage = index;
    m_stages = count;
  }

 private:
  // `stage` of `stages` lets a client draw one bar for the whole run (percent is per task).
  void show(int percent) override {
    std::cerr << json_text(nlohmann::json{{"type", "progress"}, {"task", m_task}, {"percent", percent},
                                     {"stage", m_stage}, {"stages", m_stages}})
              << std::endl;
  }
  std::size_t m_stage = 0;
  std::size_t m_stages = 1;
  void done() override {}
};

class MessageOnlyProgress final : public Progress {
 public:
  void start(std::string_view, std::size_t) override {}
  void advance(std::size_t) override {}
  void finish() override {}
  void message(std::string_view text) override {
    std::lock_guard lock(m_mutex);
    std::cerr << "warning: " << redact_secrets(text) << '\n';
  }

 private:
  std::mutex m_mutex;
};

}  // namespace

std::unique_ptr<Progress> make_progress(const GlobalOptions& options) {
  if (options.progress == "json") return std::make_unique<JsonProgress>();
  if (options.progress == "bar" || (options.progress == "auto" && ::isatty(STDERR_FILENO))) {
    return std::make_unique<BarProgress>();
  }
  // `none` turns off progress, not warnings: a repaired or dropped feature is always named.
  return std::make_unique<MessageOnlyProgress>();
}

}  // namespace twinrisk::cli
