#include "twinrisk/render/workbook.hpp"

#include <fmt/compile.h>
#include <fmt/format.h>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>
#include <zip.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <utility>

#include "twinrisk/core/error.hpp"

namespace twinrisk::render {

namespace {

// ISA-L's deflate at its level 2: the workbook is written after the last step, so its CPU is the
// run's tail. Exposure's 51 MB of sheets at 20k municipalities: 0.05 s of one core for 6.5 MB,
// where zlib took 0.18 s at level 1 for 6.4 MB (0.27 s at level 3 for 5.7 MB, 0.65 s at 6 for 5.0).
constexpr int kCompressionLevel = 2;
// What the zip's headers say of it (their flag bits tell only fast, normal or best).
constexpr int kZipLevel = Z_BEST_SPEED;
// Rows are formatted and compressed in chunks of about this much XML, in parallel.
constexpr std::size_t kChunkBytes = std::size_t{1} << 20;

constexpr std::int64_t kMaxExactInteger = std::int64_t{1} << 53;  // a double holds every integer up to 2^53
constexpr std::size_t kMaxRows = 1048576;          // rows in a sheet (Excel's limit)
constexpr std::size_t kMaxCellCharacters = 32767;  // characters in a cell (Excel's limit)

// Cell styles, the indices of cellXfs in styles.xml.
enum Style : int { kHeader = 1, kInteger = 2, kReal = 3, kShare = 4, kText = 5 };

constexpr std::string_view kXmlDeclaration = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
constexpr std::string_view kMainNamespace = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
constexpr std::string_view kRelationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

[[noreturn]] void failure(const std::filesystem::path& file, std::string_view what, std::string_view why) {
  ErrorContext context;
  context.file = file.string();
  throw OutputError(fmt::format("cannot write the workbook ({}): {}", what, why), context,
                    "check that the folder exists, is writable and has space");
}

std::string zip_error(int code) {
  return code == ZIP_ERRNO ? std::strerror(errno) : fmt::format("zip error {}", code);
}

std::size_t utf8_characters(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

// The first `max_chars` characters of a UTF-8 text.
std::string_view cut_characters(std::string_view s, std::size_t max_chars) {
  std::size_t chars = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80 && chars++ == max_chars) break;
  }
  return s.substr(0, i);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// The bytes append_escaped looks at; runs of the others are copied whole.
constexpr auto kNeedsCare = [] {
  std::array<bool, 256> care{};
  for (int byte = 0; byte < 0x20; ++byte) care[byte] = byte != '\t' && byte != '\n';
  for (unsigned char byte : {'&', '<', '>', '_', '\xef'}) care[byte] = true;
  return care;
}();

// Text as XML character data under OOXML's rules (ECMA-376 ST_Xstring): & < > as entities; the
// characters XML 1.0 cannot hold (controls but tab and line feed, U+FFFE, U+FFFF) as _xHHHH_,
// which Excel and LibreOffice read back as the character; and a literal _xHHHH_ with its
// underscore escaped (_x005F_), or a reader would decode it.
void append_escaped(std::string& out, std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t run = i;
    while (i < text.size() && !kNeedsCare[static_cast<unsigned char>(text[i])]) ++i;
    out.append(text, run, i - run);
    if (i == text.size()) break;
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (byte < 0x20) {
      fmt::format_to(std::back_inserter(out), "_x{:04X}_", byte);
    } else if (byte == 0xef && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xbf &&
               (static_cast<unsigned char>(text[i + 2]) & 0xfe) == 0xbe) {
      out += static_cast<unsigned char>(text[i + 2]) == 0xbe ? "_xFFFE_" : "_xFFFF_";
      i += 2;
    } else {
      if (c == '_' && i + 6 < text.size() && text[i + 1] == 'x' && is_hex(text[i + 2]) && is_hex(text[i + 3]) &&
          is_hex(text[i + 4]) && is_hex(text[i + 5]) && text[i + 6] == '_') {
        out += "_x005F";
      }
      out += c;
    }
    ++i;
  }
}

std::string escaped(std::string_view text) {
  std::string out;
  append_escaped(out, text);
  return out;
}

// Excel's column name: A … Z, AA … XFD.
std::string column_letters(std::size_t column) {
  std::string letters;
  for (std::size_t n = column + 1; n > 0; n = (n - 1) / 26) letters.insert(letters.begin(), char('A' + (n - 1) % 26));
  return letters;
}

std::size_t display_width(std::string_view utf8) { return utf8_characters(utf8); }

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

struct Sheet {
  const Table* table = nullptr;
  std::string name;
  std::vector<int> styles;              // per column
  std::vector<std::string> letters;     // per column
  std::vector<std::string> headers;     // with units
  std::vector<double> widths;           // in characters
  std::size_t rows = 0;                 // data rows written (Excel's limit applied)
  std::size_t rows_per_chunk = 1;
  bool zip64 = false;  // the sheet's XML could pass 4 GiB

  std::string last_cell() const {
    return letters.empty() ? "A1" : fmt::format("{}{}", letters.back(), rows + 1);
  }
};

// A cell's start tag up to its style. Its reference (r="C7") is said only after a column left
// empty: without one, a cell is in the column after the cell before it (ECMA-376 §18.3.1.4, as
// Excel, LibreOffice and openpyxl read it). A fifth of a big sheet's XML, formatted and compressed.
void append_cell_start(std::string& out, std::string_view letters, std::size_t row, bool referenced, int style) {
  if (referenced) {
    fmt::format_to(std::back_inserter(out), FMT_COMPILE("<c r=\"{}{}\" s=\"{}\""), letters, row, style);
  } else {
    fmt::format_to(std::back_inserter(out), FMT_COMPILE("<c s=\"{}\""), style);
  }
}

void append_text_cell(std::string& out, std::string_view letters, std::size_t row, bool referenced, int style,
                      std::string_view text) {
  // XML readers drop leading and trailing white space unless told to keep it.
  const bool preserve = !text.empty() && (std::isspace(static_cast<unsigned char>(text.front())) != 0 ||
                                          std::isspace(static_cast<unsigned char>(text.back())) != 0);
  append_cell_start(out, letters, row, referenced, style);
  out += preserve ? " t=\"inlineStr\"><is><t xml:space=\"preserve\">" : " t=\"inlineStr\"><is><t>";
  append_escaped(out, text);
  out += "</t></is></c>";
}

// The rows [begin, end) of a sheet (0 = the first data row); returns how many texts were cut to a
// cell's limit.
std::size_t append_rows(std::string& out, const Sheet& sheet, std::size_t begin, std::size_t end) {
  std::size_t truncated = 0;
  const Table& table = *sheet.table;
  auto out_it = std::back_inserter(out);
  for (std::size_t r = begin; r < end; ++r) {
    const std::size_t row = r + 2;
    fmt::format_to(out_it, FMT_COMPILE("<row r=\"{}\">"), row);
    std::size_t next = 0;  // the column a cell without a reference is in
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
      const auto& v = table.rows[r][c];
      const auto& reference = sheet.letters[c];
      const bool referenced = c != next;
      if (std::holds_alternative<std::monostate>(v)) continue;
      if (const auto* s = std::get_if<std::string>(&v); s && s->empty()) continue;
      next = c + 1;
      if (const auto* i = std::get_if<std::int64_t>(&v)) {
        if (*i >= -kMaxExactInteger && *i <= kMaxExactInteger) {
          append_cell_start(out, reference, row, referenced, sheet.styles[c]);
          fmt::format_to(out_it, FMT_COMPILE("><v>{}</v></c>"), *i);
        } else {
          append_text_cell(out, reference, row, referenced, kText, fmt::format("{}", *i));
        }
      } else if (const auto* d = std::get_if<double>(&v)) {
        // The shortest text that reads back as the same double, as the CSV writes it. NaN and
        // infinities are not numbers a spreadsheet holds: as text, like the CSV prints them.
        if (std::isfinite(*d)) {
          append_cell_start(out, reference, row, referenced, sheet.styles[c]);
          fmt::format_to(out_it, FMT_COMPILE("><v>{}</v></c>"), *d);
        } else {
          append_text_cell(out, reference, row, referenced, kText, to_display_string(v));
        }
      } else {
        // A string cell, never a formula, whatever its first character (= + - @ tab CR).
        const auto& s = std::get<std::string>(v);
        if (utf8_characters(s) > kMaxCellCharacters) {
          append_text_cell(out, reference, row, referenced, kText,
                           fmt::format("{} … (whole text in tables/{}.csv)", cut_characters(s, kMaxCellCharacters - 100),
                                       table.name));
          ++truncated;
        } else {
          append_text_cell(out, reference, row, referenced, kText, s);
        }
      }
    }
    out += "</row>";
  }
  return truncated;
}

std::string sheet_head(const Sheet& sheet, bool selected) {
  std::string out(kXmlDeclaration);
  auto it = std::back_inserter(out);
  fmt::format_to(it, "<worksheet xmlns=\"{}\" xmlns:r=\"{}\"><dimension ref=\"A1{}\"/>", kMainNamespace, kRelationships,
                 sheet.letters.empty() ? "" : ":" + sheet.last_cell());
  fmt::format_to(it,
                 "<sheetViews><sheetView{} workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" "
                 "activePane=\"bottomLeft\" state=\"frozen\"/><selection pane=\"bottomLeft\"/></sheetView></sheetViews>"
                 "<sheetFormatPr defaultRowHeight=\"15\"/>",
                 selected ? " tabSelected=\"1\"" : "");
  if (!sheet.letters.empty()) {
    out += "<cols>";
    for (std::size_t c = 0; c < sheet.widths.size(); ++c) {
      fmt::format_to(it, "<col min=\"{0}\" max=\"{0}\" width=\"{1}\" customWidth=\"1\"/>", c + 1, sheet.widths[c]);
    }
    out += "</cols>";
  }
  out += "<sheetData><row r=\"1\">";
  for (std::size_t c = 0; c < sheet.headers.size(); ++c) {
    append_text_cell(out, sheet.letters[c], 1, false, kHeader, sheet.headers[c]);
  }
  out += "</row>";
  return out;
}

std::string sheet_tail(const Sheet& sheet) {
  std::string out = "</sheetData>";
  if (!sheet.letters.empty()) out += fmt::format("<autoFilter ref=\"A1:{}\"/>", sheet.last_cell());
  out += "<pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" header=\"0.3\" footer=\"0.3\"/>"
         "</worksheet>";
  return out;
}

// Whether a sheet's XML could pass 4 GiB, the limit of a zip entry without the zip64 extension
// (which Excel 2010 and older complain about in small files): at most 7 bytes a text byte (_xHHHH_)
// and 80 bytes of markup a cell, 4 KiB for the rest.
bool needs_zip64(const Table& table, std::size_t rows) {
  std::uint64_t bound = 4096;
  for (std::size_t r = 0; r < rows; ++r) {
    for (const auto& v : table.rows[r]) {
      bound += 80;
      if (const auto* s = std::get_if<std::string>(&v)) bound += 7 * s->size();
    }
  }
  return bound >= (std::uint64_t{1} << 32);
}

Sheet make_sheet(const Table& table, std::vector<std::string>& taken) {
  Sheet sheet;
  sheet.table = &table;
  sheet.name = sheet_name(table.name, taken);
  const auto n_columns = table.columns.size();
  std::vector<std::size_t> widths(n_columns, 0);
  for (std::size_t c = 0; c < n_columns; ++c) {
    const auto& column = table.columns[c];
    const auto unit = unit_of(column.name);
    sheet.headers.push_back(unit.empty() ? column.name : fmt::format("{} ({})", column.name, unit));
    sheet.styles.push_back(column.type == FieldType::integer  ? kInteger
                           : column.type == FieldType::string ? kText
                           : column.name.starts_with("share_") ? kShare
                                                               : kReal);
    sheet.letters.push_back(column_letters(c));
    widths[c] = display_width(sheet.headers[c]);
  }
  // Widths from the first rows (enough to see the shape of a column, cheap on big tables).
  const std::size_t sample = std::min<std::size_t>(table.rows.size(), 2000);
  for (std::size_t r = 0; r < sample; ++r) {
    for (std::size_t c = 0; c < n_columns; ++c) {
      const auto& v = table.rows[r][c];
      const std::size_t w = std::holds_alternative<double>(v) ? 14 : display_width(to_display_string(v));
      widths[c] = std::max(widths[c], w);
    }
  }
  // Excel's width in characters of the default font's digit (7 px) carries 5 px of padding,
  // stored to 1/256 of a character: 2 + 5/7 → 2.7109375.
  for (std::size_t w : widths) {
    const double characters = static_cast<double>(std::clamp<std::size_t>(w, 6, 50) + 2);
    sheet.widths.push_back(characters + std::floor(5.0 / 7.0 * 256) / 256);
  }
  sheet.rows = std::min(table.rows.size(), kMaxRows - 1);
  sheet.zip64 = needs_zip64(table, sheet.rows);
  sheet.rows_per_chunk = std::max<std::size_t>(16, kChunkBytes / (48 * std::max<std::size_t>(n_columns, 1)));
  return sheet;
}

// One piece of a part: its XML compressed as raw deflate blocks that the next piece continues
// (a sync flush ends all but the last, which ends the stream), so pieces compressed on different
// threads concatenate into one valid stream (as pigz does).
struct Piece {
  bool first = false, last = false;
  std::size_t sheet = 0, begin = 0, end = 0;  // rows of a sheet's piece
  std::string compressed;
  uLong crc = 0;
  std::size_t length = 0;  // uncompressed
  std::size_t truncated = 0;
};

void deflate_into(Piece& piece, std::string_view xml) {
  struct Deflater {
    isal_zstream stream;
    std::array<std::uint8_t, ISAL_DEF_LVL2_DEFAULT> level_buffer;
  };
  const auto deflater = std::make_unique_for_overwrite<Deflater>();
  isal_zstream& stream = deflater->stream;
  isal_deflate_init(&stream);
  stream.level = kCompressionLevel;
  stream.level_buf = deflater->level_buffer.data();
  stream.level_buf_size = deflater->level_buffer.size();
  stream.gzip_flag = IGZIP_DEFLATE;
  stream.flush = piece.last ? NO_FLUSH : SYNC_FLUSH;
  stream.end_of_stream = piece.last ? 1 : 0;
  // A piece is far below 4 GiB (rows_per_chunk), so one buffer takes it whole.
  stream.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(xml.data()));
  stream.avail_in = static_cast<std::uint32_t>(xml.size());
  piece.compressed.resize(xml.size() + xml.size() / 64 + 1024);  // stored blocks' worst case and more
  const auto done = piece.last ? ZSTATE_END : ZSTATE_NEW_HDR;
  for (;;) {
    stream.next_out = reinterpret_cast<std::uint8_t*>(piece.compressed.data() + stream.total_out);
    stream.avail_out = static_cast<std::uint32_t>(piece.compressed.size() - stream.total_out);
    const auto written = stream.total_out;
    if (isal_deflate(&stream) != COMP_OK) throw std::bad_alloc();  // constant parameters: cannot fail otherwise
    if (stream.avail_in == 0 && stream.internal_state.state == done) break;
    if (stream.avail_out == 0) {
      piece.compressed.resize(2 * piece.compressed.size());
    } else if (stream.total_out == written && stream.avail_in == 0) {
      throw std::logic_error("ISA-L's deflate stopped before the end of its stream");
    }
  }
  piece.compressed.resize(stream.total_out);
  piece.crc = crc32_gzip_refl(0, reinterpret_cast<const std::uint8_t*>(xml.data()), xml.size());
  piece.length = xml.size();
}

class Package {
 public:
  explicit Package(const std::filesystem::path& file)
      : m_file(file), m_zip(zipOpen64(file.c_str(), APPEND_STATUS_CREATE)) {
    if (!m_zip) failure(m_file, "create", std::strerror(errno));
  }
  Package(const Package&) = delete;
  Package& operator=(const Package&) = delete;
  ~Package() {
    if (m_zip) zipClose(m_zip, nullptr);  // only after an error; the caller discards the file
  }

  void begin(const std::string& name, bool zip64) {
    check(zipOpenNewFileInZip2_64(m_zip, name.c_str(), &m_info, nullptr, 0, nullptr, 0, nullptr, Z_DEFLATED,
                                  kZipLevel, 1, zip64 ? 1 : 0),
          name);
    m_part = name;
  }
  void write(std::string_view compressed) {
    for (std::size_t at = 0; at < compressed.size();) {
      const auto n = static_cast<unsigned>(std::min<std::size_t>(compressed.size() - at, 1u << 30));
      check(zipWriteInFileInZip(m_zip, compressed.data() + at, n), m_part);
      at += n;
    }
  }
  void end(std::size_t length, uLong crc) { check(zipCloseFileInZipRaw64(m_zip, length, crc), m_part); }

  void add(const std::string& name, std::string_view xml) {
    Piece piece;
    piece.last = true;
    deflate_into(piece, xml);
    begin(name, false);
    write(piece.compressed);
    end(piece.length, piece.crc);
  }

  void close() {
    zipFile zip = std::exchange(m_zip, nullptr);
    check(zipClose(zip, nullptr), "close");
  }

 private:
  void check(int code, std::string_view what) const {
    if (code != ZIP_OK) failure(m_file, what, zip_error(code));
  }

  std::filesystem::path m_file;
  zipFile m_zip;
  std::string m_part;
  // Every part dated 1980-01-01 (DOS time's first day): the file depends on the tables only.
  zip_fileinfo m_info{{0, 0, 0, 1, 0, 1980}, 0, 0, 0};
};

std::string content_types(std::size_t sheets) {
  std::string out(kXmlDeclaration);
  out +=
      "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
      "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
      "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
      "<Override PartName=\"/docProps/app.xml\" "
      "ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>"
      "<Override PartName=\"/docProps/core.xml\" "
      "ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>"
      "<Override PartName=\"/xl/styles.xml\" "
      "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>"
      "<Override PartName=\"/xl/workbook.xml\" "
      "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>";
  for (std::size_t i = 1; i <= sheets; ++i) {
    fmt::format_to(std::back_inserter(out),
                   "<Override PartName=\"/xl/worksheets/sheet{}.xml\" "
                   "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>",
                   i);
  }
  return out + "</Types>";
}

std::string package_relationships() {
  return fmt::format(
      "{}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
      "<Relationship Id=\"rId1\" Type=\"{}/officeDocument\" Target=\"xl/workbook.xml\"/>"
      "<Relationship Id=\"rId2\" "
      "Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" "
      "Target=\"docProps/core.xml\"/>"
      "<Relationship Id=\"rId3\" Type=\"{}/extended-properties\" Target=\"docProps/app.xml\"/></Relationships>",
      kXmlDeclaration, kRelationships, kRelationships);
}

std::string workbook_relationships(std::size_t sheets) {
  std::string out = fmt::format(
      "{}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">", kXmlDeclaration);
  for (std::size_t i = 1; i <= sheets; ++i) {
    fmt::format_to(std::back_inserter(out),
                   "<Relationship Id=\"rId{0}\" Type=\"{1}/worksheet\" Target=\"worksheets/sheet{0}.xml\"/>", i,
                   kRelationships);
  }
  fmt::format_to(std::back_inserter(out), "<Relationship Id=\"rId{}\" Type=\"{}/styles\" Target=\"styles.xml\"/>",
                 sheets + 1, kRelationships);
  return out + "</Relationships>";
}

std::string workbook_part(const std::vector<Sheet>& sheets) {
  std::string out = fmt::format("{}<workbook xmlns=\"{}\" xmlns:r=\"{}\"><bookViews><workbookView/></bookViews><sheets>",
                                kXmlDeclaration, kMainNamespace, kRelationships);
  auto it = std::back_inserter(out);
  for (std::size_t i = 0; i < sheets.size(); ++i) {
    fmt::format_to(it, "<sheet name=\"{}\" sheetId=\"{}\" r:id=\"rId{}\"/>", escaped(sheets[i].name), i + 1, i + 1);
  }
  out += "</sheets><definedNames>";
  // The autofilters' ranges, as Excel names them; the sheet name quoted, its ' doubled.
  for (std::size_t i = 0; i < sheets.size(); ++i) {
    if (sheets[i].letters.empty()) continue;
    std::string quoted;
    for (char c : sheets[i].name) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    fmt::format_to(it,
                   "<definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"{}\" hidden=\"1\">"
                   "'{}'!$A$1:${}${}</definedName>",
                   i, escaped(quoted), sheets[i].letters.back(), sheets[i].rows + 1);
  }
  out += "</definedNames><calcPr fullCalcOnLoad=\"1\"/></workbook>";
  return out;
}

std::string styles_part() {
  return fmt::format(
      "{}<styleSheet xmlns=\"{}\">"
      "<numFmts count=\"4\"><numFmt numFmtId=\"164\" formatCode=\"0\"/><numFmt numFmtId=\"165\" formatCode=\"#,##0.00\"/>"
      "<numFmt numFmtId=\"166\" formatCode=\"0.0000\"/><numFmt numFmtId=\"167\" formatCode=\"@\"/></numFmts>"
      "<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
      "<font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font></fonts>"
      "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>"
      "<fill><patternFill patternType=\"gray125\"/></fill></fills>"
      "<borders count=\"2\"><border><left/><right/><top/><bottom/><diagonal/></border>"
      "<border><left/><right/><top/><bottom style=\"thin\"><color auto=\"1\"/></bottom><diagonal/></border></borders>"
      "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
      "<cellXfs count=\"6\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
      "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"1\" xfId=\"0\" applyFont=\"1\" applyBorder=\"1\" "
      "applyAlignment=\"1\"><alignment vertical=\"top\" wrapText=\"1\"/></xf>"
      "<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>"
      "<xf numFmtId=\"165\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>"
      "<xf numFmtId=\"166\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>"
      "<xf numFmtId=\"167\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/></cellXfs>"
      "<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles></styleSheet>",
      kXmlDeclaration, kMainNamespace);
}

std::string core_properties() {
  std::time_t created = std::time(nullptr);
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) created = std::strtoll(epoch, nullptr, 10);
  std::tm utc{};
  gmtime_r(&created, &utc);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return fmt::format(
      "{0}<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" "
      "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:creator>twinrisk</dc:creator>"
      "<dcterms:created xsi:type=\"dcterms:W3CDTF\">{1}</dcterms:created>"
      "<dcterms:modified xsi:type=\"dcterms:W3CDTF\">{1}</dcterms:modified></cp:coreProperties>",
      kXmlDeclaration, when);
}

std::string app_properties() {
  return fmt::format(
      "{}<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\">"
      "<Application>twinrisk</Application></Properties>",
      kXmlDeclaration);
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
  // Cut at a UTF-8 boundary: Excel counts characters.
  auto cut = [](const std::string& s, std::size_t max_chars) {
    std::string out(cut_characters(s, max_chars));
    while (!out.empty() && out.back() == '\'') out.pop_back();
    return out;
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
  std::vector<Sheet> sheets;
  std::vector<std::string> names;
  for (const Table* table : tables) {
    sheets.push_back(make_sheet(*table, names));
    report.omitted_rows += table->rows.size() - sheets.back().rows;
  }

  Package package(file);
  package.add("[Content_Types].xml", content_types(sheets.size()));
  package.add("_rels/.rels", package_relationships());
  package.add("docProps/app.xml", app_properties());
  package.add("docProps/core.xml", core_properties());
  package.add("xl/workbook.xml", workbook_part(sheets));
  package.add("xl/_rels/workbook.xml.rels", workbook_relationships(sheets.size()));
  package.add("xl/styles.xml", styles_part());

  // The sheets in pieces of rows: each piece formatted and compressed on any thread, written in
  // order. The pieces depend on the tables only, so the file does not depend on the threads.
  std::vector<Piece> plan;
  for (std::size_t s = 0; s < sheets.size(); ++s) {
    const std::size_t step = sheets[s].rows_per_chunk;
    for (std::size_t begin = 0; begin == 0 || begin < sheets[s].rows; begin += step) {
      Piece piece;
      piece.sheet = s;
      piece.begin = begin;
      piece.end = std::min(begin + step, sheets[s].rows);
      piece.first = begin == 0;
      piece.last = piece.end == sheets[s].rows;
      plan.push_back(std::move(piece));
    }
  }
  std::size_t next = 0;
  uLong crc = 0;
  std::size_t length = 0;
  const auto tokens = static_cast<std::size_t>(2 * tbb::this_task_arena::max_concurrency());
  tbb::parallel_pipeline(
      tokens,
      tbb::make_filter<void, Piece*>(tbb::filter_mode::serial_in_order,
                                     [&](tbb::flow_control& control) -> Piece* {
                                       if (next == plan.size()) {
                                         control.stop();
                                         return nullptr;
                                       }
                                       return &plan[next++];
                                     }) &
          tbb::make_filter<Piece*, Piece*>(tbb::filter_mode::parallel,
                                           [&](Piece* piece) {
                                             const Sheet& sheet = sheets[piece->sheet];
                                             std::string xml;
                                             if (piece->first) xml = sheet_head(sheet, piece->sheet == 0);
                                             piece->truncated = append_rows(xml, sheet, piece->begin, piece->end);
                                             if (piece->last) xml += sheet_tail(sheet);
                                             deflate_into(*piece, xml);
                                             return piece;
                                           }) &
          tbb::make_filter<Piece*, void>(tbb::filter_mode::serial_in_order, [&](Piece* piece) {
            const Sheet& sheet = sheets[piece->sheet];
            if (piece->first) {
              package.begin(fmt::format("xl/worksheets/sheet{}.xml", piece->sheet + 1), sheet.zip64);
              crc = 0;
              length = 0;
            }
            package.write(piece->compressed);
            crc = crc32_combine(crc, piece->crc, static_cast<z_off_t>(piece->length));
            length += piece->length;
            report.truncated_cells += piece->truncated;
            std::string().swap(piece->compressed);
            if (piece->last) package.end(length, crc);
          }));
  package.close();
  return report;
}

}  // namespace twinrisk::render
