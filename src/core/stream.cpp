#include "twinrisk/core/stream.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <iterator>
#include <mutex>
#include <thread>

namespace twinrisk {

std::span<const Feature> LayerSource::next_batch(std::size_t max_features) {
  const std::size_t begin = m_position;
  m_position = std::min(m_layer.features.size(), m_position + max_features);
  return {m_layer.features.data() + begin, m_position - begin};
}

void FeatureSink::write_view(std::span<const Feature> features) {
  std::vector<Feature> copies;
  copies.reserve(features.size());
  for (const auto& feature : features) {
    copies.push_back(Feature{feature.fid, feature.geometry ? geos::clone(feature.geometry.get()) : nullptr,
                             feature.values});
  }
  write(std::move(copies));
}

void FeatureSink::write_layer(const Layer& layer) {
  begin_layer(layer);
  write_view(layer.features);
  end_layer();
}

void RenamingSink::begin_layer(const LayerSchema& schema) {
  LayerSchema renamed = schema;
  renamed.style = schema.style_name();
  renamed.name = m_prefix + schema.name;
  m_target.begin_layer(renamed);
}

void TeeSink::begin_layer(const LayerSchema& schema) {
  m_first.begin_layer(schema);
  m_second.begin_layer(schema);
}

void TeeSink::write(std::vector<Feature> batch) {
  m_first.write_view(batch);
  m_second.write(std::move(batch));
}

void TeeSink::write_view(std::span<const Feature> features) {
  m_first.write_view(features);
  m_second.write_view(features);
}

void TeeSink::end_layer() {
  m_first.end_layer();
  m_second.end_layer();
}

void LayerSink::begin_layer(const LayerSchema& schema) {
  Layer layer;
  static_cast<LayerSchema&>(layer) = schema;
  m_layers.push_back(std::move(layer));
}

void LayerSink::write(std::vector<Feature> batch) {
  auto& features = m_layers.back().features;
  std::move(batch.begin(), batch.end(), std::back_inserter(features));
}

struct AsyncSink::State {
  FeatureSink& target;
  std::size_t queue_limit;
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::pair<std::function<void()>, bool>> queue;  // (task, owns a batch)
  std::size_t batches = 0;  // queued tasks that own a batch
  bool busy = false;
  bool closing = false;
  std::exception_ptr failure;
  std::thread worker;

  State(FeatureSink& t, std::size_t limit) : target(t), queue_limit(std::max<std::size_t>(limit, 1)) {
    worker = std::thread([this] { work(); });
  }

  void work() {
    std::unique_lock lock(mutex);
    while (true) {
      changed.wait(lock, [&] { return closing || !queue.empty(); });
      if (queue.empty()) return;
      auto [task, owns_batch] = std::move(queue.front());
      queue.pop_front();
      if (owns_batch) --batches;
      busy = true;
      lock.unlock();
      std::exception_ptr error;
      try {
        if (!failure) task();
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      busy = false;
      if (error && !failure) failure = error;
      changed.notify_all();
    }
  }

  void push(std::function<void()> task, bool owns_batch = false) {
    std::unique_lock lock(mutex);
    if (owns_batch) changed.wait(lock, [&] { return batches < queue_limit || failure; });
    if (failure) std::rethrow_exception(failure);
    queue.emplace_back(std::move(task), owns_batch);
    if (owns_batch) ++batches;
    changed.notify_all();
  }

  void drain() {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return queue.empty() && !busy; });
    if (failure) std::rethrow_exception(failure);
  }
};

AsyncSink::AsyncSink(FeatureSink& target, std::size_t queue_limit)
    : m_state(std::make_unique<State>(target, queue_limit)) {}

AsyncSink::~AsyncSink() {
  {
    std::lock_guard lock(m_state->mutex);
    m_state->closing = true;
    m_state->changed.notify_all();
  }
  m_state->worker.join();
}

void AsyncSink::begin_layer(const LayerSchema& schema) {
  auto copy = std::make_shared<LayerSchema>(schema);
  m_state->push([this, copy] { m_state->target.begin_layer(*copy); });
}

void AsyncSink::write(std::vector<Feature> batch) {
  auto shared = std::make_shared<std::vector<Feature>>(std::move(batch));
  m_state->push([this, shared] { m_state->target.write(std::move(*shared)); }, true);
}

void AsyncSink::write_view(std::span<const Feature> features) {
  m_state->push([this, features] { m_state->target.write_view(features); });
}

void AsyncSink::end_layer() {
  m_state->push([this] { m_state->target.end_layer(); });
}

void AsyncSink::finish() { m_state->drain(); }

}  // namespace twinrisk
