// GEOS's overlays (unary union, intersection, difference) with their floating-point noding
// checked by CheckedNoder instead of GEOS's ValidatingNoder: the same overlays, the same
// fallbacks, the same results, without checking again every pair of segments the noder already
// compared. At 20k × 5k that check was 12 % of an exposure run's CPU. GEOS's C API cannot swap
// the noder, so this uses its C++ API.
#include "checked_noder.hpp"
#include "checked_overlay.hpp"

#include <geos/geom/Coordinate.h>
#include <geos/geom/Envelope.h>
#include <geos/geom/Geometry.h>
#include <geos/geom/PrecisionModel.h>
#include <geos/index/chain/MonotoneChain.h>
#include <geos/noding/NodedSegmentString.h>
#include <geos/noding/SegmentNode.h>
#include <geos/operation/overlayng/OverlayNG.h>
#include <geos/operation/overlayng/OverlayNGRobust.h>
#include <geos/operation/union/UnaryUnionOp.h>
#include <geos/operation/union/UnionStrategy.h>
#include <geos/util/TopologyException.h>
#include <geos/version.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/geos.hpp"

// GEOS's C++ API is not stable, and this repeats OverlayNGRobust's first attempt as 3.11 makes it
// (3.12 puts a HeuristicOverlay before it): check both against a new GEOS before allowing it.
#if GEOS_VERSION_MAJOR != 3 || GEOS_VERSION_MINOR != 11
#error "geos_overlay.cpp is written against GEOS 3.11's C++ API and OverlayNGRobust; check it against this GEOS"
#endif

namespace twinrisk::geos {
namespace {

using ::geos::geom::Coordinate;
using SegmentBox = ::geos::geom::Envelope;
using ::geos::geom::Geometry;
using ::geos::noding::NodedSegmentString;
using ::geos::noding::SegmentString;
using ::geos::operation::overlayng::OverlayNG;

// A stretch of a segment between two of its nodes. An end that is a node ends a noded substring.
struct Piece {
  Coordinate a, b;
  bool a_is_node = false, b_is_node = false;
};

// The pieces segment `i` of `string` is cut into, in order along it.
void pieces_of(NodedSegmentString& string, std::size_t i, std::vector<Piece>& pieces) {
  pieces.clear();
  auto& nodes = string.getNodeList();
  // Sorted by segment, then along it; a node at the segment's start vertex comes first.
  auto node = std::lower_bound(nodes.begin(), nodes.end(), i,
                               [](const auto& n, std::size_t segment) { return n.segmentIndex < segment; });
  Piece piece{string.getCoordinate(i), {}, false, false};
  for (; node != nodes.end() && node->segmentIndex == i; ++node) {
    if (!node->isInterior()) {
      piece.a_is_node = true;
      continue;
    }
    piece.b = node->coord;
    piece.b_is_node = true;
    pieces.push_back(piece);
    piece = Piece{node->coord, {}, true, false};
  }
  piece.b = string.getCoordinate(i + 1);
  piece.b_is_node = node != nodes.end() && node->segmentIndex == i + 1 && !node->isInterior();
  pieces.push_back(piece);
}

// GEOS's NodingIntersectionFinder on two noded segments: they cross or overlap, or share a
// vertex that is not a node of both. Consecutive segments of one substring share a vertex by
// construction, so only a crossing counts between them.
bool badly_noded(::geos::algorithm::LineIntersector& intersector, const Piece& x, const Piece& y, bool consecutive) {
  if (!SegmentBox::intersects(x.a, x.b, y.a, y.b)) return false;  // the intersector's first test; most pairs end here
  intersector.computeIntersection(x.a, x.b, y.a, y.b);
  if (intersector.hasIntersection() && intersector.isInteriorIntersection()) return true;
  if (consecutive) return false;
  const auto shared_inner_vertex = [](const Coordinate& p, bool p_is_node, const Coordinate& q, bool q_is_node) {
    return !(p_is_node && q_is_node) && p.equals2D(q);
  };
  return shared_inner_vertex(x.a, x.a_is_node, y.a, y.a_is_node) ||
         shared_inner_vertex(x.a, x.a_is_node, y.b, y.b_is_node) ||
         shared_inner_vertex(x.b, x.b_is_node, y.a, y.a_is_node) ||
         shared_inner_vertex(x.b, x.b_is_node, y.b, y.b_is_node);
}

// OverlayNGRobust's first attempt at an overlay, with CheckedNoder instead of its validated
// noder. Null where that attempt fails, and OverlayNGRobust would go on to snapping.
std::unique_ptr<Geometry> checked_floating_overlay(const Geometry* a, const Geometry* b, int op) {
  if (!a->getPrecisionModel()->isFloating()) return nullptr;
  try {
    const ::geos::geom::PrecisionModel floating;
    CheckedNoder noder;
    return OverlayNG::overlay(a, b, op, &floating, &noder);
  } catch (const std::runtime_error&) {  // what OverlayNGRobust catches from its first attempt
    return nullptr;
  }
}

// OverlayNGRobust's union, first tried with CheckedNoder.
class CheckedUnion final : public ::geos::operation::geounion::UnionStrategy {
 public:
  std::unique_ptr<Geometry> Union(const Geometry* a, const Geometry* b) override {
    if (auto result = checked_floating_overlay(a, b, OverlayNG::UNION)) return result;
    return ::geos::operation::overlayng::OverlayNGRobust::Overlay(a, b, OverlayNG::UNION);
  }
  bool isFloatingPrecision() const override { return true; }
};

// geos_c.h's GEOSGeometry is GEOS's geom::Geometry under an opaque name (capi/geos_ts_c.cpp).
const Geometry* cxx(const GEOSGeometry* geometry) { return reinterpret_cast<const Geometry*>(geometry); }
GEOSGeometry* c_api(Geometry* geometry) { return reinterpret_cast<GEOSGeometry*>(geometry); }

}  // namespace

CheckedNoder::CheckedNoder() { m_noder.setSegmentIntersector(&m_adder); }

CheckedNoder::~CheckedNoder() { free_noded(); }

void CheckedNoder::free_noded() {
  if (!m_noded) return;
  for (auto* string : *m_noded) delete string;
  m_noded.reset();
}

void CheckedNoder::computeNodes(std::vector<SegmentString*>* strings) {
  free_noded();
  m_noder.computeNodes(strings);
  m_noded.reset(m_noder.getNodedSubstrings());
  if (!noding_is_valid(*strings)) throw ::geos::util::TopologyException("found a non-noded intersection");
}

std::vector<SegmentString*>* CheckedNoder::getNodedSubstrings() const { return m_noded.release(); }

// Only a piece that ends at a computed node can cross what the noder found apart, so each is
// compared with every piece of a segment whose box meets its segment's box (found through the
// noder's own index of monotone chains); a piece lies in its segment's box, as every node must.
// Two segments left whole were compared by the noder with the same exact predicates, so they do
// not cross (segments of one monotone chain are not compared, but cannot meet: OverlayNG removes
// repeated points).
bool CheckedNoder::noding_is_valid(const std::vector<SegmentString*>& strings) {
  ::geos::algorithm::LineIntersector intersector;
  std::vector<Piece> split;
  std::vector<Piece> near_pieces;
  std::vector<void*> chains;
  for (auto* item : strings) {
    auto& string = static_cast<NodedSegmentString&>(*item);
    std::size_t last_split_segment = std::numeric_limits<std::size_t>::max();
    for (const auto& node : string.getNodeList()) {
      if (!node.isInterior() || node.segmentIndex == last_split_segment) continue;
      const auto i = last_split_segment = node.segmentIndex;
      pieces_of(string, i, split);
      const SegmentBox box(string.getCoordinate(i), string.getCoordinate(i + 1));
      // LineIntersector may put a node at the other segment's endpoint, which can lie outside
      // this box; the query below would miss what its pieces cross. GEOS's own check decides.
      const auto outside_box = [&](const Piece& piece) { return !box.covers(piece.a.x, piece.a.y); };
      if (std::any_of(split.begin() + 1, split.end(), outside_box)) return false;
      chains.clear();
      m_noder.getIndex().query(&box, chains);
      for (auto* chain_item : chains) {
        const auto& chain = *static_cast<const ::geos::index::chain::MonotoneChain*>(chain_item);
        auto& near = *static_cast<NodedSegmentString*>(chain.getContext());
        for (auto j = chain.getStartIndex(); j < chain.getEndIndex(); ++j) {
          if (!SegmentBox::intersects(string.getCoordinate(i), string.getCoordinate(i + 1), near.getCoordinate(j),
                                    near.getCoordinate(j + 1))) {
            continue;
          }
          pieces_of(near, j, near_pieces);
          const bool same_string = &near == &string;
          // Two split segments are compared once, from the one that comes first.
          const bool near_is_split = near_pieces.size() > 1;
          if (near_is_split && (same_string ? j < i : std::less<>{}(&near, &string))) continue;
          for (std::size_t mine = 0; mine < split.size(); ++mine) {
            for (std::size_t theirs = 0; theirs < near_pieces.size(); ++theirs) {
              if (same_string && j == i && mine == theirs) continue;
              // Pieces of neighbouring segments that meet at a vertex which is no node.
              const bool consecutive =
                  same_string &&
                  ((j + 1 == i && mine == 0 && theirs + 1 == near_pieces.size() && !split[mine].a_is_node) ||
                   (i + 1 == j && mine + 1 == split.size() && theirs == 0 && !near_pieces[theirs].a_is_node));
              if (badly_noded(intersector, split[mine], near_pieces[theirs], consecutive)) return false;
            }
          }
        }
      }
    }
  }
  return true;
}

GeomPtr unary_union(const GEOSGeometry* geometry) {
  try {
    ::geos::operation::geounion::UnaryUnionOp op(*cxx(geometry));
    CheckedUnion strategy;
    op.setUnionFunction(&strategy);
    auto result = op.Union();
    result->setSRID(cxx(geometry)->getSRID());
    return GeomPtr(c_api(result.release()));
  } catch (const std::exception& error) {
    throw GeometryError(std::string("GEOS union failed: ") + error.what());
  }
}

GeomPtr floating_overlay(const GEOSGeometry* a, const GEOSGeometry* b, OverlayOp op) {
  // GEOS answers an empty input without overlaying (Geometry::intersection, ::difference).
  if (cxx(a)->isEmpty() || cxx(b)->isEmpty()) return nullptr;
  try {
    auto result = checked_floating_overlay(
        cxx(a), cxx(b), op == OverlayOp::intersection ? OverlayNG::INTERSECTION : OverlayNG::DIFFERENCE);
    if (!result) return nullptr;
    result->setSRID(cxx(a)->getSRID());
    return GeomPtr(c_api(result.release()));
  } catch (const std::exception& error) {
    throw GeometryError(std::string("GEOS overlay failed: ") + error.what());
  }
}

GeomPtr unary_union(std::vector<GeomPtr> geometries) {
  if (geometries.empty()) return empty_multipolygon();
  if (geometries.size() == 1) return unary_union(geometries.front().get());
  return unary_union(collection(std::move(geometries), GEOS_GEOMETRYCOLLECTION).get());
}

}  // namespace twinrisk::geos
