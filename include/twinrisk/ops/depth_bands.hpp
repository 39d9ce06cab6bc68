#pragma once
// Depth bands: classes of water depth such as [0, 0.5), [0.5, 1), [1, 2), [2, ∞) metres.
// Only flooded cells (value > 0) are classed; a depth in no band is counted apart ("unbanded").

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace twinrisk::ops {

class DepthBands {
 public:
  // Band i is [edges[i], edges[i+1]); the last edge may be +infinity. Edges must be finite (except a
  // last +infinity), strictly increasing and at least two; throws ConfigError naming `parameter`.
  explicit DepthBands(std::vector<double> edges, const std::string& parameter = "depth_bands");
  // 0–0.5, 0.5–1, 1–2, 2 and deeper (metres): the example.
  static DepthBands standard();

  std::size_t size() const { return m_edges.size() - 1; }
  const std::vector<double>& edges() const { return m_edges; }
  // The band holding a flooded value, or nullopt when it falls in none. Inline and linear: called
  // once per flooded cell, and a handful of edges is scanned faster than binary-searched.
  std::optional<std::size_t> band_of(double value) const {
    if (!(value >= m_edges.front())) return std::nullopt;
    for (std::size_t i = 1; i < m_edges.size(); ++i) {
      if (value < m_edges[i]) return i - 1;
    }
    return std::nullopt;
  }
  // "0-0.5", "0.5-1", "2+" (for an open last band).
  std::string label(std::size_t band) const;

 private:
  std::vector<double> m_edges;
};

}  // namespace twinrisk::ops
