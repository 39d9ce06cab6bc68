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
  virtual const LayerSchema& schema() const = 0;
  // Up to `max_features` features, valid until the next call; empty once exhausted.
  virtual std::span<const Feature> next_batch(std::size_t max_features) = 0;
  // Asks for plain 2D points and line strings (a point or road layer's rows) as their vertices
  // from the next batch on: such a feature comes without a geometry, and vertices(i) holds its
  // point, or its line's two or more vertices. A million GEOS points cost more to make and free
  // than a step's test of most of them (and every thread that makes or frees a GEOS geometry
  // writes to the one factory's reference count). A source that cannot keeps giving geometries.
  virtual void use_plain_vertices() {}
  // The vertices of the last batch's feature i when it came without a geometry; empty otherwise.
  virtual std::span<const geos::XY> vertices(std::size_t) const { return {}; }
};

// A source over a layer that is in memory already.
class LayerSource final : public FeatureSource {
 public:
  explicit LayerSource(const Layer& layer) : m_layer(layer) {}
  const LayerSchema& schema() const override { return m_layer; }
  std::span<const Feature> next_batch(std::size_t max_features) override;

 private:
  const Layer& m_layer;
  std::size_t m_position = 0;
};

class FeatureSink {
 public:
  virtual ~FeatureSink() = default;
  // Starts a result layer.
  virtual void begin_layer(const LayerSchema& schema) = 0;
  virtual void write(std::vector<Feature> batch) = 0;
  // Writes features that stay with the caller; they must live until the sink is done with them
  // (for an AsyncSink: until finish()). The default copies them.
  virtual void write_view(std::span<const Feature> features);
  virtual void end_layer() = 0;

  // A whole in-memory layer, left with the caller as write_view() says.
  void write_layer(const Layer& layer);
};

// Passes every layer on to another sink under a new name (`as: hq100` makes zones hq100_zones).
class RenamingSink final : public FeatureSink {
 public:
  RenamingSink(FeatureSink& target, std::string prefix) : m_target(target), m_prefix(std::move(prefix)) {}
  void begin_layer(const LayerSchema& schema) override;
  void write(std::vector<Feature> batch) override { m_target.write(std::move(batch)); }
  void write_view(std::span<const Feature> features) override { m_target.write_view(features); }
  void end_layer() override { m_target.end_layer(); }

 private:
  FeatureSink& m_target;
  std::string m_prefix;
};

// Passes everything to two sinks (the output, and a store for a later step that reads the layer).
class TeeSink final : public FeatureSink {
 public:
  TeeSink(FeatureSink& first, FeatureSink& second) : m_first(first), m_second(second) {}
  void begin_layer(const LayerSchema& schema) override;
  void write(std::vector<Feature> batch) override;
  void write_view(std::span<const Feature> features) override;
  void end_layer() override;

 private:
  FeatureSink& m_first;
  FeatureSink& m_second;
};

// Passes everything to another sink on a thread of its own, so that writing a batch overlaps
// computing the next. At most `queue_limit` owned batches (write()) wait; views, which hold no
// memory of their own, and layer starts and ends never make the caller wait. A failure of the
// target is rethrown by the next call or by finish().
class AsyncSink final : public FeatureSink {
 public:
  explicit AsyncSink(FeatureSink& target, std::size_t queue_limit = 2);
  ~AsyncSink() override;  // waits for the queue to drain; errors are left to finish()
  AsyncSink(const AsyncSink&) = delete;
  AsyncSink& operator=(const AsyncSink&) = delete;

  void begin_layer(const LayerSchema& schema) override;
  void write(std::vector<Feature> batch) override;
  void write_view(std::span<const Feature> features) override;
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
  void begin_layer(const LayerSchema& schema) override;
  void write(std::vector<Feature> batch) override;
  void end_layer() override {}
  std::vector<Layer>& layers() { return m_layers; }

 private:
  std::vector<Layer> m_layers;
};

}  // namespace twinrisk
