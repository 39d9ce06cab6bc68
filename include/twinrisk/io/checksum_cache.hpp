#pragma once
// Input files' SHA-256 for the manifest, remembered across runs. A pipeline re-run on the same
// inputs (the usual way of working: change a parameter, run again) need not read gigabytes of
// unchanged GeoPackage to hash them again. A file counts as unchanged, as for git's index and DVC,
// while its device, inode, size, modification and change times are those it had when hashed; the
// change time is set by the kernel on every write and cannot be set back.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace twinrisk::io {

class ChecksumCache {
 public:
  // The cache file, `$TWINRISK_CACHE_DIR`, `$XDG_CACHE_HOME/twinrisk` or `~/.cache/twinrisk`
  // (empty when none is set: no cache).
  static std::filesystem::path default_file();

  // `file` empty: nothing is remembered. A file is remembered only when it was last written at
  // least `settled` before its hashing began: a write in the same tick of the file system's clock
  // would leave its times as they were.
  explicit ChecksumCache(std::filesystem::path file, std::chrono::nanoseconds settled = std::chrono::seconds(2));

  // Lower-case hex SHA-256 of the file's bytes, from the cache or read; "" when `stop` is set
  // before the end.
  std::string sha256(const std::filesystem::path& path, const std::atomic<bool>* stop = nullptr);

  // Files hashed here and read from it, since the start.
  int hashed() const { return m_hashed; }
  int remembered() const { return m_remembered; }

  // Adds this run's checksums to the cache file as it is now (with what other runs added; of two
  // runs saving at the same instant, one's additions may be lost). Never throws: a cache that
  // cannot be written only means hashing again next time.
  void save() noexcept;

 private:
  std::filesystem::path m_file;
  std::chrono::nanoseconds m_settled;
  nlohmann::json m_entries;  // by absolute path, as read at the start
  nlohmann::json m_added = nlohmann::json::object();
  int m_hashed = 0, m_remembered = 0;
};

}  // namespace twinrisk::io
