#include "twinrisk/render/workbook.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <numeric>

#include "twinrisk/core/error.hpp"

namespace twinrisk::render {

namespace {

struct WorkbookDeleter {
  // Only reached when an error left the workbook unclosed: close it to free it (the file is
  // discarded by the caller's staging).
  void operator()(lxw_workbook* workbook) const { workbook_close(workbook); }
};

[[noreturn]] void failure(const std::filesystem::path& file, std::string_view what, lxw_error error) {
  ErrorContext context;
  context.file = file.string();
  throw OutputError(fmt::format("cannot write the workbook ({}): {}", what, lxw_strerror(error)), context,
                    "check that the folder exists, is writable and has space");
}

std::size_t display_width(std::string_view utf8) {
  std::size_t n = 0;
  for (unsigned char c : utf8) n += (c & 0xc0) != 0x80;  // code points, not bytes
  return n;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// OOXML escapes characters XML cannot hold as _xHHHH_ (libxlsxwriter does so for control
// characters such as CR) and reads every _xHHHH_ back as one character; a text that holds such a
// sequence literally must escape its underscore (_x005F_), which libxlsxwriter 1.1 does not do.
std::string escape_literal_hex_sequences(const std::string& text) {
  auto is_hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_' && i + 6 < text.size() && text[i + 1] == 'x' && is_hex(text[i + 2]) && is_hex(text[i + 3]) &&
        is_hex(text[i + 4]) && is_hex(text[i + 5]) && text[i + 6] == '_') {
      out += "_x005F";
    }
    out += text[i];
  }
  return out;
}

constexpr std::int64_t kMaxExactInteger = std::int64_t{1} << 53;  // a double holds every integer up to 2^53
constexpr std::size_t kMaxRows = 1048576;       // rows in a sheet (Excel's limit)
constexpr std::size_t kMaxCellCharacters = 32767;  // characters in a cell (Excel's limit)

std::size_t utf8_characters(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

// The first `max_chars` characters of a UTF-8 text.
std::string cut_characters(std::string s, std::size_t max_chars) {
  std::size_t chars = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80 && chars++ == max_chars) break;
  }
  s.resize(i);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Writes a table's rows below its header; returns how many texts were cut to a cell's limit.
std::size_t write_rows(const std::filesystem::path& file, lxw_worksheet* sheet, const Table& table,
                        const std::string& name, const std::vector<lxw_format*>& formats, lxw_format* text) {
  std::size_t truncated = 0;
  const std::size_t rows = std::min(table.rows.size(), kMaxRows - 1);
  for (std::size_t r = 0; r < rows; ++r) {
    const auto row = static_cast<lxw_row_t>(r + 1);
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
      const auto col = static_cast<lxw_col_t>(c);
      const auto& v = table.rows[r][c];
      lxw_error e = LXW_NO_ERROR;
      if (const auto* i = std::get_if<std::int64_t>(&v)) {
        // Compared as integers: the conversion to double would already have rounded 2^53 + 1.
        e = *i >= -kMaxExactInteger && *i <= kMaxExactInteger
                ? worksheet_write_number(sheet, row, col, static_cast<double>(*i), formats[c])
                : worksheet_write_string(sheet, row, col, std::to_string(*i).c_str(), text);
      } else if (const auto* d = std::get_if<double>(&v)) {
        // NaN and infinities are not numbers a spreadsheet holds: as text, like the CSV prints them.
        e = std::isfinite(*d) ? worksheet_write_number(sheet, row, col, *d, formats[c])
                              : worksheet_write_string(sheet, row, col, to_display_string(v).c_str(), text);
      } else if (const auto* s = std::get_if<std::string>(&v); s && !s->empty()) {
        // A string cell, never a formula, whatever its first character (= + - @ tab CR).
        auto cell = escape_literal_hex_sequences(*s);
        if (utf8_characters(cell) > kMaxCellCharacters) {
          cell = cut_characters(std::move(cell), kMaxCellCharacters - 100) +
                 fmt::format(" … (whole text in tables/{}.csv)", table.name);
          ++truncated;
        }
        e = worksheet_write_string(sheet, row, col, cell.c_str(), text);
      }
      if (e != LXW_NO_ERROR) failure(file, fmt::format("sheet '{}' row {} column {}", name, r + 1, table.columns[c].name), e);
    }
  }
  return truncated;
}

}  // namespace

std::string unit_of(std::string_view column) {
  static const std::vector<std::pair<std::string_view, std::string_view>> suffixes = {
      {"_km2", "km²"}, {"_m2", "m²"}, {"_ha", "ha"},   {"_m3", "m³"},   {"_km", "km"},  {"_mm", "mm"},
      {"_m", "m"},     {"_pct", "%"}, {"_eur", "EUR"}, {"_usd", "USD"}, {"_s", "s"},    {"_kg", "kg"},
  };
  for (const auto& [suffix, unit] : suffixes) {
    if (ends_with(column, suffix)) return std::string(unit);
  }
  if (column.starts_with("share_")) return "0–1";
  return {};
}

std::string sheet_name(std::string_view table, std::vector<std::string>& taken) {
  std::string base;
  for (char c : table) base += std::string_view("[]:*?/\\").find(c) == std::string_view::npos ? c : '_';
  while (!base.empty() && base.front() == '\'') base.erase(0, 1);
  if (base.empty() || lower(base) == "history") base = "table";
  auto is_taken = [&](const std::string& name) {
    return std::any_of(taken.begin(), taken.end(), [&](const std::string& t) { return lower(t) == lower(name); });
  };
  // Cut at a UTF-8 boundary: Excel counts characters, libxlsxwriter counts them too.
  auto cut = [](std::string s, std::size_t max_chars) {
    std::size_t chars = 0, i = 0;
    for (; i < s.size(); ++i) {
      if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80 && chars++ == max_chars) break;
    }
    s.resize(i);
    while (!s.empty() && s.back() == '\'') s.pop_back();
    return s;
  };
  std::string name = cut(base, 31);
  for (int n = 2; is_taken(name); ++n) {
    const std::string suffix = fmt::format("~{}", n);
    name = cut(base, 31 - suffix.size()) + suffix;
  }
  taken.push_back(name);
  return name;
}

WorkbookReport write_workbook(const std::filesystem::path& file, const std::vector<const Table*>& tables) {
  if (tables.empty()) throw ConfigError("the workbook has no table to write");
  WorkbookReport report;
  lxw_workbook_options options{};
  options.constant_memory = 1;  // rows stream to a temporary file: a 500k-row table stays small in memory
  options.use_zip64 = 1;
  std::unique_ptr<lxw_workbook, WorkbookDeleter> workbook(workbook_new_opt(file.c_str(), &options));
  if (!workbook) failure(file, "create", LXW_ERROR_CREATING_XLSX_FILE);
  lxw_doc_properties properties{};
  properties.author = const_cast<char*>("twinrisk");
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) properties.created = std::strtoll(epoch, nullptr, 10);
  workbook_set_properties(workbook.get(), &properties);

  lxw_format* header = workbook_add_format(workbook.get());
  format_set_bold(header);
  format_set_bottom(header, LXW_BORDER_THIN);
  format_set_text_wrap(header);
  format_set_align(header, LXW_ALIGN_VERTICAL_TOP);
  lxw_format* integer = workbook_add_format(workbook.get());
  format_set_num_format(integer, "0");
  lxw_format* real = workbook_add_format(workbook.get());
  format_set_num_format(real, "#,##0.00");
  lxw_format* share = workbook_add_format(workbook.get());
  format_set_num_format(share, "0.0000");
  lxw_format* text = workbook_add_format(workbook.get());
  format_set_num_format(text, "@");

  // Every format takes its index now, in a fixed order, so that the sheets can be filled in
  // parallel below: in constant_memory mode libxlsxwriter 1.1 writes a sheet's rows to that
  // sheet's own temporary file, and a format's first use (which assigns its index) is the only
  // step of a cell that touches the workbook.
  for (lxw_format* format : {header, integer, real, share, text}) lxw_format_get_xf_index(format);

  struct Sheet {
    const Table* table;
    std::string name;
    lxw_worksheet* worksheet;
    std::vector<lxw_format*> formats;
  };
  std::vector<Sheet> sheets;
  std::vector<std::string> names;
  for (const Table* table : tables) {
    auto name = sheet_name(table->name, names);
    lxw_worksheet* sheet = workbook_add_worksheet(workbook.get(), name.c_str());
    if (!sheet) failure(file, fmt::format("add sheet '{}'", name), LXW_ERROR_SHEETNAME_ALREADY_USED);
    const auto n_columns = table->columns.size();
    std::vector<lxw_format*> formats(n_columns);
    std::vector<std::size_t> widths(n_columns, 0);
    std::vector<std::string> headers(n_columns);
    for (std::size_t c = 0; c < n_columns; ++c) {
      const auto& column = table->columns[c];
      const auto unit = unit_of(column.name);
      headers[c] = unit.empty() ? column.name : fmt::format("{} ({})", column.name, unit);
      formats[c] = column.type == FieldType::integer ? integer
                   : column.type == FieldType::string ? text
                   : column.name.starts_with("share_") ? share
                                                       : real;
      widths[c] = display_width(headers[c]);
    }
    // Widths from the first rows (enough to see the shape of a column, cheap on big tables).
    const std::size_t sample = std::min<std::size_t>(table->rows.size(), 2000);
    for (std::size_t r = 0; r < sample; ++r) {
      for (std::size_t c = 0; c < n_columns; ++c) {
        const auto& v = table->rows[r][c];
        const std::size_t w = std::holds_alternative<double>(v) ? 14 : display_width(to_display_string(v));
        widths[c] = std::max(widths[c], w);
      }
    }
    for (std::size_t c = 0; c < n_columns; ++c) {
      const double width = static_cast<double>(std::clamp<std::size_t>(widths[c], 6, 50)) + 2;
      worksheet_set_column(sheet, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c), width, nullptr);
    }
    for (std::size_t c = 0; c < n_columns; ++c) {
      if (auto e = worksheet_write_string(sheet, 0, static_cast<lxw_col_t>(c), headers[c].c_str(), header); e != LXW_NO_ERROR) {
        failure(file, "header", e);
      }
    }
    worksheet_freeze_panes(sheet, 1, 0);
    if (n_columns > 0) {
      worksheet_autofilter(sheet, 0, 0, static_cast<lxw_row_t>(table->rows.size()), static_cast<lxw_col_t>(n_columns - 1));
    }
    // Excel holds 1,048,576 rows a sheet (the header is one); the CSV keeps the rest.
    report.omitted_rows += table->rows.size() - std::min(table->rows.size(), kMaxRows - 1);
    sheets.push_back({table, std::move(name), sheet, std::move(formats)});
  }

  // The rows, one sheet per task, biggest first (exposure's critical facilities are 60 % of its
  // workbook; the sheets' XML took 0.1 s of one core before the compression).
  std::vector<std::size_t> order(sheets.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return sheets[a].table->rows.size() * sheets[a].table->columns.size() >
           sheets[b].table->rows.size() * sheets[b].table->columns.size();
  });
  std::atomic<std::size_t> truncated_cells{0};
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, order.size(), 1),
      [&](const auto& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i) {
          truncated_cells += write_rows(file, sheets[order[i]].worksheet, *sheets[order[i]].table,
                                        sheets[order[i]].name, sheets[order[i]].formats, text);
        }
      },
      tbb::simple_partitioner());
  report.truncated_cells = truncated_cells;
  const lxw_error closed = workbook_close(workbook.release());
  if (closed != LXW_NO_ERROR) failure(file, "close", closed);
  return report;
}

}  // namespace twinrisk::render
