#include "twinrisk/ops/hazard_from_raster.hpp"

#include <fmt/format.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <cmath>

#include "twinrisk/core/error.hpp"
#include "twinrisk/ops/depth_polygons.hpp"
#include "twinrisk/ops/reproject.hpp"
#include "step_support.hpp"

namespace twinrisk::ops {
namespace {

const std::vector<FieldDef> kBandFields = {
    {"class", FieldType::string},       {"band", FieldType::integer},  {"min_depth_m", FieldType::real},
    {"max_depth_m", FieldType::real},   {"area_m2", FieldType::real},
};

std::vector<ParamSpec> hazard_from_raster_parameters() {
  return {
      ParamSpec::raster("depth", "Water depth raster (metres; any GDAL raster, any CRS; nodata respected)")
          .labelled("Depth raster"),
      ParamSpec::numbers("depth_bands",
                         "Lower edges of the depth bands in metres, increasing; the last band is open-ended "
                         "(0, 0.5, 1, 2 gives 0-0.5, 0.5-1, 1-2 and 2+). Only cells deeper than 0 are flooded",
                         {0.0, 0.5, 1.0, 2.0}).labelled("Depth band edges (m)")
          .with_unit("m"),
      ParamSpec::integer("band", "Raster band holding the depth", 1)
          .labelled("Raster band")
          .with_range(1, std::nullopt),
  };
}

std::vector<OutputSpec> hazard_from_raster_outputs() {
  return {{"hazard_bands", OutputKind::layer, GeometryFamily::polygon,
           "Flooded cells as polygons per depth band (4-connected, following cell edges), in the analysis CRS; "
           "class is the band's label, for shared-zones' hazard",
           kBandFields, "Hazard bands"}};
}

}  // namespace

HazardFromRaster::HazardFromRaster() : Algorithm(hazard_from_raster_parameters(), hazard_from_raster_outputs()) {}

std::vector<std::string> HazardFromRaster::check_arguments(const nlohmann::json& values,
                                                 const std::map<std::string, std::vector<std::string>>&) const {
  return depth_bands_problems(values);
}

std::vector<std::string> HazardFromRaster::tags() const {
  return {"polygonize", "depth bands", "raster", "classify", "flood depth"};
}

std::string_view HazardFromRaster::help() const {
  return "Classifies the flooded cells of a water-depth raster (value > 0) into depth bands and turns each band "
         "into polygons that follow the cell edges (GDAL's polygonize, 4-connected), then carries them into the "
         "analysis CRS: cell edges are densified to the cell size first, so they stay true to the grid. The "
         "result is a hazard layer whose class is the band's label (\"0-0.5\", \"2+\"): give it to shared-zones "
         "to get zones per depth band, cut by municipality, and to exposure, whose polygons: whole orders such "
         "classes by their lower edge. Cells without a value, dry cells and depths below the first edge are left "
         "out.";
}

StepOutput HazardFromRaster::run(const StepInput& input, Progress& progress) const {
  const RasterInfo& info = input.raster("depth");
  const DepthBands bands = depth_bands_parameter(input);
  const auto raster = open_raster(info, static_cast<int>(input.integer("band")));
  progress.start(fmt::format("polygonise {}", info.name), 1);
  auto polygons = depth_band_polygons(*raster, bands);
  progress.advance();
  progress.finish();

  const CrsTransform exemplar(info.crs_wkt, input.analysis_crs_wkt);
  tbb::enumerable_thread_specific<CrsTransform> transforms(exemplar);
  const double step = std::min(raster->grid().cell_width, raster->grid().cell_height);
  std::vector<geos::GeomPtr> carried(polygons.size());
  tbb::parallel_for(std::size_t{0}, polygons.size(), [&](std::size_t i) {
    auto& transform = transforms.local();
    if (transform.identity()) {
      carried[i] = std::move(polygons[i].polygon);
      return;
    }
    auto moved = transform.apply(geos::densify(polygons[i].polygon.get(), step).get());
    if (!geos::is_valid(moved.get())) moved = geos::make_valid(moved.get());
    carried[i] = std::move(moved);
  });

  Layer layer{result_schema("hazard_bands", GeometryFamily::polygon, input.analysis_crs_wkt, kBandFields), {}};
  std::vector<double> band_area(bands.size(), 0.0);
  std::vector<std::int64_t> band_polygons(bands.size(), 0);
  for (std::size_t i = 0; i < polygons.size(); ++i) {
    if (!carried[i] || geos::is_empty(carried[i].get())) continue;
    const auto b = polygons[i].band;
    const double area = geos::area(carried[i].get());
    const double upper = bands.edges()[b + 1];
    band_area[b] += area;
    ++band_polygons[b];
    layer.features.push_back({static_cast<std::int64_t>(layer.features.size() + 1), std::move(carried[i]),
                              {bands.label(b), static_cast<std::int64_t>(b + 1), bands.edges()[b],
                               std::isinf(upper) ? Value() : Value(upper), area}});
  }
  StepOutput output;
  auto per_band = nlohmann::json::object();
  for (std::size_t b = 0; b < bands.size(); ++b) {
    per_band[bands.label(b)] = {{"polygons", band_polygons[b]}, {"area_m2", band_area[b]}};
  }
  output.stats = {{"raster", info.name}, {"polygons", layer.features.size()}, {"bands", per_band}};
  if (layer.features.empty()) {
    progress.message(fmt::format("hazard-from-raster: {} has no flooded cell (no value > {} m)", info.name,
                                 bands.edges().front()));
  }
  output.layers.push_back(std::move(layer));
  return output;
}

}  // namespace twinrisk::ops
