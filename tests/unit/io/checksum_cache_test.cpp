// Input checksums remembered across runs: served only while the file is unchanged.

#include "twinrisk/io/checksum_cache.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "../test_support.hpp"

namespace twinrisk::io {
namespace {

using namespace std::chrono_literals;
using test::TempDir;

// sha256sum of the three texts.
constexpr const char* kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* kAbd = "a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe86298449c9";
constexpr const char* kAbcd = "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589";

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Files written by a test are seconds younger than any settling time; -1 h takes them as settled.
constexpr auto kTakeFreshFiles = -std::chrono::hours(1);

void hash_and_save(const std::filesystem::path& cache_file, const std::filesystem::path& file) {
  ChecksumCache cache(cache_file, kTakeFreshFiles);
  cache.sha256(file);
  cache.save();
}

TEST(ChecksumCache, AnUnchangedFileIsNotReadAgain) {
  TempDir dir;
  write_text(dir / "a.gpkg", "abc");
  {
    ChecksumCache cache(dir / "cache.json", kTakeFreshFiles);
    EXPECT_EQ(cache.sha256(dir / "a.gpkg"), kAbc);
    EXPECT_EQ(cache.hashed(), 1);
    cache.save();
  }
  ChecksumCache cache(dir / "cache.json", kTakeFreshFiles);
  EXPECT_EQ(cache.sha256(dir / "a.gpkg"), kAbc);
  EXPECT_EQ(cache.remembered(), 1);
  EXPECT_EQ(cache.hashed(), 0);
  // The same file by another spelling of its path.
  EXPECT_EQ(cache.sha256(dir.path() / "." / "a.gpkg"), kAbc);
  EXPECT_EQ(cache.remembered(), 2);
}

TEST(ChecksumCache, AFileWrittenAgainIsReadAgain) {
  TempDir dir;
  write_text(dir / "a.gpkg", "abc");
  hash_and_save(dir / "cache.json", dir / "a.gpkg");
  // Same size: only the times tell. The file system's clock moves in ticks of a few milliseconds.
  std::this_thread::sleep_for(50ms);
  write_text(dir / "a.gpkg", "abd");
  {
    ChecksumCache cache(dir / "cache.json", kTakeFreshFiles);
    EXPECT_EQ(cache.sha256(dir / "a.gpkg"), kAbd);
    EXPECT_EQ(cache.hashed(), 1);
    cache.save();
  }
  // Replaced by another file (another inode) of another size.
  write_text(dir / "b.gpkg", "abcd");
  std::filesystem::rename(dir / "b.gpkg", dir / "a.gpkg");
  ChecksumCache cache(dir / "cache.json", kTakeFreshFiles);
  EXPECT_EQ(cache.sha256(dir / "a.gpkg"), kAbcd);
  EXPECT_EQ(cache.hashed(), 1);
}

TEST(ChecksumCache, AFileWrittenJustBeforeItsHashingIsNotRemembered) {
  TempDir dir;
  write_text(dir / "a.gpkg", "abc");
  {
    ChecksumCache cache(dir / "cache.json");  // the default: written at least 2 s before
    EXPECT_EQ(cache.sha256(dir / "a.gpkg"), kAbc);
    cache.save();
  }
  ChecksumCache cache(dir / "cache.json");
  EXPECT_EQ(cache.sha256(dir / "a.gpkg"), kAbc);
  EXPECT_EQ(cache.hashed(), 1);
  EXPECT_EQ(cache.remembered(), 0);
}

TEST(ChecksumCache, AStoppedHashIsNotRemembered) {
  TempDir dir;
  write_text(dir / "a.gpkg", "abc");
  const std::atomic<bool> stop{true};
  {
    ChecksumCache cache(dir / "cache.json", kTakeFreshFiles);
    EXPECT_EQ(cache.sha256(dir / "a.gpkg", &stop), "");
    cache.save();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "cache.json"));
}

TEST(ChecksumCache, ADamagedOrForeignCacheFileIsAnEmptyCache) {
  TempDir dir;
  write_text(dir / "a.gpkg", "abc");
  const auto key = std::filesystem::absolute(dir / "a.gpkg").lexically_normal().string();
  for (const std::string& damaged :
       {std::string("{\"version\": 1, \"files\": {"), std::string("[1, 2]"), std::string("{\"version\": 2, \"files\": {}}"),
        "{\"version\": 1, \"files\": {\"" + key + "\": {\"device\": \"x\", \"sha256\": 5}}}",
        "{\"version\": 1, \"files\": {\"" + key + "\": 7}}"}) {
    write_text(dir / "cache.json", damaged);
    ChecksumCache cache(dir / "cache.json", kTakeFreshFiles);
    EXPECT_EQ(cache.sha256(dir / "a.gpkg"), kAbc) << damaged;
    EXPECT_EQ(cache.hashed(), 1) << damaged;
    cache.save();
    ChecksumCache again(dir / "cache.json", kTakeFreshFiles);
    EXPECT_EQ(again.sha256(dir / "a.gpkg"), kAbc) << damaged;
    EXPECT_EQ(again.remembered(), 1) << damaged << " was not replaced by a good cache";
  }
}

// Values nested a million deep where an entry belongs: dropped as they are read (copying them
// overflowed the stack, and the file stayed to crash every later run).
TEST(ChecksumCache, ADeeplyNestedCacheFileIsAnEmptyCache) {
  TempDir dir;
  write_text(dir / "a.gpkg", "abc");
  const std::size_t depth = 1000000;
  write_text(dir / "cache.json", "{\"version\": 1, \"files\": {\"/x\": " + std::string(depth, '[') + std::string(depth, ']') + "}}");
  ChecksumCache cache(dir / "cache.json", kTakeFreshFiles);
  EXPECT_EQ(cache.sha256(dir / "a.gpkg"), kAbc);
  cache.save();
  ChecksumCache again(dir / "cache.json", kTakeFreshFiles);
  EXPECT_EQ(again.sha256(dir / "a.gpkg"), kAbc);
  EXPECT_EQ(again.remembered(), 1);
}

// JSON holds UTF-8 only: a file whose path is in another encoding is hashed each time, and the
// others are still remembered.
TEST(ChecksumCache, APathThatIsNotUtf8IsHashedEachTime) {
  TempDir dir;
  const auto latin1 = dir / "Gef\xe4hr";
  std::filesystem::create_directory(latin1);
  write_text(latin1 / "a.gpkg", "abc");
  write_text(dir / "b.gpkg", "abd");
  {
    ChecksumCache cache(dir / "cache.json", kTakeFreshFiles);
    EXPECT_EQ(cache.sha256(latin1 / "a.gpkg"), kAbc);
    EXPECT_EQ(cache.sha256(dir / "b.gpkg"), kAbd);
    cache.save();
  }
  ChecksumCache cache(dir / "cache.json", kTakeFreshFiles);
  EXPECT_EQ(cache.sha256(latin1 / "a.gpkg"), kAbc);
  EXPECT_EQ(cache.sha256(dir / "b.gpkg"), kAbd);
  EXPECT_EQ(cache.hashed(), 1);
  EXPECT_EQ(cache.remembered(), 1);
}

TEST(ChecksumCache, ServesWhatItHoldsOnlyForTheFileItDescribes) {
  TempDir dir;
  write_text(dir / "a.gpkg", "abc");
  hash_and_save(dir / "cache.json", dir / "a.gpkg");
  // What the cache serves is what it holds: a digest changed by hand in it comes back...
  auto text = read_text(dir / "cache.json");
  text.replace(text.find(kAbc), 64, kAbd);
  write_text(dir / "cache.json", text);
  ChecksumCache cache(dir / "cache.json", kTakeFreshFiles);
  EXPECT_EQ(cache.sha256(dir / "a.gpkg"), kAbd);
  // ... and no other file gets it.
  write_text(dir / "b.gpkg", "abc");
  EXPECT_EQ(cache.sha256(dir / "b.gpkg"), kAbc);
}

TEST(ChecksumCache, ACacheThatCannotBeWrittenIsNoError) {
  TempDir dir;
  write_text(dir / "a.gpkg", "abc");
  write_text(dir / "file", "");
  ChecksumCache cache(dir / "file" / "cache.json", kTakeFreshFiles);  // under a file: no folder can be made
  EXPECT_EQ(cache.sha256(dir / "a.gpkg"), kAbc);
  EXPECT_NO_THROW(cache.save());
  ChecksumCache none{std::filesystem::path()};
  EXPECT_EQ(none.sha256(dir / "a.gpkg"), kAbc);
  EXPECT_NO_THROW(none.save());
}

TEST(ChecksumCache, TheCacheFolderComesFromTheEnvironment) {
  const char* saved = std::getenv("TWINRISK_CACHE_DIR");
  const std::string kept = saved ? saved : "";
  ::setenv("TWINRISK_CACHE_DIR", "/some/where", 1);
  EXPECT_EQ(ChecksumCache::default_file(), "/some/where/input-checksums.json");
  ::setenv("TWINRISK_CACHE_DIR", "", 1);
  EXPECT_EQ(ChecksumCache::default_file(), std::filesystem::path());  // set but empty: no cache
  if (saved) {
    ::setenv("TWINRISK_CACHE_DIR", kept.c_str(), 1);
  } else {
    ::unsetenv("TWINRISK_CACHE_DIR");
  }
}

}  // namespace
}  // namespace twinrisk::io
