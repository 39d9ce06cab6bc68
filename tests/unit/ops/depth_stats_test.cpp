// depth-stats and hazard-from-raster on tiny rasters whose every cell is known, with the areas,
// means and lengths worked out by hand in the comments.

#include "twinrisk/ops/depth_stats.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "../test_support.hpp"
#include "raster_fixture.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/ops/hazard_from_raster.hpp"

namespace twinrisk::ops {
namespace {

using test::rectangle;
using test::TempDir;

// 3×3 cells of 10 m in EPSG:3035, west edge x = 0, north edge y = 30:
//   row 0 (y 20..30):  1   2   3
//   row 1 (y 10..20):  4   5   6
//   row 2 (y  0..10):  7   8   -9999 (nodata)
test::RasterSpec three_by_three() {
  test::RasterSpec spec;
  spec.geotransform = {0, 10, 0, 30, 0, -10};
  spec.width = 3;
  spec.height = 3;
  spec.values = {1, 2, 3, 4, 5, 6, 7, 8, -9999};
  spec.nodata = -9999;
  return spec;
}

RasterInfo raster_info(const std::string& path, const std::string& crs) {
  RasterInfo info;
  info.name = "depth";
  info.source = path;
  info.crs_wkt = crs;
  return info;
}

Layer features(const std::vector<std::string>& wkts) {
  Layer layer;
  layer.name = "f";
  layer.role = Role::features;
  layer.geometry = GeometryFamily::any;
  layer.fields = {{"label", FieldType::string}};
  std::int64_t fid = 1;
  for (const auto& wkt : wkts) {
    std::string label = "f";
    label += std::to_string(fid);  // (not "f" + std::to_string: GCC 12 -Wrestrict false positive)
    layer.features.push_back({fid++, geos::from_wkt(wkt), {label}});
  }
  return layer;
}

struct Run {
  Layer layer;
  StepOutput output;
};

Run depth_stats(const Layer& layer, const RasterInfo& raster, const std::string& analysis_crs,
                const std::string& sampling = "cell", const std::string& polygon_depth = "coverage",
                std::vector<double> bands = {0, 0.5, 1, 2}) {
  StepInput input;
  LayerSource source(layer);
  input.sources["features"] = {&source};
  input.rasters["depth"] = {&raster};
  input.values = {{"depth_bands", bands}, {"band", 1}, {"measure", "planar"}, {"sampling", sampling},
                  {"polygon_depth", polygon_depth}};
  input.analysis_crs_wkt = analysis_crs;
  LayerSink sink;
  input.sink = &sink;
  NullProgress progress;
  Run run{{}, DepthStats().run(input, progress)};
  run.layer = std::move(sink.layers().at(0));
  return run;
}

const Value& field(const Layer& layer, std::size_t feature, const std::string& name) {
  return layer.features.at(feature).values.at(*layer.field_index(name));
}
double real(const Layer& layer, std::size_t feature, const std::string& name) {
  return std::get<double>(field(layer, feature, name));
}

TEST(DepthStats, PolygonCoveringHalfACell) {
  TempDir dir;
  const auto path = test::write_raster(dir / "d.tif", three_by_three());
  const auto raster = raster_info(path, "EPSG:3035");
  // Half of the centre cell (value 5): x 10..15, y 10..20 → 50 m², mean 5.
  // The centre cell and half of the one east of it (6): 100 + 50 = 150 m², mean (5·1 + 6·0.5)/1.5 = 16/3.
  // Half of the nodata cell and half of the 8 beside it: 50 m² with a value, 50 without.
  const auto layer = features({rectangle(10, 10, 15, 20), rectangle(10, 10, 25, 20), rectangle(15, 0, 25, 10)});
  const auto run = depth_stats(layer, raster, "EPSG:3035");
  const auto& out = run.layer;
  ASSERT_EQ(out.features.size(), 3u);
  EXPECT_NEAR(real(out, 0, "area_m2"), 50, 1e-9);
  EXPECT_NEAR(real(out, 0, "mean_depth_m"), 5, 1e-12);
  EXPECT_NEAR(real(out, 0, "flooded_area_m2"), 50, 1e-9);
  EXPECT_NEAR(real(out, 1, "area_m2"), 150, 1e-9);
  EXPECT_NEAR(real(out, 1, "mean_depth_m"), 16.0 / 3, 1e-12);
  EXPECT_NEAR(real(out, 1, "max_depth_m"), 6, 1e-12);
  // Every depth here is 2 m or more: all in band 4 (2+).
  EXPECT_NEAR(real(out, 1, "band_4"), 150, 1e-9);
  EXPECT_NEAR(real(out, 1, "band_1"), 0, 1e-12);
  EXPECT_EQ(to_display_string(field(out, 1, "depth_band")), "2+");
  EXPECT_NEAR(real(out, 2, "nodata_share"), 0.5, 1e-12);
  EXPECT_NEAR(real(out, 2, "mean_depth_m"), 8, 1e-12);
  EXPECT_NEAR(real(out, 2, "flooded_area_m2"), 50, 1e-9);
  // The feature's own field is kept.
  EXPECT_EQ(to_display_string(field(out, 2, "label")), "f3");
}

// Features are read in raster order (along a curve through the raster), not in input order; each
// must still get its own statistics, in its own place. Nine one-cell squares, scattered.
TEST(DepthStats, ScatteredFeaturesEachGetTheirOwnCell) {
  TempDir dir;
  auto spec = three_by_three();
  spec.nodata.reset();
  spec.values = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const auto path = test::write_raster(dir / "d.tif", spec);
  const std::vector<std::pair<int, int>> cells{{2, 2}, {0, 0}, {1, 2}, {2, 0}, {0, 1}, {1, 0}, {0, 2}, {2, 1}, {1, 1}};
  std::vector<std::string> squares;
  for (const auto& [row, col] : cells) {
    squares.push_back(rectangle(10.0 * col, 30 - 10.0 * (row + 1), 10.0 * (col + 1), 30 - 10.0 * row));
  }
  const auto run = depth_stats(features(squares), raster_info(path, "EPSG:3035"), "EPSG:3035");
  const auto& out = run.layer;
  ASSERT_EQ(out.features.size(), cells.size());
  for (std::size_t k = 0; k < cells.size(); ++k) {
    const auto [row, col] = cells[k];
    EXPECT_NEAR(real(out, k, "mean_depth_m"), 3 * row + col + 1, 1e-12) << "feature " << k;
    std::string label = "f";
    label += std::to_string(k + 1);
    EXPECT_EQ(to_display_string(field(out, k, "label")), label);
  }
}

TEST(DepthStats, BandsAreAreasPerDepthClass) {
  TempDir dir;
  auto spec = three_by_three();
  spec.values = {0.2, 0.7, 1.5, 0, -1, 3, 0.2, 0.2, 0.2};
  spec.nodata.reset();
  const auto path = test::write_raster(dir / "d.tif", spec);
  // The whole raster: 900 m²; 0-0.5: four cells (400), 0.5-1: one (100), 1-2: one, 2+: one; two
  // cells are dry (0 and -1): flooded 700 m², mean over all nine (0.2·4 + 0.7 + 1.5 + 3 + 0 − 1)/9.
  const auto run = depth_stats(features({rectangle(0, 0, 30, 30)}), raster_info(path, "EPSG:3035"), "EPSG:3035");
  const auto& out = run.layer;
  EXPECT_NEAR(real(out, 0, "band_1"), 400, 1e-9);
  EXPECT_NEAR(real(out, 0, "band_2"), 100, 1e-9);
  EXPECT_NEAR(real(out, 0, "band_3"), 100, 1e-9);
  EXPECT_NEAR(real(out, 0, "band_4"), 100, 1e-9);
  EXPECT_NEAR(real(out, 0, "flooded_area_m2"), 700, 1e-9);
  EXPECT_NEAR(real(out, 0, "mean_depth_m"), (0.8 + 0.7 + 1.5 + 3 - 1) / 9, 1e-6);  // Float32 cells
  EXPECT_NEAR(real(out, 0, "mean_flooded_depth_m"), (0.8 + 0.7 + 1.5 + 3) / 7, 1e-6);
  const auto& totals = run.output.tables.at(0);
  EXPECT_EQ(totals.name, "depth_band_totals");
  EXPECT_NEAR(std::get<double>(totals.rows[0][*totals.column_index("area_m2")]), 400, 1e-9);
}

TEST(DepthStats, LinesGetLengthPerBandAndPointsTheirCell) {
  TempDir dir;
  auto spec = three_by_three();
  spec.values = {0.2, 0.7, 1.5, 0, -1, 3, 0.2, 0.2, 0.2};
  spec.nodata.reset();
  const auto path = test::write_raster(dir / "d.tif", spec);
  // Along row 0 (y = 25) from x = 5 to x = 40: 5 m in 0.2, 10 in 0.7, 10 in 1.5, 10 beyond the raster.
  const auto run = depth_stats(features({"LINESTRING(5 25,40 25)", "POINT(25 15)", "POINT(12 12)"}),
                               raster_info(path, "EPSG:3035"), "EPSG:3035");
  const auto& out = run.layer;
  EXPECT_NEAR(real(out, 0, "length_m"), 35, 1e-9);
  EXPECT_NEAR(real(out, 0, "band_1"), 5, 1e-9);
  EXPECT_NEAR(real(out, 0, "band_2"), 10, 1e-9);
  EXPECT_NEAR(real(out, 0, "band_3"), 10, 1e-9);
  EXPECT_NEAR(real(out, 0, "outside_share"), 10.0 / 35, 1e-12);
  EXPECT_NEAR(real(out, 0, "max_depth_m"), 1.5, 1e-6);
  EXPECT_NEAR(real(out, 0, "mean_depth_m"), (0.2 * 5 + 0.7 * 10 + 1.5 * 10) / 25, 1e-6);
  EXPECT_NEAR(real(out, 1, "depth_m"), 3, 1e-12);
  EXPECT_NEAR(real(out, 1, "band_4"), 1, 1e-12);
  EXPECT_NEAR(real(out, 2, "depth_m"), -1, 1e-12);  // a dry cell
  EXPECT_NEAR(real(out, 2, "flooded_share"), 0, 1e-12);
}

TEST(DepthStats, BilinearSamplingBetweenCellCentres) {
  TempDir dir;
  const auto path = test::write_raster(dir / "d.tif", three_by_three());
  const auto raster = raster_info(path, "EPSG:3035");
  // Centres at x = 5, 15, 25 and y = 25, 15, 5. (10, 20) lies midway between 1, 2, 4, 5: 3.
  // (12, 17): u − 0.5 = 0.7, v − 0.5 = 0.8 between 1 2 / 4 5:
  //   1·0.3·0.2 + 2·0.7·0.2 + 4·0.3·0.8 + 5·0.7·0.8 = 0.06 + 0.28 + 0.96 + 2.8 = 4.1.
  // (20, 10): among 5 6 8 and the nodata cell: weights 1/4 each, renormalised: (5+6+8)/3.
  // (1, 29): between the raster's edge and the first centres: flat, the corner cell's 1.
  const auto run = depth_stats(features({"POINT(10 20)", "POINT(12 17)", "POINT(20 10)", "POINT(1 29)"}), raster,
                               "EPSG:3035", "bilinear");
  EXPECT_NEAR(real(run.layer, 0, "depth_m"), 3, 1e-12);
  EXPECT_NEAR(real(run.layer, 1, "depth_m"), 4.1, 1e-12);
  EXPECT_NEAR(real(run.layer, 2, "depth_m"), 19.0 / 3, 1e-12);
  EXPECT_NEAR(real(run.layer, 3, "depth_m"), 1, 1e-12);
}

TEST(DepthStats, CentroidDepthForBuildings) {
  TempDir dir;
  const auto path = test::write_raster(dir / "d.tif", three_by_three());
  // Centroid (12.5, 15): the centre cell, 5; area 5 × 10 = 50 m², all of it in the centroid's band.
  const auto run = depth_stats(features({rectangle(10, 10, 15, 20)}), raster_info(path, "EPSG:3035"), "EPSG:3035",
                               "cell", "centroid");
  EXPECT_NEAR(real(run.layer, 0, "depth_m"), 5, 1e-12);
  EXPECT_NEAR(real(run.layer, 0, "band_4"), 50, 1e-9);
}

TEST(DepthStats, FeaturesAreCarriedIntoTheRastersCrs) {
  // The 3×3 raster in UTM 31N on ETRS89 (EPSG:25831, the datum of EPSG:3035, so no datum shift),
  // west edge E 500000, north edge N 5650000. The polygon is the centre cell and half its east
  // neighbour less 1 cm all round (E 500010.01..500024.99, N 5649980.01..5649989.99), given in
  // EPSG:3035 as cs2cs carries its corners:
  // printf '500010.01 5649980.01\n500024.99 5649980.01\n500024.99 5649989.99\n500010.01 5649989.99\n' |
  //   cs2cs -f "%.6f" EPSG:25831 EPSG:3035  (EPSG:3035 answers northing first)
  // Mean: the centre cell (5) weighs 9.99 × 9.98, the east one (6) 4.99 × 9.98.
  TempDir dir;
  auto spec = three_by_three();
  spec.geotransform = {500000, 10, 0, 5650000, 0, -10};
  spec.epsg = 25831;
  const auto path = test::write_raster(dir / "d.tif", spec);
  const auto polygon =
      "POLYGON((3830496.855767 3122396.897372,3830511.762878 3122395.464681,3830512.712394 3122405.410250,"
      "3830497.805283 3122406.842941,3830496.855767 3122396.897372))";
  const auto run = depth_stats(features({polygon}), raster_info(path, "EPSG:25831"), "EPSG:3035");
  EXPECT_NEAR(real(run.layer, 0, "mean_depth_m"), (5 * 9.99 + 6 * 4.99) / (9.99 + 4.99), 1e-6);
  EXPECT_NEAR(real(run.layer, 0, "max_depth_m"), 6, 1e-12);
  // Had it been read in the analysis CRS's coordinates it would have met no cell of the raster.
  EXPECT_NEAR(real(run.layer, 0, "outside_share"), 0, 1e-9);
}

TEST(HazardFromRaster, BandsBecomePolygonsInTheAnalysisCrs) {
  TempDir dir;
  auto spec = three_by_three();
  spec.values = {0.2, 0.7, 1.5, 0, -1, 3, 0.2, 0.2, 0.2};
  spec.nodata.reset();
  const auto path = test::write_raster(dir / "d.tif", spec);
  const auto raster = raster_info(path, "EPSG:3035");
  StepInput input;
  input.rasters["depth"] = {&raster};
  input.values = {{"depth_bands", std::vector<double>{0, 0.5, 1, 2}}, {"band", 1}};
  input.analysis_crs_wkt = "EPSG:3035";
  NullProgress progress;
  const auto out = HazardFromRaster().run(input, progress);
  const Layer& bands = out.layers.at(0);
  EXPECT_EQ(bands.name, "hazard_bands");
  std::map<std::string, double> area;
  std::map<std::string, int> polygons;
  for (const auto& f : bands.features) {
    const auto label = to_display_string(f.values[*bands.field_index("class")]);
    area[label] += geos::area(f.geometry.get());
    ++polygons[label];
  }
  // 0-0.5: the corner cell 0.2 and the bottom row (three cells), 4-connected apart: 2 polygons, 400 m².
  EXPECT_EQ(polygons["0-0.5"], 2);
  EXPECT_NEAR(area["0-0.5"], 400, 1e-9);
  EXPECT_NEAR(area["0.5-1"], 100, 1e-9);
  EXPECT_NEAR(area["1-2"], 100, 1e-9);
  EXPECT_NEAR(area["2+"], 100, 1e-9);
  EXPECT_EQ(bands.features.size(), 5u);
}

TEST(HazardFromRaster, CellEdgesStayTrueInAnotherCrs) {
  // Two 40 m cells in UTM 31N on ETRS89 (EPSG:25831) carried to EPSG:3035: the block lands where
  // cs2cs puts its corners. Its area there, 3200 m² scaled by the two projections' distortion,
  // differs from 3200 by far more than the tolerance, so the polygon was transformed, not copied;
  // the tolerance allows for the densified edges, which follow the cells' straight edges in UTM
  // where the corners' polygon is straight in EPSG:3035.
  TempDir dir;
  test::RasterSpec spec;
  spec.geotransform = {500000, 40, 0, 5650000, 0, -40};
  spec.width = 2;
  spec.height = 1;
  spec.values = {1, 1};
  spec.epsg = 25831;
  const auto path = test::write_raster(dir / "d.tif", spec);
  const auto raster = raster_info(path, "EPSG:25831");
  StepInput input;
  input.rasters["depth"] = {&raster};
  input.values = {{"depth_bands", std::vector<double>{0}}, {"band", 1}};
  input.analysis_crs_wkt = "EPSG:3035";
  NullProgress progress;
  const auto out = HazardFromRaster().run(input, progress);
  ASSERT_EQ(out.layers.at(0).features.size(), 1u);
  // printf '500000 5649960\n500080 5649960\n500080 5650000\n500000 5650000\n' | cs2cs -f "%.6f" EPSG:25831 EPSG:3035
  const auto expected = geos::from_wkt(
      "POLYGON((3830484.990686 3122377.913765,3830564.601436 3122370.262551,3830568.407108 3122410.124544,"
      "3830488.796360 3122417.775767,3830484.990686 3122377.913765))");
  const auto& carried = out.layers[0].features[0].geometry;
  EXPECT_GT(std::abs(geos::area(expected.get()) - 3200), 1.0);
  EXPECT_NEAR(geos::area(carried.get()), geos::area(expected.get()), 1e-4);
  const auto env = geos::envelope(carried.get());
  EXPECT_NEAR(env.min_x, 3830484.990686, 1e-5);
  EXPECT_NEAR(env.max_y, 3122417.775767, 1e-5);
}

}  // namespace
}  // namespace twinrisk::ops
