#include "twinrisk/io/output_folder.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/interrupt.hpp"
#include "twinrisk/core/redact.hpp"

namespace twinrisk::io {

namespace fs = std::filesystem;

namespace {

constexpr const char* kManifest = "manifest.json";
constexpr std::uintmax_t kMaxManifestBytes = 256 << 20;

std::string errno_text(int error) { return std::strerror(error); }

// ".out.twinrisk-new" beside out/; a name near NAME_MAX is shortened with a hash so the sibling
// still fits.
fs::path sibling(const fs::path& dir, std::string_view suffix) {
  std::string name = dir.filename().string();
  if (name.size() + suffix.size() + 2 > 255) {
    std::uint64_t hash = 1469598103934665603ULL;  // FNV-1a
    for (unsigned char c : name) hash = (hash ^ c) * 1099511628211ULL;
    name = fmt::format("{}-{:016x}", name.substr(0, 160), hash);
  }
  return dir.parent_path() / fmt::format(".{}.{}", name, suffix);
}

// "tables/a.csv" with no way out of the folder: planned names and names read from a manifest.
bool is_plain_relative(const std::string& path) {
  if (path.empty() || path.front() == '/') return false;
  for (const auto& part : fs::path(path)) {
    if (part == ".." || part == "." || part.empty()) return false;
  }
  return true;
}

std::optional<nlohmann::json> read_manifest(const fs::path& folder) {
  std::error_code error;
  const auto path = folder / kManifest;
  if (!fs::is_regular_file(path, error) || fs::file_size(path, error) > kMaxManifestBytes) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  auto manifest = nlohmann::json::parse(in, nullptr, false);
  if (manifest.is_discarded() || !manifest.is_object()) return std::nullopt;
  return manifest;
}

// The files SQLite keeps beside a database while it is open or was cut off.
const std::vector<std::string> kSqliteSidecars = {"-wal", "-shm", "-journal"};

bool is_geopackage(const std::string& path) { return fs::path(path).extension() == ".gpkg"; }

// A result file and the SQLite files that belong to it: never carried from one result to another.
void add_with_sidecars(std::set<std::string>& set, const std::string& path) {
  set.insert(path);
  if (is_geopackage(path)) {
    for (const auto& suffix : kSqliteSidecars) set.insert(path + suffix);
  }
}

bool process_is_gone(long pid) { return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

// Entries of `from` that are not part of its result nor of the result in `to` move to `to` when
// `to` lacks them (or holds an older file under the name): files a person added to the folder
// while a commit swapped it. Best effort; nothing here may fail a finished run.
void sweep(const fs::path& from, const fs::path& to, const std::set<std::string>& results, const fs::path& relative) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(from / relative, error)) {
    const fs::path rel = relative / entry.path().filename();
    if (results.count(rel.generic_string())) continue;
    const auto status = entry.symlink_status(error);
    if (fs::is_directory(status)) {
      sweep(from, to, results, rel);
      continue;
    }
    const fs::path target = to / rel;
    struct stat source_stat {}, target_stat {};
    const bool target_exists = ::lstat(target.c_str(), &target_stat) == 0;
    if (target_exists) {
      if (::lstat(entry.path().c_str(), &source_stat) != 0 || source_stat.st_ino == target_stat.st_ino ||
          source_stat.st_mtim.tv_sec < target_stat.st_mtim.tv_sec ||
          (source_stat.st_mtim.tv_sec == target_stat.st_mtim.tv_sec &&
           source_stat.st_mtim.tv_nsec <= target_stat.st_mtim.tv_nsec)) {
        continue;
      }
    }
    fs::create_directories(target.parent_path(), error);
    fs::rename(entry.path(), target, error);
  }
}

// What the result in `folder` consists of, and the SQLite files beside its GeoPackages.
std::set<std::string> result_set(const fs::path& folder) {
  std::set<std::string> set;
  for (const auto& path : result_files(folder)) add_with_sidecars(set, path);
  return set;
}

// Removes a folder left beside `dir`. Only a folder with a manifest (a result swapped out, or a
// staged one that was complete) is swept first: in one cut off before its manifest, the staged
// files could not be told from the person's own.
void sweep_and_remove(const fs::path& previous, const fs::path& dir) {
  std::error_code error;
  if (!fs::exists(fs::symlink_status(previous, error))) return;
  if (read_manifest(previous) && fs::is_directory(dir, error)) {
    auto results = result_set(previous);
    results.merge(result_set(dir));
    sweep(previous, dir, results, {});
  }
  fs::remove_all(previous, error);
}

// Staged files of twinrisk before this layout (".NAME.tmp-PID", later ".NAME.tmp-PID.EXT", and
// their journals — the old cleanup missed those) whose process is gone.
void remove_legacy_staging(const fs::path& dir) {
  static const std::regex staged(R"(\..+\.tmp-([0-9]{1,9})(\.[A-Za-z0-9]+)?(-journal|-wal|-shm)?)");
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (it.depth() > 2) it.disable_recursion_pending();
    std::smatch match;
    const std::string name = it->path().filename().string();
    if (std::regex_match(name, match, staged) && process_is_gone(std::stol(match[1].str()))) {
      std::error_code ignored;
      fs::remove(it->path(), ignored);
    }
  }
}

// fsync, and the error it reports (0 when none). A file system that cannot sync a folder
// (EINVAL) has nothing to lose there.
int sync_path(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
  if (fd < 0) return errno;
  const int error = ::fsync(fd) == 0 || (directory && errno == EINVAL) ? 0 : errno;
  ::close(fd);
  return error;
}

// Everything in the staging folder reaches the disk before the rename makes it the result; a file
// the disk did not take (EIO, a full quota on NFS) stops the commit before anything is moved.
void sync_tree(const fs::path& root) {
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(root, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    const auto status = it->symlink_status(error);
    if (!fs::is_regular_file(status) && !fs::is_directory(status)) continue;
    if (const int failure = sync_path(it->path(), fs::is_directory(status))) throw_not_on_disk(it->path(), failure);
  }
  if (const int failure = sync_path(root, true)) throw_not_on_disk(root, failure);
}

bool is_mount_point(const fs::path& dir) {
  struct stat own {}, parent {};
  if (::stat(dir.c_str(), &own) == 0 && ::stat(dir.parent_path().c_str(), &parent) == 0 && own.st_dev != parent.st_dev) {
    return true;
  }
  // A bind mount of the same file system keeps st_dev; mountinfo knows it (field 5, octal escapes).
  std::ifstream mounts("/proc/self/mountinfo");
  for (std::string line; std::getline(mounts, line);) {
    std::istringstream fields(line);
    std::string field, mount_point;
    for (int i = 0; i < 5 && fields >> field; ++i) mount_point = field;
    std::string unescaped;
    for (std::size_t i = 0; i < mount_point.size(); ++i) {
      if (mount_point[i] == '\\' && i + 3 < mount_point.size()) {
        unescaped += static_cast<char>(std::stoi(mount_point.substr(i + 1, 3), nullptr, 8));
        i += 3;
      } else {
        unescaped += mount_point[i];
      }
    }
    if (unescaped == dir.string()) return true;
  }
  return false;
}

// Who is running, for the lock file: another run that finds the folder locked says so.
std::string holder_description() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string command((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::replace(command.begin(), command.end(), '\0', ' ');
  while (!command.empty() && command.back() == ' ') command.pop_back();
  if (command.size() > 300) command = command.substr(0, 297) + "...";
  char host[256] = "";
  ::gethostname(host, sizeof host - 1);
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char since[32];
  std::strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return redact_secrets(fmt::format("pid {} on {}, since {}: {}", ::getpid(), host, since, command));
}

// One run at a time per output folder. flock() is released by the kernel when the process dies,
// so a killed run never leaves a stale lock; the file is removed when the run ends.
class FolderLock {
 public:
  FolderLock(fs::path path, const fs::path& folder) : m_path(std::move(path)) {
    for (int attempt = 0; attempt < 16; ++attempt) {
      const int fd = ::open(m_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) {
        throw OutputError(fmt::format("cannot create {}: {}", m_path.string(), errno_text(errno)), {},
                          "twinrisk builds a new result beside the output folder, so it must be able to write to "
                          "the folder that holds it; choose an output folder inside one you can write to");
      }
      if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        // The holder writes who it is just after it takes the lock: give it a moment to do so.
        std::string holder;
        for (int wait = 0; wait < 50 && holder.empty(); ++wait) {
          if (wait > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
          holder.assign(512, '\0');
          const auto got = ::pread(fd, holder.data(), holder.size(), 0);
          holder.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
        }
        ::close(fd);
        if (error == EWOULDBLOCK) {
          throw OutputError(fmt::format("{} is being written by another twinrisk run ({})", folder.string(),
                                        holder.empty() ? "it did not say who it is" : holder),
                            {}, "wait until it has finished, or choose another folder with -o");
        }
        throw OutputError(fmt::format("cannot lock {}: {}", m_path.string(), errno_text(error)));
      }
      // The holder before us may have removed the file between our open and our lock: then the
      // lock is on a file nobody else will look at, and we try again.
      struct stat by_fd {}, by_path {};
      if (::fstat(fd, &by_fd) == 0 && ::stat(m_path.c_str(), &by_path) == 0 && by_fd.st_ino == by_path.st_ino &&
          by_fd.st_dev == by_path.st_dev) {
        m_fd = fd;
        const auto text = holder_description();
        if (::ftruncate(fd, 0) == 0) static_cast<void>(::pwrite(fd, text.data(), text.size(), 0));
        return;
      }
      ::close(fd);
    }
    throw OutputError(fmt::format("cannot take the lock {}: it keeps being replaced", m_path.string()));
  }
  ~FolderLock() { release(); }
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

  void release() {
    if (m_fd < 0) return;
    ::unlink(m_path.c_str());  // before close, so no one can lock the file we are done with
    ::close(m_fd);
    m_fd = -1;
  }

 private:
  fs::path m_path;
  int m_fd = -1;
};

}  // namespace

[[noreturn]] void throw_not_on_disk(const fs::path& path, int error) {
  throw OutputError(fmt::format("the disk did not take {}: {}; the output folder is as it was", path.string(),
                                errno_text(error)),
                    {},
                    "check the disk (free space, quota, errors in the system log) and run again");
}

std::vector<std::string> result_files(const fs::path& folder) {
  const auto manifest = read_manifest(folder);
  if (!manifest) return {};
  std::vector<std::string> files = {kManifest};
  auto add = [&](const nlohmann::json& path) {
    if (path.is_string() && is_plain_relative(path.get<std::string>())) files.push_back(path.get<std::string>());
  };
  if (manifest->contains("files") && (*manifest)["files"].is_array()) {
    for (const auto& file : (*manifest)["files"]) {
      if (file.is_object() && file.contains("path")) add(file["path"]);
    }
  } else if (manifest->contains("outputs") && (*manifest)["outputs"].is_array()) {
    // Manifests before the `files` list name their outputs' files; the GeoPackage always exists.
    files.emplace_back("twinrisk.gpkg");
    for (const auto& output : (*manifest)["outputs"]) {
      if (output.is_object() && output.contains("file")) add(output["file"]);
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

void repair_output_folder(const fs::path& folder) {
  const fs::path staging = sibling(folder, "twinrisk-new");
  const fs::path previous = sibling(folder, "twinrisk-old");
  std::error_code error;
  // A swap without RENAME_EXCHANGE cut between its two renames: the run did not finish, so the
  // previous result goes back in place.
  if (!fs::exists(fs::symlink_status(folder, error)) && fs::is_directory(previous, error)) {
    fs::rename(previous, folder, error);
    if (error) {
      throw OutputError(fmt::format("cannot put the previous result back into {}: {}", folder.string(),
                                    error.message()),
                        {}, fmt::format("rename {} to {} by hand", previous.string(), folder.string()));
    }
  }
  // With the folder in place, anything beside it is left over.
  sweep_and_remove(staging, folder);
  sweep_and_remove(previous, folder);
  if (fs::is_directory(folder, error)) remove_legacy_staging(folder);
}

struct OutputFolder::Impl {
  fs::path dir;       // absolute, symlinks resolved: the folder that is swapped
  fs::path staging;   // .NAME.twinrisk-new
  fs::path previous;  // .NAME.twinrisk-old
  std::vector<std::string> planned;
  bool overwrite = false;
  std::unique_ptr<FolderLock> lock;
  std::unique_ptr<InterruptCleanup> on_interrupt;
  bool swapped = false;
  fs::path replaced;  // where the previous result went by the swap, to be removed
  std::vector<fs::path> made_parents;  // folders above dir this run made, outermost first

  void check_folder(const fs::path& given) const;
  void check_entries() const;
  void check_replaceable(const std::string& relative) const;
  void carry_over(const fs::path& relative, const std::set<std::string>& skip) const;
  void swap();
  void discard() {
    std::error_code ignored;
    if (!swapped) remove_staged_tree(staging);
    if (swapped && !replaced.empty()) sweep_and_remove(replaced, dir);
    if (lock) lock->release();
    // A run that leaves no result leaves no folders it made for one either.
    if (swapped) return;
    for (auto it = made_parents.rbegin(); it != made_parents.rend(); ++it) {
      if (fs::is_empty(*it, ignored)) fs::remove(*it, ignored);
    }
    made_parents.clear();
  }
};

namespace {

fs::path resolved(const fs::path& folder) {
  // Symlinks are followed, so a linked output folder is replaced where it really is.
  fs::path path = fs::weakly_canonical(fs::absolute(folder));
  if (!path.has_filename()) path = path.parent_path();
  return path;
}

}  // namespace

void OutputFolder::Impl::check_folder(const fs::path& given) const {
  if (dir == dir.root_path() || !dir.has_parent_path()) {
    throw OutputError(fmt::format("{} cannot be an output folder", given.string()), {},
                      "choose a folder of its own with -o");
  }
  std::error_code error;
  const auto status = fs::status(dir, error);
  if (fs::exists(status) && !fs::is_directory(status)) {
    throw OutputError(fmt::format("output {} exists and is not a folder", given.string()), {},
                      "choose another folder with -o");
  }
  const auto cwd = fs::current_path(error);
  if (!error) {
    const auto here = fs::weakly_canonical(cwd, error);
    if (!error && std::mismatch(dir.begin(), dir.end(), here.begin(), here.end()).first == dir.end()) {
      throw OutputError(fmt::format("{} is the current folder (or holds it); a result replaces its folder as a whole",
                                    given.string()),
                        {}, "use -o NAME for a folder of its own");
    }
  }
  if (!fs::exists(status)) return;
  struct stat info {};
  if (::stat(dir.c_str(), &info) == 0 && ((info.st_mode & 0222) == 0 || ::access(dir.c_str(), W_OK) != 0)) {
    throw OutputError(fmt::format("output folder {} is read-only (mode {:o})", given.string(), info.st_mode & 07777),
                      {}, "make it writable (chmod u+w) if it may be replaced, or choose another folder with -o");
  }
  if (is_mount_point(dir)) {
    throw OutputError(fmt::format("output folder {} is a mount point, which cannot be swapped for a new result",
                                  given.string()),
                      {}, "use a folder inside it, e.g. -o " + (dir / "result").string());
  }
}

void OutputFolder::Impl::check_replaceable(const std::string& relative) const {
  const fs::path final_path = dir / relative;
  std::error_code error;
  if (fs::is_directory(final_path, error)) {
    throw OutputError(fmt::format("output {} is a folder", final_path.string()), {},
                      "remove or rename it, or choose another folder with -o");
  }
  // A folder on the way to a planned file ("tables" for tables/a.csv) must be a folder.
  for (fs::path part = fs::path(relative).parent_path(); !part.empty(); part = part.parent_path()) {
    const auto status = fs::symlink_status(dir / part, error);
    if (fs::exists(status) && !fs::is_directory(status)) {
      throw OutputError(fmt::format("{} is a file in the way of the folder {}/ (for {})", (dir / part).string(),
                                    part.string(), relative),
                        {}, "remove or rename it, or choose another folder with -o");
    }
  }
  // QGIS keeps a GeoPackage it shows open; these files beside it say so.
  if (!is_geopackage(relative)) return;
  for (const auto& suffix : kSqliteSidecars) {
    fs::path sidecar = final_path;
    sidecar += suffix;
    if (fs::exists(fs::symlink_status(sidecar, error))) {
      throw OutputError(fmt::format("{} is open in another program ({} exists)", final_path.string(),
                                    sidecar.filename().string()),
                        {}, "close it (in QGIS: remove its layers from the project) and run again");
    }
  }
}

// Whatever else the folder holds is carried over into the new result; what cannot be (a FIFO, a
// device) is refused now rather than after the work.
void OutputFolder::Impl::check_entries() const {
  std::error_code error;
  if (!fs::is_directory(dir, error)) return;
  for (auto it = fs::recursive_directory_iterator(dir, error); it != fs::recursive_directory_iterator();
       it.increment(error)) {
    if (error) break;
    const auto status = it->symlink_status(error);
    if (!fs::is_directory(status) && !fs::is_regular_file(status) && !fs::is_symlink(status)) {
      throw OutputError(fmt::format("{} in the output folder is not a file (a FIFO, socket or device); a new result "
                                    "carries over the folder's other files, but not this",
                                    it->path().string()),
                        {}, "move it out of the folder, or choose another folder with -o");
    }
  }
  if (error) {
    throw OutputError(fmt::format("cannot read the output folder {}: {}", dir.string(), error.message()));
  }
}

// Folders are made in the new result only where something goes into them (or where they were
// empty), so the folders of the previous result do not linger empty.
void OutputFolder::Impl::carry_over(const fs::path& relative, const std::set<std::string>& skip) const {
  const fs::path here = staging / relative;
  auto make_here = [&] {
    if (fs::is_directory(here)) return;
    fs::create_directories(here);
    fs::permissions(here, fs::status(dir / relative).permissions());
  };
  bool empty = true;
  for (const auto& entry : fs::directory_iterator(dir / relative)) {
    empty = false;
    const fs::path rel = relative / entry.path().filename();
    if (skip.count(rel.generic_string())) continue;
    const fs::path target = staging / rel;
    const auto status = entry.symlink_status();
    if (fs::is_directory(status)) {
      carry_over(rel, skip);
      continue;
    }
    make_here();
    if (fs::is_symlink(status)) {
      fs::create_symlink(fs::read_symlink(entry.path()), target);
    } else if (::link(entry.path().c_str(), target.c_str()) != 0) {
      // A hard link keeps the file itself; where none can be made (another file system below,
      // protected_hardlinks), a copy keeps its content.
      fs::copy_file(entry.path(), target, fs::copy_options::overwrite_existing);
    }
  }
  if (empty && !relative.empty()) make_here();
}

void OutputFolder::Impl::swap() {
  std::error_code error;
  const auto hold = hold_interrupt_cleanup();
  if (!fs::exists(fs::symlink_status(dir, error))) {
    if (::rename(staging.c_str(), dir.c_str()) != 0) {
      throw OutputError(fmt::format("cannot move the result into {}: {}", dir.string(), errno_text(errno)));
    }
    swapped = true;
  } else if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) == 0) {
    swapped = true;
    replaced = staging;
  } else if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
    // NFS, SMB, FUSE: two renames; the next run finishes a swap cut between them.
    if (::rename(dir.c_str(), previous.c_str()) != 0) {
      throw OutputError(fmt::format("cannot move the previous result out of {}: {}", dir.string(), errno_text(errno)));
    }
    if (::rename(staging.c_str(), dir.c_str()) != 0) {
      const int failure = errno;
      static_cast<void>(::rename(previous.c_str(), dir.c_str()));
      throw OutputError(fmt::format("cannot move the result into {}: {}", dir.string(), errno_text(failure)));
    }
    swapped = true;
    replaced = previous;
  } else {
    throw OutputError(fmt::format("cannot swap the result into {}: {}", dir.string(), errno_text(errno)));
  }
  static_cast<void>(sync_path(dir.parent_path(), true));  // the swap is done; what is left is the rename's durability
}

OutputFolder::OutputFolder(const fs::path& folder, const std::vector<std::string>& relative_paths, bool overwrite)
    : m_impl(std::make_unique<Impl>()), m_given(folder) {
  auto& d = *m_impl;
  if (folder.empty()) throw ConfigError("the output folder is empty", {}, "give a folder with -o");
  d.dir = resolved(folder);
  d.staging = sibling(d.dir, "twinrisk-new");
  d.previous = sibling(d.dir, "twinrisk-old");
  d.planned = relative_paths;
  d.overwrite = overwrite;
  d.check_folder(folder);
  std::error_code error;
  for (auto parent = d.dir.parent_path(); parent.has_relative_path() && !fs::exists(fs::symlink_status(parent, error));
       parent = parent.parent_path()) {
    d.made_parents.insert(d.made_parents.begin(), parent);
  }
  fs::create_directories(d.dir.parent_path(), error);
  if (error) {
    throw OutputError(fmt::format("cannot create the output folder {}: {}: {}", folder.string(),
                                  d.dir.parent_path().string(), error.message()),
                      {}, "choose another folder with -o");
  }
  d.lock = std::make_unique<FolderLock>(sibling(d.dir, "twinrisk-lock"), folder);
  repair_output_folder(d.dir);
  d.check_entries();
  std::vector<std::string> existing;
  for (const auto& relative : relative_paths) {
    if (!is_plain_relative(relative)) throw Error(ErrorKind::internal, fmt::format("bad output path '{}'", relative));
    d.check_replaceable(relative);
    if (fs::exists(fs::symlink_status(d.dir / relative, error))) existing.push_back((d.dir / relative).string());
  }
  if (!overwrite && !existing.empty()) {
    throw OutputError(fmt::format("output already exists: {}", fmt::join(existing, ", ")), {},
                      "use --overwrite to replace it, or choose another folder with -o");
  }
  if (!fs::create_directory(d.staging, error)) {
    throw OutputError(fmt::format("cannot create {}: {}", d.staging.string(),
                                  error ? error.message() : std::string("it exists")),
                      {}, "check the permissions of the folder that holds the output folder");
  }
  struct stat info {};
  if (::stat(d.dir.c_str(), &info) == 0) {
    // The new result takes the old folder's place, so it takes its mode (and owner, for root).
    ::chmod(d.staging.c_str(), info.st_mode & 07777);
    if (::geteuid() == 0) static_cast<void>(::chown(d.staging.c_str(), info.st_uid, info.st_gid));
  }
  d.on_interrupt = std::make_unique<InterruptCleanup>([impl = m_impl.get()] { impl->discard(); });
}

OutputFolder::~OutputFolder() {
  auto hold = hold_interrupt_cleanup();
  m_impl->on_interrupt.reset();
  m_impl->discard();
}

fs::path OutputFolder::stage(const std::string& relative_path) {
  if (!is_plain_relative(relative_path)) {
    throw Error(ErrorKind::internal, fmt::format("bad output path '{}'", relative_path));
  }
  const fs::path path = m_impl->staging / relative_path;
  std::error_code error;
  // Not while an interruption removes the staging folder (this waits for the exit then), which
  // would make it again.
  const auto hold = hold_interrupt_cleanup();
  fs::create_directories(path.parent_path(), error);
  if (error) {
    throw OutputError(fmt::format("cannot create folder {}: {}", path.parent_path().string(), error.message()));
  }
  if (std::find(m_staged.begin(), m_staged.end(), relative_path) == m_staged.end()) m_staged.push_back(relative_path);
  return path;
}

void start_writeback(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;  // a folder, or gone: the commit reports what matters
  ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  ::close(fd);
}

int sync_data(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const int error = ::fdatasync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return error;
}

void OutputFolder::start_writeback() const {
  for (const auto& relative : m_staged) io::start_writeback(m_impl->staging / relative);
}

void OutputFolder::commit() {
  auto& d = *m_impl;
  // Everything that could refuse is checked before anything is moved, so a refusal changes nothing.
  std::error_code error;
  for (const auto& relative : m_staged) {
    if (!d.overwrite && fs::exists(fs::symlink_status(d.dir / relative, error))) {
      throw OutputError(fmt::format("output appeared while running: {}", (d.dir / relative).string()), {},
                        "use --overwrite to replace it");
    }
    d.check_replaceable(relative);
  }
  if (fs::is_directory(d.dir, error)) {
    // The previous result (what its manifest lists) is replaced; everything else stays.
    std::set<std::string> skip = result_set(d.dir);
    for (const auto& relative : m_staged) add_with_sidecars(skip, relative);
    try {
      d.carry_over({}, skip);
    } catch (const fs::filesystem_error& failure) {
      throw OutputError(fmt::format("cannot keep {} in the new result: {}", failure.path1().string(),
                                    failure.code().message()),
                        {}, "move it out of the output folder, or choose another folder with -o");
    }
  }
  sync_tree(d.staging);
  d.swap();
  auto hold = hold_interrupt_cleanup();
  d.on_interrupt.reset();
  d.discard();
}

}  // namespace twinrisk::io
