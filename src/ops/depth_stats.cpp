#include "twinrisk/ops/depth_stats.hpp"

#include <fmt/format.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>

#include "twinrisk/core/error.hpp"
#include "twinrisk/ops/measure.hpp"
#include "twinrisk/ops/raster_sampling.hpp"
#include "twinrisk/ops/reproject.hpp"
#include "twinrisk/ops/zonal_stats.hpp"
#include "step_support.hpp"

namespace twinrisk::ops {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Polygons each read their own window, so a batch of a few thousand keeps both threads busy
// without holding many geometries.
constexpr std::size_t kBatchSize = 8192;

std::vector<FieldDef> stat_fields(const DepthBands& bands) {
  std::vector<FieldDef> fields = {
      {"depth_m", FieldType::real},          {"max_depth_m", FieldType::real},
      {"mean_depth_m", FieldType::real},     {"mean_flooded_depth_m", FieldType::real},
      {"depth_band", FieldType::string},     {"length_m", FieldType::real},
      {"area_m2", FieldType::real},          {"flooded_length_m", FieldType::real},
      {"flooded_area_m2", FieldType::real},  {"flooded_share", FieldType::real},
      {"nodata_share", FieldType::real},     {"outside_share", FieldType::real},
  };
  for (std::size_t b = 0; b < bands.size(); ++b) fields.push_back({fmt::format("band_{}", b + 1), FieldType::real});
  return fields;
}

const std::vector<FieldDef> kBandTotalFields = {
    {"band", FieldType::integer},     {"label", FieldType::string},     {"min_depth_m", FieldType::real},
    {"max_depth_m", FieldType::real}, {"points", FieldType::integer},   {"length_m", FieldType::real},
    {"area_m2", FieldType::real},
};

// Position of (x, y), each in [0, 2^16), along a Hilbert curve: features read in that order
// touch the raster blocks their neighbours touched, which GDAL's block cache still holds.
std::uint32_t hilbert_index(std::uint32_t x, std::uint32_t y) {
  std::uint32_t d = 0;
  for (std::uint32_t s = 1U << 15; s > 0; s /= 2) {
    const std::uint32_t rx = (x & s) ? 1 : 0;
    const std::uint32_t ry = (y & s) ? 1 : 0;
    d += s * s * ((3 * rx) ^ ry);
    if (ry == 0) {
      if (rx == 1) {
        x = s - 1 - x;
        y = s - 1 - y;
      }
      std::swap(x, y);
    }
  }
  return d;
}

// The batch's features in the order to read them: along a Hilbert curve through their boxes'
// centres. Input order scatters them over the raster, and each would read blocks anew.
std::vector<std::size_t> raster_order(std::span<const Feature> batch) {
  std::vector<geos::XY> centres(batch.size());
  geos::Envelope all{kInfinity, kInfinity, -kInfinity, -kInfinity};
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].geometry || geos::is_empty(batch[i].geometry.get())) continue;
    const auto box = geos::envelope(batch[i].geometry.get());
    centres[i] = {(box.min_x + box.max_x) / 2, (box.min_y + box.max_y) / 2};
    all = {std::min(all.min_x, centres[i].x), std::min(all.min_y, centres[i].y), std::max(all.max_x, centres[i].x),
           std::max(all.max_y, centres[i].y)};
  }
  const double cell = std::max(all.max_x - all.min_x, all.max_y - all.min_y) / 65535;
  std::vector<std::pair<std::uint32_t, std::size_t>> keyed(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto at = [&](double v, double from) {
      return cell > 0 ? static_cast<std::uint32_t>(std::clamp((v - from) / cell, 0.0, 65535.0)) : 0U;
    };
    keyed[i] = {hilbert_index(at(centres[i].x, all.min_x), at(centres[i].y, all.min_y)), i};
  }
  std::sort(keyed.begin(), keyed.end());
  std::vector<std::size_t> order(batch.size());
  for (std::size_t k = 0; k < keyed.size(); ++k) order[k] = keyed[k].second;
  return order;
}

// One feature's statistics; the measures (lengths, areas) are true ones, from the analysis CRS.
struct Stats {
  std::optional<AssetKind> kind;
  std::optional<double> depth, max, mean, mean_flooded;
  double measure = 0;  // length (lines) or area (polygons)
  double flooded = 0, nodata = 0, outside = 1;  // shares
  std::vector<double> bands;  // measure per band (points: 1 in the band of their depth)
};

class Sampler {
 public:
  Sampler(const io::RasterSource& raster, const DepthBands& bands, const CrsTransform& transform,
          const Measurer& measurer, bool bilinear, bool centroids)
      : m_raster(raster), m_bands(bands), m_transforms(transform), m_measurers(measurer), m_bilinear(bilinear),
        m_centroids(centroids) {}

  Stats stats(const GEOSGeometry* geometry) {
    Stats s;
    s.bands.assign(m_bands.size(), 0.0);
    s.kind = asset_kind(geometry);
    if (!s.kind) return s;
    auto& transform = m_transforms.local();
    if (*s.kind == AssetKind::point || (*s.kind == AssetKind::polygon && m_centroids)) {
      if (*s.kind == AssetKind::polygon) s.measure = m_measurers.local().area_m2(geometry);
      const auto at = *s.kind == AssetKind::point ? geos::clone(geometry) : geos::centroid(geometry);
      sample(transform.apply(at.get()).get(), s);
      return s;
    }
    const auto in_raster_crs = transform.apply(geometry);
    if (*s.kind == AssetKind::line) {
      const auto depths = line_depths(in_raster_crs.get(), m_raster, m_bands);
      s.measure = m_measurers.local().length_m(geometry);
      s.max = depths.max;
      s.flooded = depths.flooded;
      s.nodata = depths.nodata;
      s.outside = depths.outside;
      for (std::size_t b = 0; b < s.bands.size(); ++b) s.bands[b] = depths.bands[b] * s.measure;
      mean_along(in_raster_crs.get(), s);
      return s;
    }
    const auto zonal = zonal_stats(in_raster_crs.get(), m_raster, m_bands);
    s.measure = m_measurers.local().area_m2(geometry);
    s.max = zonal.max;
    s.mean = zonal.mean;
    s.mean_flooded = zonal.mean_flooded;
    s.flooded = zonal.flooded;
    s.nodata = zonal.nodata;
    s.outside = zonal.outside();
    for (std::size_t b = 0; b < s.bands.size(); ++b) s.bands[b] = zonal.bands[b] * s.measure;
    return s;
  }

 private:
  // Points (and centroids): the depth where they lie; MultiPoints take their deepest member.
  void sample(const GEOSGeometry* points, Stats& s) {
    std::vector<geos::XY> xy;
    for (const auto* point : geos::point_views(points)) xy.push_back(geos::point_xy(point));
    const auto values = m_bilinear ? point_values_bilinear(xy, m_raster) : point_values(xy, m_raster);
    const auto& grid = m_raster.grid();
    bool inside = false;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const double u = grid.u_of(xy[i].x), v = grid.v_of(xy[i].y);
      inside = inside || (u >= 0 && u < grid.width && v >= 0 && v < grid.height);
      if (values[i] && (!s.depth || *values[i] > *s.depth)) s.depth = values[i];
    }
    s.max = s.depth;
    s.mean = s.depth;
    s.outside = inside ? 0 : 1;
    if (!s.depth) {
      s.nodata = inside ? 1 : 0;
      return;
    }
    if (*s.depth > 0) {
      s.flooded = 1;
      s.mean_flooded = s.depth;
      if (const auto band = m_bands.band_of(*s.depth)) s.bands[*band] = s.kind == AssetKind::polygon ? s.measure : 1;
    }
  }

  // A line's length-weighted mean depth over the cells it crosses that have a value.
  void mean_along(const GEOSGeometry* line, Stats& s) {
    const auto cells = line_cells(line, m_raster.grid());
    std::vector<io::RasterSource::Cell> where;
    where.reserve(cells.pieces.size());
    for (const auto& piece : cells.pieces) where.push_back({piece.row, piece.col});
    const auto values = m_raster.values_at(where);
    double sum = 0, length = 0, flooded_sum = 0, flooded_length = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!values[i]) continue;
      sum += *values[i] * cells.pieces[i].length;
      length += cells.pieces[i].length;
      if (*values[i] > 0) {
        flooded_sum += *values[i] * cells.pieces[i].length;
        flooded_length += cells.pieces[i].length;
      }
    }
    if (length > 0) s.mean = sum / length;
    if (flooded_length > 0) s.mean_flooded = flooded_sum / flooded_length;
  }

  const io::RasterSource& m_raster;
  const DepthBands& m_bands;
  tbb::enumerable_thread_specific<CrsTransform> m_transforms;
  tbb::enumerable_thread_specific<Measurer> m_measurers;
  bool m_bilinear;
  bool m_centroids;
};

Value optional_value(const std::optional<double>& value) { return value ? Value(*value) : Value(); }

std::vector<ParamSpec> depth_stats_parameters() {
  auto features = ParamSpec::layer("features", Role::features,
                                   "Points, lines or polygons (assets, zone parts, municipalities); every field is "
                                   "kept; read batch by batch").labelled("Features layer");
  features.streamable = true;
  return {
      features,
      ParamSpec::raster("depth", "Water depth raster (metres; any GDAL raster, any CRS; nodata respected)")
          .labelled("Depth raster"),
      ParamSpec::numbers("depth_bands",
                         "Lower edges of the depth bands in metres, increasing; the last band is open-ended "
                         "(0, 0.5, 1, 2 gives 0-0.5, 0.5-1, 1-2 and 2+)",
                         {0.0, 0.5, 1.0, 2.0}).labelled("Depth band edges (m)")
          .with_unit("m"),
      ParamSpec::integer("band", "Raster band holding the depth", 1)
          .labelled("Raster band")
          .with_range(1, std::nullopt),
      ParamSpec::choice("measure",
                        "ellipsoidal: geodesic lengths and areas on the analysis CRS's ellipsoid; planar: in its plane",
                        {"ellipsoidal", "planar"}, "ellipsoidal").labelled("Measure lengths and areas"),
      ParamSpec::choice("sampling",
                        "How points (and centroids) take their depth: cell, the value of the cell they lie in; "
                        "bilinear, interpolated between the four nearest cell centres (InaSAFE)",
                        {"cell", "bilinear"}, "cell").labelled("Point sampling"),
      ParamSpec::choice("polygon_depth",
                        "coverage: exact coverage-fraction statistics over every cell a polygon covers "
                        "(exactextract's); centroid: the depth at the polygon's centroid, sampled as points are "
                        "(InaSAFE's buildings)",
                        {"coverage", "centroid"}, "coverage").labelled("Depth under polygons"),
  };
}

std::vector<OutputSpec> depth_stats_outputs() {
  return {
      {"depth_stats", OutputKind::layer, GeometryFamily::any,
       "The features with their fields and: depth_m (points, centroids), max_depth_m, mean_depth_m (coverage-"
       "weighted over cells with a value, dry ones included), mean_flooded_depth_m, depth_band (the band of the "
       "depth, or of the maximum), length_m or area_m2 (true, from the analysis CRS), flooded_length_m or "
       "flooded_area_m2, the shares flooded, without a value and outside the raster, and band_1 … band_N: the "
       "length (m) or area (m²) in each depth band (points: 1 in the band of their depth)",
       {}, "Depth statistics"},
      {"depth_band_totals", OutputKind::table, GeometryFamily::none,
       "Per depth band: points in it, line length and polygon area in it", kBandTotalFields, "Depth band totals"},
  };
}

}  // namespace

DepthStats::DepthStats() : Algorithm(depth_stats_parameters(), depth_stats_outputs()) {}

std::vector<std::string> DepthStats::check_arguments(const nlohmann::json& values,
                                                 const std::map<std::string, std::vector<std::string>>&) const {
  return depth_bands_problems(values);
}

std::vector<std::string> DepthStats::tags() const {
  return {"zonal statistics", "exactextract", "water depth", "raster", "coverage fraction", "sample"};
}

std::string_view DepthStats::help() const {
  return "Water depth under every feature, from a depth raster that is never resampled: each feature is carried "
         "into the raster's CRS for the cell arithmetic, and lengths and areas are taken in the equal-area analysis "
         "CRS (ellipsoidal by default). Points take the value of their cell (or, sampling: bilinear, the value "
         "interpolated between cell centres). Lines are cut at every cell edge: length per depth band, flooded "
         "length, maximum and length-weighted mean depth. Polygons get exact coverage-fraction statistics as "
         "exactextract computes them (a cell half covered weighs half; cell centres play no part): flooded area, "
         "mean and maximum depth, area per depth band. Cells without a value are counted apart (nodata_share), as "
         "is any part beyond the raster (outside_share). Give it zone_parts for the depth statistics of each "
         "municipality's share of a zone.";
}

StepOutput DepthStats::run(const StepInput& input, Progress&) const {
  const RasterInfo& info = input.raster("depth");
  const DepthBands bands = depth_bands_parameter(input);
  const auto raster = open_raster(info, static_cast<int>(input.integer("band")));
  const Measurer measurer(input.analysis_crs_wkt, *measure_method_from_name(input.text("measure")));
  const CrsTransform transform(input.analysis_crs_wkt, info.crs_wkt);
  Sampler sampler(*raster, bands, transform, measurer, input.text("sampling") == "bilinear",
                  input.text("polygon_depth") == "centroid");

  FeatureSource& source = input.source("features");
  const auto fields = fields_without_clash(source.schema().fields, stat_fields(bands));
  FeatureSink& sink = *input.sink;
  sink.begin_layer(result_schema("depth_stats", source.schema().geometry, input.analysis_crs_wkt, fields));
  std::int64_t points = 0, features = 0;
  std::vector<std::int64_t> band_points(bands.size(), 0);
  std::vector<double> band_length(bands.size(), 0.0), band_area(bands.size(), 0.0);
  for (auto batch = source.next_batch(kBatchSize); !batch.empty(); batch = source.next_batch(kBatchSize)) {
    std::vector<Stats> stats(batch.size());
    const auto order = raster_order(batch);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, batch.size(), 16), [&](const auto& range) {
      for (std::size_t k = range.begin(); k != range.end(); ++k) {
        const std::size_t i = order[k];
        try {
          stats[i] = sampler.stats(batch[i].geometry.get());
        } catch (const Error& error) {
          throw Error(error.kind(), error.message(), {{}, {}, source.schema().name, batch[i].fid, {}}, error.hint());
        }
      }
    });
    std::vector<Feature> out;
    out.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const Stats& s = stats[i];
      const bool line = s.kind == AssetKind::line, polygon = s.kind == AssetKind::polygon;
      Feature feature{batch[i].fid, geos::clone(batch[i].geometry.get()), batch[i].values};
      const auto band = s.max && *s.max > 0 ? bands.band_of(*s.max) : std::nullopt;
      feature.values.insert(
          feature.values.end(),
          {optional_value(s.depth), optional_value(s.max), optional_value(s.mean), optional_value(s.mean_flooded),
           band ? Value(bands.label(*band)) : Value(), line ? Value(s.measure) : Value(),
           polygon ? Value(s.measure) : Value(), line ? Value(s.flooded * s.measure) : Value(),
           polygon ? Value(s.flooded * s.measure) : Value(), s.flooded, s.nodata, s.outside});
      for (std::size_t b = 0; b < bands.size(); ++b) {
        feature.values.emplace_back(s.bands[b]);
        if (s.kind == AssetKind::point && s.bands[b] > 0) ++band_points[b];
        if (line) band_length[b] += s.bands[b];
        if (polygon) band_area[b] += s.bands[b];
      }
      if (s.kind == AssetKind::point) ++points;
      ++features;
      out.push_back(std::move(feature));
    }
    sink.write(std::move(out));
  }
  sink.end_layer();

  Table totals{"depth_band_totals", kBandTotalFields, {}};
  for (std::size_t b = 0; b < bands.size(); ++b) {
    const double upper = bands.edges()[b + 1];
    totals.rows.push_back({static_cast<std::int64_t>(b + 1), bands.label(b), bands.edges()[b],
                           std::isinf(upper) ? Value() : Value(upper), band_points[b], band_length[b], band_area[b]});
  }
  StepOutput output;
  output.tables.push_back(std::move(totals));
  output.stats = {{"raster", info.name}, {"features", features}, {"points", points}};
  return output;
}

}  // namespace twinrisk::ops
