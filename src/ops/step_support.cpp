#include "step_support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>

#include "twinrisk/core/error.hpp"

namespace twinrisk::ops {

std::optional<AssetKind> asset_kind(const GEOSGeometry* geometry) {
  switch (geos::type_id(geometry)) {
    case GEOS_POINT:
    case GEOS_MULTIPOINT: return AssetKind::point;
    case GEOS_LINESTRING:
    case GEOS_LINEARRING:
    case GEOS_MULTILINESTRING: return AssetKind::line;
    case GEOS_POLYGON:
    case GEOS_MULTIPOLYGON: return AssetKind::polygon;
    default: break;
  }
  if (!geos::polygon_views(geometry).empty()) return AssetKind::polygon;
  if (!geos::line_views(geometry).empty()) return AssetKind::line;
  if (!geos::point_views(geometry).empty()) return AssetKind::point;
  return std::nullopt;
}

namespace {

geos::GeomPtr members_of_dimension(AssetKind kind, geos::GeomPtr geometry) {
  const int type = geos::type_id(geometry.get());
  const bool plain = (kind == AssetKind::point && (type == GEOS_POINT || type == GEOS_MULTIPOINT)) ||
                     (kind == AssetKind::line && (type == GEOS_LINESTRING || type == GEOS_MULTILINESTRING)) ||
                     (kind == AssetKind::polygon && (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON));
  if (plain) return geometry;
  const auto views = kind == AssetKind::point  ? geos::point_views(geometry.get())
                     : kind == AssetKind::line ? geos::line_views(geometry.get())
                                               : geos::polygon_views(geometry.get());
  if (views.empty()) return nullptr;
  std::vector<geos::GeomPtr> copies;
  copies.reserve(views.size());
  for (const auto* view : views) copies.push_back(geos::clone(view));
  return geos::collection(std::move(copies), kind == AssetKind::point  ? GEOS_MULTIPOINT
                                             : kind == AssetKind::line ? GEOS_MULTILINESTRING
                                                                       : GEOS_MULTIPOLYGON);
}

}  // namespace

geos::GeomPtr only(AssetKind kind, geos::GeomPtr geometry) {
  if (!geometry || geos::is_empty(geometry.get())) return nullptr;
  auto members = members_of_dimension(kind, std::move(geometry));
  if (members && kind == AssetKind::polygon) {
    if (auto cleaned = geos::without_small_parts(members.get())) members = std::move(cleaned);
    if (geos::is_empty(members.get())) return nullptr;
  }
  return members;
}

DepthBands depth_bands_parameter(const StepInput& input, const std::string& name) {
  auto edges = input.numbers(name);
  edges.push_back(std::numeric_limits<double>::infinity());
  return DepthBands(std::move(edges), name);
}

std::vector<std::string> depth_bands_problems(const nlohmann::json& values, const std::string& name) {
  const auto edges = values.find(name);
  if (edges == values.end() || !edges->is_array()) return {};
  auto list = edges->get<std::vector<double>>();
  list.push_back(std::numeric_limits<double>::infinity());
  try {
    DepthBands bands(std::move(list), name);
  } catch (const Error& error) {
    return {error.hint().empty() ? error.message() : fmt::format("{} — {}", error.message(), error.hint())};
  }
  return {};
}

std::unique_ptr<io::RasterSource> open_raster(const RasterInfo& raster, int band) {
  try {
    return std::make_unique<io::RasterSource>(raster.source, band, raster.crs_wkt);
  } catch (const Error& error) {
    ErrorContext context = error.context();
    context.layer = raster.name;
    throw Error(error.kind(), error.message(), context, error.hint());
  }
}

std::vector<FieldDef> fields_without_clash(const std::vector<FieldDef>& source, const std::vector<FieldDef>& extra) {
  auto lower = [](std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
  };
  std::set<std::string> taken = {"fid", "geom"};
  for (const auto& field : extra) taken.insert(lower(field.name));
  std::vector<FieldDef> out;
  for (auto field : source) {
    while (taken.count(lower(field.name))) field.name += "_1";
    taken.insert(lower(field.name));
    out.push_back(field);
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

}  // namespace twinrisk::ops
