// Writers: RFC 4180 CSV, GeoPackage round trip through OGR, and outputs that are never half-written.

#include "twinrisk/io/writers.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "../test_support.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/io/gdal.hpp"
#include "twinrisk/io/loader.hpp"
#include "../../../src/io/gpkg_rows.hpp"
#include "../../../src/io/gpkg_rtree.hpp"

namespace twinrisk::io {
namespace {

using test::TempDir;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

TEST(Csv, QuotesOnlyWhatRfc4180RequiresAndKeepsUtf8) {
  TempDir dir;
  Table table{"t", {{"name", FieldType::string}, {"n", FieldType::integer}, {"x", FieldType::real}}, {}};
  table.rows.push_back({std::string("Liège, Wallonie"), std::int64_t{3}, 0.5});
  table.rows.push_back({std::string("say \"hi\""), Value(), 1e-3});
  table.rows.push_back({std::string("two\nlines"), std::int64_t{-1}, 1234567.25});
  table.rows.push_back({std::string(), Value(), Value()});
  write_csv(dir / "t.csv", table);
  EXPECT_EQ(read_file(dir / "t.csv"),
            "name,n,x\r\n"
            "\"Liège, Wallonie\",3,0.5\r\n"
            "\"say \"\"hi\"\"\",,0.001\r\n"
            "\"two\nlines\",-1,1234567.25\r\n"
            "\"\",,\r\n");
}

// More than the megabyte write_csv formats before it writes: every row arrives once, in order.
TEST(Csv, ATableOfSeveralMegabytesComesOutWhole) {
  TempDir dir;
  Table table{"t", {{"id", FieldType::integer}, {"name", FieldType::string}}, {}};
  std::string expected = "id,name\r\n";
  for (std::int64_t i = 0; i < 100000; ++i) {
    const std::string name = "municipality " + std::to_string(i) + (i % 7 == 0 ? ", with a comma" : "");
    table.rows.push_back({i, name});
    expected += std::to_string(i) + "," + (i % 7 == 0 ? "\"" + name + "\"" : name) + "\r\n";
  }
  ASSERT_GT(expected.size(), 2u << 20);
  write_csv(dir / "t.csv", table);
  const auto written = read_file(dir / "t.csv");
  EXPECT_EQ(written.size(), expected.size());
  EXPECT_TRUE(written == expected) << "first difference at byte "
                                   << std::mismatch(written.begin(), written.end(), expected.begin(), expected.end()).first - written.begin();
}

TEST(OutputFolder, RefusesToOverwriteAndLeavesTheFileUntouched) {
  TempDir dir;
  { std::ofstream(dir / "manifest.json") << "old"; }
  EXPECT_THROW(OutputFolder(dir.path(), {"manifest.json"}, false), OutputError);
  EXPECT_EQ(read_file(dir / "manifest.json"), "old");
  EXPECT_NO_THROW(OutputFolder(dir.path(), {"other.json"}, false));
}

TEST(OutputFolder, RefusesAGeoPackageOpenElsewhereOrATargetThatIsAFolder) {
  TempDir dir;
  { std::ofstream(dir / "twinrisk.gpkg") << "old"; }
  { std::ofstream(dir / "twinrisk.gpkg-wal") << "journal of a reader"; }
  EXPECT_THROW(OutputFolder(dir.path(), {"twinrisk.gpkg"}, true), OutputError);
  EXPECT_EQ(read_file(dir / "twinrisk.gpkg"), "old");
  std::filesystem::create_directories(dir / "tables" / "t.csv");
  EXPECT_THROW(OutputFolder(dir.path(), {"tables/t.csv"}, true), OutputError);
}

TEST(OutputFolder, RemovesWhatOlderVersionsLeftStagedWithTheirJournals) {
  TempDir dir;
  // PIDs above the kernel's limit (4,194,304) cannot belong to a live process.
  { std::ofstream(dir / ".manifest.json.tmp-99999999") << "left by a killed run"; }
  { std::ofstream(dir / ".twinrisk.gpkg.tmp-99999999-journal") << "its SQLite journal"; }
  { std::ofstream(dir / ".manifest.json.tmp-1") << "pid 1 is alive: another run's file"; }
  // The version before the swap kept the extension last.
  std::filesystem::create_directories(dir / "maps");
  { std::ofstream(dir / "maps" / ".overview.png.tmp-99999999.png") << "a half-drawn map"; }
  { std::ofstream(dir / ".twinrisk.gpkg.tmp-99999999.gpkg-journal") << "its SQLite journal"; }
  OutputFolder folder(dir.path(), {"manifest.json"}, false);
  EXPECT_FALSE(std::filesystem::exists(dir / ".manifest.json.tmp-99999999"));
  EXPECT_FALSE(std::filesystem::exists(dir / ".twinrisk.gpkg.tmp-99999999-journal"));
  EXPECT_FALSE(std::filesystem::exists(dir / "maps" / ".overview.png.tmp-99999999.png"));
  EXPECT_FALSE(std::filesystem::exists(dir / ".twinrisk.gpkg.tmp-99999999.gpkg-journal"));
  EXPECT_TRUE(std::filesystem::exists(dir / ".manifest.json.tmp-1"));
}

TEST(OutputFolder, StagedFilesAppearOnlyOnCommit) {
  TempDir dir;
  {
    OutputFolder folder(dir / "out", {"a.json"}, false);
    write_json(folder.stage("a.json"), {{"k", 1}});
    EXPECT_FALSE(std::filesystem::exists(dir / "out"));
    // Leaving without commit (as when a later step throws) removes the staged result, and any
    // folder the run made for it.
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  {
    OutputFolder folder(dir / "new" / "deeper" / "out", {"a.json"}, false);
    write_json(folder.stage("a.json"), {{"k", 1}});
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  {
    OutputFolder folder(dir / "out", {"a.json"}, false);
    write_json(folder.stage("a.json"), {{"k", 2}});
    folder.commit();
  }
  EXPECT_NE(read_file(dir / "out" / "a.json").find("\"k\": 2"), std::string::npos);
  {
    OutputFolder folder(dir / "out", {"a.json"}, true);
    write_json(folder.stage("a.json"), {{"k", 3}});
    folder.commit();
  }
  EXPECT_NE(read_file(dir / "out" / "a.json").find("\"k\": 3"), std::string::npos);
  // Nothing is left beside the folder: no staging folder, no lock file.
  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) left.push_back(entry.path().filename());
  EXPECT_EQ(left, std::vector<std::string>{"out"});
}

// An empty result layer in the analysis CRS the writers are tested with.
Layer empty_layer(std::string name, GeometryFamily geometry, std::vector<FieldDef> fields = {}) {
  Layer layer;
  layer.name = std::move(name);
  layer.geometry = geometry;
  layer.crs_wkt = resolve_analysis_crs("EPSG:3035", {});
  layer.fields = std::move(fields);
  return layer;
}

TEST(GeoPackage, RoundTripThroughOgr) {
  TempDir dir;
  Layer layer = empty_layer("zones", GeometryFamily::polygon,
                            {{"zone_id", FieldType::integer}, {"name", FieldType::string}, {"area_m2", FieldType::real}});
  layer.features.push_back({1, geos::from_wkt("POLYGON((0 0,3 0,3 2,0 2,0 0))"), {std::int64_t{1}, std::string("Maas–Meuse"), 6.0}});
  layer.features.push_back({2, geos::from_wkt("MULTIPOLYGON(((10 10,11 10,11 11,10 10)))"), {std::int64_t{2}, Value(), 0.5}});
  write_geopackage(dir / "out.gpkg", {&layer});

  GDALDatasetUniquePtr ds(GDALDataset::Open((dir / "out.gpkg").c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(ds);
  OGRLayer* out = ds->GetLayerByName("zones");
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->GetGeomType(), wkbMultiPolygon);
  EXPECT_EQ(out->GetFeatureCount(), 2);
  EXPECT_STREQ(out->GetSpatialRef()->GetAuthorityCode(nullptr), "3035");
  auto first = std::unique_ptr<OGRFeature>(out->GetNextFeature());
  EXPECT_STREQ(first->GetFieldAsString("name"), "Maas–Meuse");
  EXPECT_DOUBLE_EQ(first->GetGeometryRef()->toMultiPolygon()->get_Area(), 6.0);
  auto second = std::unique_ptr<OGRFeature>(out->GetNextFeature());
  EXPECT_TRUE(second->IsFieldNull(second->GetFieldIndex("name")));
}

// Geometries go in as WKB written from GEOS's coordinates (by GEOS's own writer where a point is
// empty, inside a collection too): each comes back from the GeoPackage as OGR reads the same WKT
// itself, holes, part order and the last digit included.
TEST(GeoPackage, EveryKindOfGeometryComesBackAsWritten) {
  TempDir dir;
  const std::vector<std::string> wkts = {
      "POINT (0.1 0.2)",
      "POINT EMPTY",
      "LINESTRING (0 0,1.000000000000001 1,2 0)",
      "POLYGON ((0 0,10 0,10 10,0 10,0 0),(2 2,2 4,4 4,4 2,2 2),(6 6,6 8,8 8,6 6))",
      "MULTIPOLYGON (((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5),(5.2 5.1,5.8 5.1,5.8 5.7,5.2 5.1)))",
      "MULTILINESTRING ((0 0,1 1),(2 2,3 3,4 2))",
      "MULTIPOINT ((1 1),(2 2))",
      "GEOMETRYCOLLECTION (POINT (1 1),LINESTRING (0 0,1 1))",
      "POLYGON EMPTY",
      "LINESTRING EMPTY",
      "GEOMETRYCOLLECTION (POINT EMPTY,POLYGON ((0 0,1 0,1 1,0 0)))",
  };
  Layer layer = empty_layer("mixed", GeometryFamily::any);
  std::int64_t fid = 0;
  for (const auto& wkt : wkts) layer.features.push_back({++fid, geos::from_wkt(wkt), {}});
  write_geopackage(dir / "out.gpkg", {&layer});

  GDALDatasetUniquePtr ds(GDALDataset::Open((dir / "out.gpkg").c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(ds);
  OGRLayer* out = ds->GetLayerByName("mixed");
  ASSERT_NE(out, nullptr);
  ASSERT_EQ(out->GetFeatureCount(), static_cast<GIntBig>(wkts.size()));
  for (const auto& wkt : wkts) {
    std::unique_ptr<OGRFeature> feature(out->GetNextFeature());
    ASSERT_TRUE(feature) << wkt;
    OGRGeometry* expected = nullptr;
    ASSERT_EQ(OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &expected), OGRERR_NONE) << wkt;
    std::unique_ptr<OGRGeometry> owned(expected);
    const OGRGeometry* got = feature->GetGeometryRef();
    ASSERT_NE(got, nullptr) << wkt;
    char* got_wkt = nullptr;
    got->exportToWkt(&got_wkt, wkbVariantIso);
    char* expected_wkt = nullptr;
    expected->exportToWkt(&expected_wkt, wkbVariantIso);
    EXPECT_STREQ(got_wkt, expected_wkt) << wkt;
    CPLFree(got_wkt);
    CPLFree(expected_wkt);
    EXPECT_TRUE(got->Equals(expected)) << wkt;
  }
}

std::string sql_text(GDALDataset& ds, const std::string& sql) {
  OGRLayer* result = ds.ExecuteSQL(sql.c_str(), nullptr, nullptr);
  if (!result) return "(no result)";
  std::unique_ptr<OGRFeature> row(result->GetNextFeature());
  std::string text = row ? row->GetFieldAsString(0) : "(no row)";
  ds.ReleaseResultSet(result);
  return text;
}

TEST(GeoPackage, BulkLoadedSpatialIndexIsValidAnswersQueriesAndKeepsItsTrigger) {
  TempDir dir;
  // 4,900 small squares on a 70 x 70 grid (several R-tree levels), one feature without geometry.
  Layer layer = empty_layer("cells", GeometryFamily::polygon, {{"n", FieldType::integer}});
  for (int i = 0; i < 4900; ++i) {
    const double x = (i % 70) * 10.0 + 0.123456789, y = (i / 70) * 10.0;
    layer.features.push_back({i + 1, geos::from_wkt(test::rectangle(x, y, x + 7, y + 3)), {std::int64_t{i}}});
  }
  layer.features.push_back({4901, nullptr, {std::int64_t{4900}}});
  write_geopackage(dir / "cells.gpkg", {&layer});

  GDALDatasetUniquePtr ds(GDALDataset::Open((dir / "cells.gpkg").c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE));
  ASSERT_TRUE(ds);
  EXPECT_EQ(sql_text(*ds, "SELECT rtreecheck('rtree_cells_geom')"), "ok");
  EXPECT_EQ(sql_text(*ds, "SELECT count(*) FROM rtree_cells_geom"), "4900");
  EXPECT_EQ(sql_text(*ds, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rtree_cells_geom_%'"), "6");
  // OGR's spatial filter goes through the R-tree; the expected set is worked out from the grid.
  OGRLayer* cells = ds->GetLayerByName("cells");
  cells->SetSpatialFilterRect(95, 95, 205, 125);
  std::set<std::int64_t> got;
  for (auto& feature : *cells) got.insert(feature->GetFieldAsInteger64("n"));
  std::set<std::int64_t> want;
  for (int i = 0; i < 4900; ++i) {
    const double x = (i % 70) * 10.0 + 0.123456789, y = (i / 70) * 10.0;
    if (x + 7 >= 95 && x <= 205 && y + 3 >= 95 && y <= 125) want.insert(i);
  }
  EXPECT_EQ(got, want);
  // A feature added later (as QGIS would) still reaches the index.
  cells->SetSpatialFilter(nullptr);
  OGRFeature added(cells->GetLayerDefn());
  OGRGeometry* square = nullptr;
  OGRGeometryFactory::createFromWkt("MULTIPOLYGON(((5000 5000,5001 5000,5001 5001,5000 5000)))", nullptr, &square);
  added.SetGeometryDirectly(square);
  ASSERT_EQ(cells->CreateFeature(&added), OGRERR_NONE);
  EXPECT_EQ(sql_text(*ds, "SELECT count(*) FROM rtree_cells_geom"), "4901");
  EXPECT_EQ(sql_text(*ds, "SELECT rtreecheck('rtree_cells_geom')"), "ok");
}

// Rows go in behind GDAL's back (gpkg_rows.hpp): the count and extent GDAL keeps for a layer are
// still right once the file is closed, values take their column's type as OGR would give it,
// and GDAL's row count trigger is back for later edits.
TEST(GeoPackage, RowsKeepTheLayersCountExtentAndColumnTypes) {
  TempDir dir;
  Layer layer = empty_layer("parts", GeometryFamily::polygon,
                            {{"n", FieldType::integer}, {"label", FieldType::string}, {"share", FieldType::real},
                             {"code", FieldType::string}, {"rank", FieldType::string}});
  layer.features.push_back({1, geos::from_wkt(test::rectangle(0.1, -2.5, 3, 1)),
                            {2.9, std::int64_t{7}, std::int64_t{3}, std::int64_t{41}, 0.5}});
  layer.features.push_back({2, geos::from_wkt(test::rectangle(10, 20, 11.75, 21)),
                            {Value(), std::string("Liège"), 0.25, Value(), Value()}});
  layer.features.push_back({3, nullptr, {std::int64_t{-4}, Value(), Value(), Value(), Value()}});
  write_geopackage(dir / "parts.gpkg", {&layer});

  GDALDatasetUniquePtr ds(GDALDataset::Open((dir / "parts.gpkg").c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE));
  ASSERT_TRUE(ds);
  EXPECT_EQ(sql_text(*ds, "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'parts'"), "3");
  OGRLayer* parts = ds->GetLayerByName("parts");
  ASSERT_NE(parts, nullptr);
  OGREnvelope extent;
  ASSERT_EQ(parts->GetExtent(&extent, FALSE), OGRERR_NONE);  // gpkg_contents', not computed
  EXPECT_EQ(extent.MinX, 0.1);
  EXPECT_EQ(extent.MinY, -2.5);
  EXPECT_EQ(extent.MaxX, 11.75);
  EXPECT_EQ(extent.MaxY, 21.0);
  EXPECT_EQ(sql_text(*ds, "SELECT typeof(n) || ' ' || n || ' ' || typeof(label) || ' ' || label || ' ' || "
                          "typeof(share) || ' ' || share FROM parts WHERE fid = 1"),
            "integer 2 text 7 real 3.0");
  // Three numbers converted to text in one row: each keeps its own text.
  EXPECT_EQ(sql_text(*ds, "SELECT label || ' ' || code || ' ' || rank FROM parts WHERE fid = 1"), "7 41 0.5");
  EXPECT_EQ(sql_text(*ds, "SELECT quote(n) || ' ' || label || ' ' || share FROM parts WHERE fid = 2"), "NULL Liège 0.25");
  EXPECT_EQ(sql_text(*ds, "SELECT quote(geom) || ' ' || n FROM parts WHERE fid = 3"), "NULL -4");
  std::unique_ptr<OGRFeature> first(parts->GetFeature(1));
  ASSERT_TRUE(first);
  EXPECT_EQ(wkbFlatten(first->GetGeometryRef()->getGeometryType()), wkbMultiPolygon);
  EXPECT_DOUBLE_EQ(first->GetGeometryRef()->toMultiPolygon()->get_Area(), 2.9 * 3.5);
  // A row added later by plain SQL is counted by GDAL's trigger.
  ds->ExecuteSQL("INSERT INTO parts (n) VALUES (9)", nullptr, nullptr);
  EXPECT_EQ(sql_text(*ds, "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'parts'"), "4");
}

// A style's automatic classes get the values the layer was given, in the maps' order, in place of
// QGIS's ranking of the values of the (sub)layer it has open: text quoted as QGIS quotes it, then
// escaped for the XML; numbers of a numeric field as numbers, 7 before 12.
TEST(GeoPackage, AStylesAutomaticClassesListTheValuesWritten) {
  TempDir dir;
  Layer pieces = empty_layer("exposed_assets", GeometryFamily::any, {{"category", FieldType::string}});
  for (const char* category : {"road", "O'Neil & Sons", "", "road", "10", "9"}) {
    pieces.features.push_back({static_cast<std::int64_t>(pieces.features.size() + 1), geos::from_wkt("POINT(1 2)"),
                               {std::string(category)}});
  }
  pieces.features.push_back({7, geos::from_wkt("POINT(1 2)"), {Value()}});
  Layer coded = empty_layer("coded_parts", GeometryFamily::polygon, {{"country", FieldType::integer}});
  coded.style = "zone_parts";  // its colours are automatic, by country
  for (std::int64_t code : {12, 7, 12}) coded.features.push_back({code, geos::from_wkt(test::rectangle(0, 0, 1, 1)), {code}});
  write_geopackage(dir / "styled.gpkg", {&pieces, &coded});

  GDALDatasetUniquePtr ds(GDALDataset::Open((dir / "styled.gpkg").c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(ds);
  const auto qml = [&](const std::string& table) {
    return sql_text(*ds, "SELECT styleQML FROM layer_styles WHERE f_table_name = '" + table + "'");
  };
  const auto assets = qml("exposed_assets");
  EXPECT_NE(assets.find("with_variable(&apos;twinrisk_values&apos;, array(&apos;9&apos;,&apos;10&apos;,"
                        "&apos;O&apos;&apos;Neil &amp; Sons&apos;,&apos;road&apos;), "),
            std::string::npos) << assets;
  EXPECT_EQ(assets.find("aggregate("), std::string::npos);
  const auto parts = qml("coded_parts");
  EXPECT_NE(parts.find("with_variable(&apos;twinrisk_values&apos;, array(7,12), "), std::string::npos) << parts;
}

// A geometry not of its layer's type is stored as GDAL would make it one, numbers given as text
// or as out-of-range doubles take their column's type as OGR sets them, and the layer's extent
// and R-tree hold what the rows hold, after parts under kMinPartArea are removed.
TEST(GeoPackage, RowsHoldTheirLayersTypesAndTheExtentWhatTheyHold) {
  TempDir dir;
  Layer areas = empty_layer("areas", GeometryFamily::polygon, {{"n", FieldType::integer}, {"x", FieldType::real}});
  // A far part of 0.00125 m² is dropped: the extent ends at the square's corner, not at 100.05.
  areas.features.push_back({1, geos::from_wkt("MULTIPOLYGON(((0 0,10 0,10 10,0 10,0 0)),"
                                              "((100 100,100.05 100,100.05 100.05,100 100)))"),
                            {std::string("12abc"), std::string("2.5 m")}});
  // What an overlay leaves where two areas touch: the polygon is kept, the line is not an area.
  areas.features.push_back({2, geos::from_wkt("GEOMETRYCOLLECTION(POLYGON((20 0,21 0,21 1,20 0)),"
                                              "LINESTRING(21 0,30 0))"),
                            {9.21e18, std::string()}});
  areas.features.push_back({3, geos::from_wkt("POLYGON((50 50,50.05 50,50.05 50.05,50 50))"), {-0x1p63, Value()}});
  Layer lines = empty_layer("lines", GeometryFamily::line);
  lines.features.push_back({1, geos::from_wkt("LINEARRING(0 0,1 0,1 1,0 0)"), {}});
  write_geopackage(dir / "t.gpkg", {&areas, &lines});

  GDALDatasetUniquePtr ds(GDALDataset::Open((dir / "t.gpkg").c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(ds);
  EXPECT_EQ(sql_text(*ds, "SELECT typeof(n) || ' ' || n || ' ' || typeof(x) || ' ' || x FROM areas WHERE fid = 1"),
            "integer 12 real 2.5");
  EXPECT_EQ(sql_text(*ds, "SELECT n || ' ' || x FROM areas WHERE fid = 2"), "9210000000000000000 0.0");
  EXPECT_EQ(sql_text(*ds, "SELECT n FROM areas WHERE fid = 3"), "-9223372036854775808");
  OGRLayer* layer = ds->GetLayerByName("areas");
  ASSERT_NE(layer, nullptr);
  OGREnvelope extent;
  ASSERT_EQ(layer->GetExtent(&extent, FALSE), OGRERR_NONE);
  EXPECT_EQ(extent.MinX, 0);
  EXPECT_EQ(extent.MinY, 0);
  EXPECT_EQ(extent.MaxX, 21);
  EXPECT_EQ(extent.MaxY, 10);
  std::unique_ptr<OGRFeature> square(layer->GetFeature(1));
  ASSERT_TRUE(square);
  EXPECT_EQ(square->GetGeometryRef()->toMultiPolygon()->getNumGeometries(), 1);
  std::unique_ptr<OGRFeature> touching(layer->GetFeature(2));
  ASSERT_TRUE(touching);
  EXPECT_EQ(wkbFlatten(touching->GetGeometryRef()->getGeometryType()), wkbMultiPolygon);
  EXPECT_DOUBLE_EQ(touching->GetGeometryRef()->toMultiPolygon()->get_Area(), 0.5);
  std::unique_ptr<OGRFeature> collapsed(layer->GetFeature(3));
  ASSERT_TRUE(collapsed);
  EXPECT_TRUE(collapsed->GetGeometryRef()->IsEmpty());
  // The R-tree indexes the two rows with an area, as GDAL's own triggers skip an empty geometry.
  EXPECT_EQ(sql_text(*ds, "SELECT group_concat(id || ':' || maxx, ' ') FROM (SELECT * FROM rtree_areas_geom ORDER BY id)"),
            "1:10.0 2:21.0");
  std::unique_ptr<OGRFeature> ring(ds->GetLayerByName("lines")->GetFeature(1));
  ASSERT_TRUE(ring);
  EXPECT_EQ(wkbFlatten(ring->GetGeometryRef()->getGeometryType()), wkbMultiLineString);
  EXPECT_DOUBLE_EQ(ring->GetGeometryRef()->toMultiLineString()->get_Length(), 2 + std::sqrt(2.0));
}

// Rows go in several to an INSERT (gpkg_rows.hpp): every row keeps its own values, numbers turned
// into text included, and its geometry's fid in the R-tree, also in the rows left after the last
// full statement and in a layer of 1,200 columns.
TEST(GeoPackage, RowsGoInManyToAStatementEachWithItsOwnValues) {
  TempDir dir;
  Layer narrow = empty_layer("narrow", GeometryFamily::polygon, {{"n", FieldType::integer}, {"text", FieldType::string}});
  for (int i = 0; i < 101; ++i) {
    narrow.features.push_back({i + 1, geos::from_wkt(test::rectangle(i * 10.0, 0, i * 10.0 + 5, i + 1.0)),
                               {std::int64_t{i}, std::int64_t{1000 + i}}});
  }
  // 32 rows of 1,201 parameters: more than SQLite's default limit of 32,766 (fewer rows go to a
  // statement there), within Debian's 250,000.
  std::vector<FieldDef> many;
  for (int f = 0; f < 1200; ++f) many.push_back({fmt::format("f{}", f), FieldType::integer});
  Layer wide = empty_layer("wide", GeometryFamily::point, many);
  for (int i = 0; i < 60; ++i) {
    std::vector<Value> values;
    for (int f = 0; f < 1200; ++f) values.emplace_back(std::int64_t{i * 10000 + f});
    wide.features.push_back({i + 1, geos::from_wkt(fmt::format("POINT({} 0)", i)), std::move(values)});
  }
  write_geopackage(dir / "rows.gpkg", {&narrow, &wide});

  GDALDatasetUniquePtr ds(GDALDataset::Open((dir / "rows.gpkg").c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(ds);
  EXPECT_EQ(sql_text(*ds, "SELECT count(*) || ' ' || min(fid) || ' ' || max(fid) FROM narrow"), "101 1 101");
  EXPECT_EQ(sql_text(*ds, "SELECT count(*) FROM narrow WHERE n = fid - 1 AND typeof(text) = 'text' AND "
                          "text = CAST(1000 + n AS TEXT)"),
            "101");
  // Each box, from the row's own rectangle: x from 10 n to 10 n + 5, y from 0 to n + 1.
  EXPECT_EQ(sql_text(*ds, "SELECT count(*) FROM narrow JOIN rtree_narrow_geom r ON r.id = narrow.fid "
                          "WHERE r.minx = 10 * n AND r.maxx = 10 * n + 5 AND r.miny = 0 AND r.maxy = n + 1"),
            "101");
  EXPECT_EQ(sql_text(*ds, "SELECT count(*) FROM wide WHERE f0 = (fid - 1) * 10000 AND f1199 = (fid - 1) * 10000 + 1199 "
                          "AND f600 = (fid - 1) * 10000 + 600"),
            "60");
  EXPECT_EQ(sql_text(*ds, "SELECT count(*) FROM wide JOIN rtree_wide_geom r ON r.id = wide.fid WHERE r.minx = fid - 1"),
            "60");
}

// A layer whose field GDAL maps onto the fid column sets its rows' fids (here in reverse within
// each 32): the R-tree takes each row's own fid.
TEST(GeoPackage, RowsThatSetTheirOwnFidsKeepThemInTheRTree) {
  TempDir dir;
  Layer layer = empty_layer("own", GeometryFamily::polygon, {{"fid", FieldType::integer}, {"n", FieldType::integer}});
  for (int i = 0; i < 64; ++i) {
    const std::int64_t fid = 100 + (i / 32) * 32 + (31 - i % 32);
    layer.features.push_back({i + 1, geos::from_wkt(test::rectangle(i * 10.0, 0, i * 10.0 + 5, 1)), {fid, std::int64_t{i}}});
  }
  write_geopackage(dir / "own.gpkg", {&layer});
  GDALDatasetUniquePtr ds(GDALDataset::Open((dir / "own.gpkg").c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(ds);
  EXPECT_EQ(sql_text(*ds, "SELECT count(*) FROM own WHERE fid = 100 + (n / 32) * 32 + (31 - n % 32)"), "64");
  EXPECT_EQ(sql_text(*ds, "SELECT count(*) FROM own JOIN rtree_own_geom r ON r.id = own.fid WHERE r.minx = 10 * n"), "64");
  EXPECT_EQ(sql_text(*ds, "SELECT rtreecheck('rtree_own_geom')"), "ok");

  // Fids with gaps, in no order: the index links are sorted, not placed.
  Layer gaps = empty_layer("gaps", GeometryFamily::polygon, {{"fid", FieldType::integer}, {"n", FieldType::integer}});
  for (int i = 0; i < 300; ++i) {
    const std::int64_t fid = 7 * ((i * 113) % 300) + 3;
    gaps.features.push_back({i + 1, geos::from_wkt(test::rectangle(i * 10.0, 0, i * 10.0 + 5, 1)), {fid, std::int64_t{i}}});
  }
  write_geopackage(dir / "gaps.gpkg", {&gaps});
  GDALDatasetUniquePtr gapped(GDALDataset::Open((dir / "gaps.gpkg").c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(gapped);
  EXPECT_EQ(sql_text(*gapped, "SELECT rtreecheck('rtree_gaps_geom')"), "ok");
  EXPECT_EQ(sql_text(*gapped, "SELECT count(*) FROM gaps JOIN rtree_gaps_geom r ON r.id = gaps.fid WHERE r.minx = 10 * n"),
            "300");
}

// A row SQLite refuses: where it undoes the statement, the rows go in one at a time and the error
// names the feature; where it undoes the whole transaction, the error is SQLite's own, at once.
TEST(GeoPackage, ARefusedRowIsNamedAndAnUndoneTransactionStopsTheLayer) {
  for (const std::string undo : {"ABORT", "ROLLBACK"}) {
    SCOPED_TRACE(undo);
    TempDir dir;
    const auto path = dir / "rows.gpkg";
    ensure_gdal_registered();
    GDALDatasetUniquePtr ds(GetGDALDriverManager()->GetDriverByName("GPKG")->Create(path.c_str(), 0, 0, 0, GDT_Unknown,
                                                                                      nullptr));
    ASSERT_TRUE(ds);
    const char* options[] = {"GEOMETRY_NAME=geom", "FID=fid", "SPATIAL_INDEX=NO", nullptr};
    OGRLayer* table = ds->CreateLayer("t", nullptr, wkbPoint, const_cast<char**>(options));
    ASSERT_NE(table, nullptr);
    OGRFieldDefn n("n", OFTInteger64);
    ASSERT_EQ(table->CreateField(&n), OGRERR_NONE);
    GpkgSpatialIndex index(*ds, path, "t", "geom");  // makes GDAL create the table
    LayerSchema schema;
    schema.name = "t";
    schema.geometry = GeometryFamily::point;
    schema.fields = {{"n", FieldType::integer}};
    GpkgRows rows(*ds, path, schema);
    ASSERT_EQ(ds->StartTransaction(), OGRERR_NONE);
    ds->ExecuteSQL(("CREATE TRIGGER refuse BEFORE INSERT ON t WHEN NEW.n = 45 BEGIN SELECT RAISE(" + undo +
                    ", 'n is 45'); END")
                       .c_str(),
                   nullptr, nullptr);
    std::vector<Feature> features;
    std::vector<GpkgRows::Encoded> blobs;
    for (int i = 0; i < 64; ++i) {
      features.push_back({1000 + i, geos::from_wkt(fmt::format("POINT({} 0)", i)), {std::int64_t{i}}});
      blobs.push_back(rows.encode(features.back()));
    }
    try {
      rows.insert(features, blobs);
      ADD_FAILURE() << "no error";
    } catch (const OutputError& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("n is 45"), std::string::npos) << message;
      const std::string where = undo == "ABORT" ? "feature 1045:" : "features 1032 to 1063:";
      EXPECT_NE(message.find(where), std::string::npos) << message;
    }
    if (undo == "ABORT") {  // the rows before it went in, each once
      EXPECT_EQ(rows.totals().rows, 45);
      EXPECT_EQ(sql_text(*ds, "SELECT count(*) || ' ' || count(DISTINCT fid) || ' ' || max(n) FROM t"), "45 45 44");
    }
  }
}

TEST(Sha256, MatchesKnownDigest) {
  TempDir dir;
  { std::ofstream(dir / "abc.txt", std::ios::binary) << "abc"; }
  // FIPS 180-2, appendix B.1.
  EXPECT_EQ(sha256_file(dir / "abc.txt"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, StopsWhenAsked) {
  TempDir dir;
  { std::ofstream(dir / "abc.txt", std::ios::binary) << "abc"; }
  const std::atomic<bool> stop{true};
  EXPECT_EQ(sha256_file(dir / "abc.txt", &stop), "");
  const std::atomic<bool> go_on{false};
  EXPECT_EQ(sha256_file(dir / "abc.txt", &go_on), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace twinrisk::io
