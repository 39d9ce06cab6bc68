// Code that runs on threads of its own: the async writer, the layer reader's read-ahead, the
// interrupt registry a signal thread uses, the output folder lock, and a whole pipeline run (its
// GeoPackage created, its inputs hashed, its workbook written and its leftovers freed on threads of
// their own). Meant for ThreadSanitizer too (.ci/run's TSan build).

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "../test_support.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/core/interrupt.hpp"
#include "twinrisk/core/stream.hpp"
#include "twinrisk/io/loader.hpp"
#include "twinrisk/io/output_folder.hpp"
#include "twinrisk/ops/builtin.hpp"
#include "twinrisk/pipeline/pipeline.hpp"

namespace twinrisk {
namespace {

Feature numbered(std::int64_t fid) { return Feature{fid, geos::from_wkt("POINT (1 2)"), {Value(fid)}}; }

// Fails on the given batch, as a full disk would.
class FailingSink final : public FeatureSink {
 public:
  explicit FailingSink(int fail_at) : m_fail_at(fail_at) {}
  void begin_layer(const LayerSchema&) override {}
  void write(std::vector<Feature>) override {
    if (++m_batches == m_fail_at) throw OutputError("disk full");
  }
  void end_layer() override {}

 private:
  int m_fail_at;
  int m_batches = 0;
};

TEST(AsyncSink, HandsEveryBatchOverInOrderFromItsOwnThread) {
  LayerSink target;
  {
    AsyncSink sink(target, 2);
    LayerSchema schema;
    schema.name = "points";
    sink.begin_layer(schema);
    std::int64_t fid = 0;
    for (int batch = 0; batch < 50; ++batch) {
      std::vector<Feature> features;
      for (int i = 0; i < 20; ++i) features.push_back(numbered(++fid));
      sink.write(std::move(features));
    }
    sink.end_layer();
    sink.finish();
  }
  ASSERT_EQ(target.layers().size(), 1u);
  const auto& features = target.layers().front().features;
  ASSERT_EQ(features.size(), 1000u);
  for (std::size_t i = 0; i < features.size(); ++i) EXPECT_EQ(features[i].fid, static_cast<std::int64_t>(i + 1));
}

TEST(AsyncSink, AFailureOfTheTargetReachesTheProducer) {
  FailingSink target(3);
  AsyncSink sink(target, 1);
  sink.begin_layer(LayerSchema{});
  EXPECT_THROW(
      {
        for (int batch = 0; batch < 100; ++batch) {
          std::vector<Feature> features;
          features.push_back(numbered(batch));
          sink.write(std::move(features));
        }
        sink.finish();
      },
      OutputError);
}

// Holds every call until opened, as a slow disk would.
class GatedSink final : public FeatureSink {
 public:
  void open() {
    std::lock_guard lock(m_mutex);
    m_open = true;
    m_changed.notify_all();
  }
  void begin_layer(const LayerSchema& schema) override {
    wait();
    m_target.begin_layer(schema);
  }
  void write(std::vector<Feature> batch) override {
    wait();
    m_target.write(std::move(batch));
  }
  void end_layer() override {
    wait();
    m_target.end_layer();
  }
  std::vector<Layer>& layers() { return m_target.layers(); }

 private:
  void wait() {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_open; });
  }
  LayerSink m_target;
  std::mutex m_mutex;
  std::condition_variable m_changed;
  bool m_open = false;
};

// Whole layers handed over as views (shared-zones' zones while it works on) never make the
// producer wait for the writer, however many: they hold no memory of their own.
TEST(AsyncSink, ViewsOfWholeLayersNeverMakeTheProducerWait) {
  std::vector<Layer> layers(3);
  for (std::size_t l = 0; l < layers.size(); ++l) {
    layers[l].name = "layer" + std::to_string(l);
    for (int i = 1; i <= 10; ++i) layers[l].features.push_back(numbered(i));
  }
  GatedSink target;
  AsyncSink sink(target, 1);
  auto producer = std::async(std::launch::async, [&] {
    for (const auto& layer : layers) sink.write_layer(layer);
  });
  const bool returned = producer.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  target.open();
  producer.get();
  sink.finish();
  EXPECT_TRUE(returned) << "the producer waited for the writer";
  ASSERT_EQ(target.layers().size(), 3u);
  for (const auto& layer : target.layers()) EXPECT_EQ(layer.features.size(), 10u);
  EXPECT_EQ(target.layers().back().name, "layer2");
}

// Batches are read ahead on a thread of their own, reprojected there, while the taking thread
// builds them and counts what was dropped; every feature arrives once, in order.
TEST(LayerReader, ReadsAheadWhileTheTakingThreadBuilds) {
  test::TempDir dir;
  const auto file = dir / "points.gpkg";
  std::vector<test::TestFeature> features;
  for (int i = 0; i < 500; ++i) {
    features.push_back({i % 50 == 7 ? std::string() : "POINT (" + std::to_string(5 + i * 0.001) + " 50)", {1LL * i}});
  }
  test::write_layer(file, "points", 4326, {"category"}, features);
  io::LayerDefinition definition;
  definition.name = "points";
  definition.source = file.string();
  definition.layer = "points";
  definition.role = Role::infrastructure;
  definition.fields = {{"category", "category"}};
  NullProgress progress;
  io::LayerReader reader(definition, io::resolve_analysis_crs("EPSG:3035", {}), progress);
  std::vector<std::int64_t> categories;
  for (auto batch = reader.take_batch(16); !batch.empty(); batch = reader.take_batch(16)) {
    for (const auto& feature : batch) categories.push_back(std::get<std::int64_t>(feature.values[0]));
  }
  std::vector<std::int64_t> expected;
  for (int i = 0; i < 500; ++i) {
    if (i % 50 != 7) expected.push_back(i);
  }
  EXPECT_EQ(categories, expected);
  EXPECT_EQ(reader.report().read, 500);
  EXPECT_EQ(reader.report().empty, 10);
  EXPECT_EQ(reader.report().notes.size(), 10u);
  EXPECT_TRUE(reader.report().reprojected);
}

// The Meuse layers: shared zones, then exposure streaming three asset layers to the GeoPackage.
TEST(Pipeline, RunsWithTheThreadsOfItsOwn) {
  test::TempDir dir;
  const std::filesystem::path demo = TWINRISK_SOURCE_DIR "/layers/demo";
  {
    std::ofstream(dir / "p.yaml") << "analysis_crs: auto\nlayers:\n"
                                  << "  provinces: " << (demo / "limburg_provinces.yaml").string() << "\n"
                                  << "  flood: " << (demo / "meuse_flood_frequency.yaml").string() << "\n"
                                  << "  roads: " << (demo / "meuse_roads.yaml").string() << "\n"
                                  << "  buildings: " << (demo / "meuse_buildings.yaml").string() << "\n"
                                  << "  facilities: " << (demo / "meuse_facilities.yaml").string() << "\n"
                                  << "steps:\n"
                                  << "  - shared-zones: { municipalities: provinces, hazard: flood }\n"
                                  << "  - exposure: { zone_parts: zone_parts, assets: [roads, buildings, facilities] }\n";
  }
  NullProgress progress;
  pipeline::RunOptions options;
  options.output = (dir / "out").string();
  const auto summary = pipeline::run(pipeline::load_pipeline(dir / "p.yaml"), ops::builtin_registry(), options, progress);
  ASSERT_EQ(summary.steps.size(), 2u);
  EXPECT_EQ(summary.loads.size(), 5u);
  for (const char* file : {"twinrisk.gpkg", "tables.xlsx", "manifest.json", "tables/critical_facilities.csv"}) {
    EXPECT_TRUE(std::filesystem::is_regular_file(dir / "out" / file)) << file;
  }
}

TEST(InterruptCleanup, RegistrationsFromManyThreadsWhileTheRegistryIsHeld) {
  std::atomic<int> registered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        InterruptCleanup cleanup([] {});
        ++registered;
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    const auto hold = hold_interrupt_cleanup();  // as a commit does around its renames
    std::this_thread::yield();
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(registered.load(), 1600);
}

// SIGTERM's cleanup runs while the run's threads still write: a database puts its journal into
// the staging folder between remove_all's listing and its rmdir, which then fails. The folder
// must go all the same (reliability.sigterm left it behind once in four runs on a busy machine).
TEST(InterruptCleanup, AStagedFolderGoesEvenWhileAThreadKeepsWritingIntoIt) {
  test::TempDir dir;
  const auto staged = dir / "staging";
  for (int round = 0; round < 5; ++round) {
    std::filesystem::create_directories(staged);
    std::atomic<bool> stop = false;
    // A writer that creates files back to back, pausing as briefly as a real one between writes:
    // without any pause, under ThreadSanitizer on two busy cores, it could keep the folder from
    // ever being empty for the 3 s the removal tries (1 run in 10).
    std::thread writer([&] {
      for (int i = 0; !stop; ++i) {
        std::ofstream(staged / ("journal-" + std::to_string(i % 8))) << "page";
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    });
    while (std::filesystem::is_empty(staged)) std::this_thread::yield();
    remove_staged_tree(staged);
    stop = true;
    writer.join();
    ASSERT_FALSE(std::filesystem::exists(staged)) << "round " << round;
  }
}

TEST(OutputFolder, OfFourThreadsThatWantTheSameFolderOneGetsIt) {
  test::TempDir dir;
  std::atomic<int> won{0}, refused{0};
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  std::vector<std::unique_ptr<io::OutputFolder>> folders(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      while (!go) std::this_thread::yield();
      try {
        folders[t] = std::make_unique<io::OutputFolder>(dir / "out", std::vector<std::string>{"a.csv"}, true);
        ++won;
      } catch (const OutputError&) {
        ++refused;
      }
    });
  }
  go = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(refused.load(), 3);
}

}  // namespace
}  // namespace twinrisk
