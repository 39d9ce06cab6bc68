#pragma once
// An R-tree over feature envelopes, bulk-loaded with the packing constructor.

#include <cstddef>
#include <vector>

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>

#include "twinrisk/core/geos.hpp"
#include "twinrisk/core/layer.hpp"

namespace twinrisk {

class SpatialIndex {
 public:
  // Indexes every feature of the layer with a non-empty geometry, by its position in the layer.
  explicit SpatialIndex(const Layer& layer);
  explicit SpatialIndex(const std::vector<geos::Envelope>& envelopes);

  // Positions whose envelope intersects the query envelope, in ascending order.
  std::vector<std::size_t> query(const geos::Envelope& envelope) const;
  // The same into `out` (cleared first), which keeps its capacity: no allocation per query.
  void query(const geos::Envelope& envelope, std::vector<std::size_t>& out) const;
  // Whether any envelope intersects the query envelope (stops at the first).
  bool any(const geos::Envelope& envelope) const;
  std::size_t size() const { return m_tree.size(); }

 private:
  using Point = boost::geometry::model::point<double, 2, boost::geometry::cs::cartesian>;
  using Box = boost::geometry::model::box<Point>;
  using Entry = std::pair<Box, std::size_t>;
  boost::geometry::index::rtree<Entry, boost::geometry::index::rstar<16>> m_tree;
};

}  // namespace twinrisk
