#include "twinrisk/ops/depth_bands.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "twinrisk/core/error.hpp"

namespace twinrisk::ops {

DepthBands::DepthBands(std::vector<double> edges, const std::string& parameter) : m_edges(std::move(edges)) {
  const std::string hint = "give at least two increasing depths, e.g. [0, 0.5, 1, 2, .inf]";
  if (m_edges.size() < 2) {
    throw ConfigError(fmt::format("parameter '{}' needs at least two band edges, got {}", parameter, m_edges.size()), {},
                      hint);
  }
  for (std::size_t i = 0; i < m_edges.size(); ++i) {
    const double edge = m_edges[i];
    const bool last_open = i + 1 == m_edges.size() && edge == std::numeric_limits<double>::infinity();
    if (!std::isfinite(edge) && !last_open) {
      throw ConfigError(fmt::format("parameter '{}': band edge {} is {}", parameter, i + 1, edge), {},
                        "only the last edge may be infinite (.inf)");
    }
    if (i > 0 && !(edge > m_edges[i - 1])) {
      throw ConfigError(fmt::format("parameter '{}': band edges must increase, but {} follows {}", parameter, edge,
                                    m_edges[i - 1]),
                        {}, hint);
    }
  }
}

DepthBands DepthBands::standard() { return DepthBands({0.0, 0.5, 1.0, 2.0, std::numeric_limits<double>::infinity()}); }

std::string DepthBands::label(std::size_t band) const {
  const double upper = m_edges.at(band + 1);
  if (std::isinf(upper)) return fmt::format("{}+", m_edges[band]);
  return fmt::format("{}-{}", m_edges[band], upper);
}

}  // namespace twinrisk::ops
