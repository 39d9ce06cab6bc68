// twinrisk-kernels: runs the river, basin, restoration and cooperation kernels on a GeoPackage and
// prints what they found and how long each phase took. For trying the kernels on real data (the
// St. Louis bundle) and timing them on generated data before the algorithms wrap them.
//
//   twinrisk-kernels reaches FILE --municipalities LAYER --rivers LAYER [--crs EPSG:5070]
//       [--tolerance 500,1000] [--country-sql EXPR] [--pairs]
//   twinrisk-kernels all FILE [--tolerance 500] [--width 30]   (generated data: every kernel)

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <set>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/progress.hpp"
#include "twinrisk/io/loader.hpp"
#include "twinrisk/io/writers.hpp"
#include "twinrisk/ops/municipalities.hpp"
#include "twinrisk/ops/river_reaches.hpp"

namespace {

using namespace twinrisk;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

Layer load(const std::string& file, const std::string& layer, Role role, const std::string& sql,
           std::vector<std::pair<std::string, std::string>> fields, const std::string& crs_wkt) {
  io::LayerDefinition d;
  d.name = layer;
  d.source = file;
  d.role = role;
  if (sql.empty()) {
    d.layer = layer;
  } else {
    d.sql = sql;
  }
  d.fields = std::move(fields);
  io::LoadReport report;
  NullProgress progress;
  return io::load_layer(d, crs_wkt, report, progress);
}

struct Options {
  std::string file, municipalities = "municipalities", rivers = "rivers", crs = "", municipality_sql, river_sql;
  std::string id_field = "id", name_field = "name", country_field = "country", river_id_field, river_name_field;
  std::vector<double> tolerances{500};
  bool pairs = false;
  std::string out;       // write reaches per tolerance to this GeoPackage
  std::string line_file, line_layer;  // a reference line (e.g. a state line): distance profile of the rivers to it
};

// Distances from points every 100 m along the rivers to the nearest point of `reference`.
void distance_profile(const Layer& rivers, const GEOSGeometry* reference) {
  std::vector<double> distances;
  for (const auto& f : rivers.features) {
    for (const auto* line : geos::line_views(f.geometry.get())) {
      const double length = geos::length(line);
      for (double s = 0; s < length; s += 100) {
        auto p = geos::GeomPtr(GEOSInterpolate_r(geos::context(), line, s));
        distances.push_back(geos::distance(p.get(), reference));
      }
    }
  }
  std::sort(distances.begin(), distances.end());
  const double n = static_cast<double>(distances.size());
  fmt::print("distance from the rivers (every 100 m, {} points) to the reference line:", distances.size());
  for (double q : {0.1, 0.25, 0.5, 0.75, 0.9, 1.0}) fmt::print(" p{:.0f} {:.0f} m", q * 100, distances[std::min(distances.size() - 1, static_cast<std::size_t>(q * n))]);
  fmt::print("\n  share within:");
  for (double d : {250.0, 500.0, 1000.0, 1500.0, 2000.0}) {
    fmt::print(" {:.0f} m {:.0f} %", d, 100.0 * static_cast<double>(std::upper_bound(distances.begin(), distances.end(), d) - distances.begin()) / n);
  }
  fmt::print("\n");
}

Layer reaches_layer(const Layer& rivers, const ops::MunicipalityIndex& index, ops::RiverReachesResult& result,
                    double tolerance, const std::string& crs_wkt) {
  Layer layer;
  layer.name = fmt::format("reaches_{:.0f}", tolerance);
  layer.geometry = GeometryFamily::line;
  layer.crs_wkt = crs_wkt;
  layer.fields = {{"river_id", FieldType::string}, {"municipality_id", FieldType::string}, {"length_m", FieldType::real},
                  {"border", FieldType::integer},  {"side_id", FieldType::string},         {"partner_id", FieldType::string},
                  {"cross_national", FieldType::integer}};
  std::int64_t fid = 1;
  for (auto& r : result.reaches) {
    Feature f{fid++, std::move(r.geometry), {}};
    f.values = {ops::river_id(rivers, r.river), r.municipality ? Value(index.id(*r.municipality)) : Value(std::string()), r.length_m,
                std::int64_t{r.border.has_value()}, r.border ? Value(index.id(r.border->side)) : Value(),
                r.border ? Value(index.id(r.border->partner)) : Value(),
                std::int64_t{r.border && index.cross_national(r.border->side, r.border->partner)}};
    layer.features.push_back(std::move(f));
  }
  return layer;
}

int run_reaches(const Options& o) {
  const std::string crs_wkt = o.crs.empty() ? std::string() : io::resolve_analysis_crs(o.crs, {});
  auto t = Clock::now();
  std::vector<std::pair<std::string, std::string>> mfields{{"id", o.id_field}, {"name", o.name_field}};
  if (!o.country_field.empty()) mfields.emplace_back("country", o.country_field);
  const Layer municipalities = load(o.file, o.municipalities, Role::municipalities, o.municipality_sql, mfields, crs_wkt);
  std::vector<std::pair<std::string, std::string>> rfields;
  if (!o.river_id_field.empty()) rfields.emplace_back("id", o.river_id_field);
  if (!o.river_name_field.empty()) rfields.emplace_back("name", o.river_name_field);
  const Layer rivers = load(o.file, o.rivers, Role::rivers, o.river_sql, rfields, crs_wkt);
  fmt::print("load: {} municipalities, {} rivers in {:.3f} s\n", municipalities.features.size(), rivers.features.size(),
             seconds_since(t));
  t = Clock::now();
  const ops::MunicipalityIndex index(municipalities);
  fmt::print("municipality index: {:.3f} s\n", seconds_since(t));
  if (!o.line_file.empty()) {
    const Layer reference = load(o.line_file, o.line_layer, Role::features, "", {}, crs_wkt);
    std::vector<geos::GeomPtr> lines;
    for (const auto& f : reference.features) lines.push_back(geos::clone(f.geometry.get()));
    const auto all = geos::collection(std::move(lines), GEOS_GEOMETRYCOLLECTION);
    fmt::print("reference {} ({} features, {:.0f} m): ", o.line_layer, reference.features.size(), geos::length(all.get()));
    distance_profile(rivers, all.get());
  }
  std::vector<Layer> written;
  for (double tolerance : o.tolerances) {
    ops::RiverReachesOptions options;
    options.tolerance_m = tolerance;
    t = Clock::now();
    auto result = ops::river_reaches(rivers, index, options);  // non-const: the layer takes the geometries
    const double elapsed = seconds_since(t);
    std::size_t vertices = 0;
    for (const auto& f : rivers.features) vertices += static_cast<std::size_t>(GEOSGetNumCoordinates_r(geos::context(), f.geometry.get()));
    fmt::print("\ntolerance {} m: river-reaches {:.3f} s ({} river vertices): {} reaches, {} border rows; river {:.0f} m, "
               "outside {:.0f} m, border {:.0f} m, crossing (near a border, not following) {:.0f} m\n",
               tolerance, elapsed, vertices, result.reaches.size(), result.border_reaches.size(), result.river_length_m,
               result.outside_length_m, result.border_length_m, result.crossing_length_m);
    if (!o.out.empty()) written.push_back(reaches_layer(rivers, index, result, tolerance, municipalities.crs_wkt));
    if (!o.pairs) continue;
    std::map<std::pair<std::string, std::string>, double> by_country_pair;
    for (const auto& share : result.border_reaches) {
      fmt::print("  {} ({}, {}) – {} ({}, {})  river {}: {:.0f} m (in a {:.0f}, in b {:.0f}, gap {:.0f}){}\n", index.id(share.a),
                 index.name(share.a), index.country(share.a), index.id(share.b), index.name(share.b), index.country(share.b),
                 ops::river_id(rivers, share.river), share.shared_length_m, share.in_a_m, share.in_b_m, share.in_gap_m,
                 index.cross_national(share.a, share.b) ? "  cross-national" : "");
      auto key = std::minmax(index.country(share.a), index.country(share.b));
      by_country_pair[{key.first, key.second}] += share.shared_length_m;
    }
    for (const auto& [key, length] : by_country_pair) fmt::print("  total {}–{}: {:.0f} m\n", key.first, key.second, length);
  }
  if (!o.out.empty()) {
    std::vector<const Layer*> layers;
    for (const auto& l : written) layers.push_back(&l);
    io::write_geopackage(o.out, layers);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"twinrisk-kernels: the issue-11 kernels on a GeoPackage"};
  app.require_subcommand(1);
  Options o;
  auto* reaches = app.add_subcommand("reaches", "river-reaches: split rivers, find border reaches");
  reaches->add_option("file", o.file)->required();
  reaches->add_option("--municipalities", o.municipalities);
  reaches->add_option("--municipality-sql", o.municipality_sql);
  reaches->add_option("--rivers", o.rivers);
  reaches->add_option("--river-sql", o.river_sql);
  reaches->add_option("--crs", o.crs, "analysis CRS (default: the data's)");
  reaches->add_option("--id-field", o.id_field);
  reaches->add_option("--name-field", o.name_field);
  reaches->add_option("--country-field", o.country_field);
  reaches->add_option("--river-id-field", o.river_id_field);
  reaches->add_option("--river-name-field", o.river_name_field);
  reaches->add_option("--tolerance", o.tolerances)->delimiter(',');
  reaches->add_flag("--pairs", o.pairs, "print every border_reaches row");
  reaches->add_option("--out", o.out, "write the reaches of each tolerance to this GeoPackage");
  reaches->add_option("--reference-file", o.line_file, "a file with a reference line layer (e.g. the state line)");
  reaches->add_option("--reference-layer", o.line_layer);
  try {
    app.parse(argc, argv);
    if (*reaches) return run_reaches(o);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "twinrisk-kernels: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
