#include "twinrisk/ops/intersection.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "twinrisk/core/spatial_index.hpp"

namespace twinrisk::ops {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// The input's fields, then the overlay's, then area_m2. A name already taken gets "_2" on the
// overlay's side (as QGIS does) and "_1" on the input's side where it is our own area_m2. Names
// compare without case: GeoPackage (SQLite) and PostgreSQL columns do.
std::vector<FieldDef> output_fields(const LayerSchema& input, const LayerSchema& overlay) {
  std::set<std::string> taken = {"area_m2", "fid", "geom"};
  auto claim = [&](FieldDef field, const char* suffix) {
    while (taken.count(lower(field.name))) field.name += suffix;
    taken.insert(lower(field.name));
    return field;
  };
  std::vector<FieldDef> fields;
  for (const auto& field : input.fields) fields.push_back(claim(field, "_1"));
  for (const auto& field : overlay.fields) fields.push_back(claim(field, "_2"));
  fields.push_back({"area_m2", FieldType::real});
  return fields;
}

// The polygons of an overlay result, without collapsed parts (see geos::kMinPartArea).
geos::GeomPtr polygonal(geos::GeomPtr geometry) {
  auto polygons = geos::polygons_of(geometry.get());
  if (polygons.empty()) return nullptr;
  auto result = polygons.size() == 1 ? std::move(polygons.front()) : geos::multipolygon(std::move(polygons));
  if (auto cleaned = geos::without_small_parts(result.get())) result = std::move(cleaned);
  return result;
}

constexpr std::size_t kBatchSize = 65536;

struct Piece {
  std::size_t overlay;
  geos::GeomPtr geometry;
  double area_m2;
};

// The polygonal pieces of one feature and the overlay polygons it overlaps, in overlay order.
std::vector<Piece> intersect(const Feature& feature, const Layer& overlay, const SpatialIndex& index) {
  std::vector<Piece> pieces;
  const auto* geometry = feature.geometry.get();
  if (!geometry) return pieces;
  const auto candidates = index.query(geos::envelope(geometry));
  if (candidates.empty()) return pieces;
  auto prepared = geos::prepare(geometry);
  for (auto j : candidates) {
    const auto* other = overlay.features[j].geometry.get();
    if (!geos::intersects(prepared.get(), other)) continue;
    auto piece = geos::covers(prepared.get(), other) ? geos::clone(other) : polygonal(geos::intersection(geometry, other));
    if (!piece) continue;
    const double area = geos::area(piece.get());
    if (area >= geos::kMinPartArea) pieces.push_back(Piece{j, std::move(piece), area});
  }
  return pieces;
}

}  // namespace

namespace {

std::vector<ParamSpec> intersection_parameters() {
  auto input = ParamSpec::layer("input", Role::features, "Polygons to intersect; every field is kept");
  input.geometry = GeometryFamily::polygon;
  input.streamable = true;
  auto overlay = ParamSpec::layer("overlay", Role::features, "Polygons to intersect with; every field is kept");
  overlay.geometry = GeometryFamily::polygon;
  return {input, overlay};
}

std::vector<OutputSpec> intersection_outputs() {
  return {{"intersection", OutputKind::layer, GeometryFamily::polygon,
           "One feature per overlapping pair of input and overlay polygons, with the fields of both "
           "(overlay fields renamed with _2 where the name is taken; an input field named area_m2, fid or geom "
           "gets _1) and area_m2, the piece's area",
           {}}};
}

}  // namespace

Intersection::Intersection() : Algorithm(intersection_parameters(), intersection_outputs()) {}

std::string_view Intersection::help() const {
  return "Intersects every input polygon with every overlay polygon it overlaps, like QGIS's "
         "native:intersection and geofileops' intersection. Pieces that are only lines or points "
         "(polygons that merely touch) are left out. A polygon wholly inside the other is copied, "
         "not overlaid. Output order follows the input layer, then the overlay layer, whatever the "
         "number of threads.";
}

StepOutput Intersection::run(const StepInput& input, Progress&) const {
  // The input streams through in batches against the indexed overlay; pieces go straight to
  // the sink, so neither the input nor the result has to fit in memory.
  FeatureSource& a = input.source("input");
  const Layer& b = input.layer("overlay");
  FeatureSink& sink = *input.sink;
  const SpatialIndex index(b);
  const auto schema = result_schema("intersection", GeometryFamily::polygon, input.analysis_crs_wkt,
                                    output_fields(a.schema(), b));
  sink.begin_layer(schema);
  std::int64_t fid = 0, input_features = 0;
  for (auto batch = a.next_batch(kBatchSize); !batch.empty(); batch = a.next_batch(kBatchSize)) {
    std::vector<std::vector<Piece>> pieces(batch.size());
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, batch.size(), 256), [&](const auto& range) {
      for (std::size_t i = range.begin(); i != range.end(); ++i) pieces[i] = intersect(batch[i], b, index);
    });
    std::vector<Feature> out;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      for (auto& piece : pieces[i]) {
        Feature feature{++fid, std::move(piece.geometry), {}};
        feature.values.reserve(schema.fields.size());
        feature.values.insert(feature.values.end(), batch[i].values.begin(), batch[i].values.end());
        const auto& other = b.features[piece.overlay].values;
        feature.values.insert(feature.values.end(), other.begin(), other.end());
        feature.values.emplace_back(piece.area_m2);
        out.push_back(std::move(feature));
      }
    }
    input_features += static_cast<std::int64_t>(batch.size());
    sink.write(std::move(out));
  }
  sink.end_layer();
  StepOutput output;
  output.stats = {{"input_features", input_features}, {"overlay_features", b.features.size()}, {"pieces", fid}};
  return output;
}

}  // namespace twinrisk::ops
