#pragma once
// tables.xlsx: every result table as one sheet (SpreadsheetML, written with zlib and minizip).
//   - numbers are number cells, text is text (a text starting with = + - @ stays text, never a
//     formula), NULL is an empty cell;
//   - the header row names each column as in the CSV, with its unit: "area_m2 (m²)";
//   - the header row is frozen and has an autofilter; columns are as wide as their content.
// Values equal the CSVs' (io::write_csv), reals in the same shortest exact form, with two
// exceptions the format imposes: an empty text is an empty cell like NULL, and an integer beyond
// ±2^53 (what a spreadsheet number holds exactly) is written as text.
// Sheets are formatted and compressed in pieces on every thread and written in order; the file
// depends on the tables only (and SOURCE_DATE_EPOCH for its creation date).

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "twinrisk/core/layer.hpp"

namespace twinrisk::render {

// What did not fit Excel's limits; the CSVs hold everything.
struct WorkbookReport {
  std::size_t truncated_cells = 0;  // texts over 32,767 characters, cut with a note
  std::size_t omitted_rows = 0;     // rows beyond a sheet's 1,048,575
};

// Writes `file`. OutputError when it cannot be written; ConfigError for no tables.
WorkbookReport write_workbook(const std::filesystem::path& file, const std::vector<const Table*>& tables);

// The unit a column name carries by the house naming rule (area_m2, length_m, share_*), or "".
std::string unit_of(std::string_view column);
// The sheet name for a table: Excel's rules (≤ 31 characters, no []:*?/\) and unique among `taken`
// (case-insensitively), which it is added to.
std::string sheet_name(std::string_view table, std::vector<std::string>& taken);

}  // namespace twinrisk::render
