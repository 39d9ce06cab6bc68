#include "twinrisk/ops/touching_partners.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <algorithm>
#include <map>
#include <set>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/spatial_index.hpp"

namespace twinrisk::ops {

std::vector<TouchingPair> touching_partners(std::span<const ZonePart> parts, double tolerance_m) {
  if (!(tolerance_m >= 0)) throw ConfigError(fmt::format("tolerance_m is {}; it must be 0 or more", tolerance_m));
  std::map<std::int64_t, std::vector<std::size_t>> by_zone;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].geometry && !geos::is_empty(parts[i].geometry)) by_zone[parts[i].zone].push_back(i);
  }
  std::vector<std::pair<std::int64_t, std::vector<std::size_t>>> zones(by_zone.begin(), by_zone.end());
  // The biggest zones first, each a task of its own (as shared-zones schedules its components).
  std::vector<std::size_t> schedule(zones.size());
  for (std::size_t z = 0; z < zones.size(); ++z) schedule[z] = z;
  std::stable_sort(schedule.begin(), schedule.end(),
                   [&](auto x, auto y) { return zones[x].second.size() > zones[y].second.size(); });
  std::vector<std::vector<TouchingPair>> per_zone(zones.size());
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, schedule.size(), 1),
      [&](const auto& range) {
        for (std::size_t k = range.begin(); k != range.end(); ++k) {
          const auto& [zone, members] = zones[schedule[k]];
          std::map<std::size_t, double> area;
          for (auto i : members) area[parts[i].municipality] += parts[i].area_m2;
          if (area.size() < 2) continue;
          std::vector<geos::Envelope> envelopes;
          envelopes.reserve(members.size());
          for (auto i : members) {
            auto e = geos::envelope(parts[i].geometry);
            envelopes.push_back({e.min_x - tolerance_m, e.min_y - tolerance_m, e.max_x + tolerance_m, e.max_y + tolerance_m});
          }
          const SpatialIndex index(envelopes);
          std::set<std::pair<std::size_t, std::size_t>> touching;
          for (std::size_t x = 0; x < members.size(); ++x) {
            const auto& part = parts[members[x]];
            geos::PreparedPtr prepared;
            for (auto y : index.query(envelopes[x])) {
              if (y <= x) continue;
              const auto& other = parts[members[y]];
              if (other.municipality == part.municipality) continue;
              const auto key = std::minmax(part.municipality, other.municipality);
              if (touching.count(key)) continue;
              if (!prepared) prepared = geos::prepare(part.geometry);
              const bool touches = tolerance_m > 0 ? geos::distance_within(prepared.get(), other.geometry, tolerance_m)
                                                   : geos::intersects(prepared.get(), other.geometry);
              if (touches) touching.insert(key);
            }
          }
          for (const auto& [a, b] : touching) per_zone[schedule[k]].push_back({zone, a, b, area[a], area[b]});
        }
      },
      tbb::simple_partitioner());
  std::vector<TouchingPair> out;
  for (auto& pairs : per_zone) out.insert(out.end(), pairs.begin(), pairs.end());
  return out;
}

}  // namespace twinrisk::ops
