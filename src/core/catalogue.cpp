#include "twinrisk/core/catalogue.hpp"

#include <fmt/format.h>

#include "twinrisk/core/error.hpp"

namespace twinrisk {

namespace {

template <typename Entry>
void insert(std::map<std::string, std::variant<Layer, Table, RasterInfo>, std::less<>>& entries, std::string name,
            Entry entry) {
  if (entries.count(name)) throw Error(ErrorKind::internal, fmt::format("catalogue entry '{}' added twice", name));
  entries.emplace(std::move(name), std::move(entry));
}

}  // namespace

void Catalogue::add(std::string name, Layer layer) { insert(m_entries, std::move(name), std::move(layer)); }
void Catalogue::add(std::string name, Table table) { insert(m_entries, std::move(name), std::move(table)); }
void Catalogue::add(std::string name, RasterInfo raster) { insert(m_entries, std::move(name), std::move(raster)); }

std::optional<Catalogue::Entry> Catalogue::take(std::string_view name) {
  auto it = m_entries.find(name);
  if (it == m_entries.end()) return std::nullopt;
  auto node = m_entries.extract(it);
  return std::move(node.mapped());
}

bool Catalogue::contains(std::string_view name) const { return m_entries.find(name) != m_entries.end(); }

EntryKind Catalogue::kind(std::string_view name) const {
  auto it = m_entries.find(name);
  if (it == m_entries.end()) throw Error(ErrorKind::internal, fmt::format("no catalogue entry '{}'", name));
  if (std::holds_alternative<Table>(it->second)) return EntryKind::table;
  if (std::holds_alternative<RasterInfo>(it->second)) return EntryKind::raster;
  return EntryKind::vector;
}

const Layer* Catalogue::layer(std::string_view name) const {
  auto it = m_entries.find(name);
  return it == m_entries.end() ? nullptr : std::get_if<Layer>(&it->second);
}

const Table* Catalogue::table(std::string_view name) const {
  auto it = m_entries.find(name);
  return it == m_entries.end() ? nullptr : std::get_if<Table>(&it->second);
}

const RasterInfo* Catalogue::raster(std::string_view name) const {
  auto it = m_entries.find(name);
  return it == m_entries.end() ? nullptr : std::get_if<RasterInfo>(&it->second);
}

std::vector<std::string> Catalogue::names() const {
  std::vector<std::string> out;
  for (const auto& [name, entry] : m_entries) out.push_back(name);
  return out;
}

}  // namespace twinrisk
