// Translations: every language has every key with the same {placeholders} as English; language
// options are checked; styles and map texts come out in one language or two.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "twinrisk/core/error.hpp"
#include "twinrisk/render/i18n.hpp"

namespace twinrisk::render {
namespace {

std::set<std::string> placeholders(const std::string& text) {
  std::set<std::string> out;
  static const std::regex re(R"(\{([a-z_]+)\})");
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) out.insert((*it)[1]);
  return out;
}

TEST(Translations, FiveLanguagesShip) {
  EXPECT_EQ(Translations::available(), (std::vector<std::string>{"de", "en", "fr", "nl", "pl"}));
}

TEST(Translations, EveryLanguageHasEnglishKeysAndPlaceholders) {
  const auto en = Translations::load("en");
  // The keys English uses, found through the public interface: every key the code asks for.
  const std::vector<std::string> keys = {
      "language", "number.decimal", "number.thousands", "map.legend", "map.scale", "map.crs", "map.north", "map.page",
      "map.more_rows", "map.highlight", "map.overview_title", "map.atlas_title", "atlas.municipality", "atlas.country",
      "atlas.area_ha", "atlas.share_of_zone", "atlas.share_of_municipality", "styles.zones.title", "styles.zones.1",
      "styles.zones.2", "styles.zones.3", "styles.zones.other", "styles.zones.missing", "styles.zones.outline_0",
      "styles.zones.outline_1", "styles.zone_parts.title", "styles.zone_parts.missing", "styles.municipalities.title",
      "styles.municipalities.borders", "styles.rivers.title", "report.title", "report.subtitle", "report.summary",
      "report.summary_text", "report.maps", "report.overview_caption", "report.atlas_note", "report.tables",
      "report.more_rows", "report.method", "report.method_text", "report.sources", "report.source", "report.layer",
      "report.features", "report.repaired", "report.dropped", "report.processing", "report.processing_text",
      "report.generated", "column.zone_id", "column.class", "column.area_m2", "column.share_of_zone"};
  for (const auto& code : Translations::available()) {
    const auto t = Translations::load(code);
    EXPECT_EQ(t.keys(), en.keys()) << "translations/" << code << ".yaml";
    for (const auto& key : en.keys()) {
      EXPECT_EQ(placeholders(t.text(0, key)), placeholders(en.text(0, key))) << code << ": " << key;
    }
    for (const auto& key : keys) {
      ASSERT_TRUE(t.has(key)) << code << ": " << key;
      EXPECT_EQ(placeholders(t.text(0, key)), placeholders(en.text(0, key))) << code << ": " << key;
    }
  }
}

TEST(Translations, LanguageOptionsAreChecked) {
  EXPECT_EQ(Translations::load("de+fr").languages(), (std::vector<std::string>{"de", "fr"}));
  for (const char* bad : {"xx", "", "de+", "de+de", "de+fr+nl", "DE"}) {
    try {
      (void)Translations::load(bad);
      FAIL() << bad;
    } catch (const ConfigError& error) {
      EXPECT_EQ(error.kind(), ErrorKind::config);
      const std::string what = error.what();
      if (std::string_view(bad) == "xx") {
        EXPECT_NE(what.find("unknown language 'xx'"), std::string::npos) << what;
        EXPECT_NE(what.find("de, en, fr, nl, pl"), std::string::npos) << what;
      }
    }
  }
}

TEST(Translations, TwoLanguagesSideBySide) {
  const auto t = Translations::load("de+fr");
  EXPECT_EQ(t.joined("report.title"), "Gemeinsames Hochwasserrisiko / Risque d’inondation partagé");
  EXPECT_EQ(t.joined("map.north"), "N");  // the same in both: once
  EXPECT_EQ(t.text(1, "map.page", {{"page", "2"}, {"pages", "9"}}), "Page 2 sur 9");
  EXPECT_EQ(t.number(1234567.891, 2), "1.234.567,89");  // as the first language writes numbers
  EXPECT_EQ(Translations::load("fr").number(1234567.891, 2), "1\u202f234\u202f567,89");
  const auto texts = t.map_texts();
  EXPECT_EQ(texts.legend, "Legende / Légende");
  EXPECT_EQ(texts.decimal_point, ',');
}

TEST(Translations, StylesGetTranslatedLegends) {
  const auto zones = Translations::load("nl+pl").localise(*builtin_style("zones"));
  EXPECT_EQ(zones.title, "Overstromingsgevaarzones / Strefy zagrożenia powodziowego");
  EXPECT_EQ(zones.classes.values.back().label, "Klasse 1 (vaak) / Klasa 1 (częste)");
  EXPECT_EQ(zones.overlays.at(1).label, "Gedeeld over een landsgrens / Wspólna ponad granicą państwową");
  const auto en = Translations::load("en").localise(*builtin_style("zones"));
  EXPECT_EQ(en.classes.values.back().label, builtin_style("zones")->classes.values.back().label);  // files agree
}

}  // namespace
}  // namespace twinrisk::render
