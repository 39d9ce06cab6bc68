#include "twinrisk/ops/zone_parts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "twinrisk/core/error.hpp"

namespace twinrisk::ops {

namespace {

std::string text_at(const Feature& feature, std::optional<std::size_t> field) {
  return field ? to_display_string(feature.values[*field]) : std::string();
}

std::optional<std::int64_t> whole_number(const Value& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) return *i;
  if (const auto* d = std::get_if<double>(&value)) {
    if (std::isfinite(*d) && std::floor(*d) == *d) return static_cast<std::int64_t>(*d);
    return std::nullopt;
  }
  if (const auto* s = std::get_if<std::string>(&value)) {
    std::int64_t out = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    if (ec == std::errc() && end == s->data() + s->size()) return out;
  }
  return std::nullopt;
}

}  // namespace

std::vector<ZonePartInfo> zone_part_infos(const Layer& zone_parts) {
  const auto zone_field = zone_parts.field_index("zone_id");
  if (!zone_field) {
    throw InputError(fmt::format("layer '{}' has no field zone_id", zone_parts.name), {{}, {}, zone_parts.name, {}, {}},
                     "give the zone_parts layer that shared-zones writes");
  }
  const auto class_field = zone_parts.field_index("class");
  const auto id_field = zone_parts.field_index("municipality_id");
  const auto name_field = zone_parts.field_index("municipality_name");
  const auto country_field = zone_parts.field_index("country");
  std::vector<ZonePartInfo> infos;
  infos.reserve(zone_parts.features.size());
  for (const auto& feature : zone_parts.features) {
    const auto zone_id = whole_number(feature.values[*zone_field]);
    if (!zone_id) {
      throw InputError(fmt::format("zone_id '{}' is not a whole number", to_display_string(feature.values[*zone_field])),
                       {{}, {}, zone_parts.name, feature.fid, {}}, "give the zone_parts layer that shared-zones writes");
    }
    infos.push_back({*zone_id, class_field ? feature.values[*class_field] : Value(),
                     text_at(feature, id_field), text_at(feature, name_field), text_at(feature, country_field)});
  }
  return infos;
}

std::map<std::int64_t, ZoneMembers> zone_members(const std::vector<ZonePartInfo>& parts) {
  std::map<std::int64_t, ZoneMembers> zones;
  for (const auto& part : parts) {
    auto& zone = zones[part.zone_id];
    if (!part.municipality_id.empty()) zone.municipalities.push_back(part.municipality_id);
    if (!part.country.empty()) zone.countries.push_back(part.country);
  }
  for (auto& [id, zone] : zones) {
    for (auto* list : {&zone.municipalities, &zone.countries}) {
      std::sort(list->begin(), list->end());
      list->erase(std::unique(list->begin(), list->end()), list->end());
    }
  }
  return zones;
}

Value class_text(const Value& class_value) {
  if (std::holds_alternative<std::monostate>(class_value)) return {};
  return to_display_string(class_value);
}

std::string join_ids(const std::vector<std::string>& ids) { return fmt::format("{}", fmt::join(ids, ";")); }

}  // namespace twinrisk::ops
