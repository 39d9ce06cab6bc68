#include "twinrisk/ops/touching_partners.hpp"

#include <fmt/format.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/spatial_index.hpp"

namespace twinrisk::ops {
namespace {

struct ZoneMembers {
  std::int64_t zone = 0;
  std::vector<std::size_t> members;  // indexes into parts
  std::map<std::size_t, double> area;  // by municipality
  std::vector<geos::Envelope> envelopes;  // of the members, widened by the tolerance
  std::vector<std::vector<geos::XY>> vertices;  // of the members, sorted
  std::unique_ptr<SpatialIndex> index;
};

bool xy_less(geos::XY a, geos::XY b) { return a.x < b.x || (a.x == b.x && a.y < b.y); }

// Finite ones only: a NaN has no place in their order (the loader lets none through).
std::vector<geos::XY> sorted_vertices(const GEOSGeometry* polygonal) {
  std::vector<geos::XY> out;
  for (const auto* polygon : geos::polygon_views(polygonal)) {
    for (const auto* ring : geos::ring_views(polygon)) {
      for (const auto& p : geos::coordinates(ring)) {
        if (std::isfinite(p.x) && std::isfinite(p.y)) out.push_back(p);
      }
    }
  }
  std::sort(out.begin(), out.end(), xy_less);
  return out;
}

// A vertex of both is a point of both: parts cut in one noding pass share the ends of their
// common edges, so most touching pairs are found here without GEOS (preparing and testing took 3 %
// of the CPU of shared-zones and exposure together at 20k × 5k).
bool share_a_vertex(const std::vector<geos::XY>& a, const std::vector<geos::XY>& b) {
  const auto& few = a.size() <= b.size() ? a : b;
  const auto& many = a.size() <= b.size() ? b : a;
  return std::any_of(few.begin(), few.end(),
                     [&](geos::XY p) { return std::binary_search(many.begin(), many.end(), p, xy_less); });
}

}  // namespace

std::vector<TouchingPair> touching_partners(std::span<const ZonePart> parts, double tolerance_m) {
  if (!(tolerance_m >= 0)) throw ConfigError(fmt::format("tolerance_m is {}; it must be 0 or more", tolerance_m));
  std::map<std::int64_t, std::vector<std::size_t>> by_zone;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].geometry && !geos::is_empty(parts[i].geometry)) by_zone[parts[i].zone].push_back(i);
  }
  std::vector<ZoneMembers> zones;
  for (auto& [zone, members] : by_zone) {
    ZoneMembers z{zone, std::move(members), {}, {}, {}, {}};
    for (auto i : z.members) z.area[parts[i].municipality] += parts[i].area_m2;
    if (z.area.size() >= 2) zones.push_back(std::move(z));
  }
  tbb::parallel_for(std::size_t{0}, zones.size(), [&](std::size_t k) {
    auto& z = zones[k];
    z.envelopes.reserve(z.members.size());
    z.vertices.reserve(z.members.size());
    for (auto i : z.members) {
      z.vertices.push_back(sorted_vertices(parts[i].geometry));
      const auto e = geos::envelope(parts[i].geometry);
      z.envelopes.push_back({e.min_x - tolerance_m, e.min_y - tolerance_m, e.max_x + tolerance_m, e.max_y + tolerance_m});
    }
    z.index = std::make_unique<SpatialIndex>(z.envelopes);
  });
  // One task per part, not per zone: a river-long zone has thousands of parts and alone took
  // most of the time on one core.
  std::vector<std::pair<std::size_t, std::size_t>> tasks;  // (zone, member)
  for (std::size_t k = 0; k < zones.size(); ++k) {
    for (std::size_t x = 0; x < zones[k].members.size(); ++x) tasks.emplace_back(k, x);
  }
  using Found = std::tuple<std::size_t, std::size_t, std::size_t>;  // (zone, a, b), a < b
  tbb::enumerable_thread_specific<std::vector<Found>> found;
  tbb::parallel_for(std::size_t{0}, tasks.size(), [&](std::size_t t) {
    // Not a structured binding: clang 14 cannot capture those in a lambda.
    const auto k = tasks[t].first;
    const auto x = tasks[t].second;
    const auto& z = zones[k];
    const auto& part = parts[z.members[x]];
    auto& out = found.local();
    std::set<std::size_t> partners;  // already found from this part
    geos::PreparedPtr prepared;
    for (auto y : z.index->query(z.envelopes[x])) {
      if (y <= x) continue;
      const auto& other = parts[z.members[y]];
      if (other.municipality == part.municipality || partners.count(other.municipality)) continue;
      const auto touches = [&] {
        if (share_a_vertex(z.vertices[x], z.vertices[y])) return true;
        if (!prepared) prepared = geos::prepare(part.geometry);
        return tolerance_m > 0 ? geos::distance_within(prepared.get(), other.geometry, tolerance_m)
                               : geos::intersects(prepared.get(), other.geometry);
      };
      if (!touches()) continue;
      partners.insert(other.municipality);
      const auto [a, b] = std::minmax(part.municipality, other.municipality);
      out.emplace_back(k, a, b);
    }
  });
  std::set<Found> pairs;  // in zone order, then (a, b), whichever thread found them
  for (const auto& local : found) pairs.insert(local.begin(), local.end());
  std::vector<TouchingPair> result;
  result.reserve(pairs.size());
  for (const auto& [k, a, b] : pairs) {
    const auto& z = zones[k];
    result.push_back({z.zone, a, b, z.area.at(a), z.area.at(b)});
  }
  return result;
}

}  // namespace twinrisk::ops
