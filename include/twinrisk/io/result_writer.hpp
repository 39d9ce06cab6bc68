#pragma once
// Where a run's results go: a folder (GeoPackage, CSV tables, files, manifest) or a PostGIS
// schema. Either way nothing is visible before commit(), and a run that fails leaves nothing.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "twinrisk/core/layer.hpp"
#include "twinrisk/core/stream.hpp"

namespace twinrisk::io {

// What a run will write, known before any input is read.
struct PlannedOutputs {
  std::vector<std::string> layers;
  std::vector<std::string> tables;
  std::vector<std::string> files;  // paths relative to the output folder
};

struct OutputTarget {
  std::string folder;   // a folder …
  std::string postgis;  // … or a PostgreSQL connection string, "PG:dbname=… host=…"
  std::string schema = "public";
};

class ResultWriter {
 public:
  virtual ~ResultWriter() = default;  // an uncommitted result is discarded

  // Result layers, whole or batch by batch. One thread at a time: wrap it in an AsyncSink.
  virtual FeatureSink& layers() = 0;
  // True when write_table() may run while layers() is busy on another thread.
  virtual bool tables_alongside_layers() const = 0;
  virtual void write_table(const Table& table) = 0;
  // A path to write the file output `relative_path` to; it appears in its place at commit().
  virtual std::filesystem::path stage_file(const std::string& relative_path) = 0;
  // Whether it holds files (maps, the workbook) besides layers and tables.
  virtual bool takes_files() const = 0;
  // No layer comes after this: a writer may finish what holds them (the run says so before it
  // waits for the workbook, so that the two are finished together).
  virtual void layers_done() {}
  // Writes the manifest and makes every output visible at once.
  virtual void commit(const nlohmann::json& manifest) = 0;

  // For the manifest and the summary (never with a password).
  virtual std::string location() const = 0;
  virtual nlohmann::json describe_layer(const std::string& name) const = 0;
  virtual nlohmann::json describe_table(const Table& table) const = 0;
  // What a person opens: files, or schema-qualified tables.
  virtual std::vector<std::string> written() const = 0;
};

// Checks the target before any input is read: an existing output without `overwrite` is an
// OutputError (exit 4) and nothing is touched.
std::unique_ptr<ResultWriter> open_result_writer(const OutputTarget& target, const PlannedOutputs& outputs,
                                                 bool overwrite);

}  // namespace twinrisk::io
