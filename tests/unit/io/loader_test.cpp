// Loading: repair and counting, CRS handling, axis order, field mapping and their errors.

#include "twinrisk/io/loader.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "../test_support.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/io/gdal.hpp"
#include "../../../src/io/arrow_rows.hpp"

namespace twinrisk::io {
namespace {

using test::definition;
using test::rectangle;
using test::TempDir;
using test::write_layer;

std::string epsg_wkt(int code) {
  return resolve_analysis_crs("EPSG:" + std::to_string(code), {});
}

Layer load(const LayerDefinition& d, const std::string& crs_wkt, LoadReport& report) {
  NullProgress progress;
  return load_layer(d, crs_wkt, report, progress);
}

template <typename F>
Error expect_error(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected an error";
  return Error(ErrorKind::internal, "none");
}

TEST(Loader, BowTieIsRepairedAndCounted) {
  TempDir dir;
  const auto file = dir / "h.gpkg";
  // A bow-tie crossing itself at (5,5): two triangles of 10 x 5 / 2 = 25 m² each.
  write_layer(file, "h", 3035, {"class"},
              {{"POLYGON((0 0,10 10,10 0,0 10,0 0))", {1LL}}, {rectangle(20, 0, 30, 10), {2LL}}});
  LoadReport report;
  const auto layer = load(definition(file, "h", Role::hazard), epsg_wkt(3035), report);
  EXPECT_EQ(report.read, 2);
  EXPECT_EQ(report.loaded, 2);
  EXPECT_EQ(report.repaired, 1);
  EXPECT_FALSE(report.reprojected);
  ASSERT_EQ(layer.features.size(), 2u);
  EXPECT_TRUE(geos::is_valid(layer.features[0].geometry.get()));
  EXPECT_NEAR(geos::area(layer.features[0].geometry.get()), 50, 1e-9);
  EXPECT_EQ(layer.features[0].fid, 1);
  ASSERT_FALSE(report.notes.empty());
  EXPECT_NE(report.notes[0].find("feature 1"), std::string::npos) << report.notes[0];
  EXPECT_NE(report.notes[0].find("repaired"), std::string::npos) << report.notes[0];
}

TEST(Loader, EmptyNullAndNonPolygonFeaturesAreCountedNotLost) {
  TempDir dir;
  const auto file = dir / "h.gpkg";
  write_layer(file, "h", 3035, {"class"},
              {{rectangle(0, 0, 10, 10), {1LL}},
               {"", {1LL}},
               {"POLYGON EMPTY", {1LL}},
               {"LINESTRING(0 0,10 10)", {1LL}},
               {"GEOMETRYCOLLECTION(POLYGON((0 0,1 0,1 1,0 1,0 0)),LINESTRING(5 5,6 6))", {2LL}}});
  LoadReport report;
  const auto layer = load(definition(file, "h", Role::hazard), epsg_wkt(3035), report);
  EXPECT_EQ(report.read, 5);
  EXPECT_EQ(report.empty, 2);
  EXPECT_EQ(report.dropped, 1);  // the line: not a polygon
  EXPECT_EQ(report.loaded, 2);
  EXPECT_EQ(report.read, report.loaded + report.empty + report.dropped);
  // The collection keeps its polygon (1 m²) and loses the line.
  EXPECT_NEAR(geos::area(layer.features[1].geometry.get()), 1, 1e-12);
}

TEST(Loader, LonLatPointLandsWhereItMust) {
  TempDir dir;
  const auto file = dir / "p.gpkg";
  // 6° E, 51° N. Expected from PROJ's cs2cs with EPSG:4326's own lat/lon order:
  // `echo "51 6" | cs2cs EPSG:4326 EPSG:25832` → 289511.1430 5654109.1786.
  write_layer(file, "p", 4326, {"category"}, {{"POINT(6 51)", {std::string("gauge")}}});
  LoadReport report;
  const auto layer = load(definition(file, "p", Role::infrastructure), epsg_wkt(25832), report);
  ASSERT_EQ(layer.features.size(), 1u);
  const auto env = geos::envelope(layer.features[0].geometry.get());
  EXPECT_NEAR(env.min_x, 289511.1430, 0.01);
  EXPECT_NEAR(env.min_y, 5654109.1786, 0.01);
  EXPECT_TRUE(report.reprojected);
}

// 2D points are read from their WKB without an OGR geometry; they keep every check the others get.
TEST(Loader, PointsReadStraightFromTheirWkbKeepEveryCheck) {
  TempDir dir;
  const auto file = dir / "p.gpkg";
  write_layer(file, "p", 3035, {"category"},
              {{"POINT(10 20)", {std::string("a")}},
               {"POINT EMPTY", {std::string("b")}},
               {"POINT(1e12 5)", {std::string("c")}},
               {"POINT Z (3 4 5)", {std::string("d")}},
               {"", {std::string("e")}},
               {"POINT(-7.25 1e-3)", {std::string("f")}}});
  LoadReport report;
  const auto layer = load(definition(file, "p", Role::infrastructure), epsg_wkt(3035), report);
  EXPECT_EQ(report.read, 6);
  EXPECT_EQ(report.empty, 2);
  EXPECT_EQ(report.dropped, 1);
  ASSERT_EQ(layer.features.size(), 3u);
  const std::vector<std::pair<double, double>> expected = {{10, 20}, {3, 4}, {-7.25, 1e-3}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto* point = layer.features[i].geometry.get();
    EXPECT_EQ(geos::type_id(point), GEOS_POINT);
    EXPECT_EQ(GEOSHasZ_r(geos::context(), point), 0);  // flattened
    const auto box = geos::envelope(point);
    EXPECT_EQ(box.min_x, expected[i].first);
    EXPECT_EQ(box.min_y, expected[i].second);
  }
  EXPECT_EQ(layer.features[1].fid, 4);
  ASSERT_EQ(report.notes.size(), 3u);
  EXPECT_NE(report.notes[0].find("feature 2: NULL or empty"), std::string::npos) << report.notes[0];
  EXPECT_NE(report.notes[1].find("feature 3: a vertex is not finite"), std::string::npos) << report.notes[1];
}

// Asked for vertices, a reader hands plain 2D points and line strings without a GEOS geometry,
// reprojected and checked as before; any other geometry (a 3D point, a multipoint, a line GEOS
// would repair) keeps its GEOS geometry, and a layer of polygons drops points as it always did.
TEST(LayerReader, PlainPointsAndLinesComeAsVerticesWhenAskedFor) {
  TempDir dir;
  const auto file = dir / "p.gpkg";
  write_layer(file, "p", 4326, {"category"},
              {{"POINT(5 50)", {std::string("a")}},
               {"POINT EMPTY", {std::string("b")}},
               {"POINT(1e12 5)", {std::string("c")}},
               {"POINT Z (6 51 5)", {std::string("d")}},
               {"MULTIPOINT((5.5 50.5))", {std::string("e")}},
               {"POINT(-1.25 49.75)", {std::string("f")}}});
  // Where GDAL (OGR's own transform, axis order as GIS) puts each point.
  OGRSpatialReference wgs84, laea;
  wgs84.importFromEPSG(4326);
  laea.importFromEPSG(3035);
  for (auto* crs : {&wgs84, &laea}) crs->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  const std::unique_ptr<OGRCoordinateTransformation> to_laea(OGRCreateCoordinateTransformation(&wgs84, &laea));
  auto projected = [&](double lon, double lat) {
    to_laea->Transform(1, &lon, &lat);
    return std::pair{lon, lat};
  };
  NullProgress progress;
  LayerReader reader(definition(file, "p", Role::infrastructure), epsg_wkt(3035), progress);
  reader.use_plain_vertices();
  std::vector<std::string> categories;
  std::vector<std::pair<double, double>> at;
  std::size_t as_vertices = 0;
  for (auto batch = reader.next_batch(4); !batch.empty(); batch = reader.next_batch(4)) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      categories.push_back(std::get<std::string>(batch[i].values[0]));
      const auto vertices = reader.vertices(i);
      if (batch[i].geometry) {
        EXPECT_TRUE(vertices.empty()) << categories.back();
        const auto box = geos::envelope(batch[i].geometry.get());
        at.emplace_back(box.min_x, box.min_y);
      } else {
        ++as_vertices;
        ASSERT_EQ(vertices.size(), 1u) << categories.back();
        at.emplace_back(vertices[0].x, vertices[0].y);
      }
    }
  }
  EXPECT_EQ(categories, (std::vector<std::string>{"a", "d", "e", "f"}));
  EXPECT_EQ(as_vertices, 2u);  // a and f
  const std::vector<std::pair<double, double>> expected = {projected(5, 50), projected(6, 51), projected(5.5, 50.5),
                                                           projected(-1.25, 49.75)};
  ASSERT_EQ(at.size(), expected.size());
  for (std::size_t i = 0; i < at.size(); ++i) {
    EXPECT_NEAR(at[i].first, expected[i].first, 1e-6) << categories[i];
    EXPECT_NEAR(at[i].second, expected[i].second, 1e-6) << categories[i];
  }
  EXPECT_EQ(reader.report().read, 6);
  EXPECT_EQ(reader.report().empty, 1);
  EXPECT_EQ(reader.report().dropped, 1);
  EXPECT_EQ(reader.report().loaded, 4);

  // Line strings in the analysis CRS: plain ones as their vertices; one with Z and a multi-line as
  // GEOS geometries; one GEOS finds invalid (no two distinct vertices) goes through GEOS's check
  // as before, with the same outcome and note.
  const auto lines = dir / "l.gpkg";
  write_layer(lines, "l", 3035, {"category"},
              {{"LINESTRING(0 0,10 0,10 5)", {std::string("a")}},
               {"LINESTRING(3 3,3 3)", {std::string("b")}},
               {"LINESTRING Z (0 0 1,5 5 1)", {std::string("c")}},
               {"MULTILINESTRING((0 0,1 1))", {std::string("d")}},
               {"LINESTRING(-2.5 7,4 7)", {std::string("e")}}});
  LayerReader line_reader(definition(lines, "l", Role::infrastructure), epsg_wkt(3035), progress);
  line_reader.use_plain_vertices();
  std::map<std::string, std::vector<geos::XY>> vertices_of;
  std::set<std::string> with_geometry;
  for (auto batch = line_reader.next_batch(2); !batch.empty(); batch = line_reader.next_batch(2)) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto category = std::get<std::string>(batch[i].values[0]);
      const auto vertices = line_reader.vertices(i);
      if (batch[i].geometry) {
        with_geometry.insert(category);
      } else {
        vertices_of[category].assign(vertices.begin(), vertices.end());
      }
    }
  }
  EXPECT_EQ(with_geometry, (std::set<std::string>{"c", "d"}));
  LoadReport lines_report;
  load(definition(lines, "l", Role::infrastructure), epsg_wkt(3035), lines_report);
  EXPECT_EQ(line_reader.report().loaded, lines_report.loaded);
  EXPECT_EQ(line_reader.report().dropped, lines_report.dropped);  // b: no two distinct vertices
  EXPECT_EQ(line_reader.report().notes, lines_report.notes);
  ASSERT_EQ(vertices_of.size(), 2u);
  const std::vector<geos::XY> a = {{0, 0}, {10, 0}, {10, 5}}, e = {{-2.5, 7}, {4, 7}};
  ASSERT_EQ(vertices_of["a"].size(), a.size());
  for (std::size_t k = 0; k < a.size(); ++k) EXPECT_TRUE(vertices_of["a"][k].x == a[k].x && vertices_of["a"][k].y == a[k].y);
  ASSERT_EQ(vertices_of["e"].size(), e.size());
  for (std::size_t k = 0; k < e.size(); ++k) EXPECT_TRUE(vertices_of["e"][k].x == e[k].x && vertices_of["e"][k].y == e[k].y);

  // Not asked: every feature has its geometry.
  LayerReader plain(definition(file, "p", Role::infrastructure), epsg_wkt(3035), progress);
  for (auto batch = plain.next_batch(4); !batch.empty(); batch = plain.next_batch(4)) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      EXPECT_NE(batch[i].geometry, nullptr);
      EXPECT_TRUE(plain.vertices(i).empty());
    }
  }

  // A polygon layer drops its points, asked or not.
  LayerReader hazard(definition(file, "p", Role::hazard), epsg_wkt(3035), progress);
  hazard.use_plain_vertices();
  EXPECT_THROW(hazard.next_batch(4), InputError);  // nothing usable: each point dropped as not a polygon
  EXPECT_EQ(hazard.report().dropped, 5);
}

// 2D line strings that need no reprojection are read straight from their WKB; every check still
// applies (GEOS's validity: two distinct vertices, wherever they are), and a line that must be
// reprojected lands where OGR puts it.
TEST(Loader, LinesReadStraightFromTheirWkbKeepEveryCheck) {
  TempDir dir;
  const auto file = dir / "l.gpkg";
  write_layer(file, "l", 3035, {"category"},
              {{"LINESTRING(0.1 0.2,3000.000000000001 -4,5 6)", {std::string("a")}},
               {"LINESTRING(0 0,1e12 5)", {std::string("b")}},
               {"LINESTRING EMPTY", {std::string("c")}},
               {"LINESTRING Z (1 2 3,4 5 6)", {std::string("d")}},
               {"LINESTRING(7 7,7 7)", {std::string("e")}},
               {"LINESTRING(8 8,8 8,9 8)", {std::string("f")}}});
  LoadReport report;
  const auto layer = load(definition(file, "l", Role::infrastructure), epsg_wkt(3035), report);
  EXPECT_EQ(report.read, 6);
  EXPECT_EQ(report.empty, 1);
  EXPECT_EQ(report.dropped, 2);  // the far vertex; the line of one distinct point (GEOS: invalid)
  ASSERT_EQ(layer.features.size(), 3u);
  const auto vertices = [](const Feature& feature) {
    std::vector<std::pair<double, double>> out;
    for (const auto& xy : geos::coordinates(feature.geometry.get())) out.emplace_back(xy.x, xy.y);
    return out;
  };
  using Vertices = std::vector<std::pair<double, double>>;
  EXPECT_EQ(vertices(layer.features[0]), (Vertices{{0.1, 0.2}, {3000.000000000001, -4}, {5, 6}}));
  EXPECT_EQ(vertices(layer.features[1]), (Vertices{{1, 2}, {4, 5}}));  // flattened
  EXPECT_EQ(GEOSHasZ_r(geos::context(), layer.features[1].geometry.get()), 0);
  EXPECT_EQ(vertices(layer.features[2]), (Vertices{{8, 8}, {8, 8}, {9, 8}}));
  EXPECT_EQ(report.repaired, 0);
  ASSERT_GE(report.notes.size(), 1u);
  EXPECT_NE(report.notes[0].find("feature 2: a vertex is not finite"), std::string::npos) << report.notes[0];

  const auto lonlat = dir / "ll.gpkg";
  write_layer(lonlat, "ll", 4326, {"category"}, {{"LINESTRING(6 51,6.5 51.5)", {std::string("a")}}});
  const auto moved = load(definition(lonlat, "ll", Role::infrastructure), epsg_wkt(25832), report);
  ASSERT_EQ(moved.features.size(), 1u);
  OGRSpatialReference from, to;
  from.importFromEPSG(4326);
  from.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  to.importFromEPSG(25832);
  to.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> transform(OGRCreateCoordinateTransformation(&from, &to));
  double x[] = {6, 6.5}, y[] = {51, 51.5};
  ASSERT_TRUE(transform->Transform(2, x, y));
  const auto box = geos::envelope(moved.features[0].geometry.get());
  EXPECT_DOUBLE_EQ(box.min_x, x[0]);
  EXPECT_DOUBLE_EQ(box.min_y, y[0]);
  EXPECT_DOUBLE_EQ(box.max_x, x[1]);
  EXPECT_DOUBLE_EQ(box.max_y, y[1]);
}

TEST(Loader, MissingCrsNeedsCrsKeyAndConflictIsAnError) {
  TempDir dir;
  const auto file = dir / "n.gpkg";
  write_layer(file, "n", 0, {"id"}, {{rectangle(0, 0, 10, 10), {std::string("a")}}});
  auto d = definition(file, "n", Role::municipalities);
  const auto error = expect_error([&] { probe_source(d, true); });
  EXPECT_EQ(error.kind(), ErrorKind::input);
  EXPECT_NE(std::string(error.what()).find("has no CRS"), std::string::npos) << error.what();
  EXPECT_NE(std::string(error.what()).find("crs:"), std::string::npos) << error.what();

  d.crs = "EPSG:3035";
  EXPECT_NO_THROW(probe_source(d, true));
  LoadReport report;
  EXPECT_EQ(load(d, epsg_wkt(3035), report).features.size(), 1u);

  const auto with_crs = dir / "c.gpkg";
  write_layer(with_crs, "c", 4326, {"id"}, {{rectangle(0, 0, 1, 1), {std::string("a")}}});
  auto conflicting = definition(with_crs, "c", Role::municipalities);
  conflicting.crs = "EPSG:3035";
  // The same CRS declared again is no conflict, whatever its official axis order.
  auto same = definition(with_crs, "c", Role::municipalities);
  same.crs = "EPSG:4326";
  EXPECT_NO_THROW(probe_source(same, true));
  const auto conflict = expect_error([&] { probe_source(conflicting, true); });
  EXPECT_EQ(conflict.kind(), ErrorKind::config);
  EXPECT_NE(std::string(conflict.what()).find("conflicts"), std::string::npos) << conflict.what();
}

TEST(Loader, FieldMappingConstantsDefaultsAndErrors) {
  TempDir dir;
  const auto file = dir / "m.gpkg";
  write_layer(file, "gemeinden", 3035, {"AGS", "GEN"},
              {{rectangle(0, 0, 10, 10), {std::string("01001"), std::string("Flensburg")}}});
  LoadReport report;
  const auto layer = load(definition(file, "gemeinden", Role::municipalities,
                                     {{"id", "AGS"}, {"name", "GEN"}, {"country", "=DE"}}),
                          epsg_wkt(3035), report);
  ASSERT_EQ(layer.fields.size(), 3u);
  EXPECT_EQ(std::get<std::string>(layer.features[0].values[*layer.field_index("id")]), "01001");
  EXPECT_EQ(std::get<std::string>(layer.features[0].values[*layer.field_index("country")]), "DE");

  const auto unknown = expect_error([&] {
    probe_source(definition(file, "gemeinden", Role::municipalities, {{"id", "ARS"}}), true);
  });
  EXPECT_EQ(unknown.kind(), ErrorKind::config);
  EXPECT_NE(std::string(unknown.what()).find("field 'ARS' not found"), std::string::npos) << unknown.what();
  EXPECT_NE(std::string(unknown.what()).find("AGS, GEN"), std::string::npos) << unknown.what();

  const auto missing_id = expect_error([&] { probe_source(definition(file, "gemeinden", Role::municipalities), true); });
  EXPECT_NE(std::string(missing_id.what()).find("needs field 'id'"), std::string::npos) << missing_id.what();

  const auto bad_key = expect_error([&] {
    probe_source(definition(file, "gemeinden", Role::municipalities, {{"id", "AGS"}, {"kreis", "GEN"}}), true);
  });
  EXPECT_NE(std::string(bad_key.what()).find("'kreis' is not a field of role municipalities"), std::string::npos);
}

// QGIS lists a GeoPackage's fid as a field, and picks it for a required field by default.
TEST(Loader, TheFidColumnCanBeMappedLikeAField) {
  TempDir dir;
  const auto file = dir / "m.gpkg";
  write_layer(file, "gemeinden", 3035, {"GEN"},
              {{rectangle(0, 0, 10, 10), {std::string("Flensburg")}}, {rectangle(10, 0, 20, 10), {std::string("Kiel")}}});
  LoadReport report;
  const auto layer = load(definition(file, "gemeinden", Role::municipalities, {{"id", "FID"}, {"name", "GEN"}}),
                          epsg_wkt(3035), report);
  ASSERT_EQ(layer.features.size(), 2u);
  EXPECT_EQ(layer.fid_column, "fid");
  EXPECT_EQ(std::get<std::int64_t>(layer.features[0].values[*layer.field_index("id")]), layer.features[0].fid);
  EXPECT_EQ(std::get<std::int64_t>(layer.features[1].values[*layer.field_index("id")]), 2);
}

// Four rows in a GeoPackage layer: values, all NULL, no geometry, a curve; with a date field or not.
void write_rows(const std::filesystem::path& file, const char* name, bool with_date) {
  io::ensure_gdal_registered();
  GDALDatasetUniquePtr ds(std::filesystem::exists(file)
                              ? GDALDataset::Open(file.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE)
                              : GetGDALDriverManager()->GetDriverByName("GPKG")->Create(file.c_str(), 0, 0, 0,
                                                                                         GDT_Unknown, nullptr));
  ASSERT_TRUE(ds);
  OGRSpatialReference crs;
  crs.importFromEPSG(3035);
  OGRLayer* layer = ds->CreateLayer(name, &crs, wkbPolygon, nullptr);
  std::vector<std::pair<const char*, OGRFieldType>> fields = {
      {"small", OFTInteger}, {"big", OFTInteger64}, {"real", OFTReal}, {"text", OFTString}};
  if (with_date) fields.emplace_back("day", OFTDate);
  for (const auto& [field, type] : fields) {
    OGRFieldDefn defn(field, type);
    ASSERT_EQ(layer->CreateField(&defn), OGRERR_NONE);
  }
  auto add = [&](const char* wkt, bool with_values) {
    OGRFeature feature(layer->GetLayerDefn());
    if (wkt) {
      OGRGeometry* geometry = nullptr;
      OGRGeometryFactory::createFromWkt(wkt, nullptr, &geometry);
      feature.SetGeometryDirectly(geometry);
    }
    if (with_values) {
      feature.SetField("small", -7);
      feature.SetField("big", static_cast<GIntBig>(9007199254740993LL));  // 2^53 + 1: no double holds it
      feature.SetField("real", 0.1);
      feature.SetField("text", "Liège – Lüttich");
      if (with_date) feature.SetField("day", 2026, 11, 30);
    }
    ASSERT_EQ(layer->CreateFeature(&feature), OGRERR_NONE);
  };
  add("POLYGON((0 0,10 0,10 10,0 10,0 0))", true);
  add("POLYGON((20 0,30 0,30 10,20 10,20 0))", false);  // every field NULL
  add(nullptr, true);                                     // no geometry: counted, not loaded
  add("CURVEPOLYGON(CIRCULARSTRING(40 0,50 10,40 20,30 10,40 0))", true);
}

// A GeoPackage is read through its Arrow stream (io/arrow_rows.hpp) where that gives what
// GetNextFeature gives ("plain"), and feature by feature where a field needs formatting ("dated":
// a date). Both give back what the test wrote, NULLs and all.
TEST(Loader, GeoPackageRowsArriveAsWrittenByEitherReader) {
  TempDir dir;
  const auto file = dir / "rows.gpkg";
  write_rows(file, "plain", false);
  write_rows(file, "dated", true);
  for (const char* name : {"plain", "dated"}) {
    SCOPED_TRACE(name);
    LoadReport report;
    const auto layer = load(definition(file, name, Role::features), epsg_wkt(3035), report);
    EXPECT_EQ(report.read, 4);
    EXPECT_EQ(report.empty, 1);
    EXPECT_EQ(report.loaded, 3);
    ASSERT_EQ(layer.features.size(), 3u);
    EXPECT_EQ(layer.features[0].fid, 1);
    EXPECT_EQ(layer.features[1].fid, 2);
    EXPECT_EQ(layer.features[2].fid, 4);
    auto value = [&](std::size_t f, const char* field) { return layer.features[f].values[*layer.field_index(field)]; };
    EXPECT_EQ(std::get<std::int64_t>(value(0, "small")), -7);
    EXPECT_EQ(std::get<std::int64_t>(value(0, "big")), 9007199254740993LL);
    EXPECT_EQ(std::get<double>(value(0, "real")), 0.1);
    EXPECT_EQ(std::get<std::string>(value(0, "text")), "Liège – Lüttich");
    for (const char* field : {"small", "big", "real", "text"}) {
      EXPECT_TRUE(std::holds_alternative<std::monostate>(value(1, field))) << field;
    }
    if (std::string(name) == "dated") {
      EXPECT_EQ(std::get<std::string>(value(0, "day")), "2026/11/30");
    }
    EXPECT_NEAR(geos::area(layer.features[0].geometry.get()), 100, 1e-9);
    // The circle of radius 10 arrives linearised, within 0.1 % of its area.
    EXPECT_NEAR(geos::area(layer.features[2].geometry.get()), 314.159, 0.32);
  }
  // Which reader each layer took.
  GDALDatasetUniquePtr ds(GDALDataset::Open(file.c_str(), GDAL_OF_VECTOR));
  EXPECT_NE(ArrowRows::open(*ds, *ds->GetLayerByName("plain"), {0, 1, 2, 3}), nullptr);
  EXPECT_EQ(ArrowRows::open(*ds, *ds->GetLayerByName("dated"), {0, 1, 2, 3, 4}), nullptr);
}

// Rows straight from the Arrow stream: FIDs, NULL geometry as no bytes, values by position; only
// the fields read are queried.
TEST(ArrowRows, GivesEachRowsFidGeometryAndValues) {
  TempDir dir;
  const auto file = dir / "rows.gpkg";
  write_rows(file, "plain", false);
  GDALDatasetUniquePtr ds(GDALDataset::Open(file.c_str(), GDAL_OF_VECTOR));
  auto rows = ArrowRows::open(*ds, *ds->GetLayerByName("plain"), {3, 0});
  ASSERT_NE(rows, nullptr);
  std::vector<std::int64_t> fids;
  std::vector<std::size_t> wkb_sizes;
  while (rows->next()) {
    fids.push_back(rows->fid());
    wkb_sizes.push_back(rows->wkb().size());
    if (rows->fid() == 1) {
      EXPECT_EQ(std::get<std::string>(rows->value(0)), "Liège – Lüttich");
      EXPECT_EQ(std::get<std::int64_t>(rows->value(1)), -7);
    }
    if (rows->fid() == 2) {
      EXPECT_TRUE(std::holds_alternative<std::monostate>(rows->value(0)));
    }
  }
  EXPECT_EQ(fids, (std::vector<std::int64_t>{1, 2, 3, 4}));
  // A polygon of 5 vertices is 1 + 4 + 4 + 4 + 5 * 16 = 93 bytes of WKB; the third row has none.
  EXPECT_EQ(wkb_sizes[0], 93u);
  EXPECT_EQ(wkb_sizes[2], 0u);
  // The fields not read (big, real) are left out of GDAL's query.
  const auto* defn = ds->GetLayerByName("plain")->GetLayerDefn();
  for (int f = 0; f < 4; ++f) EXPECT_EQ(defn->GetFieldDefn(f)->IsIgnored(), f == 1 || f == 2) << f;
  // Not a GeoPackage: declined.
  const auto json = dir / "rows.geojson";
  GDALDatasetUniquePtr copy(GetGDALDriverManager()->GetDriverByName("GeoJSON")->CreateCopy(json.c_str(), ds.get(),
                                                                                           FALSE, nullptr, nullptr,
                                                                                           nullptr));
  ASSERT_TRUE(copy);
  EXPECT_EQ(ArrowRows::open(*copy, *copy->GetLayer(0), {0}), nullptr);
}

TEST(Loader, FeatureWithoutIdIsDroppedAndNamed) {
  TempDir dir;
  const auto file = dir / "m.gpkg";
  write_layer(file, "m", 3035, {"code"}, {{rectangle(0, 0, 1, 1), {std::string("a")}}, {rectangle(1, 0, 2, 1), {std::string("b")}}});
  // Make the second feature's id NULL.
  {
    GDALDatasetUniquePtr ds(GDALDataset::Open(file.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE));
    ds->ExecuteSQL("UPDATE m SET code = NULL WHERE fid = 2", nullptr, nullptr);
  }
  LoadReport report;
  const auto layer = load(definition(file, "m", Role::municipalities, {{"id", "code"}}), epsg_wkt(3035), report);
  EXPECT_EQ(layer.features.size(), 1u);
  EXPECT_EQ(report.dropped, 1);
  ASSERT_EQ(report.notes.size(), 1u);
  EXPECT_NE(report.notes[0].find("feature 2: id is NULL"), std::string::npos) << report.notes[0];
}

TEST(Loader, WhereFilterAndMissingFile) {
  TempDir dir;
  const auto file = dir / "h.gpkg";
  write_layer(file, "h", 3035, {"class"}, {{rectangle(0, 0, 1, 1), {1LL}}, {rectangle(0, 0, 2, 2), {3LL}}});
  auto d = definition(file, "h", Role::hazard);
  d.where = "class >= 2";
  LoadReport report;
  const auto layer = load(d, epsg_wkt(3035), report);
  ASSERT_EQ(layer.features.size(), 1u);
  EXPECT_NEAR(geos::area(layer.features[0].geometry.get()), 4, 1e-12);

  // A GeoPackage evaluates where: in SQLite: a function it lacks is named, with the filter.
  d.where = "nosuch(geom) = 1";
  const auto unknown = expect_error([&] { probe_source(d, true); });
  EXPECT_EQ(unknown.kind(), ErrorKind::config);
  EXPECT_NE(std::string(unknown.what()).find("where: 'nosuch(geom) = 1' cannot be evaluated on layer 'h': "),
            std::string::npos) << unknown.what();
  EXPECT_NE(std::string(unknown.what()).find("no such function: nosuch"), std::string::npos) << unknown.what();

  const auto missing = expect_error([&] { probe_source(definition(dir / "nope.gpkg", "h", Role::hazard), true); });
  EXPECT_EQ(missing.kind(), ErrorKind::input);
  EXPECT_NE(std::string(missing.what()).find("nope.gpkg"), std::string::npos);
}

// bbox: and where: on a GeoPackage read through its Arrow stream: GDAL applies both there too,
// where: also on a field no binding reads.
TEST(Loader, BboxAndWhereFilterAGeoPackage) {
  TempDir dir;
  const auto file = dir / "cells.gpkg";
  // 400 cells 7 x 3 on a 20 x 20 grid of 10 m; cell n is at column n % 20, row n / 20.
  std::vector<test::TestFeature> cells;
  for (long long n = 0; n < 400; ++n) {
    const double x = (n % 20) * 10.0, y = (n / 20) * 10.0;
    cells.push_back({rectangle(x, y, x + 7, y + 3), {n, n % 3}});
  }
  write_layer(file, "cells", 3035, {"class", "third"}, cells);
  auto d = definition(file, "cells", Role::hazard);
  d.bbox = std::array<double, 4>{95, 95, 205, 125};
  LoadReport report;
  auto classes = [](const Layer& layer) {
    std::set<std::int64_t> found;
    for (const auto& feature : layer.features) found.insert(std::get<std::int64_t>(feature.values[0]));
    return found;
  };
  std::set<std::int64_t> want;
  for (std::int64_t n = 0; n < 400; ++n) {
    const double x = (n % 20) * 10.0, y = (n / 20) * 10.0;
    if (x + 7 >= 95 && x <= 205 && y + 3 >= 95 && y <= 125) want.insert(n);
  }
  ASSERT_EQ(want.size(), 33u);  // columns 9..19 of rows 10..12
  EXPECT_EQ(classes(load(d, epsg_wkt(3035), report)), want);
  d.where = "class % 2 = 0";
  auto even = want;
  std::erase_if(even, [](std::int64_t n) { return n % 2 != 0; });
  EXPECT_EQ(classes(load(d, epsg_wkt(3035), report)), even);
  // On a field no binding reads (which the stream leaves out of its query).
  d.where = "third = 0";
  std::erase_if(want, [](std::int64_t n) { return n % 3 != 0; });
  ASSERT_EQ(want.size(), 11u);  // 210, 213, …, 258
  EXPECT_EQ(classes(load(d, epsg_wkt(3035), report)), want);
}

// An unread field named OGR_GEOMETRY: to OGR's ignored fields the name means the geometry, which
// must still be read (before, every feature was dropped as without geometry).
TEST(Loader, AnUnreadFieldNamedOgrGeometryLeavesTheGeometry) {
  TempDir dir;
  const auto file = dir / "g.gpkg";
  write_layer(file, "g", 3035, {"OGR_GEOMETRY", "class"},
              {{rectangle(0, 0, 1, 1), {std::string("x"), 1LL}}, {rectangle(2, 0, 4, 1), {std::string("y"), 2LL}}});
  LoadReport report;
  const auto layer = load(definition(file, "g", Role::hazard), epsg_wkt(3035), report);
  ASSERT_EQ(layer.features.size(), 2u);
  EXPECT_DOUBLE_EQ(geos::area(layer.features[0].geometry.get()), 1.0);
  EXPECT_DOUBLE_EQ(geos::area(layer.features[1].geometry.get()), 2.0);
  EXPECT_EQ(std::get<std::int64_t>(layer.features[1].values[0]), 2);
  // Through the stream, not only by the feature reader it falls back to.
  GDALDatasetUniquePtr ds(GDALDataset::Open(file.c_str(), GDAL_OF_VECTOR));
  EXPECT_NE(ArrowRows::open(*ds, *ds->GetLayerByName("g"), {1}), nullptr);
}

TEST(Loader, WrongGeometryTypeForRoleIsAnError) {
  TempDir dir;
  const auto file = dir / "l.gpkg";
  io::ensure_gdal_registered();
  {
    GDALDatasetUniquePtr ds(GetGDALDriverManager()->GetDriverByName("GPKG")->Create(file.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    OGRSpatialReference crs;
    crs.importFromEPSG(3035);
    ds->CreateLayer("rivers", &crs, wkbLineString, nullptr);
  }
  const auto error = expect_error([&] { probe_source(definition(file, "rivers", Role::hazard), true); });
  EXPECT_EQ(error.kind(), ErrorKind::input);
  EXPECT_NE(std::string(error.what()).find("needs polygon geometries"), std::string::npos) << error.what();
}

TEST(Loader, Latin1ShapefileAttributesArriveAsUtf8) {
  TempDir dir;
  const auto file = dir / "towns.shp";
  {
    // A shapefile whose DBF is ISO-8859-1 (its .cpg says so), as many national datasets are.
    io::ensure_gdal_registered();
    GDALDatasetUniquePtr ds(GetGDALDriverManager()->GetDriverByName("ESRI Shapefile")
                                ->Create(file.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    OGRSpatialReference crs;
    crs.importFromEPSG(3035);
    const char* options[] = {"ENCODING=ISO-8859-1", nullptr};
    OGRLayer* layer = ds->CreateLayer("towns", &crs, wkbPolygon, const_cast<char**>(options));
    OGRFieldDefn id("id", OFTString), name("name", OFTString);
    layer->CreateField(&id);
    layer->CreateField(&name);
    OGRFeature feature(layer->GetLayerDefn());
    feature.SetField("id", "1");
    feature.SetField("name", "Liège");  // GDAL recodes UTF-8 to Latin-1 on write
    OGRGeometry* geometry = nullptr;
    OGRGeometryFactory::createFromWkt(rectangle(0, 0, 1, 1).c_str(), nullptr, &geometry);
    feature.SetGeometryDirectly(geometry);
    ASSERT_EQ(layer->CreateFeature(&feature), OGRERR_NONE);
  }
  {
    // The bytes on disk really are Latin-1: 'è' is the single byte 0xE8.
    std::ifstream dbf(dir / "towns.dbf", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(dbf)), std::istreambuf_iterator<char>());
    EXPECT_NE(bytes.find("Li\xE8ge"), std::string::npos);
  }
  LoadReport report;
  const auto layer = load(definition(file, "towns", Role::municipalities), epsg_wkt(3035), report);
  ASSERT_EQ(layer.features.size(), 1u);
  EXPECT_EQ(std::get<std::string>(layer.features[0].values[*layer.field_index("name")]), "Li\xC3\xA8ge");
}

TEST(LayerReader, HandsTheLayerOverInBatches) {
  TempDir dir;
  const auto file = dir / "h.gpkg";
  std::vector<test::TestFeature> features;
  for (int i = 0; i < 7; ++i) features.push_back({i == 3 ? std::string() : rectangle(i, 0, i + 1, 1), {1LL * i}});
  write_layer(file, "h", 3035, {"class"}, features);
  NullProgress progress;
  LayerReader reader(definition(file, "h", Role::hazard), epsg_wkt(3035), progress);
  EXPECT_EQ(reader.schema().fields.size(), 1u);
  std::vector<std::size_t> sizes;
  std::vector<std::int64_t> classes;
  for (auto batch = reader.take_batch(2); !batch.empty(); batch = reader.take_batch(2)) {
    sizes.push_back(batch.size());
    for (const auto& f : batch) classes.push_back(std::get<std::int64_t>(f.values[0]));
  }
  // The feature of class 3 has no geometry: it is counted as empty and never handed over.
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 2, 2}));
  EXPECT_EQ(classes, (std::vector<std::int64_t>{0, 1, 2, 4, 5, 6}));
  EXPECT_EQ(reader.report().read, 7);
  EXPECT_EQ(reader.report().empty, 1);
  EXPECT_EQ(reader.report().loaded, 6);
  EXPECT_TRUE(reader.take_batch(2).empty());
  EXPECT_TRUE(reader.next_batch(2).empty());
}

// The next batch is read while this one is built: what the reading drops and what the building
// repairs are still noted in feature order, and counted once.
TEST(LayerReader, NotesStayInFeatureOrderWhileReadingAhead) {
  TempDir dir;
  const auto file = dir / "h.gpkg";
  auto bow_tie = [](int i) {
    const auto x0 = std::to_string(i), x1 = std::to_string(i + 1);
    return "POLYGON ((" + x0 + " 0, " + x1 + " 1, " + x1 + " 0, " + x0 + " 1, " + x0 + " 0))";
  };
  std::vector<test::TestFeature> features;
  for (int i = 0; i < 9; ++i) {
    const std::string geometry = i == 1 || i == 4 ? std::string() : i == 2 || i == 7 ? bow_tie(i) : rectangle(i, 0, i + 1, 1);
    features.push_back({geometry, {1LL * i}});
  }
  write_layer(file, "h", 3035, {"class"}, features);
  NullProgress progress;
  LayerReader reader(definition(file, "h", Role::hazard), epsg_wkt(3035), progress);
  std::size_t handed = 0;
  for (auto batch = reader.take_batch(2); !batch.empty(); batch = reader.take_batch(2)) handed += batch.size();
  const auto& report = reader.report();
  EXPECT_EQ(handed, 7u);
  EXPECT_EQ(report.read, 9);
  EXPECT_EQ(report.empty, 2);
  EXPECT_EQ(report.repaired, 2);
  EXPECT_EQ(report.loaded, 7);
  std::vector<std::int64_t> noted;
  std::string all;
  for (const auto& note : report.notes) {
    all += note + "\n";
    const auto at = note.find("feature ");
    ASSERT_NE(at, std::string::npos) << note;
    noted.push_back(std::stoll(note.substr(at + 8)));
  }
  EXPECT_EQ(noted, (std::vector<std::int64_t>{2, 3, 5, 8})) << all;
}

TEST(AnalysisCrs, AutoIsEqualAreaAndCentredOnTheData) {
  const auto wkt = resolve_analysis_crs("auto", {{5.0, 50.0, 6.0, 51.0}, {5.5, 50.5, 7.0, 52.0}});
  EXPECT_TRUE(is_equal_area(wkt));
  EXPECT_NE(wkt.find("Lambert Azimuthal Equal Area"), std::string::npos);
  // The centre is the middle of the union of the extents: (50 + 52) / 2 and (5 + 7) / 2.
  OGRSpatialReference crs;
  ASSERT_EQ(crs.importFromWkt(wkt.c_str()), OGRERR_NONE);
  EXPECT_DOUBLE_EQ(crs.GetProjParm(SRS_PP_LATITUDE_OF_CENTER), 51.0) << wkt;
  EXPECT_DOUBLE_EQ(crs.GetProjParm(SRS_PP_LONGITUDE_OF_CENTER), 6.0) << wkt;
  EXPECT_TRUE(is_equal_area(epsg_wkt(3035)));
  EXPECT_FALSE(is_equal_area(epsg_wkt(25832)));
  EXPECT_THROW(resolve_analysis_crs("EPSG:4326", {}), ConfigError);
  EXPECT_THROW(resolve_analysis_crs("EPSG:999999", {}), ConfigError);
}

// The projection method decides, in any WKT dialect and inside compound or bound CRSes.
TEST(AnalysisCrs, EqualAreaByProjectionMethod) {
  auto wkt_of = [](const char* definition, const char* const* options) {
    OGRSpatialReference crs;
    EXPECT_EQ(crs.SetFromUserInput(definition), OGRERR_NONE) << definition;
    char* text = nullptr;
    crs.exportToWkt(&text, options);
    std::string wkt = text ? text : "";
    CPLFree(text);
    return wkt;
  };
  const char* wkt1[] = {"FORMAT=WKT1_GDAL", nullptr};
  const char* wkt2[] = {"FORMAT=WKT2_2019", nullptr};
  for (const auto* const* format : {wkt1, wkt2}) {
    EXPECT_TRUE(is_equal_area(wkt_of("EPSG:5070", format)));   // Albers, CONUS
    EXPECT_TRUE(is_equal_area(wkt_of("ESRI:54009", format)));  // Mollweide
    EXPECT_FALSE(is_equal_area(wkt_of("EPSG:3857", format)));  // Web Mercator
    EXPECT_FALSE(is_equal_area(wkt_of("EPSG:4326", format)));  // not projected
  }
  EXPECT_TRUE(is_equal_area(wkt_of("EPSG:8857", wkt2)));  // Equal Earth, which WKT1 cannot express
  EXPECT_TRUE(is_equal_area(wkt_of("EPSG:3035+5773", wkt2)));  // LAEA Europe + EGM96 height
  EXPECT_FALSE(is_equal_area(wkt_of("EPSG:25832+5773", wkt2)));
  EXPECT_TRUE(is_equal_area(wkt_of("+proj=laea +lat_0=52 +lon_0=10 +towgs84=0,0,0 +type=crs", wkt2)));  // BOUNDCRS
  EXPECT_FALSE(is_equal_area("not a CRS"));
}

}  // namespace
}  // namespace twinrisk::io
