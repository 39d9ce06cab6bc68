#include "twinrisk/io/checksum_cache.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <optional>
#include <tuple>
#include <vector>

#include "twinrisk/core/text.hpp"
#include "twinrisk/io/writers.hpp"

namespace twinrisk::io {

namespace fs = std::filesystem;

namespace {

constexpr int kVersion = 1;
constexpr std::size_t kMostEntries = 512;  // the newest; a few kB each run reads and writes

struct Identity {
  std::uint64_t device = 0, inode = 0;
  std::int64_t size = 0, mtime_ns = 0, ctime_ns = 0;
  bool operator==(const Identity&) const = default;
};

std::int64_t nanoseconds(const timespec& t) { return std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec; }

std::optional<Identity> identity_of(const fs::path& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0 || !S_ISREG(status.st_mode)) return std::nullopt;
  return Identity{static_cast<std::uint64_t>(status.st_dev), static_cast<std::uint64_t>(status.st_ino),
                  static_cast<std::int64_t>(status.st_size), nanoseconds(status.st_mtim), nanoseconds(status.st_ctim)};
}

std::int64_t now_ns() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return nanoseconds(now);
}

nlohmann::json entry_of(const Identity& identity, const std::string& digest, std::int64_t hashed_at) {
  return {{"device", identity.device},     {"inode", identity.inode},       {"size", identity.size},
          {"mtime_ns", identity.mtime_ns}, {"ctime_ns", identity.ctime_ns}, {"hashed_at_ns", hashed_at},
          {"sha256", digest}};
}

// The entry's digest when it describes the file as it is; anything malformed is no match.
std::optional<std::string> digest_if_same(const nlohmann::json& entry, const Identity& identity) {
  if (!entry.is_object()) return std::nullopt;
  const auto number = [&](const char* key) -> std::optional<std::int64_t> {
    const auto it = entry.find(key);
    if (it == entry.end() || !it->is_number_integer()) return std::nullopt;
    return it->get<std::int64_t>();
  };
  const auto unsigned_number = [&](const char* key) -> std::optional<std::uint64_t> {
    const auto it = entry.find(key);
    if (it == entry.end() || !it->is_number_unsigned()) return std::nullopt;
    return it->get<std::uint64_t>();
  };
  if (unsigned_number("device") != identity.device || unsigned_number("inode") != identity.inode ||
      number("size") != identity.size || number("mtime_ns") != identity.mtime_ns ||
      number("ctime_ns") != identity.ctime_ns) {
    return std::nullopt;
  }
  const auto digest = entry.find("sha256");
  if (digest == entry.end() || !digest->is_string()) return std::nullopt;
  const auto& text = digest->get_ref<const std::string&>();
  const bool hex = text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  return hex ? std::optional(text) : std::nullopt;
}

// A missing, unreadable or foreign cache file is an empty cache. Values nested deeper than an
// entry's fields are dropped as they are read: copying a million nested arrays (nlohmann's copy
// recurses) overflowed the stack of every later run.
nlohmann::json read_entries(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return nlohmann::json::object();
  constexpr int kEntryFieldDepth = 3;  // {"files": {PATH: {FIELD: value}}}
  const nlohmann::json::parser_callback_t shallow = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    return depth <= kEntryFieldDepth;
  };
  auto document = nlohmann::json::parse(in, shallow, false);
  if (document.is_discarded() || !document.is_object()) return nlohmann::json::object();
  const auto version = document.find("version");
  const auto files = document.find("files");
  if (version == document.end() || *version != kVersion || files == document.end() || !files->is_object()) {
    return nlohmann::json::object();
  }
  return std::move(*files);
}

std::int64_t hashed_at(const nlohmann::json& entry) {
  const auto it = entry.is_object() ? entry.find("hashed_at_ns") : entry.end();
  return it != entry.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

}  // namespace

fs::path ChecksumCache::default_file() {
  constexpr const char* kName = "input-checksums.json";
  if (const char* dir = std::getenv("TWINRISK_CACHE_DIR")) return *dir ? fs::path(dir) / kName : fs::path();
  if (const char* dir = std::getenv("XDG_CACHE_HOME"); dir && fs::path(dir).is_absolute()) {
    return fs::path(dir) / "twinrisk" / kName;
  }
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "twinrisk" / kName;
  return {};
}

ChecksumCache::ChecksumCache(fs::path file, std::chrono::nanoseconds settled)
    : m_file(std::move(file)), m_settled(settled),
      m_entries(m_file.empty() ? nlohmann::json::object() : read_entries(m_file)) {}

std::string ChecksumCache::sha256(const fs::path& path, const std::atomic<bool>* stop) {
  std::error_code no_path;
  auto absolute = fs::absolute(path, no_path).lexically_normal();
  // JSON holds UTF-8 only: a file under a path in another encoding is hashed every time.
  const auto key = no_path || !is_valid_utf8(absolute.string()) ? std::string() : absolute.string();
  const auto before = key.empty() ? std::nullopt : identity_of(path);
  if (before) {
    if (const auto entry = m_entries.find(key); entry != m_entries.end()) {
      if (auto digest = digest_if_same(*entry, *before)) {
        ++m_remembered;
        return *digest;
      }
    }
  }
  const auto started = now_ns();
  auto digest = sha256_file(path, stop);
  ++m_hashed;
  if (digest.empty() || !before || m_file.empty()) return digest;
  // A write during the reading changes the times; one in the tick before it might not.
  const bool settled = std::max(before->mtime_ns, before->ctime_ns) + m_settled.count() <= started;
  if (settled && identity_of(path) == before) m_added[key] = entry_of(*before, digest, started);
  return digest;
}

void ChecksumCache::save() noexcept {
  if (m_file.empty() || m_added.empty()) return;
  std::string temporary;
  bool created = false;
  try {
    auto entries = read_entries(m_file);
    for (const auto& [key, entry] : m_added.items()) entries[key] = entry;
    if (entries.size() > kMostEntries) {
      std::vector<std::pair<std::int64_t, std::string>> by_age;
      for (const auto& [key, entry] : entries.items()) by_age.emplace_back(hashed_at(entry), key);
      std::sort(by_age.begin(), by_age.end());
      for (std::size_t i = 0; i + kMostEntries < by_age.size(); ++i) entries.erase(by_age[i].second);
    }
    const auto text = nlohmann::json{{"version", kVersion}, {"files", std::move(entries)}}.dump();
    fs::create_directories(m_file.parent_path());
    // Written aside and renamed over: another run reading it meanwhile sees the old cache or the new.
    temporary = (m_file.parent_path() / (m_file.filename().string() + ".XXXXXX")).string();
    const int fd = ::mkstemp(temporary.data());
    if (fd < 0) return;
    created = true;
    std::size_t written = 0;
    while (written < text.size()) {
      const auto n = ::write(fd, text.data() + written, text.size() - written);
      if (n <= 0) break;
      written += static_cast<std::size_t>(n);
    }
    const bool closed = ::close(fd) == 0;
    if (written == text.size() && closed && std::rename(temporary.c_str(), m_file.c_str()) == 0) return;
  } catch (...) {
  }
  if (created) ::unlink(temporary.c_str());
}

}  // namespace twinrisk::io
