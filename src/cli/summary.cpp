// The short report printed after a run: where the outputs are and what was found.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include "commands.hpp"

namespace twinrisk::cli {
namespace {

constexpr std::size_t kMaxCellBytes = 40;
// Characters per table line: a terminal's width, and about what QGIS's log shows without wrapping.
constexpr std::size_t kMaxLineWidth = 96;

// Fixed decimals, the same for a whole column so that its decimal points line up: 2 for measures
// (names end in a unit: area_m2, length_m), 6 for shares and fractions (every value within ±1),
// 2 for the rest.
int decimals_for(std::string_view name, double largest_magnitude) {
  for (std::string_view unit : {"_m2", "_km2", "_m", "_km"}) {
    if (name.size() > unit.size() && name.substr(name.size() - unit.size()) == unit) return 2;
  }
  return largest_magnitude <= 1.0 ? 6 : 2;
}

std::string real_text(double value, int decimals) { return fmt::format("{:.{}f}", value, decimals); }

// Characters on screen, not bytes: "Liège" is five wide.
std::size_t width_of(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string cell(const Value& value, int decimals) {
  if (const auto* number = std::get_if<double>(&value)) return real_text(*number, decimals);
  auto text = to_display_string(value);
  if (text.size() <= kMaxCellBytes) return text;
  // Cut on a UTF-8 character boundary; the CSV tables keep the whole value.
  std::size_t cut = kMaxCellBytes - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "...";
}

std::string padded(const std::string& text, std::size_t width, bool right) {
  const std::string fill(width > width_of(text) ? width - width_of(text) : 0, ' ');
  return right ? fill + text : text + fill;
}

void print_table(const pipeline::TablePreview& preview) {
  const Table& table = preview.head;
  const auto shown = table.rows.size();
  std::vector<int> decimals(table.columns.size(), 2);
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    double largest = 0;
    for (const auto& row : table.rows) {
      if (const auto* number = std::get_if<double>(&row[c])) largest = std::max(largest, std::abs(*number));
    }
    decimals[c] = decimals_for(table.columns[c].name, largest);
  }
  std::vector<std::vector<std::string>> cells(shown);
  std::vector<std::size_t> widths;
  for (const auto& column : table.columns) widths.push_back(width_of(column.name));
  for (std::size_t r = 0; r < shown; ++r) {
    for (std::size_t c = 0; c < table.rows[r].size(); ++c) {
      cells[r].push_back(cell(table.rows[r][c], decimals[c]));
      widths[c] = std::max(widths[c], width_of(cells[r].back()));
    }
  }
  // Columns are two spaces apart, numbers right-aligned, so names with spaces or commas stay readable.
  auto numeric = [&](std::size_t c) { return table.columns[c].type != FieldType::string; };
  auto line = [&](const std::vector<std::size_t>& columns, auto text_of) {
    std::string out = " ";
    for (const auto c : columns) {
      out += ' ';
      out += padded(text_of(c), widths[c], numeric(c));
      out += ' ';
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::cout << out << '\n';
  };
  // A table wider than a line is printed in blocks of columns, each led by the first column (as R
  // prints a wide data frame), so that neither a terminal nor QGIS's log wraps its rows.
  std::vector<std::vector<std::size_t>> blocks(1, {0});
  std::size_t used = 2 + widths[0];
  for (std::size_t c = 1; c < widths.size(); ++c) {
    if (used + 2 + widths[c] > kMaxLineWidth && blocks.back().size() > 1) {
      blocks.push_back({0});
      used = 2 + widths[0];
    }
    blocks.back().push_back(c);
    used += 2 + widths[c];
  }
  std::cout << "\n  " << table.name << ":\n";
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    if (b > 0) std::cout << '\n';
    line(blocks[b], [&](std::size_t c) { return table.columns[c].name; });
    for (const auto& row : cells) line(blocks[b], [&](std::size_t c) { return row[c]; });
  }
  if (preview.total_rows > shown) std::cout << fmt::format("  … {} more rows\n", preview.total_rows - shown);
}

std::string stat_text(std::string_view name, const nlohmann::json& value) {
  if (value.is_number_float()) {
    const double number = value.get<double>();
    return real_text(number, decimals_for(name, std::abs(number)));
  }
  if (value.is_object()) {  // a category's counts and measures: "assets 6, area_m2 3134.78, …"
    std::string out;
    for (const auto& [inner, item] : value.items()) {
      if (!out.empty()) out += ", ";
      out += inner + " " + stat_text(inner, item);
    }
    return out;
  }
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

void print_run_summary(const pipeline::RunSummary& summary, const std::vector<std::string>& tables) {
  std::cout << "Inputs:\n";
  std::size_t name_width = 16;
  for (const auto& load : summary.loads) name_width = std::max(name_width, width_of(load.name));
  for (const auto& load : summary.loads) {
    std::cout << fmt::format("  {}{} {} features read, {} loaded, {} repaired, {} empty, {} dropped{}\n", load.name,
                             std::string(name_width - width_of(load.name), ' '), load.read, load.loaded, load.repaired,
                             load.empty, load.dropped, load.reprojected ? " (reprojected)" : "");
  }
  for (const auto& step : summary.steps) {
    std::cout << fmt::format("\nStep {}{}:\n", step.algorithm, step.scenario.empty() ? "" : " as " + step.scenario);
    for (const auto& [key, value] : step.stats.items()) {
      if (!value.is_object()) {
        std::cout << fmt::format("  {:<34} {}\n", key, stat_text(key, value));
        continue;
      }
      // A nested object (per category, per band): one line per entry.
      std::cout << fmt::format("  {}:\n", key);
      for (const auto& [inner, item] : value.items()) {
        std::cout << fmt::format("    {:<32} {}\n", inner, stat_text(inner, item));
      }
    }
    for (const auto& table : step.tables) {
      if (tables.empty() || std::find(tables.begin(), tables.end(), table.head.name) != tables.end()) print_table(table);
    }
  }
  std::cout << "\nOutputs:\n";
  for (const auto& output : summary.outputs) std::cout << "  " << output << '\n';
}

}  // namespace twinrisk::cli
