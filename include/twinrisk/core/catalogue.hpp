#pragma once
// The run's catalogue: every named vector layer, table and raster a step may take as input.
// Input layers enter when loaded; every output of a step joins under its output name.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "twinrisk/core/layer.hpp"
#include "twinrisk/core/raster.hpp"

namespace twinrisk {

class Catalogue {
 public:
  void add(std::string name, Layer layer);
  void add(std::string name, Table table);
  void add(std::string name, RasterInfo raster);
  using Entry = std::variant<Layer, Table, RasterInfo>;
  // Takes the entry out (to be freed elsewhere); nullopt when there is none.
  std::optional<Entry> take(std::string_view name);

  bool contains(std::string_view name) const;
  EntryKind kind(std::string_view name) const;
  // The entry, or nullptr when there is none of that kind under the name.
  const Layer* layer(std::string_view name) const;
  const Table* table(std::string_view name) const;
  const RasterInfo* raster(std::string_view name) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, Entry, std::less<>> m_entries;
};

}  // namespace twinrisk
