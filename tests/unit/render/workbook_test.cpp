// tables.xlsx reopened with openpyxl (Debian's python3-openpyxl) and compared with the CSVs that
// io::write_csv writes for the same tables: the CSV is the reference.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>

#include "../test_support.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/io/writers.hpp"
#include "twinrisk/render/workbook.hpp"

namespace twinrisk::render {
namespace {

using test::TempDir;

int check(const std::filesystem::path& xlsx, const std::vector<std::filesystem::path>& csvs) {
  std::string command = "/usr/bin/python3 " TWINRISK_SOURCE_DIR "/tests/unit/render/check_workbook.py '" + xlsx.string() + "'";
  for (const auto& csv : csvs) command += " '" + csv.string() + "'";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string bytes_of(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Table summary() {
  Table t;
  t.name = "municipality_summary";
  t.columns = {{"municipality_id", FieldType::string}, {"name", FieldType::string}, {"zones", FieldType::integer},
               {"hazard_area_m2", FieldType::real}, {"share_of_municipality", FieldType::real}};
  t.rows = {
      {Value("M1"), Value("Köln"), Value(std::int64_t{3}), Value(1234567.891), Value(0.1 + 0.2)},
      {Value("M2"), Value("Łódź, \"old town\""), Value(std::int64_t{0}), Value(0.0), Value(1.0 / 3.0)},
      {Value("M3"), Value(), Value(std::int64_t{-7}), Value(6.02214076e23), Value(5e-324)},
      // Text that a spreadsheet would otherwise run as a formula (CSV injection), or mangle.
      {Value("=1+2"), Value("+SUM(A1:A2)"), Value(std::int64_t{9007199254740993}), Value(-1e-9), Value(std::nan(""))},
      {Value("-2"), Value("@cmd"), Value(std::int64_t{1}), Value(12.5), Value(0.5)},
      {Value("\tTAB"), Value("\rCR"), Value(std::int64_t{2}), Value(3.0), Value(0.25)},
      {Value("line\nbreak"), Value("0042"), Value(std::int64_t{3}), Value(1e15 + 0.5), Value(0.75)},
      {Value("_x000D_ written literally"), Value("a\x01b"), Value(std::int64_t{4}), Value(-0.0), Value(1.0)},
  };
  return t;
}

TEST(Workbook, ReopensWithValuesEqualToTheCsvs) {
  TempDir dir;
  const Table a = summary();
  Table b;
  b.name = "zone_summary";
  b.columns = {{"class", FieldType::string}, {"zones", FieldType::integer}, {"area_m2", FieldType::real}};
  for (int i = 0; i < 300; ++i) b.rows.push_back({Value(std::to_string(i % 3 + 1)), Value(std::int64_t{i}), Value(i * 1000.125)});
  Table empty;
  empty.name = "coverage_issues";
  empty.columns = {{"issue", FieldType::string}, {"length_m", FieldType::real}};
  for (const Table* t : std::vector<const Table*>{&a, &b, &empty}) io::write_csv(dir / (t->name + ".csv"), *t);
  write_workbook(dir / "tables.xlsx", {&a, &b, &empty});
  const int status = check(dir / "tables.xlsx", {dir / "municipality_summary.csv", dir / "zone_summary.csv", dir / "coverage_issues.csv"});
  if (status == 77) GTEST_SKIP() << "python3-openpyxl is not installed";
  EXPECT_EQ(status, 0);
}

// Sheets are filled in parallel: each keeps its values and number formats, and the file does not
// depend on which sheet was done first (two writes are byte for byte equal).
TEST(Workbook, SheetsFilledInParallelKeepTheirFormatsAndAreReproducible) {
  TempDir dir;
  std::vector<Table> tables(4);
  for (std::size_t t = 0; t < tables.size(); ++t) {
    tables[t].name = fmt::format("table_{}", t);
    tables[t].columns = {{"id", FieldType::string}, {"count", FieldType::integer}, {"area_m2", FieldType::real},
                         {"share_of_zone", FieldType::real}};
    for (int r = 0; r < 1000 * static_cast<int>(t + 1); ++r) {
      tables[t].rows.push_back({Value(fmt::format("T{}-{}", t, r)), Value(std::int64_t{r}), Value(r * 0.5), Value(1.0 / (r + 1))});
    }
  }
  std::vector<const Table*> pointers;
  for (const auto& table : tables) pointers.push_back(&table);
  ::setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
  write_workbook(dir / "first.xlsx", pointers);
  write_workbook(dir / "second.xlsx", pointers);
  ::unsetenv("SOURCE_DATE_EPOCH");
  EXPECT_EQ(bytes_of(dir / "first.xlsx"), bytes_of(dir / "second.xlsx"));
  const std::string command =
      "/usr/bin/python3 -c \"import openpyxl, sys\n"
      "wb = openpyxl.load_workbook(sys.argv[1])\n"
      "assert wb.sheetnames == ['table_0', 'table_1', 'table_2', 'table_3'], wb.sheetnames\n"
      "for t, ws in enumerate(wb.worksheets):\n"
      "    assert ws.max_row == 1000 * (t + 1) + 1, ws.max_row\n"
      "    assert ws['A1'].font.b and ws['C1'].value == 'area_m2 (m²)'\n"
      "    r = 1000 * (t + 1)\n"
      "    assert ws.cell(r + 1, 1).value == f'T{t}-{r - 1}' and ws.cell(r + 1, 1).number_format == '@'\n"
      "    assert ws.cell(r + 1, 2).value == r - 1 and ws.cell(r + 1, 2).number_format == '0'\n"
      "    assert ws.cell(r + 1, 3).value == (r - 1) * 0.5 and ws.cell(r + 1, 3).number_format == '#,##0.00'\n"
      "    assert ws.cell(r + 1, 4).value == 1 / r and ws.cell(r + 1, 4).number_format == '0.0000'\n"
      "\" '" + (dir / "first.xlsx").string() + "'";
  EXPECT_EQ(std::system(command.c_str()), 0);
}

// A long sheet is formatted and compressed in pieces of about 1 MB of XML on several threads: the
// pieces must join into one deflate stream whose CRC and size the zip directory states (Python's
// zipfile checks both), and every row must read back in its place, at a piece's edges too.
TEST(Workbook, ALongSheetCompressedInPiecesReadsBackWhole) {
  TempDir dir;
  Table t;
  t.name = "exposed_assets";
  t.columns = {{"asset_id", FieldType::integer}, {"length_m", FieldType::real}, {"name", FieldType::string}};
  constexpr int kRows = 30000;  // 1 MB of XML is about 7,000 rows of three columns: five pieces
  for (int r = 0; r < kRows; ++r) {
    t.rows.push_back({Value(std::int64_t{r}), Value(r / 7.0), Value(fmt::format("road <{}> & \"{}\"", r, r % 13))});
  }
  write_workbook(dir / "tables.xlsx", {&t});
  const std::string command =
      "/usr/bin/python3 -c \"import openpyxl, sys, zipfile\n"
      "z = zipfile.ZipFile(sys.argv[1])\n"
      "assert z.testzip() is None\n"
      "xml = z.read('xl/worksheets/sheet1.xml')\n"
      "assert xml.count(b'<row ') == " + std::to_string(kRows + 1) + ", xml.count(b'<row ')\n"
      "ws = openpyxl.load_workbook(sys.argv[1], read_only=True).active\n"
      "n = 0\n"
      "for i, row in enumerate(ws.iter_rows(min_row=2, values_only=True)):\n"
      "    assert row == (i, i / 7.0, f'road <{i}> & \\\"{i % 13}\\\"'), (i, row)\n"
      "    n += 1\n"
      "assert n == " + std::to_string(kRows) + ", n\n"
      "\" '" + (dir / "tables.xlsx").string() + "'";
  EXPECT_EQ(std::system(command.c_str()), 0);
}

TEST(Workbook, TextsOverExcelsCellLimitAreCutWithANoteAndCounted) {
  TempDir dir;
  Table t;
  t.name = "municipality_summary";
  t.columns = {{"partner_municipalities", FieldType::string}};
  std::string long_text;
  for (int i = 0; i < 8000; ++i) long_text += "Łódź;";  // 40,000 characters, 56,000 bytes
  t.rows = {{Value(long_text)}, {Value("short")}};
  const auto report = write_workbook(dir / "tables.xlsx", {&t});
  EXPECT_EQ(report.truncated_cells, 1u);
  EXPECT_EQ(report.omitted_rows, 0u);
  const std::string command = "/usr/bin/python3 -c \"import openpyxl, sys; ws = openpyxl.load_workbook(sys.argv[1]).active; "
                              "v = ws['A2'].value; assert len(v) <= 32767 and v.startswith('Łódź;Łódź;') and "
                              "v.endswith('(whole text in tables/municipality_summary.csv)'), len(v); "
                              "assert ws['A3'].value == 'short'\" '" + (dir / "tables.xlsx").string() + "'";
  EXPECT_EQ(std::system(command.c_str()), 0);
}

TEST(Workbook, CheckerFindsAWrongValue) {  // the comparison can fail
  TempDir dir;
  Table t = summary();
  io::write_csv(dir / "municipality_summary.csv", t);
  t.rows[0][3] = Value(1234567.892);
  write_workbook(dir / "tables.xlsx", {&t});
  const int status = check(dir / "tables.xlsx", {dir / "municipality_summary.csv"});
  if (status == 77) GTEST_SKIP();
  EXPECT_EQ(status, 1);
}

TEST(Workbook, UnitsComeFromColumnNames) {
  EXPECT_EQ(unit_of("area_m2"), "m²");
  EXPECT_EQ(unit_of("outside_area_m2"), "m²");
  EXPECT_EQ(unit_of("length_m"), "m");
  EXPECT_EQ(unit_of("area_km2"), "km²");
  EXPECT_EQ(unit_of("share_of_zone"), "0–1");
  EXPECT_EQ(unit_of("zones"), "");
  EXPECT_EQ(unit_of("n_municipalities"), "");
  EXPECT_EQ(unit_of("name"), "");  // not "…m"
}

TEST(Workbook, SheetNamesFollowExcelsRules) {
  std::vector<std::string> taken;
  EXPECT_EQ(sheet_name("zones", taken), "zones");
  EXPECT_EQ(sheet_name("ZONES", taken), "ZONES~2");  // Excel compares case-insensitively
  EXPECT_EQ(sheet_name("a/b:c", taken), "a_b_c");
  const auto long_name = sheet_name("hq100_restoration_by_municipality_and_reach", taken);
  EXPECT_EQ(long_name, "hq100_restoration_by_municipali");
  EXPECT_EQ(sheet_name("hq100_restoration_by_municipality_and_river", taken), "hq100_restoration_by_municipa~2");
  EXPECT_EQ(sheet_name("History", taken), "table");
}

TEST(Workbook, NoTablesIsAConfigErrorAndAnUnwritableFileAnOutputError) {
  EXPECT_THROW(write_workbook("/tmp/never.xlsx", {}), ConfigError);
  const Table t = summary();
  EXPECT_THROW(write_workbook("/nonexistent-folder/tables.xlsx", {&t}), OutputError);
}

}  // namespace
}  // namespace twinrisk::render
