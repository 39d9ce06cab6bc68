#pragma once
// Features flowing into and out of a step in batches, so that a layer too big to hold in memory
// can pass through: a step reads a FeatureSource and writes a FeatureSink batch by batch.

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "twinrisk/core/layer.hpp"

namespace twinrisk {

class FeatureSource {
 public:
  virtual ~FeatureSource() = default;
  // Name, fields and CRS of the layer; its features, if any, are not for reading.
  virtual const Layer& schema() const = 0;
  // Up to `max_features` features, valid until the next call; empty once exhausted.
  virtual std::span<const Feature> next_batch(std::size_t max_features) = 0;
};

// A source over a layer that is in memory already.
class LayerSource final : public FeatureSource {
 public:
  explicit LayerSource(const Layer& layer) : m_layer(layer) {}
  const Layer& schema() const override { return m_layer; }
  std::span<const Feature> next_batch(std::size_t max_features) override;

 private:
  const Layer& m_layer;
  std::size_t m_position = 0;
};

class FeatureSink {
 public:
  virtual ~FeatureSink() = default;
  // Starts a result layer; `schema` gives name, geometry family, CRS and fields (no features).
  virtual void begin_layer(const Layer& schema) = 0;
  virtual void write(std::vector<Feature> batch) = 0;
  virtual void end_layer() = 0;
};

// Passes everything to another sink on a thread of its own, so that writing a batch overlaps
// computing the next. At most `queue_limit` batches wait; a failure of the target is rethrown by
// the next call or by finish().
class AsyncSink final : public FeatureSink {
 public:
  explicit AsyncSink(FeatureSink& target, std::size_t queue_limit = 2);
  ~AsyncSink() override;  // waits for the queue to drain; errors are left to finish()
  AsyncSink(const AsyncSink&) = delete;
  AsyncSink& operator=(const AsyncSink&) = delete;

  void begin_layer(const Layer& schema) override;
  void write(std::vector<Feature> batch) override;
  void end_layer() override;
  // Waits until everything queued has reached the target.
  void finish();

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

// A sink that keeps every layer in memory (for tests and in-process use).
class LayerSink final : public FeatureSink {
 public:
  void begin_layer(const Layer& schema) override;
  void write(std::vector<Feature> batch) override;
  void end_layer() override {}
  std::vector<Layer>& layers() { return m_layers; }

 private:
  std::vector<Layer> m_layers;
};

}  // namespace twinrisk
