#include "twinrisk/ops/intersection.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/spatial_index.hpp"

namespace twinrisk::ops {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// A column of the output taken from one side: a field of its schema, or its feature id.
constexpr std::ptrdiff_t kFid = -1;

// The chosen fields of one side, as native:intersection takes them: in the order given, names
// matched without case, none given = every field. The overlay's feature id column (which QGIS
// lists as a field) is kept like a field; the input's is not, as every piece gets its own fid.
std::vector<std::ptrdiff_t> chosen_columns(const LayerSchema& schema, const nlohmann::json& names,
                                           const char* parameter, bool keep_fid) {
  const bool has_fid = !schema.fid_column.empty();
  std::vector<std::ptrdiff_t> columns;
  if (names.empty()) {
    if (keep_fid && has_fid) columns.push_back(kFid);
    for (std::size_t i = 0; i < schema.fields.size(); ++i) columns.push_back(static_cast<std::ptrdiff_t>(i));
    return columns;
  }
  for (const auto& item : names) {
    const auto name = lower(item.get<std::string>());
    if (has_fid && name == lower(schema.fid_column)) {
      if (keep_fid) columns.push_back(kFid);
      continue;
    }
    const auto found = std::find_if(schema.fields.begin(), schema.fields.end(),
                                    [&](const FieldDef& field) { return lower(field.name) == name; });
    if (found == schema.fields.end()) {
      std::vector<std::string> available;
      if (has_fid) available.push_back(schema.fid_column);
      for (const auto& field : schema.fields) available.push_back(field.name);
      throw ConfigError(fmt::format("{}: no field '{}' in layer '{}'", parameter, item.get<std::string>(), schema.name),
                        {}, fmt::format("fields: {}", fmt::join(available, ", ")));
    }
    columns.push_back(found - schema.fields.begin());
  }
  return columns;
}

FieldDef column_field(const LayerSchema& schema, std::ptrdiff_t column) {
  if (column == kFid) return {schema.fid_column, FieldType::integer};
  return schema.fields[static_cast<std::size_t>(column)];
}

Value column_value(const Feature& feature, std::ptrdiff_t column) {
  if (column == kFid) return feature.fid;
  return feature.values[static_cast<std::size_t>(column)];
}

// The input's columns, then the overlay's (prefixed), then area_m2, named as QGIS's
// QgsProcessingUtils::combineFields names them: an overlay name already taken gets _2, _3, …
// Names compare without case (GeoPackage and PostgreSQL columns do); fid, geom and area_m2 are
// ours, so an input field of that name gets _1.
std::vector<FieldDef> output_fields(const LayerSchema& input, const std::vector<std::ptrdiff_t>& input_columns,
                                    const LayerSchema& overlay, const std::vector<std::ptrdiff_t>& overlay_columns,
                                    const std::string& prefix) {
  std::set<std::string> taken = {"area_m2", "fid", "geom"};
  std::vector<FieldDef> fields;
  for (const auto column : input_columns) {
    auto field = column_field(input, column);
    while (taken.count(lower(field.name))) field.name += "_1";
    taken.insert(lower(field.name));
    fields.push_back(std::move(field));
  }
  std::set<std::string> overlay_names;
  for (const auto column : overlay_columns) overlay_names.insert(column_field(overlay, column).name);
  for (const auto column : overlay_columns) {
    auto field = column_field(overlay, column);
    field.name = prefix + field.name;
    if (taken.count(lower(field.name))) {
      int suffix = 2;
      auto renamed = fmt::format("{}_{}", field.name, suffix);
      while (taken.count(lower(renamed)) || overlay_names.count(renamed)) renamed = fmt::format("{}_{}", field.name, ++suffix);
      field.name = renamed;
    }
    taken.insert(lower(field.name));
    fields.push_back(std::move(field));
  }
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
  auto input = ParamSpec::layer("input", Role::features, "Polygons to intersect; their fields are kept")
                   .labelled("Input layer");
  input.geometry = GeometryFamily::polygon;
  input.streamable = true;
  auto overlay = ParamSpec::layer("overlay", Role::features, "Polygons to intersect with; their fields are kept")
                     .labelled("Overlay layer");
  overlay.geometry = GeometryFamily::polygon;
  return {
      input,
      overlay,
      ParamSpec::field("input_fields", "input",
                       "Fields of the input layer to keep, in this order; none given keeps every field")
          .labelled("Input fields to keep (empty = all)")
          .list(),
      ParamSpec::field("overlay_fields", "overlay",
                       "Fields of the overlay layer to keep, in this order (its fid column among them); none given "
                       "keeps every field")
          .labelled("Overlay fields to keep (empty = all)")
          .list(),
      ParamSpec::text("overlay_fields_prefix", "Text put before the name of every overlay field kept", "")
          .labelled("Overlay fields prefix"),
  };
}

std::vector<OutputSpec> intersection_outputs() {
  return {OutputSpec{"intersection", OutputKind::layer, GeometryFamily::polygon,
                     "One feature per overlapping pair of input and overlay polygons, with the fields kept of both "
                     "and area_m2, the piece's area. Fields are named as native:intersection names them: the "
                     "overlay's fid is fid_2, an overlay field whose name is taken gets _2 (_3, …); an input field "
                     "named area_m2, fid or geom gets _1",
                     {}}
              .labelled("Intersection")};
}

}  // namespace

Intersection::Intersection() : Algorithm(intersection_parameters(), intersection_outputs()) {}

std::string_view Intersection::help() const {
  return "Intersects every input polygon with every overlay polygon it overlaps, like QGIS's "
         "native:intersection and geofileops' intersection, with the same choice of fields to keep and "
         "prefix for the overlay's. Pieces that are only lines or points (polygons that merely touch) are "
         "left out. A polygon wholly inside the other is copied, not overlaid. Output order follows the "
         "input layer, then the overlay layer, whatever the number of threads.";
}

std::vector<std::string> Intersection::tags() const {
  return {"intersection", "intersect", "overlay", "clip", "cut", "polygons", "attributes", "fields", "join",
          "native:intersection"};
}

StepOutput Intersection::run(const StepInput& input, Progress&) const {
  // The input streams through in batches against the indexed overlay; pieces go straight to
  // the sink, so neither the input nor the result has to fit in memory.
  FeatureSource& a = input.source("input");
  const Layer& b = input.layer("overlay");
  FeatureSink& sink = *input.sink;
  const SpatialIndex index(b);
  const auto input_columns = chosen_columns(a.schema(), input.values.at("input_fields"), "input_fields", false);
  const auto overlay_columns = chosen_columns(b, input.values.at("overlay_fields"), "overlay_fields", true);
  const auto schema =
      result_schema("intersection", GeometryFamily::polygon, input.analysis_crs_wkt,
                    output_fields(a.schema(), input_columns, b, overlay_columns, input.text("overlay_fields_prefix")));
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
        for (const auto column : input_columns) feature.values.push_back(column_value(batch[i], column));
        const auto& other = b.features[piece.overlay];
        for (const auto column : overlay_columns) feature.values.push_back(column_value(other, column));
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
