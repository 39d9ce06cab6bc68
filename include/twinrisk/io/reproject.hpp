#pragma once
// Result layers in another CRS than the analysis CRS (`output_crs`), transformed on their way to
// the writer: every measure was taken in the analysis CRS before, so areas do not change.

#include <memory>
#include <string>
#include <vector>

#include "twinrisk/core/stream.hpp"

namespace twinrisk::io {

// `analysis` → the analysis CRS; `input` → `input_crs_wkt` (the first input layer's CRS); else
// anything PROJ accepts (EPSG:3035, a WKT). Returns WKT2.
std::string resolve_output_crs(const std::string& spec, const std::string& analysis_crs_wkt,
                               const std::string& input_crs_wkt);

// Passes every layer on to `target` with its geometries transformed from `from_wkt` to `to_wkt`
// and the layer's CRS set to `to_wkt`; attributes pass unchanged. A batch is transformed in
// parallel (one transformation per thread: PROJ's objects are not thread-safe).
class ReprojectingSink final : public FeatureSink {
 public:
  ReprojectingSink(FeatureSink& target, const std::string& from_wkt, const std::string& to_wkt);
  ~ReprojectingSink() override;
  void begin_layer(const LayerSchema& schema) override;
  void write(std::vector<Feature> batch) override;
  void write_view(std::span<const Feature> features) override;
  void end_layer() override { m_target.end_layer(); }

 private:
  struct Transforms;
  std::vector<Feature> transformed(std::span<const Feature> features) const;

  FeatureSink& m_target;
  std::string m_to_wkt;
  std::unique_ptr<Transforms> m_transforms;
  std::string m_layer;  // for messages
};

}  // namespace twinrisk::io
