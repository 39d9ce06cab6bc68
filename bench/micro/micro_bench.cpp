// Google Benchmark microbenchmarks of twinrisk's kernels, through the public headers only.
//
//   build/bench/twinrisk-micro --benchmark_min_time=0.2
//   build/bench/twinrisk-micro --benchmark_filter=SpatialIndex
//
// The data is synthetic and in memory (no GDAL I/O): regular grids of squares and rectangles, so
// a change in a number is a change in the kernel, not in the data.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "twinrisk/core/geos.hpp"
#include "twinrisk/core/layer.hpp"
#include "twinrisk/core/progress.hpp"
#include "twinrisk/core/registry.hpp"
#include "twinrisk/core/spatial_index.hpp"
#include "twinrisk/ops/intersection.hpp"
#include "twinrisk/ops/shared_zones.hpp"

#include "twinrisk/core/stream.hpp"

namespace {

using namespace twinrisk;

std::string rectangle(double x0, double y0, double x1, double y1) {
  const auto p = [](double x, double y) { return std::to_string(x) + " " + std::to_string(y); };
  return "POLYGON((" + p(x0, y0) + ", " + p(x1, y0) + ", " + p(x1, y1) + ", " + p(x0, y1) + ", " + p(x0, y0) + "))";
}

// A star-shaped ring of `vertices` distinct vertices (plus the closing one) around (cx, cy).
std::string star_polygon(int vertices, double cx, double cy, double radius) {
  std::string wkt = "POLYGON((";
  for (int i = 0; i <= vertices; ++i) {
    const double angle = 2.0 * std::numbers::pi * (i % vertices) / vertices;
    const double r = radius * (i % 2 == 0 ? 1.0 : 0.8);
    if (i > 0) wkt += ", ";
    wkt += std::to_string(cx + r * std::cos(angle)) + " " + std::to_string(cy + r * std::sin(angle));
  }
  return wkt + "))";
}

// ------------------------------------------------------------------ GEOS wrappers

void BM_WkbRoundTrip(benchmark::State& state) {
  const auto polygon = geos::from_wkt(star_polygon(100, 4'000'000, 3'000'000, 500));
  const auto wkb = geos::to_wkb(polygon.get());
  for (auto _ : state) {
    auto geometry = geos::from_wkb(wkb);
    auto bytes = geos::to_wkb(geometry.get());
    benchmark::DoNotOptimize(bytes.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * wkb.size()));
}
BENCHMARK(BM_WkbRoundTrip);

void BM_MakeValidBowTie(benchmark::State& state) {
  const auto bow_tie = geos::from_wkt("POLYGON((0 0, 10 10, 10 0, 0 10, 0 0))");
  for (auto _ : state) {
    auto valid = geos::make_valid(bow_tie.get());
    benchmark::DoNotOptimize(valid.get());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MakeValidBowTie);

// ------------------------------------------------------------------ spatial index

// N boxes of 5-15 m scattered over a square where each box has ~100 m² of room.
std::vector<geos::Envelope> random_envelopes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const double side = 10.0 * std::sqrt(static_cast<double>(n));
  std::uniform_real_distribution<double> pos(0.0, side), size(5.0, 15.0);
  std::vector<geos::Envelope> envelopes(n);
  for (auto& e : envelopes) {
    e.min_x = pos(rng);
    e.min_y = pos(rng);
    e.max_x = e.min_x + size(rng);
    e.max_y = e.min_y + size(rng);
  }
  return envelopes;
}

void BM_SpatialIndexBuild(benchmark::State& state) {
  const auto envelopes = random_envelopes(static_cast<std::size_t>(state.range(0)), 1);
  for (auto _ : state) {
    SpatialIndex index(envelopes);
    benchmark::DoNotOptimize(index.size());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SpatialIndexBuild)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

// One query per envelope of a second random set of the same size: ~2-3 hits each.
void BM_SpatialIndexQuery(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const SpatialIndex index(random_envelopes(n, 1));
  const auto queries = random_envelopes(n, 2);
  std::size_t hits = 0;
  for (auto _ : state) {
    for (const auto& q : queries) hits += index.query(q).size();
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["hits/query"] = static_cast<double>(hits) / static_cast<double>(state.iterations() * n);
}
BENCHMARK(BM_SpatialIndexQuery)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

// ------------------------------------------------------------------ algorithms on in-memory layers

constexpr double kCell = 1000.0;  // m

// G x G squares of kCell, the grid's corner at (x0, y0); one string field per `fields` name.
Layer grid(const std::string& name, Role role, int g, double x0, double y0, std::vector<FieldDef> fields) {
  Layer layer;
  layer.name = name;
  layer.role = role;
  layer.fields = std::move(fields);
  std::int64_t fid = 1;
  for (int row = 0; row < g; ++row) {
    for (int col = 0; col < g; ++col) {
      const double x = x0 + col * kCell, y = y0 + row * kCell;
      Feature feature{fid, geos::from_wkt(rectangle(x, y, x + kCell, y + kCell)), {}};
      for (std::size_t f = 0; f < layer.fields.size(); ++f) {
        // (Appending to a string, not `"M" + std::to_string(...)`: GCC 12 warns -Wrestrict there.)
        std::string value(layer.fields[f].name == "country" ? (col < g / 2 ? "X" : "Y") : (f == 0 ? "M" : "F"));
        if (layer.fields[f].name != "country") value.append(std::to_string(fid));
        feature.values.emplace_back(std::move(value));
      }
      layer.features.push_back(std::move(feature));
      ++fid;
    }
  }
  return layer;
}

// Flood bands across a G x G municipality grid: a horizontal band every third row and a
// vertical band every fourth column, 150-450 m wide by class, sticking out of the grid by half
// a cell; bands of the same class cross and overlap, so the dissolve has work to do.
Layer hazard_bands(int g) {
  Layer layer;
  layer.name = "hazard";
  layer.role = Role::hazard;
  layer.fields = {{"class", FieldType::integer}};
  std::int64_t fid = 1;
  const double lo = -0.5 * kCell, hi = (g + 0.5) * kCell;
  for (int row = 1; row < g; row += 3) {
    const std::int64_t cls = 1 + row % 3;
    const double y = row * kCell + 0.3 * kCell, half = 75.0 * static_cast<double>(cls);
    layer.features.push_back({fid++, geos::from_wkt(rectangle(lo, y - half, hi, y + half)), {cls}});
  }
  for (int col = 2; col < g; col += 4) {
    const std::int64_t cls = 1 + col % 3;
    const double x = col * kCell + 0.6 * kCell, half = 75.0 * static_cast<double>(cls);
    layer.features.push_back({fid++, geos::from_wkt(rectangle(x - half, lo, x + half, hi)), {cls}});
  }
  return layer;
}

void BM_SharedZones(benchmark::State& state) {
  const int g = static_cast<int>(state.range(0));
  const Layer municipalities =
      grid("municipalities", Role::municipalities, g, 0, 0,
           {{"id", FieldType::string}, {"name", FieldType::string}, {"country", FieldType::string}});
  const Layer hazard = hazard_bands(g);
  StepInput input;
  input.layers = {{"municipalities", {&municipalities}}, {"hazard", {&hazard}}};
  input.values["min_area_m2"] = 0.0;
  const ops::SharedZones algorithm;
  NullProgress progress;
  std::size_t parts = 0;
  for (auto _ : state) {
    auto out = algorithm.run(input, progress);
    parts = out.layers.size() > 1 ? out.layers[1].features.size() : 0;
    benchmark::DoNotOptimize(out.layers.data());
  }
  state.SetItemsProcessed(state.iterations() * g * g);  // municipalities per second
  state.counters["hazards"] = static_cast<double>(hazard.features.size());
  state.counters["zone_parts"] = static_cast<double>(parts);
}
BENCHMARK(BM_SharedZones)->Arg(20)->Arg(50)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Intersection(benchmark::State& state) {
  const int g = static_cast<int>(state.range(0));
  // The overlay grid is offset by (0.37, 0.41) cells, as in twinrisk-bench-gen --pairs: 4 pieces a square.
  const Layer a = grid("a", Role::features, g, 0, 0, {{"id", FieldType::string}});
  const Layer b = grid("b", Role::features, g, 0.37 * kCell, 0.41 * kCell, {{"id", FieldType::string}});
  StepInput input;
  input.layers = {{"input", {&a}}, {"overlay", {&b}}};
  const ops::Intersection algorithm;
  NullProgress progress;
  std::size_t pieces = 0;
  for (auto _ : state) {
    // The input is read from a FeatureSource and the result goes to a FeatureSink.
    LayerSource source(a);
    LayerSink sink;
    input.sources = {{"input", {&source}}};
    input.sink = &sink;
    algorithm.run(input, progress);
    const auto& layers = sink.layers();
    pieces = layers.empty() ? 0 : layers[0].features.size();
    benchmark::DoNotOptimize(layers.data());
  }
  state.SetItemsProcessed(state.iterations() * g * g);  // input polygons per second
  state.counters["pieces"] = static_cast<double>(pieces);
}
BENCHMARK(BM_Intersection)->Arg(50)->Arg(100)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
