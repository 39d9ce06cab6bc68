#pragma once
// Translations: every word a map or the report prints comes from translations/<code>.yaml
// (en, de, fr, nl, pl; compiled in). A language option is one code or two joined by "+": "de+fr"
// prints both, one per partner council — side by side in the report, "de / fr" on a map.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "twinrisk/render/map.hpp"
#include "twinrisk/render/style.hpp"

namespace twinrisk::render {

using TextValues = std::vector<std::pair<std::string, std::string>>;

class Translations {
 public:
  // "en", "de+fr" … ConfigError for an unknown code (naming the available ones), an empty option,
  // more than two languages or one twice.
  static Translations load(std::string_view option);
  // The codes compiled in, sorted.
  static std::vector<std::string> available();

  const std::vector<std::string>& languages() const { return m_languages; }
  std::size_t size() const { return m_languages.size(); }
  bool has(std::string_view key) const;
  // Every key of the first language, sorted.
  std::vector<std::string> keys() const;
  // One language's text with each {name} filled in; Error (internal) for a key no file has.
  std::string text(std::size_t language, std::string_view key, const TextValues& values = {}) const;
  // Every language's text joined by `separator` (one language: just its text).
  std::string joined(std::string_view key, const TextValues& values = {}, std::string_view separator = " / ") const;
  // Numbers as the first language writes them.
  std::string number(double value, int decimals) const;

  // What a map prints, in these languages (joined when two).
  MapTexts map_texts() const;
  // A style with its title and legend labels translated (joined when two), where the files have
  // `styles.<layer>.…` keys; labels without a translation stay as the style file has them.
  LayerStyle localise(LayerStyle style) const;

 private:
  std::vector<std::string> m_languages;
  std::vector<const std::map<std::string, std::string, std::less<>>*> m_catalogues;
};

}  // namespace twinrisk::render
