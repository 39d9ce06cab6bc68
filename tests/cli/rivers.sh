#!/usr/bin/env bash
# river-reaches, basins, restoration and cooperation-network as users run them: subcommands and
# pipeline steps on hand-made data whose lengths, areas, pairs and scores are worked out by hand,
# and bad input refused with a clear message, an exit code and nothing written.
# Usage: rivers.sh TWINRISK CASE
#
# The data (EPSG:3035 metres, offset by X0 = 4000000, Y0 = 3000000; planar measure, so lengths and
# areas are the plain arithmetic below):
#   municipalities A = [0,1000]×[0,1000] (country X), B = [1000,2000]×[0,1000], C = [2000,3000]×[0,1000] (Y)
#   r1 "Border Brook" (order 1): x = 1010, y 0 → 1000: 10 m inside B, along the A|B border, 1000 m
#   r2 "Cross River" (order 2): y = 300, x 0 → 3000: crosses A, B and C, 1000 m in each
#   basins b1 = A's square → b2 = B's → b3 = C's (outlet); a flood zone [900,1100]×[600,900] over A|B;
#   a built-up footprint [1400,1600]×[250,400] in B; twinning: B with C.
set -uo pipefail
tw=$1 case=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
fail() { echo "FAIL [$case]: $*"; echo "--- stderr"; tail -5 "$tmp/err" 2>/dev/null; exit 1; }
run() {
  local want=$1; shift
  "$tw" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  local rc=$?
  [ "$rc" -eq "$want" ] || fail "exit $rc, want $want: twinrisk $*"
}
stderr_has() { grep -qF -- "$1" "$tmp/err" || fail "stderr lacks '$1'"; }
nothing_written() { [ -z "$(ls -A "$tmp/o" 2>/dev/null)" ] || fail "files were written: $(ls -A "$tmp/o")"; }

# Writes the layers above as GeoJSON files in $tmp/d, shifted by (X0, Y0). Overrides by name: a
# second argument replaces one layer's features (a JSON list of [properties, geometry]).
make_data() {
  mkdir -p "$tmp/d"
  $py - "$tmp/d" "${1:-}" "${2:-}" <<'EOF'
import json, sys
out, override_name, override = sys.argv[1], sys.argv[2], sys.argv[3]
X0, Y0 = 4000000, 3000000
def box(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[X0 + x, Y0 + y] for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))]]}
def line(*points):
    return {"type": "LineString", "coordinates": [[X0 + x, Y0 + y] for x, y in points]}
layers = {
    "towns": [({"id": "A", "name": "Alpha", "country": "X"}, box(0, 0, 1000, 1000)),
              ({"id": "B", "name": "Bravo", "country": "Y"}, box(1000, 0, 2000, 1000)),
              ({"id": "C", "name": "Charlie", "country": "Y"}, box(2000, 0, 3000, 1000))],
    "rivers": [({"id": "r1", "name": "Border Brook", "order": 1}, line((1010, 0), (1010, 1000))),
               ({"id": "r2", "name": "Cross River", "order": 2}, line((0, 300), (3000, 300)))],
    "basins": [({"id": 1, "next_down": 2}, box(0, 0, 1000, 1000)),
               ({"id": 2, "next_down": 3}, box(1000, 0, 2000, 1000)),
               ({"id": 3, "next_down": 0}, box(2000, 0, 3000, 1000))],
    "flood": [({"class": "HQ100"}, box(900, 600, 1100, 900))],
    "built": [({"kind": "houses"}, box(1400, 250, 1600, 400))],
}
if override_name:
    layers[override_name] = [(p, g) for p, g in json.loads(override)]
for name, features in layers.items():
    with open(f"{out}/{name}.geojson", "w") as f:
        json.dump({"type": "FeatureCollection", "name": name,
                   "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3035"}},
                   "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features]}, f)
EOF
  printf 'order,width_m\n1,20\n2,20\n' >"$tmp/d/widths.csv"
  printf 'a,b\nB,C\n' >"$tmp/d/twinning.csv"
}

# The whole chain as one pipeline; extra step lines are appended.
pipeline() {
  {
    echo "analysis_crs: EPSG:3035"
    echo "layers:"
    echo "  towns: { source: $tmp/d/towns.geojson, role: municipalities }"
    echo "  rivers: { source: $tmp/d/rivers.geojson, role: rivers }"
    echo "  basin_polygons: { source: $tmp/d/basins.geojson, role: basins }"
    echo "  flood: { source: $tmp/d/flood.geojson, role: hazard }"
    echo "  built: { source: $tmp/d/built.geojson, role: features }"
    echo "  widths: { source: $tmp/d/widths.csv, role: table }"
    echo "  twins: { source: $tmp/d/twinning.csv, role: twinning }"
    echo "steps:"
    echo "  - shared-zones: { municipalities: towns, hazard: flood }"
    echo "  - river-reaches: { rivers: rivers, municipalities: towns, tolerance_m: 50, measure: planar }"
    echo "  - basins: { municipalities: towns, basins: basin_polygons }"
    echo "  - restoration: { reaches: reaches, municipalities: towns, width_by_order: widths, footprints: [built] }"
    echo "  - cooperation-network: { municipalities: towns, zone_parts: zone_parts, border_reaches: border_reaches,"
    echo "                           basin_membership: basin_membership, upstream_downstream: upstream_downstream,"
    echo "                           twinning: twins }"
    for line in "$@"; do echo "  - $line"; done
  } >"$tmp/p.yaml"
}

# check_csv FILE KEY_COLUMNS EXPECTED_JSON: EXPECTED maps "k1|k2" to {column: value}; numbers are
# compared to 1e-6 relative, and the file must have exactly the expected keys.
check_csv() {
  $py - "$@" <<'EOF' || fail "$1 differs from the hand-worked values"
import csv, json, math, sys
path, keys, expected = sys.argv[1], sys.argv[2].split(","), json.loads(sys.argv[3])
rows = {"|".join(r[k] for k in keys): r for r in csv.DictReader(open(path, newline=""))}
if set(rows) != set(expected):
    sys.exit(f"{path}: rows {sorted(rows)}, want {sorted(expected)}")
for key, want in expected.items():
    for column, value in want.items():
        got = rows[key][column]
        ok = math.isclose(float(got), value, rel_tol=1e-6, abs_tol=1e-6) if isinstance(value, (int, float)) else got == value
        if not ok:
            sys.exit(f"{path}: {key} {column} = {got}, want {value}")
EOF
}

# Sum of a layer's length_m or area_m2 by a field, read by OGR from the GeoPackage.
layer_sums() {  # GPKG LAYER BY_FIELD VALUE_FIELD
  $py -c "
import sys
from osgeo import ogr
ds = ogr.Open(sys.argv[1]); sums = {}
for f in ds.GetLayerByName(sys.argv[2]):
    key = f[sys.argv[3]] or ''
    sums[key] = sums.get(key, 0) + f[sys.argv[4]]
print(' '.join(f'{k}={v:.6f}' for k, v in sorted(sums.items())))" "$@"
}

reaches_args() {
  echo --rivers "$tmp/d/rivers.geojson" --municipalities "$tmp/d/towns.geojson" --analysis-crs EPSG:3035 \
    --measure planar --progress none
}

make_data
case $case in
reaches)
  # r1 lies 10 m from A and 0 m from B: within 50 m of both, so its 1000 m are the A|B border.
  run 0 river-reaches $(reaches_args) --tolerance-m 50 -o "$tmp/o"
  check_csv "$tmp/o/tables/border_reaches.csv" municipality_a,municipality_b,river_id \
    '{"A|B|r1": {"country_a": "X", "country_b": "Y", "river_name": "Border Brook", "shared_length_m": 1000, "cross_national": 1}}'
  # A holds 1000 m of r2; B 1000 m of r2 and all of r1 (1000 m, border); C 1000 m of r2.
  check_csv "$tmp/o/tables/reaches_by_municipality.csv" municipality_id \
    '{"A": {"river_length_m": 1000, "border_length_m": 0}, "B": {"river_length_m": 2000, "border_length_m": 1000},
      "C": {"river_length_m": 1000, "border_length_m": 0}}'
  # The reaches of each river add up to its length: r1 1000 m, r2 3000 m.
  sums=$(layer_sums "$tmp/o/twinrisk.gpkg" reaches river_id length_m)
  [ "$sums" = "r1=1000.000000 r2=3000.000000" ] || fail "reach lengths by river: $sums"
  sums=$(layer_sums "$tmp/o/twinrisk.gpkg" reaches partner_municipality_id length_m)
  [ "$sums" = "=3000.000000 A=1000.000000" ] || fail "reach lengths by partner: $sums"
  ;;
tolerance)
  # 10 m from A's outline: a 5 m tolerance makes r1 B's river alone, a 10 m one the border.
  run 0 river-reaches $(reaches_args) --tolerance-m 5 -o "$tmp/o"
  check_csv "$tmp/o/tables/border_reaches.csv" municipality_a,municipality_b,river_id '{}'
  check_csv "$tmp/o/tables/reaches_by_municipality.csv" municipality_id \
    '{"A": {"river_length_m": 1000, "border_length_m": 0}, "B": {"river_length_m": 2000, "border_length_m": 0},
      "C": {"river_length_m": 1000, "border_length_m": 0}}'
  run 0 river-reaches $(reaches_args) --tolerance-m 10 -o "$tmp/o2"
  check_csv "$tmp/o2/tables/border_reaches.csv" municipality_a,municipality_b,river_id \
    '{"A|B|r1": {"shared_length_m": 1000}}'
  ;;
pipeline)
  pipeline "map: { municipalities: towns, rivers: rivers, layers: [restoration_candidates, reaches, cooperation_edges], dpi: 72 }"
  run 0 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  # Basins b1 → b2 → b3, one per municipality: A drains into B (no basin between) and C (b2
  # between), B into C.
  check_csv "$tmp/o/tables/upstream_downstream.csv" upstream_id,downstream_id \
    '{"A|B": {"basins_between": 0, "cross_national": 1}, "A|C": {"basins_between": 1, "cross_national": 1},
      "B|C": {"basins_between": 0, "cross_national": 0}}'
  # Corridors 20 m on each side (width table: orders 1 and 2). r1's border corridor
  # [990,1030]×[0,1000] goes first: 10,000 m² in A, 30,000 in B (its round caps lie outside every
  # municipality). r2's [0,3000]×[280,320] keeps what r1's did not take: A 40,000 − 10·40 = 39,600;
  # B 40,000 − 30·40 − the footprint's 200·40 = 30,800; C 40,000.
  check_csv "$tmp/o/tables/restoration_by_municipality.csv" municipality_id \
    '{"A": {"area_m2": 49600, "shared_area_m2": 10000}, "B": {"area_m2": 60800, "shared_area_m2": 30000},
      "C": {"area_m2": 40000, "shared_area_m2": 0}}'
  check_csv "$tmp/o/tables/joint_restoration.csv" municipality_a,municipality_b,river_id \
    '{"A|B|r1": {"area_a_m2": 10000, "area_b_m2": 30000, "cross_national": 1}}'
  # Scores with the default weights (1/km² hazard, 1/km river, 0.01/km² basin, 0.5 upstream):
  # A|B: touching flood parts 30,000 + 30,000 m² → 0.06, 1 km of border river → 1, A drains
  # straight into B → 0.5: 1.56, not twinned → suggested. A|C: upstream with one basin between,
  # dependence 1/2 → 0.25. B|C: 0.5, twinned.
  check_csv "$tmp/o/tables/cooperation_pairs.csv" municipality_a,municipality_b \
    '{"A|B": {"shared_zones": 1, "shared_hazard_area_m2": 60000, "shared_river_m": 1000, "shared_basin_area_m2": 0,
              "upstream_dependence": 1, "score": 1.56, "twinned": 0, "suggested": 1},
      "A|C": {"shared_zones": 0, "shared_river_m": 0, "upstream_dependence": 0.5, "score": 0.25, "twinned": 0,
              "suggested": 0},
      "B|C": {"shared_river_m": 0, "upstream_dependence": 1, "score": 0.5, "twinned": 1, "suggested": 0}}'
  $py -c "
import sys, xml.etree.ElementTree as ET
g = ET.parse(sys.argv[1]).getroot()
ns = {'g': 'http://graphml.graphdrawing.org/xmlns'}
nodes, edges = g.findall('.//g:node', ns), g.findall('.//g:edge', ns)
assert len(nodes) == 3 and len(edges) == 3, (len(nodes), len(edges))" "$tmp/o/cooperation.graphml" \
    || fail "cooperation.graphml does not have 3 nodes and 3 edges"
  # The dataset is held in a variable: a layer of a dataset already closed counts nothing.
  n=$($py -c "from osgeo import ogr; ds = ogr.Open('$tmp/o/twinrisk.gpkg'); print(ds.GetLayerByName('cooperation_edges').GetFeatureCount())")
  [ "$n" = 3 ] || fail "cooperation_edges has $n features, want 3"
  [ -s "$tmp/o/maps/overview.png" ] || fail "no overview map"
  ;;
cli-equals-pipeline)
  # Each step as a subcommand, reading the previous one's results from its folder.
  pipeline
  run 0 run "$tmp/p.yaml" -o "$tmp/p" --progress none
  run 0 river-reaches $(reaches_args) --tolerance-m 50 -o "$tmp/r"
  run 0 restoration --reaches "$tmp/r/twinrisk.gpkg" --reaches-layer reaches --municipalities "$tmp/d/towns.geojson" \
    --width-by-order "$tmp/d/widths.csv" --footprints "$tmp/d/built.geojson" --analysis-crs EPSG:3035 -o "$tmp/s"
  run 0 basins --municipalities "$tmp/d/towns.geojson" --basins "$tmp/d/basins.geojson" --analysis-crs EPSG:3035 -o "$tmp/b"
  run 0 shared-zones --municipalities "$tmp/d/towns.geojson" --hazard "$tmp/d/flood.geojson" --analysis-crs EPSG:3035 \
    -o "$tmp/z"
  run 0 cooperation-network --municipalities "$tmp/d/towns.geojson" --zone-parts "$tmp/z/twinrisk.gpkg" \
    --zone-parts-layer zone_parts --border-reaches "$tmp/r/tables/border_reaches.csv" \
    --basin-membership "$tmp/b/twinrisk.gpkg" --basin-membership-layer basin_membership \
    --upstream-downstream "$tmp/b/tables/upstream_downstream.csv" --twinning "$tmp/d/twinning.csv" \
    --analysis-crs EPSG:3035 -o "$tmp/c"
  for t in r/tables/border_reaches r/tables/reaches_by_municipality s/tables/restoration_by_municipality \
    s/tables/joint_restoration b/tables/upstream_downstream c/tables/cooperation_pairs; do
    cmp -s "$tmp/$t.csv" "$tmp/p/tables/${t##*/}.csv" || fail "$t.csv differs between the subcommand and the pipeline"
  done
  ;;
missing-id-field)
  run 2 river-reaches --rivers "$tmp/d/rivers.geojson" --municipalities "$tmp/d/towns.geojson" \
    --municipalities-field id=GEOID -o "$tmp/o"
  stderr_has "field 'GEOID' not found in layer 'towns' (fields: id, name, country)"
  stderr_has "use --municipalities-field id=FIELD"
  nothing_written
  ;;
flow-field)
  # flow: field without a flow field mapped, then a flow field naming no source field.
  run 2 river-reaches $(reaches_args) --flow field -o "$tmp/o"
  stderr_has "flow: field needs the rivers' role field 'flow'"
  nothing_written
  run 2 river-reaches $(reaches_args) --flow field --rivers-field flow=DIRECTION -o "$tmp/o"
  stderr_has "field 'DIRECTION' not found in layer 'rivers' (fields: id, name, order)"
  nothing_written
  ;;
width-table-without-order)
  printf 'stream,width_m\n1,20\n' >"$tmp/d/widths.csv"
  pipeline
  run 2 run "$tmp/p.yaml" -o "$tmp/o"
  stderr_has "width_by_order needs a column 'order', which the table lacks (columns: stream, width_m)"
  nothing_written
  ;;
negative-width)
  pipeline
  sed -i 's/width_by_order: widths/width_m: -5/' "$tmp/p.yaml"
  run 2 run "$tmp/p.yaml" -o "$tmp/o"
  stderr_has "p.yaml:14: step 'restoration': parameter 'width_m': -5 is out of range"
  nothing_written
  printf 'order,width_m\n1,20\n2,-3\n' >"$tmp/d/widths.csv"
  pipeline
  run 3 run "$tmp/p.yaml" -o "$tmp/o"
  stderr_has "layer 'widths', feature 2: stream order 2 has width_m -3"
  nothing_written
  ;;
next-down-missing)
  make_data basins '[[{"id": 1, "next_down": 2}, {"type": "Polygon", "coordinates": [[[4000000,3000000],[4001000,3000000],[4001000,3001000],[4000000,3000000]]]}],
                     [{"id": 2, "next_down": 7}, {"type": "Polygon", "coordinates": [[[4001000,3000000],[4002000,3000000],[4002000,3001000],[4001000,3000000]]]}]]'
  pipeline
  run 3 run "$tmp/p.yaml" -o "$tmp/o"
  stderr_has "layer 'basin_polygons', feature 2: basin 2: next_down 7 is not the id of any basin"
  nothing_written
  ;;
basin-cycle)
  make_data basins '[[{"id": 1, "next_down": 2}, {"type": "Polygon", "coordinates": [[[4000000,3000000],[4001000,3000000],[4001000,3001000],[4000000,3000000]]]}],
                     [{"id": 2, "next_down": 1}, {"type": "Polygon", "coordinates": [[[4001000,3000000],[4002000,3000000],[4002000,3001000],[4001000,3000000]]]}]]'
  pipeline
  run 3 run "$tmp/p.yaml" -o "$tmp/o"
  stderr_has "the basins drain in a cycle: 1 → 2 → 1"
  nothing_written
  ;;
rivers-as-polygons)
  run 3 river-reaches --rivers "$tmp/d/towns.geojson" --municipalities "$tmp/d/towns.geojson" -o "$tmp/o"
  stderr_has "role rivers needs line geometries but layer 'towns' holds Polygon"
  nothing_written
  ;;
twinning-unknown)
  printf 'a,b\nB,C\nA,Z9\n' >"$tmp/d/twinning.csv"
  pipeline
  run 3 run "$tmp/p.yaml" -o "$tmp/o"
  stderr_has "layer 'twins', feature 2: twinning names an id that is not a municipality id: 'Z9' (row 2)"
  nothing_written
  ;;
*) fail "unknown case" ;;
esac
echo "PASS [$case]"
