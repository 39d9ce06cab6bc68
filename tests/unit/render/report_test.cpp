// The report in one language and in two: both titles present (pdftotext, HTML text), nothing
// outside the HTML file, every number from the manifest where the summary says.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "../test_support.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/render/map.hpp"
#include "twinrisk/render/report.hpp"

namespace twinrisk::render {
namespace {

using test::TempDir;

std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string pdftotext(const std::filesystem::path& pdf) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(("pdftotext '" + pdf.string() + "' - 2>&1").c_str(), "r"), pclose);
  std::string out;
  char buffer[4096];
  while (pipe && fgets(buffer, sizeof buffer, pipe.get())) out += buffer;
  // A wrapped title is still the title: lines and runs of spaces become one space.
  std::string flat;
  for (char c : out) {
    const bool space = c == '\n' || c == ' ' || c == '\f';
    if (!space) flat += c;
    else if (!flat.empty() && flat.back() != ' ') flat += ' ';
  }
  return flat;
}

class Report : public ::testing::Test {
 protected:
  void SetUp() override {
    towns.name = "municipalities";
    towns.role = Role::municipalities;
    towns.fields = {{"id", FieldType::string}, {"name", FieldType::string}, {"country", FieldType::string}};
    towns.features.push_back(Feature{1, geos::from_wkt("POLYGON((0 0,1000 0,1000 1000,0 1000,0 0))"), {Value("A"), Value("Aa"), Value("BE")}});
    MapScene scene({{&towns, *builtin_style("municipalities")}});
    render_overview(scene, OverviewOptions{}, dir / "overview.png");
    table.name = "zone_summary";
    table.columns = {{"class", FieldType::string}, {"zones", FieldType::integer}, {"area_m2", FieldType::real}};
    for (int i = 0; i < 45; ++i) table.rows.push_back({Value(std::to_string(i % 3 + 1)), Value(std::int64_t{i}), Value(1234567.5 + i)});
    input.manifest = nlohmann::json::parse(R"({
      "twinrisk": "0.1.0", "threads": 2, "started_at": "2026-11-29T08:00:00Z", "pipeline": "/x/meuse.yaml",
      "libraries": {"gdal": "3.6.2", "geos": "3.11.1", "proj": "9.1.1"}, "timings": {"total_seconds": 0.5},
      "analysis_crs": {"wkt": "PROJCRS[\"ETRS89-extended / LAEA Europe\",BASEGEOGCRS[]]"},
      "inputs": [{"name": "provinces", "layer": "ne_admin1", "source": "/data/meuse_nl_be.gpkg", "loaded": 2, "repaired": 1, "dropped": 0, "empty": 0}],
      "steps": [{"algorithm": "shared-zones", "stats": {"zones": 68, "classes": 3, "cross_border_zones": 9, "cross_national_zones": 7}}]
    })");
    input.maps = {{dir / "overview.png"}};
    input.tables = {&table};
    input.licences = {{"provinces", "Natural Earth, public domain"}};
  }
  TempDir dir;
  Layer towns;
  Table table;
  ReportInput input;
};

TEST_F(Report, BilingualHtmlHasBothLanguagesAndNeedsNoOtherFile) {
  const auto t = Translations::load("de+fr");
  write_report_html(input, t, dir / "index.html");
  const auto html = slurp(dir / "index.html");
  for (const char* text : {"Gemeinsames Hochwasserrisiko", "Risque d’inondation partagé", "lang=\"de\"", "lang=\"fr\"",
                           "68 Hochwassergefahrenzonen in 3 Klassen; 9 davon", "68 zones inondables en 3 classes ; 9 d’entre elles",
                           "ETRS89-extended / LAEA Europe", "Natural Earth, public domain", "15 weitere Zeilen in tables.xlsx"}) {
    EXPECT_NE(html.find(text), std::string::npos) << text;
  }
  // Self-contained: every image inline, no link or script to another file.
  // (A scan, not std::regex: libstdc++'s regex recurses per character and overflows the stack on
  // a 200 kB data URI.)
  int references = 0;
  for (const std::string attribute : {"src=\"", "href=\"", "url("}) {
    for (auto at = html.find(attribute); at != std::string::npos; at = html.find(attribute, at + 1)) {
      EXPECT_EQ(html.compare(at + attribute.size(), 22, "data:image/png;base64,"), 0) << html.substr(at, 60);
      ++references;
    }
  }
  EXPECT_EQ(references, 1);  // the one map
}

TEST_F(Report, PdfHasBothTitles) {
  write_report_pdf(input, Translations::load("nl+pl"), dir / "report.pdf");
  const auto text = pdftotext(dir / "report.pdf");
  EXPECT_NE(text.find("Gedeeld overstromingsrisico"), std::string::npos) << text;
  EXPECT_NE(text.find("Wspólne ryzyko powodziowe"), std::string::npos) << text;
  EXPECT_NE(text.find("Natural Earth"), std::string::npos) << text;
}

TEST_F(Report, OneLanguageHasOnlyThatLanguage) {
  write_report_html(input, Translations::load("en"), dir / "index.html");
  const auto html = slurp(dir / "index.html");
  EXPECT_NE(html.find("Shared flood risk"), std::string::npos);
  EXPECT_EQ(html.find("Risque"), std::string::npos);
  EXPECT_NE(html.find("1,234,568"), std::string::npos);  // English separators; areas ≥ 100 without decimals
}

TEST_F(Report, AMissingMapImageIsAnInputError) {
  input.maps = {{dir / "nowhere.png"}};
  EXPECT_THROW(write_report_html(input, Translations::load("en"), dir / "index.html"), InputError);
  EXPECT_THROW(write_report_pdf(input, Translations::load("en"), dir / "report.pdf"), InputError);
}

}  // namespace
}  // namespace twinrisk::render
