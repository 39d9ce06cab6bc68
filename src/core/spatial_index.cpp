#include "twinrisk/core/spatial_index.hpp"

#include <algorithm>
#include <iterator>

#include <boost/iterator/function_output_iterator.hpp>

namespace twinrisk {
namespace {

template <typename Box, typename Point>
Box to_box(const geos::Envelope& e) {
  return Box(Point(e.min_x, e.min_y), Point(e.max_x, e.max_y));
}

}  // namespace

SpatialIndex::SpatialIndex(const Layer& layer) {
  std::vector<Entry> entries;
  entries.reserve(layer.features.size());
  for (std::size_t i = 0; i < layer.features.size(); ++i) {
    const auto* geometry = layer.features[i].geometry.get();
    if (!geometry || geos::is_empty(geometry)) continue;
    entries.emplace_back(to_box<Box, Point>(geos::envelope(geometry)), i);
  }
  m_tree = decltype(m_tree)(entries.begin(), entries.end());
}

SpatialIndex::SpatialIndex(const std::vector<geos::Envelope>& envelopes) {
  std::vector<Entry> entries;
  entries.reserve(envelopes.size());
  for (std::size_t i = 0; i < envelopes.size(); ++i) entries.emplace_back(to_box<Box, Point>(envelopes[i]), i);
  m_tree = decltype(m_tree)(entries.begin(), entries.end());
}

std::vector<std::size_t> SpatialIndex::query(const geos::Envelope& envelope) const {
  std::vector<std::size_t> positions;
  query(envelope, positions);
  return positions;
}

void SpatialIndex::query(const geos::Envelope& envelope, std::vector<std::size_t>& out) const {
  out.clear();
  m_tree.query(boost::geometry::index::intersects(to_box<Box, Point>(envelope)),
               boost::make_function_output_iterator([&out](const Entry& hit) { out.push_back(hit.second); }));
  std::sort(out.begin(), out.end());
}

bool SpatialIndex::any(const geos::Envelope& envelope) const {
  return m_tree.qbegin(boost::geometry::index::intersects(to_box<Box, Point>(envelope))) != m_tree.qend();
}

}  // namespace twinrisk
