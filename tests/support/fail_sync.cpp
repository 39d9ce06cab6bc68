// LD_PRELOAD shim for hostile.sync-fails: fsync and fdatasync fail with EIO on a file whose path
// ends with $TWINRISK_TEST_FAIL_SYNC, as they do on a failing disk or an NFS share past its quota.
// With $TWINRISK_TEST_FAIL_SYNC_CALL set to one of the two, only that one fails (a kernel tells a
// writeback error once: the call that sees it).
#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool should_fail(int fd, const char* call) {
  const char* suffix = std::getenv("TWINRISK_TEST_FAIL_SYNC");
  if (!suffix || !*suffix) return false;
  const char* only = std::getenv("TWINRISK_TEST_FAIL_SYNC_CALL");
  if (only && *only && std::strcmp(only, call) != 0) return false;
  char link[64], target[PATH_MAX];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, target, sizeof target - 1);
  if (n < 0) return false;
  target[n] = '\0';
  const auto length = static_cast<ssize_t>(std::strlen(suffix));
  return n >= length && std::strcmp(target + n - length, suffix) == 0;
}

template <typename Sync>
int sync_or_fail(int fd, const char* name) {
  if (should_fail(fd, name)) {
    errno = EIO;
    return -1;
  }
  return reinterpret_cast<Sync>(dlsym(RTLD_NEXT, name))(fd);
}

}  // namespace

extern "C" int fsync(int fd) { return sync_or_fail<int (*)(int)>(fd, "fsync"); }
extern "C" int fdatasync(int fd) { return sync_or_fail<int (*)(int)>(fd, "fdatasync"); }
