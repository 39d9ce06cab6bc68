#pragma once
// An output folder that always holds one complete result: the new result is built in a hidden
// sibling folder and swapped in with one atomic rename, so that a kill at any instant leaves the
// complete old result or the complete new one.
//
//   parent/out/                     the result (twinrisk.gpkg, tables/, manifest.json, …)
//   parent/.out.twinrisk-lock       held (flock) by the run writing to out/; names the holder
//   parent/.out.twinrisk-new/       the result being built, with manifest.json written last
//   parent/.out.twinrisk-old/       the previous result for a moment, where exchange is missing
//
// Commit: files in out/ that are not part of its result (the manifest lists those) are carried
// over by hard link, everything is fsynced, and .out.twinrisk-new and out are exchanged
// (renameat2 RENAME_EXCHANGE; on file systems without it, NFS or SMB, two renames, and the next
// run puts the old result back when a kill came between them). The next run also removes every
// staging folder and the staged files of older twinrisk versions that a killed run left; the
// lock is the kernel's, so a killed run never holds it.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace twinrisk::io {

class OutputFolder {
 public:
  // Takes the lock (OutputError naming the holder when another run has it), repairs what an
  // interrupted run left, and checks the layout before any input is read: OutputError when one
  // of `relative_paths` exists and `overwrite` is false, when one of them is a folder, or a file
  // is in the way of a folder, when the GeoPackage is open elsewhere, when the folder is
  // read-only (mode a-w, even for root), is a mount point, the current folder, or cannot be made.
  OutputFolder(const std::filesystem::path& folder, const std::vector<std::string>& relative_paths, bool overwrite);
  ~OutputFolder();  // an uncommitted result is removed; the lock is released
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;

  // Where to write `relative_path` (in the staging folder; parent folders are made).
  std::filesystem::path stage(const std::string& relative_path);
  // Relative paths staged so far, in order.
  const std::vector<std::string>& staged() const { return m_staged; }
  // start_writeback() for every staged file; call when they are complete.
  void start_writeback() const;
  // Swaps the staged result in (see above). Throws OutputError, and changes nothing, when it cannot.
  void commit();
  // The folder as given, for messages.
  const std::filesystem::path& folder() const { return m_given; }

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
  std::filesystem::path m_given;
  std::vector<std::string> m_staged;
};

// Asks the kernel to start writing `file` to disk and returns at once (sync_file_range), so that
// the fsync before the result is swapped in finds little left to wait for.
void start_writeback(const std::filesystem::path& file);
// Writes `file`'s data to disk (fdatasync) and returns the error (0 when none). An error is told
// once: whoever sees it must report it.
int sync_data(const std::filesystem::path& file);
// Throws OutputError: `file` did not reach the disk (`error` is the errno of fsync or fdatasync).
[[noreturn]] void throw_not_on_disk(const std::filesystem::path& file, int error);

// The files of the result in `folder`, as its manifest lists them (`files`, or the `outputs` of
// manifests older than that list), with manifest.json itself; empty when there is no manifest.
std::vector<std::string> result_files(const std::filesystem::path& folder);

// Finishes or undoes what an interrupted commit left beside `folder` (its hidden staging
// folders). Call with the folder's lock held; OutputFolder does.
void repair_output_folder(const std::filesystem::path& folder);

}  // namespace twinrisk::io
