// The short report printed after a run: where the outputs are and what was found.

#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "commands.hpp"

namespace twinrisk::cli {
namespace {

constexpr std::size_t kMaxCellBytes = 40;

std::string cell(const Value& value) {
  if (const auto* number = std::get_if<double>(&value)) return fmt::format("{:.6g}", *number);
  auto text = to_display_string(value);
  if (text.size() <= kMaxCellBytes) return text;
  // Cut on a UTF-8 character boundary; the CSV tables keep the whole value.
  std::size_t cut = kMaxCellBytes - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "...";
}

void print_table(const pipeline::TablePreview& preview) {
  const Table& table = preview.head;
  std::vector<std::size_t> widths;
  for (const auto& column : table.columns) widths.push_back(column.name.size());
  const auto shown = table.rows.size();
  for (std::size_t r = 0; r < shown; ++r) {
    for (std::size_t c = 0; c < table.rows[r].size(); ++c) widths[c] = std::max(widths[c], cell(table.rows[r][c]).size());
  }
  std::cout << "\n  " << table.name << ":\n  ";
  for (std::size_t c = 0; c < table.columns.size(); ++c) std::cout << fmt::format("{:<{}}  ", table.columns[c].name, widths[c]);
  std::cout << '\n';
  for (std::size_t r = 0; r < shown; ++r) {
    std::cout << "  ";
    for (std::size_t c = 0; c < table.rows[r].size(); ++c) {
      const bool numeric = table.columns[c].type != FieldType::string;
      std::cout << (numeric ? fmt::format("{:>{}}  ", cell(table.rows[r][c]), widths[c])
                            : fmt::format("{:<{}}  ", cell(table.rows[r][c]), widths[c]));
    }
    std::cout << '\n';
  }
  if (preview.total_rows > shown) std::cout << fmt::format("  … {} more rows\n", preview.total_rows - shown);
}

}  // namespace

void print_run_summary(const pipeline::RunSummary& summary, const std::vector<std::string>& tables) {
  std::cout << "Inputs:\n";
  for (const auto& load : summary.loads) {
    std::cout << fmt::format("  {:<16} {} features read, {} loaded, {} repaired, {} empty, {} dropped{}\n", load.name,
                             load.read, load.loaded, load.repaired, load.empty, load.dropped,
                             load.reprojected ? " (reprojected)" : "");
  }
  for (const auto& step : summary.steps) {
    std::cout << fmt::format("\nStep {}{}:\n", step.algorithm, step.scenario.empty() ? "" : " as " + step.scenario);
    for (const auto& [key, value] : step.stats.items()) {
      if (!value.is_object()) {
        std::cout << fmt::format("  {:<34} {}\n", key, value.dump());
        continue;
      }
      // A nested object (per category, per band): one line per entry.
      std::cout << fmt::format("  {}:\n", key);
      for (const auto& [inner, item] : value.items()) {
        std::cout << fmt::format("    {:<32} {}\n", inner, item.is_string() ? item.get<std::string>() : item.dump());
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
