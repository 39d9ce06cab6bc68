#include "twinrisk/core/spatial_index.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <stdexcept>

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

BoxGrid::BoxGrid(std::vector<geos::Envelope> boxes) : m_boxes(std::move(boxes)) {
  std::vector<std::size_t> usable;
  geos::Envelope extent{};
  for (std::size_t i = 0; i < m_boxes.size(); ++i) {
    const auto& b = m_boxes[i];
    if (!(b.min_x <= b.max_x && b.min_y <= b.max_y)) continue;  // empty or NaN: never contains a point
    extent = usable.empty() ? b
                            : geos::Envelope{std::min(extent.min_x, b.min_x), std::min(extent.min_y, b.min_y),
                                             std::max(extent.max_x, b.max_x), std::max(extent.max_y, b.max_y)};
    usable.push_back(i);
  }
  if (usable.empty()) return;
  if (m_boxes.size() > std::numeric_limits<std::uint32_t>::max()) throw std::length_error("BoxGrid: too many boxes");
  m_min_x = extent.min_x;
  m_min_y = extent.min_y;
  const double width = std::max(extent.max_x - extent.min_x, 1e-9);
  const double height = std::max(extent.max_y - extent.min_y, 1e-9);
  // About four cells per box; coarser while the boxes would fill more than 16 list entries each
  // (a few large boxes over many cells).
  for (double cells = 4.0 * static_cast<double>(usable.size());; cells /= 4) {
    const double side = std::sqrt(width * height / std::max(cells, 1.0));
    m_columns = static_cast<std::size_t>(std::clamp(std::ceil(width / side), 1.0, 65536.0));
    m_rows = static_cast<std::size_t>(std::clamp(std::ceil(height / side), 1.0, 65536.0));
    m_cell_width = width / static_cast<double>(m_columns);
    m_cell_height = height / static_cast<double>(m_rows);
    std::size_t entries = 0;
    for (auto i : usable) {
      const auto& b = m_boxes[i];
      entries += (column(b.max_x) - column(b.min_x) + 1) * (row(b.max_y) - row(b.min_y) + 1);
    }
    if (entries <= 16 * usable.size() || cells <= 1) break;
  }
  m_cell_start.assign(m_columns * m_rows + 1, 0);
  const auto each_cell = [&](const geos::Envelope& b, auto&& visit) {
    for (std::size_t r = row(b.min_y); r <= row(b.max_y); ++r) {
      for (std::size_t c = column(b.min_x); c <= column(b.max_x); ++c) visit(r * m_columns + c);
    }
  };
  for (auto i : usable) each_cell(m_boxes[i], [&](std::size_t cell) { ++m_cell_start[cell + 1]; });
  for (std::size_t k = 1; k < m_cell_start.size(); ++k) m_cell_start[k] += m_cell_start[k - 1];
  m_members.resize(m_cell_start.back());
  auto fill = m_cell_start;
  for (auto i : usable) each_cell(m_boxes[i], [&](std::size_t cell) { m_members[fill[cell]++] = static_cast<std::uint32_t>(i); });
}

bool SpatialIndex::any(const geos::Envelope& envelope) const {
  return m_tree.qbegin(boost::geometry::index::intersects(to_box<Box, Point>(envelope))) != m_tree.qend();
}

}  // namespace twinrisk
