#include "twinrisk/ops/intersection.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <set>

#include "twinrisk/core/spatial_index.hpp"

namespace twinrisk::ops {
namespace {

// The overlay's fields follow the input's; a name taken already gets "_2" (as QGIS does).
std::vector<FieldDef> output_fields(const Layer& input, const Layer& overlay) {
  std::vector<FieldDef> fields = input.fields;
  std::set<std::string> taken;
  for (const auto& field : fields) taken.insert(field.name);
  for (auto field : overlay.fields) {
    while (taken.count(field.name)) field.name += "_2";
    taken.insert(field.name);
    fields.push_back(field);
  }
  fields.push_back({"area_m2", FieldType::real});
  return fields;
}

geos::GeomPtr polygonal(geos::GeomPtr geometry) {
  auto polygons = geos::polygons_of(geometry.get());
  if (polygons.empty()) return nullptr;
  return polygons.size() == 1 ? std::move(polygons.front()) : geos::multipolygon(std::move(polygons));
}

struct Piece {
  std::size_t overlay;
  geos::GeomPtr geometry;
  double area_m2;
};

}  // namespace

Intersection::Intersection() {
  auto input = ParamSpec::layer("input", Role::features, "Polygons to intersect; every field is kept");
  input.geometry = GeometryFamily::polygon;
  auto overlay = ParamSpec::layer("overlay", Role::features, "Polygons to intersect with; every field is kept");
  overlay.geometry = GeometryFamily::polygon;
  m_parameters = {input, overlay};
  m_outputs = {{"intersection", OutputKind::layer, GeometryFamily::polygon,
                "One feature per overlapping pair of input and overlay polygons, with the fields of both "
                "(overlay fields renamed with _2 where the name is taken) and area_m2",
                {}}};
}

std::string_view Intersection::help() const {
  return "Intersects every input polygon with every overlay polygon it overlaps, like QGIS's "
         "native:intersection and geofileops' intersection. Pieces that are only lines or points "
         "(polygons that merely touch) are left out. A polygon wholly inside the other is copied, "
         "not overlaid. Output order follows the input layer, then the overlay layer, whatever the "
         "number of threads.";
}

StepOutput Intersection::run(const StepInput& input, Progress& progress) const {
  const Layer& a = input.layer("input");
  const Layer& b = input.layer("overlay");
  const SpatialIndex index(b);
  std::vector<std::vector<Piece>> pieces(a.features.size());
  progress.start("intersection", a.features.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, a.features.size(), 256), [&](const auto& range) {
    for (std::size_t i = range.begin(); i != range.end(); ++i) {
      const auto* geometry = a.features[i].geometry.get();
      const auto candidates = index.query(geos::envelope(geometry));
      if (candidates.empty()) continue;
      auto prepared = geos::prepare(geometry);
      for (auto j : candidates) {
        const auto* other = b.features[j].geometry.get();
        if (!geos::intersects(prepared.get(), other)) continue;
        auto piece = geos::covers(prepared.get(), other) ? geos::clone(other)
                                                         : polygonal(geos::intersection(geometry, other));
        if (!piece) continue;
        const double area = geos::area(piece.get());
        if (area > 0) pieces[i].push_back(Piece{j, std::move(piece), area});
      }
      progress.advance();
    }
  });
  progress.finish();

  Layer result{"intersection", Role::result, GeometryFamily::polygon, input.analysis_crs_wkt,
               output_fields(a, b), {}};
  std::size_t total = 0;
  for (const auto& list : pieces) total += list.size();
  result.features.reserve(total);
  std::int64_t fid = 0;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    for (auto& piece : pieces[i]) {
      Feature feature{++fid, std::move(piece.geometry), {}};
      feature.values.reserve(result.fields.size());
      feature.values.insert(feature.values.end(), a.features[i].values.begin(), a.features[i].values.end());
      const auto& other = b.features[piece.overlay].values;
      feature.values.insert(feature.values.end(), other.begin(), other.end());
      feature.values.emplace_back(piece.area_m2);
      result.features.push_back(std::move(feature));
    }
    std::vector<Piece>().swap(pieces[i]);  // release as we go: the pieces now live in the result
  }
  StepOutput output;
  output.stats = {{"input_features", a.features.size()},
                  {"overlay_features", b.features.size()},
                  {"pieces", result.features.size()}};
  output.layers.push_back(std::move(result));
  return output;
}

}  // namespace twinrisk::ops
