#pragma once
// The report two councils can read: report/index.html (self-contained: maps embedded, no external
// file or script) and report/report.pdf, in one language or two side by side (Translations).
// Sections: title, summary of the results, maps, tables, method, data sources and licences, and
// processing (the manifest's inputs, repairs and library versions).

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "twinrisk/core/layer.hpp"
#include "twinrisk/render/i18n.hpp"

namespace twinrisk::render {

struct ReportMap {
  std::filesystem::path png;                           // embedded in the HTML, drawn in the PDF
  std::string caption_key = "report.overview_caption";  // a translation key
};

struct ReportInput {
  nlohmann::json manifest;                       // the run's manifest.json
  std::vector<ReportMap> maps;
  std::vector<const Table*> tables;
  std::map<std::string, std::string> licences;   // input layer name → licence and attribution
  std::size_t max_rows = 30;                     // per table; the rest is in tables.xlsx
};

// Each writes the file it is given (the caller stages and renames). OutputError when it cannot be
// written, InputError when a map image cannot be read.
void write_report_html(const ReportInput& input, const Translations& translations, const std::filesystem::path& html);
void write_report_pdf(const ReportInput& input, const Translations& translations, const std::filesystem::path& pdf);

}  // namespace twinrisk::render
