// twinrisk-kernels: runs the river, basin, restoration and cooperation kernels on a GeoPackage and
// prints what they found and how long each phase took. For trying the kernels on real data (the
// St. Louis bundle) and timing them on generated data before the algorithms wrap them.
//
//   twinrisk-kernels reaches FILE --municipalities LAYER --rivers LAYER [--crs EPSG:5070]
//       [--tolerance 500,1000] [--country-sql EXPR] [--pairs]
//   twinrisk-kernels all FILE [--tolerance 500] [--width 30]   (generated data: every kernel)

#include <CLI/CLI.hpp>
#include <tbb/global_control.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <ctime>
#include <cmath>
#include <iostream>
#include <map>
#include <set>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/progress.hpp"
#include "twinrisk/io/loader.hpp"
#include "twinrisk/io/writers.hpp"
#include "twinrisk/io/graphml.hpp"
#include "twinrisk/ops/basins.hpp"
#include "twinrisk/ops/cooperation_network.hpp"
#include "twinrisk/ops/flow_direction.hpp"
#include "twinrisk/ops/municipalities.hpp"
#include "twinrisk/ops/restoration.hpp"
#include "twinrisk/ops/river_reaches.hpp"
#include "twinrisk/ops/shared_zones.hpp"
#include "twinrisk/ops/touching_partners.hpp"

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
  std::set<std::string> steps;  // all: reaches and upstream always, then restoration, basins, cooperation
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

// Square basins of `cell` metres over the municipalities' extent; each drains into its east
// neighbour, the easternmost of a row is an outlet (one river system per row).
Layer grid_basins(const Layer& municipalities, double cell) {
  geos::Envelope e{1e300, 1e300, -1e300, -1e300};
  for (const auto& f : municipalities.features) {
    const auto b = geos::envelope(f.geometry.get());
    e = {std::min(e.min_x, b.min_x), std::min(e.min_y, b.min_y), std::max(e.max_x, b.max_x), std::max(e.max_y, b.max_y)};
  }
  const auto columns = static_cast<std::size_t>(std::ceil((e.max_x - e.min_x) / cell));
  const auto rows = static_cast<std::size_t>(std::ceil((e.max_y - e.min_y) / cell));
  Layer basins;
  basins.name = "basins";
  basins.role = Role::basins;
  basins.crs_wkt = municipalities.crs_wkt;
  basins.fields = {{"id", FieldType::integer}, {"next_down", FieldType::integer}};
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < columns; ++c) {
      const double x0 = e.min_x + c * cell, y0 = e.min_y + r * cell;
      const auto id = static_cast<std::int64_t>(r * columns + c + 1);
      const std::int64_t next = c + 1 < columns ? id + 1 : 0;
      const auto wkt = fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", x0, y0, x0 + cell, y0 + cell);
      basins.features.push_back({id, geos::from_wkt(wkt), {id, next}});
    }
  }
  return basins;
}

// Wall time per step, and the process's CPU time (all threads) beside it: the machine is shared,
// and CPU time tells what a step costs when others load the cores.
struct Timer {
  Clock::time_point start = Clock::now();
  std::clock_t cpu_start = std::clock();
  std::string lap() {
    const auto now = Clock::now();
    const std::clock_t cpu = std::clock();
    const double wall = std::chrono::duration<double>(now - start).count();
    const double used = static_cast<double>(cpu - cpu_start) / CLOCKS_PER_SEC;
    start = now;
    cpu_start = cpu;
    return fmt::format("{:.3f} s (CPU {:.3f} s)", wall, used);
  }
};

int run_all(const Options& o, double width_m, double basin_cell_m) {
  Timer t;
  const std::string crs = io::resolve_analysis_crs(o.crs.empty() ? "EPSG:3035" : o.crs, {});
  const Layer municipalities = load(o.file, "municipalities", Role::municipalities, "", {{"id", "id"}, {"name", "name"}, {"country", "country"}}, crs);
  const Layer rivers = load(o.file, "rivers", Role::rivers, "", {{"name", "name"}}, crs);
  const Layer hazard = load(o.file, "hazard", Role::hazard, "", {{"class", "class"}}, crs);
  std::size_t segments = 0;
  for (const auto& f : rivers.features) {
    for (const auto* line : geos::line_views(f.geometry.get())) segments += geos::coordinates(line).size() - 1;
  }
  fmt::print("load {}: {} municipalities, {} rivers ({} segments), {} hazard polygons\n", t.lap(),
             municipalities.features.size(), rivers.features.size(), segments, hazard.features.size());
  const ops::MunicipalityIndex index(municipalities);
  fmt::print("municipality index {}\n", t.lap());

  ops::RiverReachesOptions reach_options;
  reach_options.tolerance_m = o.tolerances.front();
  const auto reaches = ops::river_reaches(rivers, index, reach_options);
  fmt::print("river-reaches (tolerance {} m) {}: {} reaches, {} border rows, {} municipalities with river; "
             "river {:.0f} km, border {:.0f} km\n",
             reach_options.tolerance_m, t.lap(), reaches.reaches.size(), reaches.border_reaches.size(),
             reaches.by_municipality.size(), reaches.river_length_m / 1e3, reaches.border_length_m / 1e3);
  auto wanted = [&](const char* step) { return o.steps.empty() || o.steps.count(step); };
  const auto directions = ops::flow_from_vertex_order(rivers);
  const auto river_pairs = ops::upstream_from_rivers(rivers, reaches, directions);
  fmt::print("upstream from rivers {}: {} pairs\n", t.lap(), river_pairs.size());

  ops::RestorationOptions restoration_options;
  restoration_options.width_m = width_m;
  if (wanted("restoration")) {
  const auto corridors = ops::restoration(rivers, reaches, index, {}, restoration_options);
  fmt::print("restoration (width {} m) {}: {} candidates, {:.1f} km², joint rows {}\n", width_m, t.lap(),
             corridors.candidates.size(), corridors.corridor_area_m2 / 1e6, corridors.joint.size());
  fmt::print("  exact totals: reaches {:.17g} m, border {:.17g} m, corridor {:.17g} m²\n", reaches.river_length_m,
             reaches.border_length_m, corridors.corridor_area_m2);
  ops::RestorationInputs within_hazard;
  within_hazard.hazard = &hazard;
  const auto floodplain = ops::restoration(rivers, reaches, index, within_hazard, restoration_options);
  fmt::print("restoration within hazard zones {}: {} candidates, {:.1f} km²\n", t.lap(), floodplain.candidates.size(),
             [&] { double a = 0; for (const auto& c : floodplain.candidates) a += c.area_m2; return a / 1e6; }());
  ops::RestorationInputs hazard_as_footprints;
  hazard_as_footprints.footprints = {&hazard};
  restoration_options.footprint_buffer_m = 20;
  const auto outside_hazard = ops::restoration(rivers, reaches, index, hazard_as_footprints, restoration_options);
  fmt::print("restoration minus footprints (the {} hazard polygons as stand-ins, buffered 20 m) {}: {:.1f} km²\n",
             hazard.features.size(), t.lap(), [&] { double a = 0; for (const auto& c : outside_hazard.candidates) a += c.area_m2; return a / 1e6; }());
  }
  if (!wanted("basins") && !wanted("cooperation")) return 0;

  const Layer basins = grid_basins(municipalities, basin_cell_m);
  const auto network = ops::basin_network(basins);
  fmt::print("basins: {} cells of {} km, topology {}\n", basins.features.size(), basin_cell_m / 1e3, t.lap());
  const auto pieces = ops::basin_membership(basins, index);
  fmt::print("basin membership {}: {} pieces\n", t.lap(), pieces.size());
  const auto all_basin_pairs = ops::upstream_from_basins(network, pieces);
  fmt::print("upstream from basins {}: {} pairs\n", t.lap(), all_basin_pairs.size());
  const auto basin_pairs = ops::upstream_from_basins(network, pieces, 0, 3);
  fmt::print("upstream from basins, at most 3 between {}: {} pairs\n", t.lap(), basin_pairs.size());

  StepInput input;
  input.layers = {{"municipalities", {&municipalities}}, {"hazard", {&hazard}}};
  input.values["min_area_m2"] = 0.0;
  NullProgress progress;
  const auto zones = ops::SharedZones().run(input, progress);
  const auto shared_zones_s = t.lap();
  const auto parts = ops::zone_parts_from_layer(zones.layers.at(1), index);
  const auto touching = ops::touching_partners(parts);
  const auto touching_s = t.lap();
  std::map<std::int64_t, std::set<std::size_t>> members;
  for (const auto& p : parts) members[p.zone].insert(p.municipality);
  std::size_t all_pairs = 0;
  for (const auto& [zone, m] : members) all_pairs += m.size() * (m.size() - 1) / 2;
  fmt::print("shared-zones {} ({} parts); touching partners {}: {} touching pairs (all same-zone pairs: {})\n",
             shared_zones_s, parts.size(), touching_s, touching.size(), all_pairs);
  ops::CooperationInputs cooperation;
  cooperation.shared_zones = touching;
  cooperation.border_reaches = reaches.border_reaches;
  cooperation.basin_areas = ops::basin_areas(pieces);
  cooperation.upstream = basin_pairs;
  const auto pairs = ops::cooperation_network(index, cooperation);
  std::size_t suggested = 0;
  for (const auto& p : pairs) suggested += p.suggested ? 1 : 0;
  fmt::print("cooperation network {}: {} pairs, {} suggested\n", t.lap(), pairs.size(), suggested);
  if (!o.out.empty()) {
    io::write_graphml(o.out, ops::cooperation_graph(index, pairs));
    fmt::print("GraphML {}: {}\n", t.lap(), o.out);
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
  double width_m = 30, basin_cell_m = 10000;
  auto* all = app.add_subcommand("all", "every kernel on generated data (twinrisk-bench-gen), timed");
  all->add_option("file", o.file)->required();
  all->add_option("--tolerance", o.tolerances)->delimiter(',');
  all->add_option("--width", width_m, "corridor width each side, m");
  all->add_option("--basin-cell", basin_cell_m, "side of the synthetic square basins, m");
  all->add_option("--graphml", o.out, "write cooperation.graphml here");
  all->add_option("--steps", o.steps, "restoration, basins, cooperation (default: all)")->delimiter(',');
  std::size_t threads = 0;
  app.add_option("--threads", threads, "worker threads (default: every core)");
  try {
    app.parse(argc, argv);
    std::unique_ptr<tbb::global_control> limit;
    if (threads) limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, threads);
    if (*reaches) return run_reaches(o);
    if (*all) return run_all(o, width_m, basin_cell_m);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "twinrisk-kernels: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
