// Maps checked against independent expectations: pixels of the written PNG, text of the written
// PDF (pdftotext), page counts (pdfinfo), and scale factors from PROJ's own proj_factors() — a
// different method from the renderer's geodesic measurement.
#include <cairo.h>
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <proj.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <regex>
#include <string>

#include "../test_support.hpp"
#include "twinrisk/core/error.hpp"
#include "twinrisk/render/map.hpp"

namespace twinrisk::render {
namespace {

using test::TempDir;

// ---------------------------------------------------------------- helpers

struct Proj {
  PJ_CONTEXT* ctx = proj_context_create();
  ~Proj() { proj_context_destroy(ctx); }
  std::string wkt(const char* crs) const {
    PJ* pj = proj_create(ctx, crs);
    std::string out = proj_as_wkt(ctx, pj, PJ_WKT2_2019, nullptr);
    proj_destroy(pj);
    return out;
  }
  // lon/lat (degrees) → x/y in `crs`.
  std::pair<double, double> project(const char* crs, double lon, double lat) const {
    PJ* t = proj_create_crs_to_crs(ctx, "EPSG:4326", crs, nullptr);
    PJ* n = proj_normalize_for_visualization(ctx, t);
    const PJ_COORD c = proj_trans(n, PJ_FWD, proj_coord(lon, lat, 0, 0));
    proj_destroy(n);
    proj_destroy(t);
    return {c.xy.x, c.xy.y};
  }
  PJ_FACTORS factors(const char* crs, double lon, double lat) const {
    PJ* pj = proj_create(ctx, crs);
    const PJ_FACTORS f = proj_factors(pj, proj_coord(proj_torad(lon), proj_torad(lat), 0, 0));
    proj_destroy(pj);
    return f;
  }
};

std::string rectangle(double x0, double y0, double x1, double y1) {
  return fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", x0, y0, x1, y1);
}

Layer municipalities(const std::string& crs, const std::vector<std::pair<std::string, std::string>>& cells) {
  Layer layer;
  layer.name = "municipalities";
  layer.role = Role::municipalities;
  layer.crs_wkt = crs;
  layer.fields = {{"id", FieldType::string}, {"name", FieldType::string}, {"country", FieldType::string}};
  std::int64_t fid = 0;
  for (const auto& [wkt, country] : cells) {
    layer.features.push_back(Feature{++fid, geos::from_wkt(wkt), {Value("M" + std::to_string(fid)), Value("Town " + std::to_string(fid)), Value(country)}});
  }
  return layer;
}

struct ZoneRow {
  std::string wkt;
  std::string hazard_class;
  int cross_border = 0, cross_national = 0;
};
Layer zones(const std::string& crs, const std::vector<ZoneRow>& rows) {
  Layer layer;
  layer.name = "zones";
  layer.crs_wkt = crs;
  layer.fields = {{"zone_id", FieldType::integer}, {"class", FieldType::string},
                  {"cross_border", FieldType::integer}, {"cross_national", FieldType::integer}};
  std::int64_t id = 0;
  for (const auto& r : rows) {
    ++id;
    layer.features.push_back(Feature{id, geos::from_wkt(r.wkt),
                                     {Value(id), Value(r.hazard_class), Value(std::int64_t{r.cross_border}), Value(std::int64_t{r.cross_national})}});
  }
  return layer;
}

struct Image {
  cairo_surface_t* surface;
  explicit Image(const std::filesystem::path& png) : surface(cairo_image_surface_create_from_png(png.c_str())) {}
  ~Image() { cairo_surface_destroy(surface); }
  int width() const { return cairo_image_surface_get_width(surface); }
  int height() const { return cairo_image_surface_get_height(surface); }
  Colour at(int x, int y) const {
    const auto* row = cairo_image_surface_get_data(surface) + static_cast<std::ptrdiff_t>(y) * cairo_image_surface_get_stride(surface);
    const std::uint32_t p = reinterpret_cast<const std::uint32_t*>(row)[x];  // opaque page: no premultiplication to undo
    return Colour{static_cast<std::uint8_t>((p >> 16) & 0xff), static_cast<std::uint8_t>((p >> 8) & 0xff), static_cast<std::uint8_t>(p & 0xff)};
  }
  bool inked(int x, int y) const {  // anything visibly darker than paper
    const auto c = at(x, y);
    return std::min({c.r, c.g, c.b}) < 200;
  }
  bool dark(int x, int y) const {
    const auto c = at(x, y);
    return c.r + c.g + c.b < 3 * 110;
  }
};

std::string run(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::string out;
  char buffer[4096];
  while (pipe && fgets(buffer, sizeof buffer, pipe.get())) out += buffer;
  return out;
}

int pdf_pages(const std::filesystem::path& pdf) {
  std::smatch m;
  const auto info = run("pdfinfo '" + pdf.string() + "' 2>&1");
  const std::regex pages(R"(Pages:\s+(\d+))");
  if (!std::regex_search(info, m, pages)) return -1;
  return std::stoi(m[1]);
}

double parse_length_m(const std::string& label) {  // "2 km", "500 m", "2.5 km"
  std::smatch m;
  const std::regex re(R"(([0-9.,]+)\s*(km|m))");
  if (!std::regex_search(label, m, re)) return -1;
  std::string number = m[1];
  number.erase(std::remove(number.begin(), number.end(), ','), number.end());
  return std::stod(number) * (m[2] == "km" ? 1000.0 : 1.0);
}

// ---------------------------------------------------------------- scale and colour

// World Mercator (EPSG:3395) at 60° N: the ground is half the map distance (k = 1.995), so a
// scale bar that took map units for metres would be twice too long.
class MercatorAt60North : public ::testing::Test {
 protected:
  Proj proj;
  std::string crs = proj.wkt("EPSG:3395");
  std::pair<double, double> centre = proj.project("EPSG:3395", 10.0, 60.0);
  double width = 100000;  // map units across the frame
};

TEST_F(MercatorAt60North, ScaleBarLengthIsTrueAtTheMapCentre) {
  const auto [cx, cy] = centre;
  const Layer towns = municipalities(crs, {{rectangle(cx - 60000, cy - 40000, cx + 60000, cy + 40000), "NO"}});
  MapScene scene({{&towns, *builtin_style("municipalities")}});
  TempDir dir;
  OverviewOptions options;
  options.dpi = 150;
  // Much wider than the frame: the renderer keeps the width and adds height.
  options.extent = geos::Envelope{cx - width / 2, cy - width / 20, cx + width / 2, cy + width / 20};
  const auto info = render_overview(scene, options, dir / "map.png");
  const Image image(dir / "map.png");

  // The frame is where the page says: its dark edge is in the image at the reported columns.
  const int mid_y = static_cast<int>(info.frame_px.y + info.frame_px.height / 2);
  const int left = static_cast<int>(std::lround(info.frame_px.x)), right = static_cast<int>(std::lround(info.frame_px.x + info.frame_px.width));
  EXPECT_TRUE(image.inked(left, mid_y) || image.inked(left - 1, mid_y));
  EXPECT_TRUE(image.inked(right, mid_y) || image.inked(right - 1, mid_y));
  EXPECT_FALSE(image.inked(left - 4, mid_y));  // white margin outside

  // Expected: ground metres per pixel from the extent, the frame's pixel width and PROJ's point
  // scale factor k at the centre (conformal: the same in every direction).
  const double k = proj.factors("EPSG:3395", 10.0, 60.0).parallel_scale;
  ASSERT_NEAR(k, 1.995, 0.01);
  const double ground_m_per_px = width / info.frame_px.width / k;
  const double stated_m = parse_length_m(info.scale_bar_label);
  ASSERT_GT(stated_m, 0) << info.scale_bar_label;
  const double expected_px = stated_m / ground_m_per_px;

  // Measured: the bar's dark run on its middle row (outline included).
  const int bar_y = static_cast<int>(info.scale_bar_px_rect.y + info.scale_bar_px_rect.height / 2);
  int first = -1, last = -1;
  for (int x = static_cast<int>(info.scale_bar_px_rect.x) - 20; x < static_cast<int>(info.scale_bar_px_rect.x + info.scale_bar_px_rect.width) + 20; ++x) {
    if (image.dark(x, bar_y)) {
      if (first < 0) first = x;
      last = x;
    }
  }
  ASSERT_GE(first, 0);
  const double measured_px = last - first + 1;
  EXPECT_NEAR(measured_px, expected_px, 2.0) << info.scale_bar_label;  // ± the outline's width
  // And the printed ratio: 1 : ground mm per paper mm.
  const double paper_mm_per_px = 25.4 / options.dpi;
  EXPECT_NEAR(info.scale_denominator, ground_m_per_px * 1000 / paper_mm_per_px, info.scale_denominator * 1e-3);
}

TEST_F(MercatorAt60North, PolygonFillAppearsWhereItsInteriorProjects) {
  const double cx = centre.first, cy = centre.second;  // clang 14 cannot capture structured bindings
  const Layer towns = municipalities(crs, {{rectangle(cx - 60000, cy - 40000, cx + 60000, cy + 40000), "NO"}});
  // A class-1 zone east of the centre and a class-3 zone west of it.
  const Layer flood = zones(crs, {{rectangle(cx + 10000, cy - 3000, cx + 20000, cy + 3000), "1"},
                                  {rectangle(cx - 30000, cy - 3000, cx - 20000, cy + 3000), "3"}});
  const auto zone_style = *builtin_style("zones");
  MapScene scene({{&towns, *builtin_style("municipalities")}, {&flood, zone_style}});
  TempDir dir;
  OverviewOptions options;
  options.extent = geos::Envelope{cx - width / 2, cy - width / 20, cx + width / 2, cy + width / 20};
  const auto info = render_overview(scene, options, dir / "map.png");
  const Image image(dir / "map.png");
  const double px_per_unit = info.frame_px.width / width;
  auto pixel_of = [&](double x, double y) {
    return std::pair<int, int>{static_cast<int>(info.frame_px.x + (x - (cx - width / 2)) * px_per_unit),
                               static_cast<int>(info.frame_px.y + info.frame_px.height / 2 - (y - cy) * px_per_unit)};
  };
  // Expected: the class's fill at its opacity over the municipality's fill (both from the style files).
  auto over = [](const Colour& top, double alpha, const Colour& under) {
    auto mix = [&](int a, int b) { return static_cast<int>(std::lround(alpha * a + (1 - alpha) * b)); };
    return std::array<int, 3>{mix(top.r, under.r), mix(top.g, under.g), mix(top.b, under.b)};
  };
  const Colour ground = *builtin_style("municipalities")->classes.values[0].symbol.fill;
  for (const auto& [x, value] : {std::pair{cx + 15000, std::string("1")}, std::pair{cx - 25000, std::string("3")}}) {
    const auto rule = std::find_if(zone_style.classes.values.begin(), zone_style.classes.values.end(),
                                   [&wanted = value](const ClassRule& r) { return r.value == wanted; });
    const auto expected = over(*rule->symbol.fill, rule->symbol.fill_opacity, ground);
    const auto [px, py] = pixel_of(x, cy);
    const auto got = image.at(px, py);
    EXPECT_NEAR(got.r, expected[0], 3) << "class " << value;
    EXPECT_NEAR(got.g, expected[1], 3) << "class " << value;
    EXPECT_NEAR(got.b, expected[2], 3) << "class " << value;
  }
  // Between the zones: the municipality's own fill.
  const auto [gx, gy] = pixel_of(cx - 5000, cy + 10000);
  EXPECT_EQ(image.at(gx, gy).hex(), ground.hex());
}

TEST(Map, NorthArrowFollowsTheMeridianConvergence) {
  Proj proj;
  const auto crs = proj.wkt("EPSG:3035");  // LAEA Europe, centred on 10° E
  const auto [cx, cy] = proj.project("EPSG:3035", 25.0, 60.0);
  const Layer towns = municipalities(crs, {{rectangle(cx - 20000, cy - 20000, cx + 20000, cy + 20000), "FI"}});
  MapScene scene({{&towns, *builtin_style("municipalities")}});
  TempDir dir;
  OverviewOptions options;
  options.extent = geos::Envelope{cx - 20000, cy - 20000, cx + 20000, cy + 20000};
  const auto info = render_overview(scene, options, dir / "map.pdf");
  // PROJ 9.1's proj_factors() misreads EPSG:3035 (northing first) given as a CRS: ask the
  // projection itself.
  const double convergence_deg =
      proj.factors("+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80", 25.0, 60.0).meridian_convergence *
      180 / M_PI;
  EXPECT_GT(convergence_deg, 5.0);  // large enough to matter
  // East of the central meridian true north leans left of grid north: counter-clockwise, so the
  // arrow turns by minus the convergence.
  EXPECT_NEAR(info.north_deg, -convergence_deg, 0.05);
}

// ---------------------------------------------------------------- legend and atlas

class Region : public ::testing::Test {
 protected:
  Proj proj;
  std::string crs = proj.wkt("EPSG:3035");
  // Two countries side by side, two municipalities each.
  Layer towns = municipalities(crs, {{rectangle(4000000, 3000000, 4010000, 3010000), "BE"},
                                     {rectangle(4000000, 3010000, 4010000, 3020000), "BE"},
                                     {rectangle(4010000, 3000000, 4020000, 3010000), "NL"},
                                     {rectangle(4010000, 3010000, 4020000, 3020000), "NL"}});
  // Classes 1 and 3 only; one zone shared within a country, two across the border, one alone.
  Layer flood = zones(crs, {{rectangle(4002000, 3008000, 4004000, 3012000), "1", 1, 0},
                            {rectangle(4008000, 3002000, 4012000, 3004000), "3", 1, 1},
                            {rectangle(4008000, 3015000, 4012000, 3016000), "1", 1, 1},
                            {rectangle(4015000, 3015000, 4016000, 3016000), "3", 0, 0}});

  // A layer of (category, WKT) features.
  Layer by_category(const std::string& name, GeometryFamily family,
                    const std::vector<std::pair<std::string, std::string>>& items) const {
    Layer layer;
    layer.name = name;
    layer.crs_wkt = crs;
    layer.geometry = family;
    layer.fields = {{"category", FieldType::string}};
    std::int64_t fid = 0;
    for (const auto& [category, wkt] : items) layer.features.push_back(Feature{++fid, geos::from_wkt(wkt), {Value(category)}});
    return layer;
  }
};

// The colour of the PNG's pixel at map coordinates (x, y), `dx_px` pixels to the right.
std::string pixel_at(const Image& image, const PageInfo& info, double x, double y, double dx_px = 0) {
  const double px_per_unit = info.frame_px.width / (info.extent.max_x - info.extent.min_x);
  return image.at(static_cast<int>(std::floor(info.frame_px.x + (x - info.extent.min_x) * px_per_unit + dx_px)),
                  static_cast<int>(std::floor(info.frame_px.y + (info.extent.max_y - y) * px_per_unit)))
      .hex();
}

TEST_F(Region, LegendListsExactlyTheClassesPresent) {
  MapScene scene({{&towns, *builtin_style("municipalities")}, {&flood, *builtin_style("zones")}});
  TempDir dir;
  OverviewOptions options;
  options.texts.title = "Legend check";
  render_overview(scene, options, dir / "map.pdf");
  const auto text = run("pdftotext -layout '" + (dir / "map.pdf").string() + "' - 2>&1");
  for (const char* present : {"Class 1 (frequent)", "Class 3 (rare)", "Shared by municipalities of one country",
                              "Shared across a national border", "National border", "Municipalities"}) {
    EXPECT_NE(text.find(present), std::string::npos) << present << "\n" << text;
  }
  for (const char* absent : {"Class 2", "Other class", "No class", "Rivers"}) {
    EXPECT_EQ(text.find(absent), std::string::npos) << absent << "\n" << text;
  }
}

TEST_F(Region, AtlasHasOnePagePerSelectedFeatureAndItsLegendFollowsTheView) {
  MapScene scene({{&towns, *builtin_style("municipalities")}, {&flood, *builtin_style("zones")}});
  std::size_t cross_border = 0;
  for (const auto& f : flood.features) cross_border += std::get<std::int64_t>(f.values[2]) == 1;
  ASSERT_EQ(cross_border, 3u);
  Table parts;
  parts.name = "zone_parts";
  parts.columns = {{"zone_id", FieldType::integer}, {"municipality_name", FieldType::string}, {"area_m2", FieldType::real}};
  parts.rows = {{Value(std::int64_t{1}), Value("Town 1"), Value(4e6)}, {Value(std::int64_t{2}), Value("Town 1"), Value(4e6)},
                {Value(std::int64_t{2}), Value("Town 3"), Value(4e6)}};
  AtlasOptions options;
  options.index = &flood;
  options.where_field = "cross_border";
  options.title = "Zone {zone_id}, class {class}";
  options.index_key = "zone_id";
  options.rows = &parts;
  options.rows_key = "zone_id";
  options.columns = {{"municipality_name", "Municipality"}, {"area_m2", "Area (ha)", 1e-4, 1}};
  options.min_width_m = 3000;
  options.margin = 0.1;
  TempDir dir;
  const auto info = render_atlas(scene, options, dir / "atlas.pdf");
  EXPECT_EQ(info.pages, cross_border);
  EXPECT_EQ(pdf_pages(dir / "atlas.pdf"), static_cast<int>(cross_border));
  // Page 1 shows zone 1 (class 1) close up: zone 4 (class 3, alone, 10 km away) is out of view;
  // zone 2 (class 3) is 4 km away and out of view too.
  const auto page1 = run("pdftotext -f 1 -l 1 -layout '" + (dir / "atlas.pdf").string() + "' - 2>&1");
  EXPECT_NE(page1.find("Zone 1, class 1"), std::string::npos) << page1;
  EXPECT_NE(page1.find("Class 1 (frequent)"), std::string::npos) << page1;
  EXPECT_EQ(page1.find("Class 3 (rare)"), std::string::npos) << page1;
  EXPECT_NE(page1.find("400.0"), std::string::npos) << page1;  // 4e6 m² = 400 ha, one decimal
  const auto page2 = run("pdftotext -f 2 -l 2 -layout '" + (dir / "atlas.pdf").string() + "' - 2>&1");
  EXPECT_NE(page2.find("Town 3"), std::string::npos) << page2;
}

TEST_F(Region, PointsAndLinesDrawWithTheirLegend) {
  const Layer facilities = by_category("critical_facilities", GeometryFamily::point,
                                       {{"hospital", "POINT(4005000 3005000)"}, {"school", "POINT(4015000 3005000)"}});
  Layer rivers;
  rivers.name = "rivers";
  rivers.role = Role::rivers;
  rivers.crs_wkt = crs;
  rivers.geometry = GeometryFamily::line;
  rivers.fields = {{"name", FieldType::string}};
  rivers.features.push_back(Feature{1, geos::from_wkt("LINESTRING(4000000 3001000, 4020000 3019000)"), {Value("Maas")}});
  MapScene scene({{&towns, *builtin_style("municipalities")}, {&rivers, *builtin_style("rivers")},
                  {&facilities, *builtin_style("critical_facilities")}});
  TempDir dir;
  OverviewOptions options;
  options.extent = geos::Envelope{4000000, 3000000, 4020000, 3020000};
  const auto info = render_overview(scene, options, dir / "map.png");
  for (const char* entry : {"Critical facilities in hazard zones: hospital", "Critical facilities in hazard zones: school", "Rivers"}) {
    EXPECT_NE(std::find(info.legend.begin(), info.legend.end(), entry), info.legend.end()) << entry;
  }
  // The hospital's marker is the first Okabe-Ito colour (categories in sorted order), at its place.
  EXPECT_EQ(pixel_at(Image(dir / "map.png"), info, 4005000, 3005000), "#e69f00");
}

// Exposure's pieces mix points, lines and polygons in one layer under a mixed style: lines are
// drawn along their length and large polygons filled, in their category's colour; a polygon
// smaller on paper than the marker shows as the marker; a piece without geometry is not drawn.
// Categories sort farm, house, road, school: Okabe-Ito #e69f00, #56b4e9, #009e73, #f0e442.
TEST_F(Region, AMixedStyleDrawsLinesAsLinesAndAreasAsAreas) {
  Layer pieces = by_category("exposed_assets", GeometryFamily::any,
                                   {{"road", "LINESTRING(4001000 3002000, 4019000 3002000)"},
                                    {"farm", rectangle(4012000, 3012000, 4018000, 3018000)},
                                    {"house", rectangle(4005000, 3015000, 4005010, 3015010)},
                                    {"school", "POINT(4005000 3008000)"},
                                    {"school", "LINESTRING(4001000 3005000, 4003000 3005000)"}});
  pieces.features.push_back(Feature{99, geos::GeomPtr{}, {Value("road")}});
  MapScene scene({{&towns, *builtin_style("municipalities")}, {&pieces, *builtin_style("exposed_assets")}});
  TempDir dir;
  OverviewOptions options;
  options.extent = geos::Envelope{4000000, 3000000, 4020000, 3020000};
  const auto info = render_overview(scene, options, dir / "map.png");
  const Image image(dir / "map.png");
  const auto pixel = [&](double x, double y, double dx_px = 0) { return pixel_at(image, info, x, y, dx_px); };
  EXPECT_EQ(pixel(4003000, 3002000), "#009e73");  // the road, 7 km from its middle
  EXPECT_EQ(pixel(4017000, 3013000), "#e69f00");  // the farm, 2.8 km from its centre
  ASSERT_LT(10 * info.frame_px.width / (info.extent.max_x - info.extent.min_x), 1.0);  // the house: under a pixel
  EXPECT_EQ(pixel(4005005, 3015005, 2), "#56b4e9");  // its marker, 2 px beside it
  EXPECT_EQ(pixel(4005000, 3008000), "#f0e442");  // the school's point
  // The legend shows each category once per way it is drawn: the school as a marker and a line.
  std::multimap<std::string, std::string> swatches;
  ASSERT_EQ(info.legend.size(), info.legend_swatches.size());
  for (std::size_t e = 0; e < info.legend.size(); ++e) swatches.emplace(info.legend[e], info.legend_swatches[e]);
  const auto drawn_as = [&](const std::string& entry) {
    std::vector<std::string> kinds;
    for (auto [at, end] = swatches.equal_range(entry); at != end; ++at) kinds.push_back(at->second);
    std::sort(kinds.begin(), kinds.end());
    return kinds;
  };
  EXPECT_EQ(drawn_as("Exposed assets: school"), (std::vector<std::string>{"line", "point"}));
  EXPECT_EQ(drawn_as("Exposed assets: road"), (std::vector<std::string>{"line"}));
  EXPECT_EQ(drawn_as("Exposed assets: farm"), (std::vector<std::string>{"fill"}));
  EXPECT_EQ(drawn_as("Exposed assets: house"), (std::vector<std::string>{"point"}));
}

// A line layer's outline (reaches across a national border) is drawn as a line over the reach, and
// its legend swatch is a line, not a box.
TEST_F(Region, ALineLayersOutlineHasALineInTheLegend) {
  Layer reaches;
  reaches.name = "reaches";
  reaches.crs_wkt = crs;
  reaches.geometry = GeometryFamily::line;
  reaches.fields = {{"border", FieldType::integer}, {"cross_national", FieldType::integer}};
  reaches.features.push_back(Feature{1, geos::from_wkt("LINESTRING(4005000 3001000, 4005000 3019000)"),
                                     {Value(std::int64_t{1}), Value(std::int64_t{1})}});
  MapScene scene({{&towns, *builtin_style("municipalities")}, {&reaches, *builtin_style("reaches")}});
  TempDir dir;
  const auto info = render_overview(scene, OverviewOptions{}, dir / "map.png");
  const auto at = std::find(info.legend.begin(), info.legend.end(), "River reaches: Border reach across a national border");
  ASSERT_NE(at, info.legend.end());
  EXPECT_EQ(info.legend_swatches.at(static_cast<std::size_t>(at - info.legend.begin())), "line");
  EXPECT_EQ(pixel_at(Image(dir / "map.png"), info, 4005000, 3002000), "#5e3c99");  // clear of labels and borders
}

// ---------------------------------------------------------------- bad input

TEST_F(Region, StyleNamingAMissingFieldIsAConfigError) {
  auto style = *builtin_style("zones");
  style.classes.field = "hazard_class";
  try {
    MapScene scene({{&towns, *builtin_style("municipalities")}, {&flood, style}});
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("'hazard_class'"), std::string::npos) << error.what();
    EXPECT_EQ(error.context().layer, "zones");
  }
}

TEST_F(Region, DpiOutsideItsRangeIsAConfigError) {
  MapScene scene({{&towns, *builtin_style("municipalities")}});
  TempDir dir;
  for (double dpi : {0.0, -72.0, 5000.0, std::nan("")}) {
    OverviewOptions options;
    options.dpi = dpi;
    EXPECT_THROW(render_overview(scene, options, dir / "map.png"), ConfigError) << dpi;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "map.png"));  // nothing half-written
}

TEST_F(Region, NothingToDrawIsAnInputError) {
  Layer empty = zones(crs, {});
  try {
    MapScene scene({{&empty, *builtin_style("zones")}});
    FAIL();
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("nothing to draw"), std::string::npos) << error.what();
  }
  EXPECT_THROW(MapScene scene({}), InputError);
}

TEST_F(Region, AtlasOptionsNamingMissingFieldsAreConfigErrors) {
  MapScene scene({{&towns, *builtin_style("municipalities")}, {&flood, *builtin_style("zones")}});
  TempDir dir;
  AtlasOptions options;
  options.index = &flood;
  options.where_field = "crossborder";
  EXPECT_THROW(render_atlas(scene, options, dir / "atlas.pdf"), ConfigError);
  options.where_field = "cross_border";
  options.title = "Zone {zone}";
  EXPECT_THROW(render_atlas(scene, options, dir / "atlas.pdf"), ConfigError);
  options.title = "Zone {zone_id}";
  EXPECT_THROW(render_atlas(scene, options, dir / "atlas.png"), ConfigError);  // an atlas is a PDF
  options.where_field = "cross_national";
  for (auto& f : flood.features) f.values[3] = Value(std::int64_t{0});
  EXPECT_THROW(render_atlas(scene, options, dir / "atlas.pdf"), InputError);  // no page
}

TEST_F(Region, UnwritableFileIsAnOutputError) {
  MapScene scene({{&towns, *builtin_style("municipalities")}});
  OverviewOptions options;
  EXPECT_THROW(render_overview(scene, options, "/nonexistent-folder/map.png"), OutputError);
  EXPECT_THROW(render_overview(scene, options, "/nonexistent-folder/map.pdf"), OutputError);
  EXPECT_THROW(render_overview(scene, options, "map.jpeg"), ConfigError);
}

}  // namespace
}  // namespace twinrisk::render
