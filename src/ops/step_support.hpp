#pragma once
// Helpers the exposure, raster and damage steps share (private to twinrisk::ops).

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "twinrisk/core/geos.hpp"
#include "twinrisk/core/raster.hpp"
#include "twinrisk/core/registry.hpp"
#include "twinrisk/io/raster.hpp"
#include "twinrisk/ops/depth_bands.hpp"

namespace twinrisk::ops {

enum class AssetKind { point, line, polygon };

// What a feature is measured by: its points, its lines or its polygons (a collection: its highest
// dimension). nullopt for a geometry with none of them.
std::optional<AssetKind> asset_kind(const GEOSGeometry* geometry);

// The members of one dimension of an overlay result (a road touching a zone's corner gives a point
// besides its lines), as one geometry, without polygon parts under geos::kMinPartArea (overlay
// dust along shared edges); nullptr when nothing is left.
geos::GeomPtr only(AssetKind kind, geos::GeomPtr geometry);

// The `depth_bands` parameter: its edges, the last band open-ended (2 means "2 m and deeper").
DepthBands depth_bands_parameter(const StepInput& input, const std::string& name = "depth_bands");

// What is wrong with a step's depth_bands value (empty when nothing), for check_arguments.
std::vector<std::string> depth_bands_problems(const nlohmann::json& values, const std::string& name = "depth_bands");

// A raster of the catalogue opened for reading: its band, and the CRS its definition gave when the
// file has none.
std::unique_ptr<io::RasterSource> open_raster(const RasterInfo& raster, int band);

// Field names of `extra` that `taken` already uses (without case) get "_1", as intersection does,
// so that a source field never hides a result field.
std::vector<FieldDef> fields_without_clash(const std::vector<FieldDef>& source, const std::vector<FieldDef>& extra);

// The values moved into a vector; braces would copy them (an initializer list's elements are
// const), which for exposure's tables was a copy of 60k critical-facility rows.
template <typename T, typename... Rest>
std::vector<T> moved_into_vector(T&& first, Rest&&... rest) {
  std::vector<T> out;
  out.reserve(1 + sizeof...(rest));
  out.push_back(std::move(first));
  (out.push_back(std::move(rest)), ...);
  return out;
}

}  // namespace twinrisk::ops
