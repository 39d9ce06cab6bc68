#pragma once
// The zone kernel of shared-zones, for every step that needs it: hazard polygons dissolved per
// class into connected zones, and any polygon cut by the municipalities it lies in.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "twinrisk/core/geos.hpp"
#include "twinrisk/core/layer.hpp"
#include "twinrisk/core/progress.hpp"
#include "twinrisk/core/spatial_index.hpp"

namespace twinrisk::ops {

struct Zone {
  Value class_value;  // the source's class; NULL is a class of its own
  geos::GeomPtr geometry;
  double area_m2 = 0;
};

// One zone's share of one municipality (nullopt: outside every municipality).
struct Part {
  std::optional<std::size_t> municipality;  // the municipality's first row (see MunicipalityTable)
  geos::GeomPtr geometry;
  double area_m2 = 0;
};

struct ZoneCut {
  std::vector<Part> parts;  // in municipality order, the outside part last
  double overlap_m2 = 0;    // area claimed by more than one municipality
  std::set<std::size_t> overlapping;  // municipalities that lost area to an earlier one
};

// What cutting and the tables need of each municipality row, computed once: big zones touch
// thousands of municipalities. Rows that share an id are one municipality (islands, exclaves):
// `group_of` maps each row to the first row with its id, and `area` (indexed by that first row)
// adds up the rows' areas.
struct MunicipalityTable {
  std::vector<std::string> id, name, country;
  // id and country as items of a `;` list (core/text.hpp escape_list_item).
  std::vector<std::string> list_id, list_country;
  std::vector<std::size_t> group_of;
  std::vector<double> area;
  SpatialIndex index;
};

// Throws InputError when rows that share an id disagree on the name or the country.
MunicipalityTable municipality_table(const Layer& municipalities);

// Cuts a polygon by the municipalities in one overlay: its boundary and the municipalities'
// boundaries are noded together and polygonized, and each face inside it goes to the
// municipality holding its interior point. One noding per polygon costs far less than one
// overlay per polygon and municipality (each of which would walk the whole polygon again).
// Where municipalities overlap, a face goes to the first of them in the layer. `index` is the
// R-tree of the municipality rows and `group_of` maps each row to its group (MunicipalityTable's,
// or MunicipalityIndex's for the other kernels). `pieces`, when given, indexes the envelopes of
// polygons whose union holds the polygon (a zone's hazard polygons): a municipality whose envelope
// meets none of them is not tested (a river-long zone's envelope holds every municipality), and
// only the stretches of a boundary near one of them are noded. Boundaries are never clipped:
// a cut point is computed from the segment's end points in their order, so the edge two
// neighbours share (in opposite directions) would be cut at points an ulp apart, leaving a gap
// between their parts.
ZoneCut cut_by_municipalities(const GEOSGeometry* polygon, double area_m2, const std::vector<Feature>& municipalities,
                              const SpatialIndex& index, const std::vector<std::size_t>& group_of,
                              const SpatialIndex* pieces = nullptr);

struct ZonesAndCuts {
  std::vector<Zone> zones;  // by class, then by the first polygon of each zone in layer order
  std::vector<ZoneCut> cuts;  // one per zone
  std::size_t unclassed_polygons = 0;  // hazard polygons whose class is NULL
};

// Dissolves the hazard polygons of each class into connected zones (overlapping or touching
// polygons merge; polygons of different classes never do) and cuts each zone by the
// municipalities. One task per connected component, biggest first, so that a river-long zone
// does not finish last alone; the order of the result does not depend on thread timing.
ZonesAndCuts dissolve_and_cut(const Layer& hazard, const Layer& municipalities, const MunicipalityTable& table,
                              Progress& progress);

}  // namespace twinrisk::ops
