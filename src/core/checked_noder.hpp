// GEOS's floating-point noder for overlays, with a cheaper check of its result (geos_overlay.cpp).
// Uses GEOS's C++ API (libgeos++-dev), which only this module and its test include.
#pragma once

#include <geos/algorithm/LineIntersector.h>
#include <geos/noding/IntersectionAdder.h>
#include <geos/noding/MCIndexNoder.h>
#include <geos/noding/Noder.h>
#include <geos/noding/SegmentString.h>

#include <memory>
#include <vector>

namespace twinrisk::geos {

// Nodes as OverlayNG's default floating noder does (MCIndexNoder + IntersectionAdder) and throws
// GEOS's TopologyException where the noding is not valid, as its ValidatingNoder does, so that
// OverlayNG's robust overlay can retry with snapping. ValidatingNoder checks every pair of noded
// segments again (half of a union's noding); this checks only what rounding can have made wrong:
// the pieces of segments split at a computed point, against every segment near them. Two
// segments the noder left whole were compared by it exactly and found not to cross (but for two
// of one monotone chain, which cannot meet: OverlayNG removes repeated points).
class CheckedNoder final : public ::geos::noding::Noder {
 public:
  CheckedNoder();
  ~CheckedNoder() override;
  CheckedNoder(const CheckedNoder&) = delete;
  CheckedNoder& operator=(const CheckedNoder&) = delete;

  void computeNodes(std::vector<::geos::noding::SegmentString*>* strings) override;
  // The caller owns the result (as with any GEOS noder); null before computeNodes.
  std::vector<::geos::noding::SegmentString*>* getNodedSubstrings() const override;

 private:
  // No two noded segments of `strings` (noded by m_noder, their substrings taken) cross, or
  // share a vertex that is not a node of both.
  bool noding_is_valid(const std::vector<::geos::noding::SegmentString*>& strings);
  // The substrings of an earlier computeNodes that no caller took.
  void free_noded();

  ::geos::algorithm::LineIntersector m_intersector;
  ::geos::noding::IntersectionAdder m_adder{m_intersector};
  ::geos::noding::MCIndexNoder m_noder;
  mutable std::unique_ptr<std::vector<::geos::noding::SegmentString*>> m_noded;
};

}  // namespace twinrisk::geos
