#include "twinrisk/io/reproject.hpp"

#include <ogr_spatialref.h>
#include <cpl_error.h>
#include <fmt/format.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include "twinrisk/core/error.hpp"
#include "twinrisk/io/gdal.hpp"

namespace twinrisk::io {
namespace {

OGRSpatialReference crs_from_wkt(const std::string& wkt) {
  OGRSpatialReference crs;
  crs.importFromWkt(wkt.c_str());
  crs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return crs;
}

}  // namespace

std::string resolve_output_crs(const std::string& spec, const std::string& analysis_crs_wkt,
                               const std::string& input_crs_wkt) {
  if (spec.empty() || spec == "analysis") return analysis_crs_wkt;
  if (spec == "input") {
    if (input_crs_wkt.empty()) {
      throw ConfigError("output_crs: input needs an input layer with a CRS", {},
                        "use output_crs: analysis, or a CRS such as EPSG:3035");
    }
    return input_crs_wkt;
  }
  ensure_gdal_registered();
  OGRSpatialReference crs;
  CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
  if (crs.SetFromUserInput(spec.c_str()) != OGRERR_NONE) {
    throw ConfigError(fmt::format("output_crs '{}' is not a CRS PROJ knows", spec), {},
                      "use analysis, input, an authority code such as EPSG:3035, or a WKT/PROJ string");
  }
  return to_wkt(crs);
}

struct ReprojectingSink::Transforms {
  OGRSpatialReference from, to;
  // Each thread clones its own transformation on first use.
  tbb::enumerable_thread_specific<std::unique_ptr<OGRCoordinateTransformation>> per_thread;

  OGRCoordinateTransformation& local() {
    auto& transform = per_thread.local();
    if (!transform) {
      CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
      transform.reset(OGRCreateCoordinateTransformation(&from, &to));
      if (!transform) {
        throw ConfigError(fmt::format("no transformation from the analysis CRS to output_crs {}: {}", crs_label(to),
                                      last_gdal_error("PROJ found none")));
      }
    }
    return *transform;
  }
};

ReprojectingSink::ReprojectingSink(FeatureSink& target, const std::string& from_wkt, const std::string& to_wkt)
    : m_target(target), m_to_wkt(to_wkt), m_transforms(std::make_unique<Transforms>()) {
  ensure_gdal_registered();
  m_transforms->from = crs_from_wkt(from_wkt);
  m_transforms->to = crs_from_wkt(to_wkt);
  m_transforms->local();  // fails here, before any layer, when PROJ has no transformation
}

ReprojectingSink::~ReprojectingSink() = default;

void ReprojectingSink::begin_layer(const LayerSchema& schema) {
  LayerSchema reprojected = schema;
  reprojected.crs_wkt = m_to_wkt;
  m_layer = schema.name;
  m_target.begin_layer(reprojected);
}

std::vector<Feature> ReprojectingSink::transformed(std::span<const Feature> features) const {
  std::vector<Feature> out(features.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, features.size(), 256), [&](const auto& range) {
    auto& transform = m_transforms->local();
    const std::function<bool(double&, double&)> point = [&](double& x, double& y) {
      return transform.Transform(1, &x, &y) == TRUE;
    };
    for (std::size_t i = range.begin(); i != range.end(); ++i) {
      const auto& feature = features[i];
      out[i].fid = feature.fid;
      out[i].values = feature.values;
      if (!feature.geometry) continue;
      try {
        out[i].geometry = geos::transform_xy(feature.geometry.get(), point);
      } catch (const GeometryError&) {
        throw OutputError(fmt::format("layer '{}', feature {}: cannot be transformed to output_crs {}", m_layer,
                                      feature.fid, crs_label(m_transforms->to)),
                          {}, "choose an output_crs whose area of use covers the data");
      }
    }
  });
  return out;
}

void ReprojectingSink::write(std::vector<Feature> batch) { m_target.write(transformed(batch)); }

void ReprojectingSink::write_view(std::span<const Feature> features) { m_target.write(transformed(features)); }

}  // namespace twinrisk::io
