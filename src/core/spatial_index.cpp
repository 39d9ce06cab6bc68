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

namespace {

enum CellState : unsigned char { kUndecided, kCrossed, kOutside, kInside };

}  // namespace

OutsideCells::OutsideCells(const std::vector<std::span<const Segment>>& outlines, std::size_t cells,
                           const std::function<bool(geos::XY)>& covered) {
  bool any = false;
  geos::Envelope extent{};
  for (const auto& outline : outlines) {
    for (const auto& [a, b] : outline) {
      for (const auto& p : {a, b}) {
        extent = any ? geos::Envelope{std::min(extent.min_x, p.x), std::min(extent.min_y, p.y),
                                      std::max(extent.max_x, p.x), std::max(extent.max_y, p.y)}
                     : geos::Envelope{p.x, p.y, p.x, p.y};
        any = true;
      }
    }
  }
  if (!any || !std::isfinite(extent.min_x + extent.min_y + extent.max_x + extent.max_y)) return;
  m_min_x = extent.min_x;
  m_min_y = extent.min_y;
  const double width = std::max(extent.max_x - extent.min_x, 1e-9);
  const double height = std::max(extent.max_y - extent.min_y, 1e-9);
  const double side = std::sqrt(width * height / static_cast<double>(std::clamp<std::size_t>(cells, 1, 1u << 24)));
  // Cells stay wide enough next to the coordinates that interpolating a segment errs by far less
  // than one cell (marking pads by one).
  const double magnitude = std::max({std::fabs(extent.min_x), std::fabs(extent.max_x), std::fabs(extent.min_y),
                                     std::fabs(extent.max_y), 1.0});
  const auto count = [&](double length) {
    const double most = std::max(1.0, std::floor(length / (magnitude * 1e-9)));
    return static_cast<std::size_t>(std::clamp(std::ceil(length / side), 1.0, std::min(most, 65536.0)));
  };
  m_columns = count(width);
  m_rows = count(height);
  m_cell_width = width / static_cast<double>(m_columns);
  m_cell_height = height / static_cast<double>(m_rows);

  std::vector<unsigned char> state(m_columns * m_rows, kUndecided);
  const auto mark = [&](std::size_t r, std::size_t from, std::size_t to) {
    std::fill(state.begin() + static_cast<std::ptrdiff_t>(r * m_columns + from),
              state.begin() + static_cast<std::ptrdiff_t>(r * m_columns + to + 1), kCrossed);
  };
  // Every cell a segment passes through is crossed: per row of the segment's box, the columns its
  // stretch in that row (the row a little taller) spans, one more on each side.
  const double pad = m_cell_height * 1e-6;
  for (const auto& outline : outlines) {
    for (const auto& [a, b] : outline) {
      const std::size_t c0 = column(std::min(a.x, b.x)), c1 = column(std::max(a.x, b.x));
      const std::size_t r0 = row(std::min(a.y, b.y)), r1 = row(std::max(a.y, b.y));
      if (r0 == r1 || c0 == c1) {
        for (std::size_t r = r0; r <= r1; ++r) mark(r, c0, c1);
        continue;
      }
      const double low_y = std::min(a.y, b.y), high_y = std::max(a.y, b.y);
      const double slope = (b.x - a.x) / (b.y - a.y);
      for (std::size_t r = r0; r <= r1; ++r) {
        const double y0 = std::max(low_y, m_min_y + static_cast<double>(r) * m_cell_height - pad);
        const double y1 = std::min(high_y, m_min_y + static_cast<double>(r + 1) * m_cell_height + pad);
        const double x0 = a.x + (y0 - a.y) * slope, x1 = a.x + (y1 - a.y) * slope;
        // Within the box's columns first, so that rounding can never give an empty range.
        const std::size_t from = std::clamp(column(std::min(x0, x1)), c0, c1);
        const std::size_t to = std::clamp(column(std::max(x0, x1)), c0, c1);
        mark(r, std::max(c0, from > 0 ? from - 1 : 0), std::min(c1, to + 1));
      }
    }
  }
  // Runs of cells no segment crosses, row by row: a run takes the state of an uncrossed cell above
  // it, or tests its first cell's centre.
  for (std::size_t r = 0; r < m_rows; ++r) {
    unsigned char* cells_in_row = state.data() + r * m_columns;
    const unsigned char* above = r > 0 ? cells_in_row - m_columns : nullptr;
    for (std::size_t c = 0; c < m_columns;) {
      if (cells_in_row[c] == kCrossed) {
        ++c;
        continue;
      }
      const std::size_t start = c;
      while (c < m_columns && cells_in_row[c] != kCrossed) ++c;
      unsigned char value = kUndecided;
      for (std::size_t k = start; above && k < c && value == kUndecided; ++k) {
        if (above[k] == kOutside || above[k] == kInside) value = above[k];
      }
      if (value == kUndecided) {
        const geos::XY centre{m_min_x + (static_cast<double>(start) + 0.5) * m_cell_width,
                              m_min_y + (static_cast<double>(r) + 0.5) * m_cell_height};
        const bool in_cell = column(centre.x) == start && row(centre.y) == r;
        value = !in_cell ? kCrossed : covered(centre) ? kInside : kOutside;
      }
      std::fill(cells_in_row + start, cells_in_row + c, value);
    }
  }
  m_outside.assign((state.size() + 63) / 64, 0);
  for (std::size_t cell = 0; cell < state.size(); ++cell) {
    if (state[cell] == kOutside) m_outside[cell / 64] |= std::uint64_t{1} << (cell % 64);
  }
}

bool OutsideCells::outside(const geos::Envelope& box) const {
  constexpr std::size_t kMostCells = 64;
  if (m_outside.empty() || std::isnan(box.min_x + box.min_y + box.max_x + box.max_y)) return false;
  const std::size_t c0 = column(box.min_x), c1 = column(box.max_x), r0 = row(box.min_y), r1 = row(box.max_y);
  if ((c1 - c0 + 1) * (r1 - r0 + 1) > kMostCells) return false;
  for (std::size_t r = r0; r <= r1; ++r) {
    for (std::size_t c = c0; c <= c1; ++c) {
      if (!is_outside(r * m_columns + c)) return false;
    }
  }
  return true;
}

bool SpatialIndex::any(const geos::Envelope& envelope) const {
  return m_tree.qbegin(boost::geometry::index::intersects(to_box<Box, Point>(envelope))) != m_tree.qend();
}

}  // namespace twinrisk
