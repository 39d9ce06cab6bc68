// The output folder holds one complete result at every instant: swapped in whole, locked while a
// run writes it, repaired after a kill, and never losing a file a person put into it.

#include "twinrisk/io/output_folder.hpp"

#include <sys/stat.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "../test_support.hpp"
#include "twinrisk/core/error.hpp"

namespace twinrisk::io {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Every entry under `root`, relative, sorted: what a person listing the folder sees.
std::vector<std::string> tree(const fs::path& root) {
  std::vector<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    out.push_back(fs::relative(entry.path(), root).generic_string() + (entry.is_directory() ? "/" : ""));
  }
  std::sort(out.begin(), out.end());
  return out;
}

ino_t inode(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_ino;
}

// A result as FolderWriter leaves it: its files, and a manifest listing them.
void write_result(const fs::path& folder, const std::vector<std::pair<std::string, std::string>>& files) {
  nlohmann::json listed = nlohmann::json::array();
  for (const auto& [path, text] : files) {
    write_text(folder / path, text);
    listed.push_back({{"path", path}, {"size_bytes", text.size()}});
  }
  write_text(folder / "manifest.json", nlohmann::json{{"files", listed}}.dump());
}

TEST(OutputFolder, ReplacesThePreviousResultWholeAndKeepsEveryOtherFile) {
  TempDir dir;
  const auto out = dir / "out";
  write_result(out, {{"twinrisk.gpkg", "old gpkg"}, {"tables/old_only.csv", "old table"}, {"maps/old.png", "old map"}});
  write_text(out / "notes.txt", "a person's notes");
  write_text(out / "tables/my_edits.csv", "a person's table");
  write_text(out / "project/town.qgz", "a QGIS project");
  fs::create_directories(out / "empty_folder");
  const auto notes_inode = inode(out / "notes.txt");

  OutputFolder folder(out, {"twinrisk.gpkg", "tables/new.csv"}, true);
  write_text(folder.stage("twinrisk.gpkg"), "new gpkg");
  write_text(folder.stage("tables/new.csv"), "new table");
  write_result(folder.stage("manifest.json").parent_path(), {{"twinrisk.gpkg", "new gpkg"}, {"tables/new.csv", "new table"}});
  folder.commit();

  // The old result's files (its manifest lists them) are gone, with the folder it alone used.
  EXPECT_EQ(tree(out), (std::vector<std::string>{"empty_folder/", "manifest.json", "notes.txt", "project/",
                                                 "project/town.qgz", "tables/", "tables/my_edits.csv",
                                                 "tables/new.csv", "twinrisk.gpkg"}));
  EXPECT_EQ(read_text(out / "twinrisk.gpkg"), "new gpkg");
  EXPECT_EQ(read_text(out / "tables/my_edits.csv"), "a person's table");
  EXPECT_EQ(inode(out / "notes.txt"), notes_inode);  // the same file, not a copy
  EXPECT_EQ(tree(dir.path()).size(), tree(out).size() + 1);  // nothing beside the folder
}

TEST(OutputFolder, MapsReportAndWorkbookAreSwappedInWithTheRest) {
  TempDir dir;
  const auto out = dir / "out";
  write_result(out, {{"twinrisk.gpkg", "old gpkg"}, {"maps/overview.png", "old map"},
                     {"report/index.html", "old report"}, {"tables.xlsx", "old workbook"}});
  const std::vector<std::string> files = {"twinrisk.gpkg", "maps/overview.png", "report/index.html", "tables.xlsx"};
  OutputFolder folder(out, files, true);
  for (const auto& file : files) write_text(folder.stage(file), "new " + file);
  // Until the commit, every file of the old result is there, unchanged, and nothing new is.
  for (const auto& file : files) EXPECT_EQ(read_text(out / file).rfind("old ", 0), 0u) << file;
  EXPECT_EQ(tree(out).size(), 7u);  // four files, manifest.json, maps/, report/
  write_result(folder.stage("manifest.json").parent_path(),
               {{"twinrisk.gpkg", "new twinrisk.gpkg"}, {"maps/overview.png", "new maps/overview.png"},
                {"report/index.html", "new report/index.html"}, {"tables.xlsx", "new tables.xlsx"}});
  folder.commit();
  for (const auto& file : files) EXPECT_EQ(read_text(out / file), "new " + file);
}

TEST(OutputFolder, ASecondRunIntoTheFolderIsRefusedAndToldWhoHoldsIt) {
  TempDir dir;
  OutputFolder first(dir / "out", {"a.csv"}, false);
  try {
    OutputFolder second(dir / "out", {"a.csv"}, true);
    FAIL() << "the second run got the lock";
  } catch (const OutputError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("is being written by another twinrisk run (pid " + std::to_string(::getpid())),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("wait until it has finished"), std::string::npos) << what;
  }
  // The refused run must not have touched the first run's staging.
  write_text(first.stage("a.csv"), "first");
  first.commit();
  EXPECT_EQ(read_text(dir / "out" / "a.csv"), "first");
}

TEST(OutputFolder, ALockHeldByADeadRunIsNoLock) {
  TempDir dir;
  // The lock is flock(2): a killed run's lock ends with its process; its file may stay behind.
  write_text(dir / ".out.twinrisk-lock", "pid 99999999 on host, since 2020-01-01T00:00:00Z: twinrisk run");
  OutputFolder folder(dir / "out", {"a.csv"}, false);
  write_text(folder.stage("a.csv"), "x");
  folder.commit();
  EXPECT_EQ(read_text(dir / "out" / "a.csv"), "x");
}

TEST(OutputFolder, ASwapCutBetweenItsTwoRenamesIsUndoneByTheNextRun) {
  TempDir dir;
  // Without RENAME_EXCHANGE (NFS, SMB) a swap is two renames; a kill between them leaves the old
  // result beside the missing folder, and a complete new one in staging.
  write_result(dir / ".out.twinrisk-old", {{"twinrisk.gpkg", "old"}});
  write_result(dir / ".out.twinrisk-new", {{"twinrisk.gpkg", "new"}});
  repair_output_folder(dir / "out");
  EXPECT_EQ(read_text(dir / "out" / "twinrisk.gpkg"), "old");
  EXPECT_EQ(tree(dir.path()), (std::vector<std::string>{"out/", "out/manifest.json", "out/twinrisk.gpkg"}));
}

TEST(OutputFolder, EverythingAKilledRunLeftIsRemovedByTheNextRun) {
  TempDir dir;
  write_result(dir / "out", {{"twinrisk.gpkg", "old"}});
  // Killed while staging: a half-written GeoPackage and its journal, no manifest yet.
  write_text(dir / ".out.twinrisk-new" / "twinrisk.gpkg", "half");
  write_text(dir / ".out.twinrisk-new" / "twinrisk.gpkg-journal", "journal");
  write_text(dir / ".out.twinrisk-new" / "tables" / "t.csv", "half");
  // Killed after the exchange: the old result beside the folder.
  write_result(dir / ".out.twinrisk-old", {{"twinrisk.gpkg", "older"}});
  {
    OutputFolder folder(dir / "out", {"twinrisk.gpkg"}, true);
    EXPECT_FALSE(fs::exists(dir / ".out.twinrisk-old"));
    EXPECT_TRUE(fs::is_empty(dir / ".out.twinrisk-new"));  // made afresh for this run
  }
  // The staged files were not taken for a person's files and swept into the result.
  EXPECT_EQ(tree(dir.path()), (std::vector<std::string>{"out/", "out/manifest.json", "out/twinrisk.gpkg"}));
  EXPECT_EQ(read_text(dir / "out" / "twinrisk.gpkg"), "old");
}

TEST(OutputFolder, AFileAddedWhileTheResultWasSwappedIsKept) {
  TempDir dir;
  write_result(dir / "out", {{"twinrisk.gpkg", "new"}});
  // The swapped-out previous result holds a file a person saved in the instant of the swap.
  write_result(dir / ".out.twinrisk-new", {{"twinrisk.gpkg", "old"}});
  write_text(dir / ".out.twinrisk-new" / "saved during the swap.txt", "keep me");
  repair_output_folder(dir / "out");
  EXPECT_EQ(read_text(dir / "out" / "saved during the swap.txt"), "keep me");
  EXPECT_EQ(read_text(dir / "out" / "twinrisk.gpkg"), "new");
  EXPECT_FALSE(fs::exists(dir / ".out.twinrisk-new"));
}

TEST(OutputFolder, ReadOnlyMountPointOrCurrentFoldersAreRefusedBeforeWork) {
  TempDir dir;
  write_result(dir / "ro", {{"twinrisk.gpkg", "kept"}});
  fs::permissions(dir / "ro", fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                  fs::perm_options::remove);
  // Refused by the mode bits, so root is refused too.
  EXPECT_THROW(OutputFolder(dir / "ro", {"twinrisk.gpkg"}, true), OutputError);
  fs::permissions(dir / "ro", fs::perms::owner_write, fs::perm_options::add);
  EXPECT_EQ(read_text(dir / "ro" / "twinrisk.gpkg"), "kept");

  const auto cwd = fs::current_path();
  fs::create_directories(dir / "here" / "below");
  fs::current_path(dir / "here" / "below");
  EXPECT_THROW(OutputFolder(dir / "here", {"a.csv"}, true), OutputError);
  EXPECT_THROW(OutputFolder(".", {"a.csv"}, true), OutputError);
  fs::current_path(cwd);

  EXPECT_THROW(OutputFolder("/", {"a.csv"}, true), OutputError);
  EXPECT_THROW(OutputFolder("", {"a.csv"}, true), ConfigError);
}

TEST(OutputFolder, ASymlinkedFolderIsReplacedWhereItReallyIs) {
  TempDir dir;
  write_result(dir / "real", {{"a.csv", "old"}});
  fs::create_directory_symlink(dir / "real", dir / "link");
  OutputFolder folder(dir / "link", {"a.csv"}, true);
  write_text(folder.stage("a.csv"), "new");
  folder.commit();
  EXPECT_TRUE(fs::is_symlink(dir / "link"));
  EXPECT_EQ(read_text(dir / "real" / "a.csv"), "new");
}

TEST(OutputFolder, TheNewResultTakesTheOldFoldersMode) {
  TempDir dir;
  fs::create_directories(dir / "out");
  fs::permissions(dir / "out", static_cast<fs::perms>(0750));
  OutputFolder folder(dir / "out", {"a.csv"}, true);
  write_text(folder.stage("a.csv"), "new");
  folder.commit();
  EXPECT_EQ(fs::status(dir / "out").permissions() & fs::perms::mask, static_cast<fs::perms>(0750));
}

TEST(ResultFiles, ComeFromTheManifestOldOrNew) {
  TempDir dir;
  write_result(dir / "new", {{"twinrisk.gpkg", "x"}, {"tables/a.csv", "y"}});
  EXPECT_EQ(result_files(dir / "new"), (std::vector<std::string>{"manifest.json", "tables/a.csv", "twinrisk.gpkg"}));
  // Manifests before the `files` list: the outputs' files, and never a path out of the folder.
  write_text(dir / "old" / "manifest.json",
             R"({"outputs": [{"file": "twinrisk.gpkg", "layer": "zones"}, {"file": "tables/b.csv"},
                             {"file": "../../etc/passwd"}, {"file": "/abs"}]})");
  EXPECT_EQ(result_files(dir / "old"), (std::vector<std::string>{"manifest.json", "tables/b.csv", "twinrisk.gpkg"}));
  write_text(dir / "bad" / "manifest.json", "not json");
  EXPECT_TRUE(result_files(dir / "bad").empty());
}

}  // namespace
}  // namespace twinrisk::io
