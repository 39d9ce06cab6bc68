// twinrisk-zonal-bench: zonal statistics of a generated depth raster over many polygons, timed.
//
//   twinrisk-zonal-bench generate --size N --polygons M --seed S -o DIR
//       DIR/depth.tif      N × N Float32 cells of 10 m (EPSG:3035), 256² tiles, nodata −9999 in a
//                          circular "lake"; depth a smooth field, 0 where dry
//       DIR/polygons.gpkg  M star-shaped polygons (field id), 12..64 vertices, radii 20 m..3 km
//                          (log-uniform), every fifth with a hole, some reaching beyond the raster
//   twinrisk-zonal-bench run --raster R --polygons P [--threads T] [--repeat K] [--csv OUT]
//       zonal_stats for every polygon (tbb, T threads); prints the median wall time of K rounds
//       (polygons already read, as GEOS geometries in the raster CRS) and writes one row per
//       polygon: id, count (Σ fraction over cells with a value, exactextract's "count"), mean, max.
//
// Randomness: std::mt19937_64 through our own mappings, so the same arguments give the same data.

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "twinrisk/core/geos.hpp"
#include "twinrisk/io/raster.hpp"
#include "twinrisk/ops/zonal_stats.hpp"

namespace {

namespace fs = std::filesystem;
using namespace twinrisk;

constexpr double kCell = 10.0;
constexpr double kX0 = 4000000.0, kY1 = 3100000.0;

double uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

void generate_raster(const fs::path& file, int size) {
  CPLStringList options;
  options.SetNameValue("TILED", "YES");
  options.SetNameValue("BLOCKXSIZE", "256");
  options.SetNameValue("BLOCKYSIZE", "256");
  options.SetNameValue("BIGTIFF", "IF_SAFER");
  GDALDatasetUniquePtr dataset(
      GetGDALDriverManager()->GetDriverByName("GTiff")->Create(file.c_str(), size, size, 1, GDT_Float32, options.List()));
  if (!dataset) throw std::runtime_error("cannot create " + file.string());
  double gt[6] = {kX0, kCell, 0, kY1, 0, -kCell};
  dataset->SetGeoTransform(gt);
  OGRSpatialReference crs;
  crs.importFromEPSG(3035);
  dataset->SetSpatialRef(&crs);
  GDALRasterBand* band = dataset->GetRasterBand(1);
  band->SetNoDataValue(-9999);
  const int strip = 256;
  std::vector<float> values;
  for (int row0 = 0; row0 < size; row0 += strip) {
    const int rows = std::min(strip, size - row0);
    values.assign(static_cast<std::size_t>(rows) * size, 0.0f);
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < size; ++c) {
        const double x = c * kCell, y = (row0 + r) * kCell;
        const double lake = std::hypot(c - size * 0.3, (row0 + r) - size * 0.6);
        double depth = 0.8 * std::sin(x / 2300.0) * std::cos(y / 3100.0) + 0.6 * std::sin((x + y) / 900.0) +
                       0.3 * std::cos(x / 170.0 - y / 260.0) - 0.2;
        depth = std::max(0.0, depth * 2.0);
        values[static_cast<std::size_t>(r) * size + c] = lake < size * 0.05 ? -9999.0f : static_cast<float>(depth);
      }
    }
    if (band->RasterIO(GF_Write, 0, row0, size, rows, values.data(), size, rows, GDT_Float32, 0, 0, nullptr) != CE_None) {
      throw std::runtime_error("cannot write " + file.string());
    }
  }
}

std::vector<geos::XY> star(std::mt19937_64& rng, double cx, double cy, double radius, int vertices, bool clockwise) {
  std::vector<geos::XY> ring;
  const double phase = uniform(rng) * 2 * std::numbers::pi;
  for (int i = 0; i < vertices; ++i) {
    const double a = phase + (clockwise ? -1 : 1) * 2 * std::numbers::pi * i / vertices;
    const double r = radius * (0.6 + 0.4 * uniform(rng));
    ring.push_back({cx + r * std::cos(a), cy + r * std::sin(a)});
  }
  ring.push_back(ring.front());
  return ring;
}

void generate_polygons(const fs::path& file, int count, int size, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  GDALDatasetUniquePtr dataset(
      GetGDALDriverManager()->GetDriverByName("GPKG")->Create(file.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!dataset) throw std::runtime_error("cannot create " + file.string());
  OGRSpatialReference crs;
  crs.importFromEPSG(3035);
  OGRLayer* layer = dataset->CreateLayer("polygons", &crs, wkbPolygon, nullptr);
  OGRFieldDefn id("id", OFTInteger);
  layer->CreateField(&id);
  const double extent = size * kCell;
  dataset->StartTransaction();
  for (int i = 0; i < count; ++i) {
    const double radius = std::exp(std::log(20.0) + uniform(rng) * (std::log(3000.0) - std::log(20.0)));
    const double cx = kX0 - 0.02 * extent + uniform(rng) * 1.04 * extent;
    const double cy = kY1 - extent * 1.02 + uniform(rng) * 1.04 * extent;
    const int vertices = 12 + static_cast<int>(uniform(rng) * 53);
    OGRPolygon polygon;
    auto add = [&](const std::vector<geos::XY>& points) {
      OGRLinearRing ring;
      for (const auto& p : points) ring.addPoint(p.x, p.y);
      polygon.addRing(&ring);
    };
    add(star(rng, cx, cy, radius, vertices, i % 2 == 1));  // both orientations
    if (i % 5 == 0) add(star(rng, cx, cy, radius * 0.25, 12, i % 2 == 0));
    OGRFeature feature(layer->GetLayerDefn());
    feature.SetField(0, i + 1);
    feature.SetGeometry(&polygon);
    if (layer->CreateFeature(&feature) != OGRERR_NONE) throw std::runtime_error("cannot write a polygon");
  }
  dataset->CommitTransaction();
}

struct Polygon {
  int id;
  geos::GeomPtr geometry;
};

std::vector<Polygon> read_polygons(const std::string& file) {
  GDALDatasetUniquePtr dataset(GDALDataset::Open(file.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
  if (!dataset) throw std::runtime_error("cannot open " + file);
  std::vector<Polygon> out;
  std::vector<unsigned char> wkb;
  for (auto& feature : *dataset->GetLayer(0)) {
    const OGRGeometry* g = feature->GetGeometryRef();
    wkb.resize(static_cast<std::size_t>(g->WkbSize()));
    g->exportToWkb(wkbNDR, wkb.data(), wkbVariantIso);
    out.push_back({feature->GetFieldAsInteger(0), geos::from_wkb(wkb)});
  }
  return out;
}

std::string arg(const std::map<std::string, std::string>& args, const std::string& key, const std::string& fallback = {}) {
  auto it = args.find(key);
  if (it != args.end()) return it->second;
  if (fallback.empty()) throw std::runtime_error("missing --" + key);
  return fallback;
}

}  // namespace

int main(int argc, char** argv) try {
  GDALAllRegister();
  if (argc < 2) {
    std::cerr << "usage: twinrisk-zonal-bench generate|run [--key value …] (see the top of bench/zonal_bench.cpp)\n";
    return 2;
  }
  const std::string command = argv[1];
  std::map<std::string, std::string> args;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    key.erase(0, key.find_first_not_of('-'));  // -o and --o alike (bench/run passes -o)
    args[key] = argv[i + 1];
  }

  if (command == "generate") {
    const fs::path out = arg(args, "o");
    fs::create_directories(out);
    const int size = std::stoi(arg(args, "size", "10000"));
    generate_raster(out / "depth.tif", size);
    generate_polygons(out / "polygons.gpkg", std::stoi(arg(args, "polygons", "20000")), size,
                      std::stoull(arg(args, "seed", "1")));
    return 0;
  }
  if (command != "run") throw std::runtime_error("unknown command " + command);
  const int threads = std::stoi(arg(args, "threads", "2"));
  const int repeat = std::stoi(arg(args, "repeat", "3"));
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  const auto polygons = read_polygons(arg(args, "polygons"));
  const io::RasterSource raster(arg(args, "raster"));
  const auto bands = ops::DepthBands::standard();
  std::vector<ops::ZonalStats> stats(polygons.size());
  std::vector<double> seconds;
  for (int round = 0; round < repeat; ++round) {
    const auto start = std::chrono::steady_clock::now();
    // Biggest first would balance better; index order keeps the bench simple and comparable.
    tbb::parallel_for(std::size_t{0}, polygons.size(), [&](std::size_t i) {
      stats[i] = ops::zonal_stats(polygons[i].geometry.get(), raster, bands);
    });
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  std::printf("twinrisk zonal_stats: %zu polygons, %d thread(s): median %.3f s (min %.3f, max %.3f) over %d rounds\n",
              polygons.size(), threads, seconds[seconds.size() / 2], seconds.front(), seconds.back(), repeat);
  if (args.count("csv")) {
    std::ofstream csv(args.at("csv"));
    csv << "id,count,mean,max\n";
    csv.precision(17);
    for (std::size_t i = 0; i < polygons.size(); ++i) {
      const auto& s = stats[i];
      csv << polygons[i].id << ',' << s.valid * s.polygon_cells << ',';
      if (s.mean) csv << *s.mean;
      csv << ',';
      if (s.max) csv << *s.max;
      csv << '\n';
    }
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "twinrisk-zonal-bench: " << e.what() << '\n';
  return 1;
}
