// Zonal statistics on tiny GeoTIFFs whose every cell is known; expectations by hand, or by plain
// interval arithmetic for rectangles (independent of the coverage walk).

#include "twinrisk/ops/zonal_stats.hpp"

#include <tbb/parallel_for.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <latch>
#include <thread>

#include "twinrisk/core/error.hpp"
#include "../test_support.hpp"
#include "raster_fixture.hpp"

namespace twinrisk::ops {
namespace {

using test::RasterSpec;
using test::rectangle;
using io::RasterWindow;

constexpr double kNoData = -9999;
constexpr double kInf = std::numeric_limits<double>::infinity();

// 3 × 3 cells of 10 m, x 0..30, y 0..30; rows north to south:
//   0.2  0.4  0.6
//   0.8  1.5  nodata
//   2.5  0    3.0
RasterSpec depth3x3() {
  RasterSpec spec;
  spec.geotransform = {0, 10, 0, 30, 0, -10};
  spec.width = spec.height = 3;
  spec.values = {0.2, 0.4, 0.6, 0.8, 1.5, kNoData, 2.5, 0, 3.0};
  spec.nodata = kNoData;
  spec.type = GDT_Float64;
  return spec;
}

class ZonalStatsTest : public ::testing::Test {
 protected:
  test::TempDir dir;
  io::RasterSource raster{test::write_raster(dir / "depth.tif", depth3x3())};
  DepthBands bands = DepthBands::standard();  // [0,0.5) [0.5,1) [1,2) [2,inf)

  ZonalStats stats(const std::string& wkt) { return zonal_stats(geos::from_wkt(wkt).get(), raster, bands); }
};

TEST_F(ZonalStatsTest, HalfOfOneCell) {
  // x 10..15 of the centre cell (1.5 m): 50 m², all of it on that cell.
  const auto s = stats(rectangle(10, 10, 15, 20));
  EXPECT_DOUBLE_EQ(s.polygon_cells, 0.5);
  EXPECT_DOUBLE_EQ(s.covered_cells, 0.5);
  EXPECT_DOUBLE_EQ(s.cell_area, 100);
  EXPECT_DOUBLE_EQ(s.covered, 1);
  EXPECT_DOUBLE_EQ(s.flooded, 1);
  EXPECT_DOUBLE_EQ(s.mean.value(), 1.5);
  EXPECT_DOUBLE_EQ(s.max.value(), 1.5);
  EXPECT_EQ(s.bands, (std::vector<double>{0, 0, 1, 0}));
  // The caller's scaling: flooded area = share × the polygon's area in the analysis CRS.
  EXPECT_DOUBLE_EQ(s.flooded * 50.0, 50.0);
}

TEST_F(ZonalStatsTest, WholeCellAndHalfCellWeightedMean) {
  // x 10..20, y 10..25: the centre cell (1.5) whole and half of the one north of it (0.4).
  // mean = (1 · 1.5 + 0.5 · 0.4) / 1.5 = 1.7 / 1.5; bands: 0.4 → [0, 0.5) ⅓, 1.5 → [1, 2) ⅔.
  const auto s = stats(rectangle(10, 10, 20, 25));
  EXPECT_NEAR(s.polygon_cells, 1.5, 1e-12);
  EXPECT_NEAR(s.mean.value(), 1.7 / 1.5, 1e-12);
  EXPECT_NEAR(s.mean_flooded.value(), 1.7 / 1.5, 1e-12);
  EXPECT_DOUBLE_EQ(s.max.value(), 1.5);
  EXPECT_NEAR(s.flooded, 1, 1e-12);
  EXPECT_NEAR(s.bands[0], 1.0 / 3, 1e-12);
  EXPECT_NEAR(s.bands[1], 0, 1e-12);
  EXPECT_NEAR(s.bands[2], 2.0 / 3, 1e-12);
  EXPECT_NEAR(s.bands[3], 0, 1e-12);
  EXPECT_NEAR(s.bands[0] * 150.0, 50.0, 1e-9);  // 50 m² of the 150 m² polygon lie 0–0.5 m deep
}

TEST_F(ZonalStatsTest, NoDataCellsAreCountedApart) {
  // x 15..30, y 10..20: half the centre cell (1.5) and the whole nodata cell: 1.5 cells.
  const auto s = stats(rectangle(15, 10, 30, 20));
  EXPECT_NEAR(s.covered, 1, 1e-12);
  EXPECT_NEAR(s.valid, 1.0 / 3, 1e-12);
  EXPECT_NEAR(s.nodata, 2.0 / 3, 1e-12);
  EXPECT_NEAR(s.flooded, 1.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(s.mean.value(), 1.5);  // the nodata value never enters the mean …
  EXPECT_DOUBLE_EQ(s.max.value(), 1.5);   // … nor the max
}

TEST_F(ZonalStatsTest, PolygonPartlyOutsideTheRaster) {
  // x 25..40, y 0..10: 150 m², of which x 25..30 (50 m²) on the 3.0 m cell; the rest outside.
  const auto s = stats(rectangle(25, 0, 40, 10));
  EXPECT_NEAR(s.polygon_cells, 1.5, 1e-12);
  EXPECT_NEAR(s.covered, 1.0 / 3, 1e-12);
  EXPECT_NEAR(s.outside(), 2.0 / 3, 1e-12);
  EXPECT_NEAR(s.bands[3], 1.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(s.mean.value(), 3.0);
}

TEST_F(ZonalStatsTest, DryCellsCountInTheMeanButAreNotFlooded) {
  // x 0..20, y 0..10: the 2.5 m cell and the 0 m cell.
  const auto s = stats(rectangle(0, 0, 20, 10));
  EXPECT_NEAR(s.valid, 1, 1e-12);
  EXPECT_NEAR(s.flooded, 0.5, 1e-12);
  EXPECT_NEAR(s.mean.value(), 1.25, 1e-12);
  EXPECT_NEAR(s.mean_flooded.value(), 2.5, 1e-12);
  EXPECT_NEAR(s.bands[3], 0.5, 1e-12);
}

TEST_F(ZonalStatsTest, PolygonWithAHole) {
  // The whole raster minus the centre cell: 8 cells. Valid: 0.2 0.4 0.6 0.8 2.5 0 3.0 (sum 7.5),
  // nodata 1, flooded 6; bands: {0.2, 0.4}, {0.6, 0.8}, {}, {2.5, 3.0}.
  const auto s = stats("POLYGON((0 0,30 0,30 30,0 30,0 0),(10 10,20 10,20 20,10 20,10 10))");
  EXPECT_NEAR(s.polygon_cells, 8, 1e-12);
  EXPECT_NEAR(s.valid, 7.0 / 8, 1e-12);
  EXPECT_NEAR(s.nodata, 1.0 / 8, 1e-12);
  EXPECT_NEAR(s.flooded, 6.0 / 8, 1e-12);
  EXPECT_NEAR(s.mean.value(), 7.5 / 7, 1e-12);
  EXPECT_NEAR(s.mean_flooded.value(), 7.5 / 6, 1e-12);
  EXPECT_DOUBLE_EQ(s.max.value(), 3.0);
  for (std::size_t b = 0; b < 4; ++b) EXPECT_NEAR(s.bands[b], b == 2 ? 0.0 : 2.0 / 8, 1e-12) << "band " << b;
}

TEST_F(ZonalStatsTest, DepthsOutsideEveryBandAreUnbanded) {
  bands = DepthBands({0.5, 1, 2});  // 0.2, 0.4 below; 2.5, 3.0 above
  const auto s = stats("POLYGON((0 0,30 0,30 30,0 30,0 0),(10 10,20 10,20 20,10 20,10 10))");
  EXPECT_NEAR(s.bands[0], 2.0 / 8, 1e-12);
  EXPECT_NEAR(s.bands[1], 0, 1e-12);
  EXPECT_NEAR(s.unbanded, 4.0 / 8, 1e-12);
}

TEST(ZonalStats, Float32NoDataThatDoubleCannotHoldExactly) {
  // -3.4e38 is not a float: the cells hold the nearest float, -3.3999999521443642e38. GTiff rounds
  // its nodata to float itself, but a VRT reports the double -3.4e38, so the comparison must be
  // made in single precision.
  test::TempDir dir;
  RasterSpec spec = depth3x3();
  spec.type = GDT_Float32;
  spec.nodata.reset();
  spec.values[5] = -3.4e38;
  const auto tif = test::write_raster(dir / "f32.tif", spec);
  const auto vrt = (dir / "f32.vrt").string();
  std::ofstream(vrt) << R"(<VRTDataset rasterXSize="3" rasterYSize="3">
  <SRS>EPSG:3035</SRS>
  <GeoTransform>0, 10, 0, 30, 0, -10</GeoTransform>
  <VRTRasterBand dataType="Float32" band="1">
    <NoDataValue>-3.4e38</NoDataValue>
    <SimpleSource><SourceFilename relativeToVRT="1">f32.tif</SourceFilename><SourceBand>1</SourceBand></SimpleSource>
  </VRTRasterBand>
</VRTDataset>
)";
  io::RasterSource raster(vrt);
  ASSERT_EQ(raster.info().nodata, -3.4e38);
  const auto s = zonal_stats(geos::from_wkt(rectangle(15, 10, 30, 20)).get(), raster, DepthBands::standard());
  EXPECT_NEAR(s.nodata, 2.0 / 3, 1e-12);
  EXPECT_NEAR(s.mean.value(), 1.5, 1e-6);
}

// A 100 × 80 raster with value(row, col) = row / 10 + col / 1000, tiled in 16 × 16 blocks, read in
// strips smaller than a block and in block-aligned strips: the weighted mean equals the one from
// per-cell interval overlaps of the rectangle.
struct Rect {
  double x0, y0, x1, y1;
};
double overlap(double a0, double a1, double b0, double b1) { return std::max(0.0, std::min(a1, b1) - std::max(a0, b0)); }
double expected_mean(const Rect& r, int width, int height) {
  double sum_fv = 0, sum_f = 0;
  for (int row = 0; row < height; ++row) {
    for (int col = 0; col < width; ++col) {
      const double f = overlap(r.x0, r.x1, col, col + 1) * overlap(r.y0, r.y1, height - row - 1, height - row);
      sum_fv += f * (row / 10.0 + col / 1000.0);
      sum_f += f;
    }
  }
  return sum_fv / sum_f;
}

class BlockwiseTest : public ::testing::Test {
 protected:
  static constexpr int kWidth = 100, kHeight = 80;
  test::TempDir dir;
  std::string path = [this] {
    RasterSpec spec;
    spec.geotransform = {0, 1, 0, kHeight, 0, -1};
    spec.width = kWidth;
    spec.height = kHeight;
    spec.type = GDT_Float64;
    spec.block = 16;
    for (int row = 0; row < kHeight; ++row) {
      for (int col = 0; col < kWidth; ++col) spec.values.push_back(row / 10.0 + col / 1000.0);
    }
    return test::write_raster(dir / "tiled.tif", spec);
  }();
  io::RasterSource raster{path};
};

TEST_F(BlockwiseTest, StripsOfAnySizeGiveTheSameMean) {
  const Rect r{3.3, 2.25, 71.8, 77.5};
  const auto polygon = geos::from_wkt(rectangle(r.x0, r.y0, r.x1, r.y1));
  const double expected = expected_mean(r, kWidth, kHeight);
  for (std::size_t budget : {std::size_t{500}, std::size_t{2000}, std::size_t{1} << 20}) {
    const auto s = zonal_stats(polygon.get(), raster, DepthBands::standard(), budget);
    EXPECT_NEAR(s.mean.value(), expected, 1e-12) << "strip budget " << budget;
    EXPECT_NEAR(s.covered, 1, 1e-12);
  }
}

TEST_F(BlockwiseTest, ThreadsReadThroughTheirOwnHandles) {
  std::vector<Rect> rects;
  for (int i = 0; i < 400; ++i) {
    const double x = (i * 37 % 90) + 0.3, y = (i * 53 % 70) + 0.6;
    rects.push_back({x, y, x + 5.45 + i % 4, y + 3.15 + i % 3});
  }
  std::vector<double> means(rects.size());
  tbb::parallel_for(std::size_t{0}, rects.size(), [&](std::size_t i) {
    const auto& r = rects[i];
    means[i] = zonal_stats(geos::from_wkt(rectangle(r.x0, r.y0, r.x1, r.y1)).get(), raster, DepthBands::standard(), 64)
                   .mean.value();
  });
  for (std::size_t i = 0; i < rects.size(); ++i) {
    EXPECT_NEAR(means[i], expected_mean(rects[i], kWidth, kHeight), 1e-12) << "rectangle " << i;
  }
}

TEST_F(BlockwiseTest, EachThreadOpensItsOwnHandleOnce) {
  RasterWindow values;
  raster.read({0, 0, 4, 4}, values);
  raster.read({4, 4, 4, 4}, values);
  EXPECT_EQ(raster.open_handles(), 1u);  // the opening thread reuses its handle
  // Two threads alive at once (a finished thread's id may be reused, and its handle with it).
  std::latch both_read(2);
  auto reader = [&] {
    RasterWindow mine;
    raster.read({0, 0, 4, 4}, mine);
    raster.read({8, 8, 4, 4}, mine);
    EXPECT_DOUBLE_EQ(mine.values[5], 0.9 + 0.009);  // row 9, col 9
    both_read.arrive_and_wait();
  };
  std::thread first(reader), second(reader);
  first.join();
  second.join();
  EXPECT_EQ(raster.open_handles(), 3u);
}

TEST(RasterSource, DatasetMaskMarksCellsWithoutValue) {
  // No nodata value, but a per-dataset mask hides the centre cell (1.5 m).
  test::TempDir dir;
  RasterSpec spec = depth3x3();
  spec.nodata.reset();
  spec.values[5] = 7;  // a real value now
  const auto path = test::write_raster(dir / "masked.tif", spec);
  {
    GDALDatasetUniquePtr dataset(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE));
    ASSERT_EQ(dataset->CreateMaskBand(GMF_PER_DATASET), CE_None);
    std::vector<GByte> mask = {255, 255, 255, 255, 0, 255, 255, 255, 255};
    ASSERT_EQ(dataset->GetRasterBand(1)->GetMaskBand()->RasterIO(GF_Write, 0, 0, 3, 3, mask.data(), 3, 3, GDT_Byte, 0, 0,
                                                                 nullptr),
              CE_None);
  }
  io::RasterSource raster(path);
  EXPECT_TRUE(raster.info().has_mask);
  // x 10..30, y 10..20: the masked centre cell and the 7 m cell.
  const auto s = zonal_stats(geos::from_wkt(rectangle(10, 10, 30, 20)).get(), raster, DepthBands::standard());
  EXPECT_NEAR(s.nodata, 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(s.mean.value(), 7);
}

// Bad rasters: each an InputError that names the file and says what to do.
void expect_input_error(const std::function<void()>& open, const std::string& file, const std::string& words,
                        const std::string& hint_words) {
  try {
    open();
    FAIL() << "no error for " << file;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find(hint_words), std::string::npos) << e.hint();
  }
}

TEST(RasterSource, BadInputsAreInputErrors) {
  test::TempDir dir;
  RasterSpec no_crs = depth3x3();
  no_crs.epsg = 0;
  const auto no_crs_path = test::write_raster(dir / "no_crs.tif", no_crs);
  expect_input_error([&] { io::RasterSource r(no_crs_path); }, no_crs_path, "no CRS", "gdal_edit.py -a_srs");

  RasterSpec rotated = depth3x3();
  rotated.geotransform = {0, 10, 1, 30, 1, -10};
  const auto rotated_path = test::write_raster(dir / "rotated.tif", rotated);
  expect_input_error([&] { io::RasterSource r(rotated_path); }, rotated_path, "rotated", "gdalwarp");

  const auto ok = test::write_raster(dir / "ok.tif", depth3x3());
  expect_input_error([&] { io::RasterSource r(ok, 2); }, ok, "band 2 does not exist", "from 1 to 1");
  expect_input_error([&] { io::RasterSource r(ok, 0); }, ok, "band 0 does not exist", "from 1 to 1");

  const auto missing = (dir / "missing.tif").string();
  expect_input_error([&] { io::RasterSource r(missing); }, missing, "not found", "check the path");

  const auto text = (dir / "notes.txt").string();
  std::ofstream(text) << "not a raster\n";
  expect_input_error([&] { io::RasterSource r(text); }, text, "cannot open as a raster", "gdalinfo");
}

TEST(DepthBands, RefusesEdgesThatDoNotIncrease) {
  EXPECT_THROW(DepthBands({1}), ConfigError);
  EXPECT_THROW(DepthBands({0, 1, 1}), ConfigError);
  EXPECT_THROW(DepthBands({0, kInf, 3}), ConfigError);
  EXPECT_THROW(DepthBands({std::nan(""), 1}), ConfigError);
  const DepthBands bands({0, 0.5, kInf});
  EXPECT_EQ(bands.band_of(0.0), 0u);
  EXPECT_EQ(bands.band_of(0.5), 1u);  // edges belong to the band above
  EXPECT_EQ(bands.band_of(-0.1), std::nullopt);
  EXPECT_EQ(bands.label(0), "0-0.5");
  EXPECT_EQ(bands.label(1), "0.5+");
}

}  // namespace
}  // namespace twinrisk::ops
