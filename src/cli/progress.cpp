// Progress reporters: a bar on a terminal, JSON lines for the QGIS provider, or just messages.

#include <fcntl.h>
#include <unistd.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <string>
#include <iostream>
#include <mutex>

#include "commands.hpp"
#include "twinrisk/core/redact.hpp"
#include "twinrisk/core/text.hpp"

namespace twinrisk::cli {
namespace {

std::mutex& stderr_mutex() {
  static std::mutex mutex;
  return mutex;
}


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
    write_stderr(fmt::format("\r\033[Kwarning: {}\n", redact_secrets(text)));
  }

 private:
  void show(int percent) override {
    constexpr int kWidth = 30;
    const int filled = percent * kWidth / 100;
    write_stderr(fmt::format("\r\033[K{:<28} [{}{}] {:3}%", m_task, std::string(filled, '#'),
                             std::string(kWidth - filled, '.'), percent));
  }
  void done() override { write_stderr("\r\033[K"); }
};

class JsonProgress final : public CountingProgress {
 public:
  void message(std::string_view text) override {
    std::lock_guard lock(m_mutex);
    write_stderr(json_text(nlohmann::json{{"type", "message"}, {"text", redact_secrets(text)}}) + '\n');
  }
  void stage(std::size_t index, std::size_t count) override {
    std::lock_guard lock(m_mutex);
    m_stage = index;
    m_stages = count;
  }

 private:
  // `stage` of `stages` lets a client draw one bar for the whole run (percent is per task).
  void show(int percent) override {
    write_stderr(json_text(nlohmann::json{{"type", "progress"}, {"task", m_task}, {"percent", percent},
                                          {"stage", m_stage}, {"stages", m_stages}}) +
                 '\n');
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
    write_stderr(fmt::format("warning: {}\n", redact_secrets(text)));
  }

 private:
  std::mutex m_mutex;
};

}  // namespace

void write_stderr(std::string_view text) {
  std::lock_guard lock(stderr_mutex());
  std::cerr.write(text.data(), static_cast<std::streamsize>(text.size()));
  std::cerr.flush();
}

void write_final_stderr(const std::function<std::string()>& last_line) {
  stderr_mutex().lock();  // never released: the process exits after this line
  // From here on stderr is /dev/null for every other thread and library (GDAL's own handler may
  // print as files vanish under a worker); the last line goes to the real one.
  std::cerr.flush();
  const int real = ::dup(STDERR_FILENO);
  if (const int null = ::open("/dev/null", O_WRONLY); null >= 0) {
    ::dup2(null, STDERR_FILENO);
    ::close(null);
  }
  const std::string text = last_line();
  if (real < 0) return;
  for (std::size_t written = 0; written < text.size();) {
    const auto n = ::write(real, text.data() + written, text.size() - written);
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
}

std::unique_ptr<Progress> make_progress(const GlobalOptions& options) {
  if (options.progress == "json") return std::make_unique<JsonProgress>();
  if (options.progress == "bar" || (options.progress == "auto" && ::isatty(STDERR_FILENO))) {
    return std::make_unique<BarProgress>();
  }
  // `none` turns off progress, not warnings: a repaired or dropped feature is always named.
  return std::make_unique<MessageOnlyProgress>();
}

}  // namespace twinrisk::cli
