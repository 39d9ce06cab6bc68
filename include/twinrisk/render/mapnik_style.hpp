#pragma once
// Mapnik styles (Mapnik 3.1 XML) generated from a LayerStyle. twinrisk's maps feed Mapnik features
// that carry their class already (classify()), so the filters are on these precomputed attributes
// and classes match exactly as in classify() and in the QML, whatever the field's type:
//   _c   the feature's class: index into the rules, in draw order
//   _o0, _o1 …  1 when the feature matches outline k
//   _l   the label text          _a   the feature's area in map units²
//   _w   a polygon's mean width (2 × area / perimeter) in map units
// Polygon labels are drawn from a layer of anchor points that the map computes per frame.

#include <string>
#include <vector>

#include "twinrisk/render/style.hpp"

namespace twinrisk::render {

// Sizes on paper become Mapnik pixels at 72 dpi (1 px = 1 pt); a renderer's scale factor of dpi/72
// then gives true paper sizes at any resolution.
double mm_to_px(double mm);

struct MapnikStyleOptions {
  std::string font = "DejaVu Sans";
  // Per map: Mapnik pixels (points) per map unit. When set, a polygon's outline is never wider than
  // a quarter of the polygon's mean width (_w = 2 × area / perimeter), so at small scales a thin
  // zone keeps its fill colour visible inside its outline. 0: outlines as the style says.
  double px_per_map_unit = 0;
};

// Below this area (map units², at `px_per_map_unit`), a polygon that a mixed style draws shows as
// the style's marker: on paper it would be smaller than the marker (a building on an overview map).
// 0 when the scale is not known.
double marker_area(const Symbol& marker, double px_per_map_unit);

// Style names: "<layer>/fill", "<layer>/outlines", "<layer>/labels", "<layer>/borders", and for a
// mixed style "<layer>/edges" (the edges of its lines, drawn in a pass before the fill so that
// where two pieces of a line meet, no edge crosses the line).
std::string edge_style_name(const LayerStyle& style);
std::string fill_style_name(const LayerStyle& style);
std::string outline_style_name(const LayerStyle& style);
std::string label_style_name(const LayerStyle& style);
std::string border_style_name(const LayerStyle& style);

// The <Style> elements for `rules` (from classify(), or static_rules() without data).
std::string mapnik_styles(const LayerStyle& style, const std::vector<ClassRule>& rules,
                          const MapnikStyleOptions& options = {});
// A whole <Map> document holding mapnik_styles() — what `twinrisk-stylegen --mapnik` prints.
std::string mapnik_document(const LayerStyle& style, const std::vector<ClassRule>& rules,
                            const MapnikStyleOptions& options = {});

}  // namespace twinrisk::render
