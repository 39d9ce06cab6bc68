#include "scene.hpp"

#include <fmt/format.h>
#include <mapnik/feature.hpp>
#include <mapnik/feature_factory.hpp>
#include <mapnik/font_engine_freetype.hpp>
#include <mapnik/layer.hpp>
#include <mapnik/load_map.hpp>
#include <mapnik/unicode.hpp>
#include <mapnik/wkb.hpp>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <numeric>

#include "twinrisk/core/error.hpp"
#include "twinrisk/core/text.hpp"
#include "twinrisk/render/mapnik_style.hpp"

namespace twinrisk::render {

namespace detail {

void ensure_mapnik_ready() {
  static std::once_flag once;
  static std::string problem;
  std::call_once(once, [] {
    // Fonts only: the layers come from memory, so no datasource plugin is ever loaded.
    mapnik::freetype_engine::register_fonts(TWINRISK_MAPNIK_FONTS, true);
    const auto faces = mapnik::freetype_engine::face_names();
    if (std::find(faces.begin(), faces.end(), "DejaVu Sans Book") == faces.end()) {
      problem = fmt::format("the font DejaVu Sans is not installed under {}", TWINRISK_MAPNIK_FONTS);
    }
  });
  if (!problem.empty()) throw Error(ErrorKind::internal, problem, {}, "install Debian's fonts-dejavu-core");
}

}  // namespace detail

namespace {

using detail::SceneLayer;

bool empty_envelope(const geos::Envelope& e) { return e.min_x > e.max_x; }

geos::Envelope envelope_or_empty(const GEOSGeometry* g) {
  if (!g || geos::is_empty(g)) return {1, 1, 0, 0};
  return geos::envelope(g);
}

bool intersects(const geos::Envelope& a, const geos::Envelope& b) {
  return !empty_envelope(a) && !empty_envelope(b) && a.min_x <= b.max_x && b.min_x <= a.max_x && a.min_y <= b.max_y &&
         b.min_y <= a.max_y;
}

bool inside(const geos::Envelope& inner, const geos::Envelope& outer) {
  return inner.min_x >= outer.min_x && inner.max_x <= outer.max_x && inner.min_y >= outer.min_y &&
         inner.max_y <= outer.max_y;
}

void expand(geos::Envelope& e, const geos::Envelope& other) {
  if (empty_envelope(other)) return;
  if (empty_envelope(e)) {
    e = other;
    return;
  }
  e.min_x = std::min(e.min_x, other.min_x), e.min_y = std::min(e.min_y, other.min_y);
  e.max_x = std::max(e.max_x, other.max_x), e.max_y = std::max(e.max_y, other.max_y);
}

geos::GeomPtr rectangle(const geos::Envelope& e) {
  return geos::GeomPtr(GEOSGeom_createRectangle_r(geos::context(), e.min_x, e.min_y, e.max_x, e.max_y));
}

mapnik::geometry::geometry<double> to_mapnik(const GEOSGeometry* geometry) {
  const auto wkb = geos::to_wkb(geometry);
  return mapnik::geometry_utils::from_wkb(reinterpret_cast<const char*>(wkb.data()), wkb.size());
}

geos::GeomPtr buffer(const GEOSGeometry* g, double distance) {
  GEOSGeometry* out = GEOSBuffer_r(geos::context(), g, distance, 4);
  if (!out) throw GeometryError("GEOS could not buffer a border");
  return geos::GeomPtr(out);
}

// The union of one group's polygons: a coverage union when they tile (fast), else a full union.
geos::GeomPtr group_union(const Layer& layer, const std::vector<std::size_t>& members) {
  auto polygons = [&] {
    std::vector<geos::GeomPtr> out;
    for (auto i : members) {
      for (const auto* polygon : geos::polygon_views(layer.features[i].geometry.get())) out.push_back(geos::clone(polygon));
    }
    return out;
  };
  try {
    auto coverage = geos::coverage_union(polygons());
    if (coverage && geos::is_valid(coverage.get())) return coverage;
  } catch (const Error&) {
    // not a clean coverage (overlaps, gaps): the full union below
  }
  return geos::unary_union(polygons());
}

// Lines where polygons of different groups meet (national borders between municipalities of two
// countries), not the outer edge of the data. Sources of two countries rarely share vertices, so a
// group's outline counts as border where it runs within `tolerance` of another group.
std::vector<geos::GeomPtr> border_lines(const Layer& layer, const std::string& by, double tolerance) {
  const auto field = *layer.field_index(by);
  std::map<std::string, std::vector<std::size_t>, decltype(&value_less)> groups(&value_less);
  for (std::size_t i = 0; i < layer.features.size(); ++i) {
    const auto text = to_display_string(layer.features[i].values[field]);
    if (!text.empty() && layer.features[i].geometry) groups[text].push_back(i);
  }
  if (groups.size() < 2) return {};
  std::vector<const std::vector<std::size_t>*> members;
  for (const auto& [key, indices] : groups) members.push_back(&indices);
  std::vector<geos::GeomPtr> unions(members.size());
  tbb::parallel_for(std::size_t{0}, members.size(), [&](std::size_t g) { unions[g] = group_union(layer, *members[g]); });

  struct Pair {
    std::size_t a, b;
  };
  std::vector<Pair> pairs;
  for (std::size_t a = 0; a < unions.size(); ++a) {
    auto ea = envelope_or_empty(unions[a].get());
    ea.min_x -= tolerance, ea.min_y -= tolerance, ea.max_x += tolerance, ea.max_y += tolerance;
    for (std::size_t b = a + 1; b < unions.size(); ++b) {
      if (intersects(ea, envelope_or_empty(unions[b].get()))) pairs.push_back({a, b});
    }
  }
  std::vector<geos::GeomPtr> lines(pairs.size());
  tbb::parallel_for(std::size_t{0}, pairs.size(), [&](std::size_t p) {
    // Only the strip where the two can meet: clip both to their common envelope first.
    auto ea = envelope_or_empty(unions[pairs[p].a].get());
    auto eb = envelope_or_empty(unions[pairs[p].b].get());
    geos::Envelope common{std::max(ea.min_x, eb.min_x) - 2 * tolerance, std::max(ea.min_y, eb.min_y) - 2 * tolerance,
                          std::min(ea.max_x, eb.max_x) + 2 * tolerance, std::min(ea.max_y, eb.max_y) + 2 * tolerance};
    auto outline = geos::boundary(geos::clip_by_rect(unions[pairs[p].a].get(), common).get());
    auto other = geos::clip_by_rect(unions[pairs[p].b].get(), common);
    auto line = geos::intersection(outline.get(), buffer(other.get(), tolerance).get());
    if (line && !geos::is_empty(line.get())) lines[p] = std::move(line);
  });
  std::erase_if(lines, [](const geos::GeomPtr& g) { return !g; });
  return lines;
}

mapnik::value_unicode_string unicode(const std::string& utf8) {
  return mapnik::value_unicode_string::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
}

std::shared_ptr<mapnik::memory_datasource> new_datasource() {
  mapnik::parameters parameters;
  parameters["type"] = "memory";
  return std::make_shared<mapnik::memory_datasource>(parameters);
}

// Converts a layer's features into Mapnik features carrying their class (_c), outline hits (_o*),
// label (_l) and area (_a); pushed bottom class first, and within a class the biggest first, which
// is also Mapnik's label priority.
void convert(SceneLayer& scene_layer) {
  const auto& layer = *scene_layer.layer;
  const auto& style = scene_layer.style;
  const std::size_t n = layer.features.size();
  auto context = std::make_shared<mapnik::context_type>();
  context->push("_c");
  context->push("_a");
  context->push("_w");
  for (std::size_t k = 0; k < style.overlays.size(); ++k) context->push(fmt::format("_o{}", k));
  if (style.label) context->push("_l");
  const auto label_field = style.label ? layer.field_index(style.label->field) : std::nullopt;

  std::vector<double>& areas = scene_layer.areas;
  areas.assign(n, 0.0);
  if (label_field) scene_layer.labels.assign(n, {});
  std::vector<mapnik::feature_ptr> features(n);
  scene_layer.envelopes.assign(n, geos::Envelope{1, 1, 0, 0});
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
    const auto& feature = layer.features[i];
    const int rule = scene_layer.classes.rule_of[i];
    if (rule < 0 || !feature.geometry || geos::is_empty(feature.geometry.get())) return;
    scene_layer.envelopes[i] = geos::envelope(feature.geometry.get());
    // Polygons' areas: their label priority, and where a mixed style draws a small one as its marker.
    if (style.geometry != GeometryFamily::line) areas[i] = geos::area(feature.geometry.get());
    auto f = mapnik::feature_factory::create(context, static_cast<mapnik::value_integer>(i + 1));
    f->set_geometry(to_mapnik(feature.geometry.get()));
    f->put("_c", static_cast<mapnik::value_integer>(rule));
    f->put("_a", areas[i]);
    double perimeter = 0;
    if (style.geometry == GeometryFamily::polygon) GEOSLength_r(geos::context(), feature.geometry.get(), &perimeter);
    f->put("_w", perimeter > 0 ? 2 * areas[i] / perimeter : 0.0);
    for (std::size_t k = 0; k < style.overlays.size(); ++k) {
      f->put(fmt::format("_o{}", k), static_cast<mapnik::value_integer>(scene_layer.overlay_hits[k][i] ? 1 : 0));
    }
    if (label_field) {
      scene_layer.labels[i] = to_display_string(feature.values[*label_field]);
      f->put("_l", unicode(scene_layer.labels[i]));
    }
    features[i] = std::move(f);
  });
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const int ra = scene_layer.classes.rule_of[a], rb = scene_layer.classes.rule_of[b];
    return ra != rb ? ra < rb : areas[a] > areas[b];
  });
  scene_layer.features = new_datasource();
  for (auto i : order) {
    if (features[i]) scene_layer.features->push(features[i]);
  }
}

}  // namespace

MapScene::MapScene(std::vector<StyledLayer> layers, std::string crs_wkt) : m_impl(std::make_unique<Impl>()) {
  detail::ensure_mapnik_ready();
  auto& impl = *m_impl;
  std::stable_sort(layers.begin(), layers.end(),
                   [](const StyledLayer& a, const StyledLayer& b) { return a.style.draw_order < b.style.draw_order; });
  for (auto& styled : layers) {
    if (!styled.layer) throw Error(ErrorKind::internal, "MapScene: a layer pointer is null");
    if (crs_wkt.empty()) crs_wkt = styled.layer->crs_wkt;
    SceneLayer scene_layer;
    scene_layer.layer = styled.layer;
    scene_layer.style = std::move(styled.style);
    scene_layer.classes = classify(scene_layer.style, *styled.layer);  // validates the style first
    for (const auto& overlay : scene_layer.style.overlays) {
      std::vector<char> hits(styled.layer->features.size());
      for (std::size_t i = 0; i < hits.size(); ++i) hits[i] = overlay.matches(*styled.layer, styled.layer->features[i]);
      scene_layer.overlay_hits.push_back(std::move(hits));
    }
    impl.layers.push_back(std::move(scene_layer));
  }
  impl.crs_wkt = crs_wkt;
  impl.crs = std::make_unique<detail::MapCrs>(crs_wkt);
  impl.extent = {1, 1, 0, 0};
  impl.focus = {1, 1, 0, 0};
  for (auto& scene_layer : impl.layers) {
    convert(scene_layer);
    for (const auto& e : scene_layer.envelopes) {
      expand(impl.extent, e);
      if (!scene_layer.style.context) expand(impl.focus, e);
    }
  }
  if (empty_envelope(impl.focus)) impl.focus = impl.extent;
  if (empty_envelope(impl.extent)) {
    std::string names;
    for (const auto& l : impl.layers) {
      if (!names.empty()) names += ", ";
      names += l.layer->name;
    }
    throw InputError(names.empty() ? "the map has no layer to draw" : fmt::format("the map has nothing to draw: layers {} have no features with a geometry", names),
                     {}, "give the map step at least one layer with features");
  }
  const double diagonal = std::hypot(impl.extent.max_x - impl.extent.min_x, impl.extent.max_y - impl.extent.min_y);
  for (auto& scene_layer : impl.layers) {
    if (!scene_layer.style.borders) continue;
    const double tolerance = std::clamp(diagonal * 0.001, 10.0, 1000.0);
    // One line string per feature, so a frame's query and legend see only the borders in it.
    for (auto& line : border_lines(*scene_layer.layer, scene_layer.style.borders->by, tolerance)) {
      for (int i = 0, n = GEOSGetNumGeometries_r(geos::context(), line.get()); i < n; ++i) {
        const GEOSGeometry* part = GEOSGetGeometryN_r(geos::context(), line.get(), i);
        if (GEOSGeomTypeId_r(geos::context(), part) == GEOS_LINESTRING && !geos::is_empty(part)) {
          scene_layer.border_geometries.push_back(geos::clone(part));
        }
      }
    }
    if (scene_layer.border_geometries.empty()) continue;
    auto context = std::make_shared<mapnik::context_type>();
    scene_layer.border_lines = new_datasource();
    for (std::size_t i = 0; i < scene_layer.border_geometries.size(); ++i) {
      auto f = mapnik::feature_factory::create(context, static_cast<mapnik::value_integer>(i + 1));
      f->set_geometry(to_mapnik(scene_layer.border_geometries[i].get()));
      scene_layer.border_lines->push(f);
    }
  }
}

MapScene::~MapScene() = default;

std::shared_ptr<const MapScene> build_scene(std::vector<StyledLayer> layers, std::string crs_wkt) {
  return std::make_shared<const MapScene>(std::move(layers), std::move(crs_wkt));
}

geos::Envelope MapScene::extent() const { return m_impl->extent; }
geos::Envelope MapScene::focus() const { return m_impl->focus; }
const std::string& MapScene::crs_wkt() const { return m_impl->crs_wkt; }
const std::string& MapScene::crs_name() const { return m_impl->crs->name(); }

mapnik::Map MapScene::Impl::build_map(int width_px, int height_px, const geos::Envelope& view, double map_units_per_mm,
                                      const detail::Highlight* highlight) const {
  std::string xml = "<Map>";
  MapnikStyleOptions options;
  options.px_per_map_unit = mm_to_px(1.0) / map_units_per_mm;
  for (const auto& l : layers) xml += mapnik_styles(l.style, l.classes.rules, options);
  if (highlight) {
    xml += fmt::format(
        R"(<Style name="#highlight"><Rule><LineSymbolizer stroke="#ffffff" stroke-width="{:.3f}" stroke-opacity="0.9" stroke-linejoin="round"/>)"
        R"(<LineSymbolizer stroke="#000000" stroke-width="{:.3f}" stroke-linejoin="round"/></Rule></Style>)",
        mm_to_px(1.0), mm_to_px(0.4));
  }
  xml += "</Map>";
  mapnik::Map map(width_px, height_px, detail::kMapnikSrs);
  try {
    mapnik::load_map_string(map, xml, true);
  } catch (const std::exception& error) {
    throw Error(ErrorKind::internal, fmt::format("Mapnik refused a generated style: {}", error.what()));
  }
  auto add = [&](const std::string& name, const std::shared_ptr<mapnik::memory_datasource>& ds,
                 const std::vector<std::string>& styles) {
    mapnik::layer layer(name, detail::kMapnikSrs);
    layer.set_datasource(ds);
    for (const auto& s : styles) layer.add_style(s);
    map.add_layer(layer);
  };
  for (const auto& l : layers) {
    std::vector<std::string> styles;
    if (l.style.geometry == GeometryFamily::any) styles.push_back(edge_style_name(l.style));
    styles.push_back(fill_style_name(l.style));
    if (!l.style.overlays.empty()) styles.push_back(outline_style_name(l.style));
    add(l.layer->name, l.features, styles);
  }
  // Borders and the highlight over every fill, labels over everything (Mapnik draws a layer's
  // text with the layer, so labels get layers of their own at the end).
  for (const auto& l : layers) {
    if (l.border_lines) add(l.layer->name + "#borders", l.border_lines, {border_style_name(l.style)});
  }
  if (highlight && highlight->geometry) {
    auto ds = new_datasource();
    auto f = mapnik::feature_factory::create(std::make_shared<mapnik::context_type>(), 1);
    f->set_geometry(to_mapnik(highlight->geometry));
    ds->push(f);
    add("#highlight", ds, {"#highlight"});
  }
  for (const auto& l : layers) {
    if (!l.style.label) continue;
    if (l.style.geometry == GeometryFamily::polygon) {
      add(l.layer->name + "#labels", label_anchors(l, view, map_units_per_mm), {label_style_name(l.style)});
    } else {
      add(l.layer->name + "#labels", l.features, {label_style_name(l.style)});
    }
  }
  map.zoom_to_box(mapnik::box2d<double>(view.min_x, view.min_y, view.max_x, view.max_y));
  return map;
}

std::shared_ptr<mapnik::memory_datasource> MapScene::Impl::label_anchors(const detail::SceneLayer& l,
                                                                        const geos::Envelope& view,
                                                                        double map_units_per_mm) const {
  const auto& label = *l.style.label;
  const double size = label.size_pt * 25.4 / 72.0 * map_units_per_mm;  // text height in map units
  const double side = label.min_chars * 0.6 * size;                     // room for min_chars characters
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < l.labels.size(); ++i) {
    if (l.classes.rule_of[i] >= 0 && !l.labels[i].empty() && intersects(l.envelopes[i], view) && l.areas[i] >= side * side) {
      candidates.push_back(i);
    }
  }
  // The biggest first: Mapnik keeps the first of two colliding labels.
  std::stable_sort(candidates.begin(), candidates.end(), [&](std::size_t a, std::size_t b) { return l.areas[a] > l.areas[b]; });
  std::vector<std::optional<std::pair<double, double>>> anchors(candidates.size());
  tbb::parallel_for(std::size_t{0}, candidates.size(), [&](std::size_t c) {
    const auto i = candidates[c];
    const GEOSGeometry* geometry = l.layer->features[i].geometry.get();
    geos::GeomPtr clipped;
    if (!inside(l.envelopes[i], view)) {
      clipped = geos::clip_by_rect(geometry, view);
      if (!clipped || geos::is_empty(clipped.get()) || geos::area(clipped.get()) < side * side) return;
      geometry = clipped.get();
    }
    auto* ctx = geos::context();
    geos::GeomPtr circle(GEOSMaximumInscribedCircle_r(ctx, geometry, size / 4));
    if (!circle) return;
    double length = 0;
    GEOSLength_r(ctx, circle.get(), &length);
    if (2 * length < 1.5 * size) return;  // not even one line of text fits
    const GEOSCoordSequence* points = GEOSGeom_getCoordSeq_r(ctx, circle.get());
    double x = 0, y = 0;
    if (!points || !GEOSCoordSeq_getXY_r(ctx, points, 0, &x, &y)) return;
    anchors[c] = std::pair{x, y};
  });
  auto context = std::make_shared<mapnik::context_type>();
  context->push("_l");
  auto ds = new_datasource();
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    if (!anchors[c]) continue;
    auto f = mapnik::feature_factory::create(context, static_cast<mapnik::value_integer>(candidates[c] + 1));
    f->set_geometry(mapnik::geometry::point<double>(anchors[c]->first, anchors[c]->second));
    f->put("_l", unicode(l.labels[candidates[c]]));
    ds->push(f);
  }
  return ds;
}

std::vector<detail::LegendGroup> MapScene::Impl::legend(const geos::Envelope& view, double map_units_per_mm,
                                                        const detail::Highlight* highlight) const {
  using detail::LegendEntry;
  std::vector<detail::LegendGroup> groups;
  if (highlight && highlight->geometry) {
    Symbol s;
    s.stroke = Colour{0, 0, 0};
    s.stroke_width_mm = 0.4;
    groups.push_back({"", {{LegendEntry::Kind::outline, s, highlight->label, {}}}});
  }
  const auto view_rect = rectangle(view);
  const auto prepared = geos::prepare(view_rect.get());
  // Top layers first, and within a layer the classes drawn on top first.
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    const auto& l = *it;
    const auto& features = l.layer->features;
    auto in_view = [&](std::size_t i) {
      const auto& e = l.envelopes[i];
      if (!intersects(e, view)) return false;
      return inside(e, view) || geos::intersects(prepared.get(), features[i].geometry.get());
    };
    // Per rule, the kinds of swatch its features in view need (a bit per LegendEntry::Kind): the
    // style's, or for a mixed style each geometry's as drawn.
    const auto kind_of = [&](std::size_t i) {
      if (l.style.geometry == GeometryFamily::line) return LegendEntry::Kind::line;
      if (l.style.geometry == GeometryFamily::polygon) return LegendEntry::Kind::fill;
      if (l.style.geometry == GeometryFamily::point) return LegendEntry::Kind::point;
      const int type = geos::type_id(features[i].geometry.get());
      if (type == GEOS_LINESTRING || type == GEOS_MULTILINESTRING) return LegendEntry::Kind::line;
      const bool polygon = type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON;
      const double smallest = marker_area(l.classes.rules[static_cast<std::size_t>(l.classes.rule_of[i])].symbol,
                                          mm_to_px(1.0) / map_units_per_mm);
      return polygon && l.areas[i] >= smallest ? LegendEntry::Kind::fill : LegendEntry::Kind::point;
    };
    const auto bit = [](LegendEntry::Kind kind) { return static_cast<unsigned char>(1u << static_cast<int>(kind)); };
    std::vector<unsigned char> rule_kinds(l.classes.rules.size(), 0);
    std::vector<char> overlay_present(l.style.overlays.size(), 0);
    for (std::size_t i = 0; i < features.size(); ++i) {
      const int rule = l.classes.rule_of[i];
      const auto& e = l.envelopes[i];
      if (rule < 0 || e.min_x > e.max_x) continue;  // no class, or nothing drawn (no geometry)
      const auto kind = bit(kind_of(i));
      bool needed = !(rule_kinds[rule] & kind);
      for (std::size_t k = 0; k < overlay_present.size() && !needed; ++k) needed = l.overlay_hits[k][i] && !overlay_present[k];
      if (!needed || !in_view(i)) continue;
      rule_kinds[rule] |= kind;
      for (std::size_t k = 0; k < overlay_present.size(); ++k) overlay_present[k] |= l.overlay_hits[k][i];
    }
    detail::LegendGroup group{l.style.title, {}};
    const auto& rules = l.classes.rules;
    const bool single = rules.size() == 1 && rules[0].kind == ClassRule::Kind::single;
    const auto add_entries = [&](const ClassRule& rule, unsigned char kinds, const std::string& label) {
      for (const auto kind : {LegendEntry::Kind::point, LegendEntry::Kind::line, LegendEntry::Kind::fill}) {
        if (!(kinds & bit(kind))) continue;
        if (kind == LegendEntry::Kind::line && l.style.geometry == GeometryFamily::any) {
          group.entries.push_back({kind, marker_as_line(rule.symbol), label, marker_as_line_edge(rule.symbol)});
        } else {
          group.entries.push_back({kind, rule.symbol, label, {}});
        }
      }
    };
    for (int r = static_cast<int>(rules.size()) - 1; r >= 0; --r) {
      if (rule_kinds[r] && rules[r].kind != ClassRule::Kind::missing && rules[r].kind != ClassRule::Kind::other) {
        add_entries(rules[r], rule_kinds[r], single ? l.style.title : rules[r].label);
      }
    }
    for (std::size_t r = 0; r < rules.size(); ++r) {
      if (rule_kinds[r] && (rules[r].kind == ClassRule::Kind::missing || rules[r].kind == ClassRule::Kind::other)) {
        add_entries(rules[r], rule_kinds[r], rules[r].label);
      }
    }
    for (std::size_t k = 0; k < overlay_present.size(); ++k) {
      // On a line layer an outline is a line drawn over the feature's own.
      const auto kind = l.style.geometry == GeometryFamily::line ? LegendEntry::Kind::line : LegendEntry::Kind::outline;
      if (overlay_present[k]) group.entries.push_back({kind, l.style.overlays[k].symbol, l.style.overlays[k].label, {}});
    }
    if (l.style.borders) {
      const bool present = std::any_of(l.border_geometries.begin(), l.border_geometries.end(), [&](const geos::GeomPtr& g) {
        return intersects(geos::envelope(g.get()), view) && geos::intersects(prepared.get(), g.get());
      });
      if (present) group.entries.push_back({LegendEntry::Kind::line, l.style.borders->symbol, l.style.borders->label, {}});
    }
    if (group.entries.empty()) continue;
    if (single && group.entries.size() >= 1 && group.entries.front().label == group.heading) group.heading.clear();
    groups.push_back(std::move(group));
  }
  return groups;
}

}  // namespace twinrisk::render
