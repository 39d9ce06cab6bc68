#include "gpkg_rtree.hpp"

#include <cpl_error.h>
#include <ogrsf_frmts.h>
#include <sqlite3.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <span>
#include <utility>
#include <vector>

#include "sql_identifier.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/io/gdal.hpp"

namespace twinrisk::io {
namespace {

// SQLite's R*Tree stores float32 coordinates, rounded outwards so every box still contains its feature.
float round_down(double value) {
  float f = static_cast<float>(value);
  return static_cast<double>(f) > value ? std::nextafter(f, -INFINITY) : f;
}
float round_up(double value) {
  float f = static_cast<float>(value);
  return static_cast<double>(f) < value ? std::nextafter(f, INFINITY) : f;
}

// A node's bytes as SQLite's rtree.c lays them out: 2 bytes tree depth (root only), 2 bytes cell
// count, then per cell a big-endian 64-bit id (rowid in leaves, child node in interior nodes) and
// four big-endian float32 (min x, max x, min y, max y); zero-padded to the node size.
template <typename Cell>
std::vector<unsigned char> node_bytes(std::span<const Cell> cells, std::uint16_t depth, std::size_t node_size) {
  std::vector<unsigned char> bytes(node_size, 0);
  auto put16 = [&](std::size_t at, std::uint16_t v) {
    bytes[at] = static_cast<unsigned char>(v >> 8);
    bytes[at + 1] = static_cast<unsigned char>(v);
  };
  auto put32 = [&](std::size_t at, std::uint32_t v) {
    for (int b = 0; b < 4; ++b) bytes[at + b] = static_cast<unsigned char>(v >> (24 - 8 * b));
  };
  put16(0, depth);
  put16(2, static_cast<std::uint16_t>(cells.size()));
  std::size_t at = 4;
  for (const auto& cell : cells) {
    const auto id = static_cast<std::uint64_t>(cell.id);
    for (int b = 0; b < 8; ++b) bytes[at + b] = static_cast<unsigned char>(id >> (56 - 8 * b));
    const std::array<float, 4> coords = {cell.min_x, cell.max_x, cell.min_y, cell.max_y};
    for (int k = 0; k < 4; ++k) {
      std::uint32_t raw = 0;
      std::memcpy(&raw, &coords[k], sizeof raw);
      put32(at + 8 + 4 * k, raw);
    }
    at += 24;
  }
  return bytes;
}

// Reorders [first, last) so that each run of `step` elements (from first) holds the elements a
// sort by `less` would put there, in some order: all STR needs of a sort, in fewer comparisons
// (the log of the runs per element, not of the elements: 7.5 instead of 12 ms for 111k boxes).
template <typename It, typename Less>
void partition_into_runs(It first, It last, std::size_t step, Less less) {
  const auto count = static_cast<std::size_t>(last - first);
  if (count <= step) return;
  const auto middle = first + static_cast<std::ptrdiff_t>((count / step + 1) / 2 * step);
  std::nth_element(first, middle, last, less);
  partition_into_runs(first, middle, step, less);
  partition_into_runs(middle, last, step, less);
}

// Sort-tile-recursive: slices along x, then runs along y, so that nodes are full and compact.
// Reorders `cells` in place and returns where each node's run of cells ends.
template <typename Cell>
std::vector<std::size_t> pack(std::vector<Cell>& cells, std::size_t capacity) {
  const std::size_t node_count = (cells.size() + capacity - 1) / capacity;
  const auto slices = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(node_count))));
  const std::size_t per_slice = slices * capacity;
  auto by_x = [](const Cell& a, const Cell& b) { return a.min_x + a.max_x < b.min_x + b.max_x; };
  auto by_y = [](const Cell& a, const Cell& b) { return a.min_y + a.max_y < b.min_y + b.max_y; };
  partition_into_runs(cells.begin(), cells.end(), per_slice, by_x);
  std::vector<std::size_t> ends;
  for (std::size_t s = 0; s < cells.size(); s += per_slice) {
    const std::size_t slice_end = std::min(cells.size(), s + per_slice);
    partition_into_runs(cells.begin() + static_cast<std::ptrdiff_t>(s),
                        cells.begin() + static_cast<std::ptrdiff_t>(slice_end), capacity, by_y);
    for (std::size_t at = s; at < slice_end;) {
      at = std::min(slice_end, at + capacity);
      ends.push_back(at);
    }
  }
  return ends;
}

using Link = std::pair<std::int64_t, std::int64_t>;  // (rowid or node, its node or parent)

// Links in key order. The leaves' keys are the layer's fids, most often consecutive: each is put
// in its place without a sort (0.7 instead of 6 ms for exposure's 111k pieces).
void order_by_key(std::vector<Link>& links) {
  if (links.empty()) return;
  const auto [low, high] = std::minmax_element(links.begin(), links.end());
  const auto span = static_cast<std::uint64_t>(high->first) - static_cast<std::uint64_t>(low->first);
  if (span + 1 == links.size()) {
    std::vector<Link> placed(links.size());
    std::vector<char> filled(links.size(), 0);
    bool distinct = true;
    for (const auto& link : links) {
      const auto at = static_cast<std::uint64_t>(link.first) - static_cast<std::uint64_t>(low->first);
      distinct = distinct && !filled[at];
      filled[at] = 1;
      placed[at] = link;
    }
    if (distinct) {
      links = std::move(placed);
      return;
    }
  }
  std::sort(links.begin(), links.end());
}

}  // namespace

GpkgSpatialIndex::GpkgSpatialIndex(GDALDataset& dataset, std::filesystem::path path, std::string table,
                                   std::string column)
    : m_dataset(dataset), m_path(std::move(path)), m_table(std::move(table)), m_rtree("rtree_" + m_table + "_" + column) {
  query_text(fmt::format("SELECT CreateSpatialIndex('{}', '{}')", m_table, column));
  const std::string trigger = m_rtree + "_insert";
  m_insert_trigger_sql = query_text(fmt::format("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = '{}'", trigger));
  if (m_insert_trigger_sql.empty()) {
    throw OutputError(fmt::format("{}: GDAL created no R-tree insert trigger for layer '{}'", m_path.string(), m_table));
  }
  exec("DROP TRIGGER " + sql_identifier(trigger));
}

void GpkgSpatialIndex::add(std::int64_t fid, const geos::Envelope& e) {
  m_entries.push_back(Entry{fid, round_down(e.min_x), round_up(e.max_x), round_down(e.min_y), round_up(e.max_y)});
}

// Prepared INSERTs of two values on GDAL's own connection (inside its transaction): SQL text with
// the rows in it cost 4 to 5 µs an entry, most of it GDAL and SQLite reading the text (0.3 s of a
// 63k-feature layer). Pairs of numbers go in kRowsPerStatement to a statement, which halves
// SQLite's cost per row.
class Insert {
 public:
  // `what` names the index in errors: "FILE: spatial index of layer 'NAME'".
  Insert(sqlite3* db, const std::string& table, const std::string& columns, std::string what)
      : m_db(db), m_what(std::move(what)) {
    const auto insert = fmt::format("INSERT INTO {} ({}) VALUES (?, ?)", sql_identifier(table), columns);
    std::string rows = insert;
    for (int r = 1; r < kRowsPerStatement; ++r) rows += ", (?, ?)";
    if (sqlite3_prepare_v2(m_db, insert.c_str(), -1, &m_statement, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(m_db, rows.c_str(), -1, &m_rows_statement, nullptr) != SQLITE_OK) {
      // No statement may stay open: GDAL's sqlite3_close would refuse to close the connection.
      const std::string error = sqlite3_errmsg(m_db);
      sqlite3_finalize(m_statement);
      throw OutputError(fmt::format("{}: {}", m_what, error));
    }
  }
  ~Insert() {
    sqlite3_finalize(m_statement);
    sqlite3_finalize(m_rows_statement);
  }
  Insert(const Insert&) = delete;
  Insert& operator=(const Insert&) = delete;

  void row(std::int64_t a, const std::vector<unsigned char>& blob) {
    sqlite3_bind_int64(m_statement, 1, a);
    sqlite3_bind_blob(m_statement, 2, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
    step(m_statement);
  }
  void rows(std::span<const std::pair<std::int64_t, std::int64_t>> pairs) {
    std::size_t done = 0;
    for (; pairs.size() - done >= kRowsPerStatement; done += kRowsPerStatement) {
      for (int r = 0; r < kRowsPerStatement; ++r) {
        sqlite3_bind_int64(m_rows_statement, 2 * r + 1, pairs[done + r].first);
        sqlite3_bind_int64(m_rows_statement, 2 * r + 2, pairs[done + r].second);
      }
      step(m_rows_statement);
    }
    for (; done < pairs.size(); ++done) {
      sqlite3_bind_int64(m_statement, 1, pairs[done].first);
      sqlite3_bind_int64(m_statement, 2, pairs[done].second);
      step(m_statement);
    }
  }

 private:
  static constexpr int kRowsPerStatement = 64;

  void step(sqlite3_stmt* statement) {
    const int rc = sqlite3_step(statement);
    sqlite3_reset(statement);
    if (rc != SQLITE_DONE) fail();
  }
  [[noreturn]] void fail() const { throw OutputError(fmt::format("{}: {}", m_what, sqlite3_errmsg(m_db))); }

  sqlite3* m_db;
  std::string m_what;
  sqlite3_stmt* m_statement = nullptr;       // one row
  sqlite3_stmt* m_rows_statement = nullptr;  // kRowsPerStatement rows
};

void GpkgSpatialIndex::finish() {
  const std::size_t node_size = std::stoul(query_text(
      fmt::format("SELECT length(data) FROM {} WHERE nodeno = 1", sql_identifier(m_rtree + "_node"))));
  const std::size_t capacity = (node_size - 4) / 24;
  if (!m_entries.empty()) {
    if (m_dataset.StartTransaction() != OGRERR_NONE) {
      throw OutputError(fmt::format("{}: cannot start a transaction for the spatial index", m_path.string()));
    }
    exec("DELETE FROM " + sql_identifier(m_rtree + "_node"));
    auto* db = static_cast<sqlite3*>(m_dataset.GetInternalHandle("SQLITE_HANDLE"));
    if (!db) {
      throw OutputError(fmt::format("{}: GDAL gives no SQLite connection to write the spatial index", m_path.string()));
    }
    const auto what = fmt::format("{}: spatial index of layer '{}'", m_path.string(), m_table);
    Insert nodes(db, m_rtree + "_node", "nodeno, data", what);
    Insert parents(db, m_rtree + "_parent", "nodeno, parentnode", what);
    Insert rowids(db, m_rtree + "_rowid", "rowid, nodeno", what);
    // Each cell's link to its node, inserted at the end in key order: SQLite appends rows that come
    // in order, and seeks for each that does not (the leaves' rowids come in tile order).
    std::vector<Link> rowid_links, parent_links;
    std::int64_t next_node = 2;  // node 1 is the root
    std::uint16_t depth = 0;
    std::vector<Entry> level = std::move(m_entries);
    m_entries = {};
    while (true) {
      const auto ends = pack(level, capacity);
      std::vector<Entry> parents_level;
      auto& links = depth == 0 ? rowid_links : parent_links;
      const bool root = ends.size() == 1;
      std::size_t begin = 0;
      for (const auto end : ends) {
        const std::span<const Entry> group(level.data() + begin, end - begin);
        begin = end;
        const std::int64_t node = root ? 1 : next_node++;
        Entry box{node, group.front().min_x, group.front().max_x, group.front().min_y, group.front().max_y};
        for (const auto& cell : group) {
          links.emplace_back(cell.id, node);
          box.min_x = std::min(box.min_x, cell.min_x);
          box.max_x = std::max(box.max_x, cell.max_x);
          box.min_y = std::min(box.min_y, cell.min_y);
          box.max_y = std::max(box.max_y, cell.max_y);
        }
        nodes.row(node, node_bytes(group, root ? depth : 0, node_size));
        parents_level.push_back(box);
      }
      if (root) break;
      level = std::move(parents_level);
      ++depth;
    }
    for (auto* links : {&rowid_links, &parent_links}) order_by_key(*links);
    rowids.rows(rowid_links);
    parents.rows(parent_links);
    if (m_dataset.CommitTransaction() != OGRERR_NONE) {
      throw OutputError(fmt::format("{}: cannot commit the spatial index", m_path.string()));
    }
  }
  exec(m_insert_trigger_sql);
}

void GpkgSpatialIndex::exec(const std::string& sql) {
  CPLErrorReset();
  OGRLayer* result = m_dataset.ExecuteSQL(sql.c_str(), nullptr, nullptr);
  if (result) m_dataset.ReleaseResultSet(result);
  if (CPLGetLastErrorType() == CE_Failure) {
    throw OutputError(fmt::format("{}: spatial index of layer '{}': {}", m_path.string(), m_table,
                                  last_gdal_error("SQL failed")));
  }
}

std::string GpkgSpatialIndex::query_text(const std::string& sql) {
  CPLErrorReset();
  OGRLayer* result = m_dataset.ExecuteSQL(sql.c_str(), nullptr, nullptr);
  std::string text;
  if (result) {
    std::unique_ptr<OGRFeature> row(result->GetNextFeature());
    if (row && row->GetFieldCount() > 0 && row->IsFieldSetAndNotNull(0)) text = row->GetFieldAsString(0);
    m_dataset.ReleaseResultSet(result);
  }
  if (CPLGetLastErrorType() == CE_Failure) {
    throw OutputError(fmt::format("{}: spatial index of layer '{}': {}", m_path.string(), m_table,
                                  last_gdal_error("SQL failed")));
  }
  return text;
}

}  // namespace twinrisk::io
