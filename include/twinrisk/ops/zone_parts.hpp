#pragma once
// What the steps after shared-zones need of each zone part (its zone, class, municipality and
// country) and of each zone (the municipalities and countries it touches), read once from a
// zone_parts layer whatever its source: the step before, or an earlier run's GeoPackage.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "twinrisk/core/layer.hpp"

namespace twinrisk::ops {

struct ZonePartInfo {
  std::int64_t zone_id = 0;
  Value class_value;  // as in the layer; NULL is a class of its own
  std::string municipality_id;  // empty: outside every municipality
  std::string municipality_name;
  std::string country;
};

// One entry per feature of the layer, in layer order. Throws InputError naming the layer and
// feature when zone_id is missing or not a whole number.
std::vector<ZonePartInfo> zone_part_infos(const Layer& zone_parts);

// The municipalities and countries of a zone's parts (sorted, unique, empty ids left out).
struct ZoneMembers {
  std::vector<std::string> municipalities;
  std::vector<std::string> countries;
  bool cross_national() const { return countries.size() >= 2; }
};
std::map<std::int64_t, ZoneMembers> zone_members(const std::vector<ZonePartInfo>& parts);

// The class as written to tables: its text, NULL where the zone part had none.
Value class_text(const Value& class_value);
// Ids joined with ';', as shared-zones writes its lists.
std::string join_ids(const std::vector<std::string>& ids);

}  // namespace twinrisk::ops
