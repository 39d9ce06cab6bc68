#!/usr/bin/env bash
# Hostile and broken inputs (issue 9): each case runs the binary on a bad input and checks the
# exit code, that the message names what, where and what to do, and that nothing is lost or let
# out. Usage: hostile.sh TWINRISK SOURCE_DIR CASE [FAIL_SYNC_SHIM]
set -uo pipefail
tw=$1 src=$2 case=$3 shim=${4:-}
data=$src/tests/data
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
py=/usr/bin/python3

fail() { echo "FAIL [$case]: $*"; echo "--- stdout"; head -c 4000 "$tmp/out" 2>/dev/null; echo "--- stderr"; head -c 4000 "$tmp/err" 2>/dev/null; exit 1; }
# run EXPECTED_EXIT ARGS...: runs twinrisk (at most 120 s: a FIFO must not hang the suite).
run() {
  local want=$1; shift
  timeout 120 "$tw" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  local rc=$?
  [ "$rc" -eq "$want" ] || fail "exit $rc, want $want: twinrisk $*"
}
stderr_has() { grep -qF -- "$1" "$tmp/err" || fail "stderr lacks: $1"; }
stderr_lacks() { grep -qF -- "$1" "$tmp/err" && fail "stderr has: $1"; return 0; }
no_output() { [ -e "$1" ] && fail "an output was written at $1 despite the error"; return 0; }

# towns.geojson (3 towns, EPSG:4326) with the hazard given as $1 (a path) and class field $2.
pipeline() {
  local hazard=$1 class=${2:-hq}
  cat <<YAML
analysis_crs: EPSG:3035
layers:
  towns: { source: $data/towns.geojson, role: municipalities, fields: { id: code, name: naam, country: land } }
  flood: { source: $hazard, role: hazard, fields: { class: $class } }
steps:
  - shared-zones: { municipalities: towns, hazard: flood }
YAML
}

# A GeoJSON FeatureCollection from "properties-json ## geometry-json" lines on stdin.
features() {
  $py -c '
import sys
rows = [l.rstrip("\n").split(" ## ", 1) for l in sys.stdin if l.strip()]
print("{\"type\": \"FeatureCollection\", \"features\": [" + ",".join(
    "{\"type\": \"Feature\", \"properties\": %s, \"geometry\": %s}" % (p, g) for p, g in rows) + "]}")'
}

square='{"type": "Polygon", "coordinates": [[[5.70, 50.955], [5.78, 50.955], [5.78, 50.985], [5.70, 50.985], [5.70, 50.955]]]}'

case $case in
damaged-geopackage)
  # 3000 polygons, then one SQLite leaf page in the middle overwritten: ogrinfo reports "database
  # disk image is malformed" after about half of them. The run must fail, not go on with half.
  $py - "$tmp/flood.geojson" <<'PY'
import json, sys
features = []
for i in range(3000):
    x, y = 5.70 + (i % 60) * 0.001, 50.95 + (i // 60) * 0.001
    ring = [[x, y], [x + 0.0008, y], [x + 0.0008, y + 0.0008], [x, y + 0.0008], [x, y]]
    features.append({"type": "Feature", "properties": {"hq": i % 3 + 1, "note": "x" * 200},
                     "geometry": {"type": "Polygon", "coordinates": [ring]}})
json.dump({"type": "FeatureCollection", "features": features}, open(sys.argv[1], "w"))
PY
  ogr2ogr -f GPKG "$tmp/flood.gpkg" "$tmp/flood.geojson" -nln zones -lco SPATIAL_INDEX=NO || fail "ogr2ogr"
  $py - "$tmp/flood.gpkg" <<'PY'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
size = int.from_bytes(data[16:18], "big")
leaves = [i for i in range(1, len(data) // size) if data[i * size] == 0x0D]  # table leaf pages
page = leaves[len(leaves) // 2]
data[page * size:page * size + 12] = b"\xff" * 12
open(path, "wb").write(data)
PY
  pipeline "$tmp/flood.gpkg" >"$tmp/p.yaml"
  run 3 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "layer 'flood'"
  stderr_has "flood.gpkg"
  stderr_has "malformed"
  stderr_has "after "
  no_output "$tmp/o"
  ;;
latin1-pipeline)
  # A where: with "Liège" saved in Latin-1, and a layer named in Latin-1: refused before any work,
  # with file and line, also in the QGIS provider's JSON mode.
  printf 'analysis_crs: EPSG:3035\nlayers:\n  towns: { source: %s/towns.geojson, role: municipalities, fields: { id: code, name: naam, country: land } }\n  flood: { source: %s/flood.geojson, role: hazard, where: "hq <> '"'"'Li\xe8ge'"'"'", fields: { class: hq } }\nsteps:\n  - shared-zones: { municipalities: towns, hazard: flood }\n' \
    "$data" "$data" >"$tmp/p.yaml"
  run 2 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "p.yaml:4: "
  stderr_has "0xE8"
  stderr_has "not UTF-8"
  stderr_has "save the file as UTF-8"
  no_output "$tmp/o"
  run 2 --progress json run "$tmp/p.yaml" -o "$tmp/o"
  stderr_lacks "terminate called"
  $py -c "import json,sys; l=json.loads(open(sys.argv[1]).read().splitlines()[-1]); assert l['type']=='error' and l['exit_code']==2, l" "$tmp/err" \
    || fail "the last line is not a JSON error with exit code 2"
  printf 'layers:\n  li\xe8ge: { source: %s/towns.geojson, role: municipalities }\nsteps: []\n' "$data" >"$tmp/q.yaml"
  run 2 --progress json run "$tmp/q.yaml" -o "$tmp/o"
  stderr_has "q.yaml:2: "
  no_output "$tmp/o"
  ;;
not-utf8-attribute)
  # A Latin-1 name inside a GeoJSON: an input error naming layer, feature and field.
  printf '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "A", "naam": "Li\xe8ge", "land": "BE"}, "geometry": %s}]}' \
    "$square" >"$tmp/towns.geojson"
  sed "s#$data/towns.geojson#$tmp/towns.geojson#" <(pipeline "$data/flood.geojson") >"$tmp/p.yaml"
  run 3 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "layer 'towns', feature 0"
  stderr_has "field 'naam' is not UTF-8"
  stderr_has "UTF-8"
  no_output "$tmp/o"
  ;;
pipeline-is-a-folder)
  run 2 run "$tmp" -o "$tmp/o"
  stderr_has "is a folder, not a pipeline file"
  stderr_lacks "internal error"
  mkfifo "$tmp/fifo.yaml"
  run 2 run "$tmp/fifo.yaml" -o "$tmp/o"
  stderr_has "not a regular file"
  run 2 run /dev/zero -o "$tmp/o"
  stderr_has "not a regular file"
  ;;
fifo-or-device-source)
  # GDAL would block on a FIFO (or read /dev/zero for ever): refused before it is opened.
  mkfifo "$tmp/flood.gpkg"
  pipeline "$tmp/flood.gpkg" >"$tmp/p.yaml"
  run 3 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "flood.gpkg is not a regular file"
  pipeline /dev/zero >"$tmp/p.yaml"
  run 3 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "/dev/zero is not a regular file"
  no_output "$tmp/o"
  ;;
huge-coordinate)
  # A vertex at 1e308 m in a projected source: the feature is a named drop; no inf anywhere.
  printf 'id,class,WKT\n1,a,"POLYGON((4000000 3000000,4001000 3000000,4001000 3001000,4000000 3000000))"\n2,b,"POLYGON((4000000 3000000,1e308 3000000,4001000 3001000,4000000 3000000))"\n' >"$tmp/h.csv"
  ogr2ogr -f GPKG "$tmp/h.gpkg" "$tmp/h.csv" -nln h -a_srs EPSG:3035 -oo GEOM_POSSIBLE_NAMES=WKT -oo KEEP_GEOM_COLUMNS=NO || fail "ogr2ogr"
  printf 'id,WKT\nT,"POLYGON((3990000 2990000,4010000 2990000,4010000 3010000,3990000 3010000,3990000 2990000))"\n' >"$tmp/m.csv"
  ogr2ogr -f GPKG "$tmp/m.gpkg" "$tmp/m.csv" -nln m -a_srs EPSG:3035 -oo GEOM_POSSIBLE_NAMES=WKT -oo KEEP_GEOM_COLUMNS=NO || fail "ogr2ogr"
  cat >"$tmp/p.yaml" <<YAML
analysis_crs: EPSG:3035
layers:
  m: { source: $tmp/m.gpkg, role: municipalities, fields: { id: id, name: id, country: "=XX" } }
  flood: { source: $tmp/h.gpkg, role: hazard, fields: { class: class } }
steps:
  - shared-zones: { municipalities: m, hazard: flood }
YAML
  run 0 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "layer 'flood', feature 2"
  stderr_has "not finite or lies more than"
  grep -rqi "inf" "$tmp/o/tables" && fail "inf in a table"
  ogrinfo -q "$tmp/o/twinrisk.gpkg" zones zone_parts | grep -qi "= inf" && fail "inf in the GeoPackage"
  grep -q '"dropped": 1' "$tmp/o/manifest.json" || fail "the drop is not counted in the manifest"
  ;;
semicolon-in-id)
  # Ids joined with ';' must stay unambiguous: the id "A;B" is escaped as A\;B.
  features >"$tmp/towns.geojson" <<'JSON'
{"code": "A;B", "naam": "West", "land": "NL"} ## {"type": "Polygon", "coordinates": [[[5.70, 50.95], [5.74, 50.95], [5.74, 50.99], [5.70, 50.99], [5.70, 50.95]]]}
{"code": "C\\D", "naam": "East", "land": "BE"} ## {"type": "Polygon", "coordinates": [[[5.74, 50.95], [5.78, 50.95], [5.78, 50.99], [5.74, 50.99], [5.74, 50.95]]]}
JSON
  features >"$tmp/flood.geojson" <<JSON
{"hq": 10} ## $square
JSON
  sed "s#$data/towns.geojson#$tmp/towns.geojson#" <(pipeline "$tmp/flood.geojson") >"$tmp/p.yaml"
  run 0 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  ogr2ogr -f CSV "$tmp/zones.csv" "$tmp/o/twinrisk.gpkg" zones || fail "ogr2ogr"
  grep -qF 'A\;B;C\\D' "$tmp/zones.csv" || fail "municipalities list not escaped: $(cat "$tmp/zones.csv")"
  $py -c "import csv,sys; r=next(csv.DictReader(open(sys.argv[1]))); assert r['n_municipalities']=='2', r" "$tmp/zones.csv" || fail "n_municipalities is not 2"
  $py - "$tmp/o/tables/municipality_summary.csv" <<'PY' || fail "partner lists not escaped: $(cat "$tmp/o/tables/municipality_summary.csv")"
import csv, sys
partners = {r["municipality_id"]: r["partner_municipalities"] for r in csv.DictReader(open(sys.argv[1], newline=""))}
assert partners == {"A;B": "C\\\\D", "C\\D": "A\\;B"}, partners
PY
  ;;
point-hazard)
  # Points in a GeoPackage whose geometry column says GEOMETRY pass the type check; none is a
  # polygon, so the run must fail instead of answering "no shared zones".
  printf 'hq,WKT\n10,"POINT(5.72 50.96)"\n20,"POINT(5.75 50.97)"\n' >"$tmp/h.csv"
  ogr2ogr -f GPKG "$tmp/h.gpkg" "$tmp/h.csv" -nln h -a_srs EPSG:4326 -nlt GEOMETRY -oo GEOM_POSSIBLE_NAMES=WKT -oo KEEP_GEOM_COLUMNS=NO || fail "ogr2ogr"
  pipeline "$tmp/h.gpkg" >"$tmp/p.yaml"
  run 3 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "layer 'flood'"
  stderr_has "none of the 2 features"
  stderr_has "not a polygon geometry"
  no_output "$tmp/o"
  ;;
empty-layer)
  # A layer without features, or a where: that matches none: refused, not an empty answer.
  ogr2ogr -f GPKG "$tmp/empty.gpkg" "$data/flood.geojson" -nln zones -where "hq > 1000" || fail "ogr2ogr"
  pipeline "$tmp/empty.gpkg" >"$tmp/p.yaml"
  run 3 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "layer 'flood'"
  stderr_has "has no features"
  # An empty GeoJSON has no fields either; that is said, rather than "field not found (fields: )".
  printf '{"type": "FeatureCollection", "features": []}' >"$tmp/empty.geojson"
  pipeline "$tmp/empty.geojson" >"$tmp/p.yaml"
  run 3 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "has no fields at all"
  sed 's#role: hazard,#role: hazard, where: "hq > 1000",#' <(pipeline "$data/flood.geojson") >"$tmp/p.yaml"
  run 3 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "where: hq > 1000"
  no_output "$tmp/o"
  ;;
shared-id-different-names)
  # Rows that share an id are one municipality; with two names or countries that is a data error.
  features >"$tmp/towns.geojson" <<'JSON'
{"code": "X", "naam": "Stein", "land": "NL"} ## {"type": "Polygon", "coordinates": [[[5.70, 50.95], [5.74, 50.95], [5.74, 50.99], [5.70, 50.99], [5.70, 50.95]]]}
{"code": "X", "naam": "Lanaken", "land": "BE"} ## {"type": "Polygon", "coordinates": [[[5.74, 50.95], [5.78, 50.95], [5.78, 50.99], [5.74, 50.99], [5.74, 50.95]]]}
JSON
  sed "s#$data/towns.geojson#$tmp/towns.geojson#" <(pipeline "$data/flood.geojson") >"$tmp/p.yaml"
  run 3 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "layer 'towns', feature 1"
  stderr_has "'X'"
  stderr_has "Stein"
  stderr_has "Lanaken"
  no_output "$tmp/o"
  ;;
collapsed-parts)
  # The demo's zone 5 had a part whose ring was A,B,B,A: no result may hold a polygon part under
  # the minimum area (0.01 m²) or a ring with fewer than 3 distinct points. Every polygon of every
  # layer of the demo and of the St. Louis example (restoration corridors) is checked.
  run 0 demo -o "$tmp/demo" --progress none
  run 0 run "$src/examples/st-louis.yaml" -o "$tmp/stl" --progress none
  checked=0
  for gpkg in "$tmp/demo/twinrisk.gpkg" "$tmp/stl/twinrisk.gpkg"; do
    for layer in $(ogrinfo -ro -q "$gpkg" | sed -n 's/^[0-9]*: \([a-z_0-9]*\).*/\1/p' | grep -v '^layer_styles$'); do
      ogr2ogr -f CSV "$tmp/$layer.csv" "$gpkg" "$layer" -lco GEOMETRY=AS_WKT || fail "ogr2ogr $layer"
      $py - "$tmp/$layer.csv" <<'PY' || fail "$gpkg: $layer holds a collapsed part"
import csv, re, sys
csv.field_size_limit(1 << 30)
for n, row in enumerate(csv.DictReader(open(sys.argv[1]))):
    wkt = row.get("WKT", "")
    if not wkt.startswith(("POLYGON", "MULTIPOLYGON")):
        continue
    for polygon in re.findall(r"\(\(.*?\)\)", wkt):
        for ring in re.findall(r"\(([^()]*)\)", polygon):
            points = [tuple(map(float, p.split())) for p in ring.split(",")]
            area = abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:]))) / 2
            assert len(set(points)) >= 3, (n, ring[:200])
            assert area >= 0.01, (n, area)
PY
      checked=$((checked + 1))
    done
    # The whole file by GDAL's own GeoPackage validator: geometry blobs, extents, metadata tables.
    $py -m osgeo_utils.samples.validate_gpkg "$gpkg" >"$tmp/validate.log" 2>&1 ||
      fail "$gpkg is not a valid GeoPackage: $(head -5 "$tmp/validate.log")"
  done
  [ "$checked" -ge 9 ] || fail "only $checked layers checked"
  ;;
csv-formula-injection)
  features >"$tmp/towns.geojson" <<'JSON'
{"code": "=HYPERLINK(\"http://x.test\",\"a\")", "naam": "+cmd|' /C calc'!A0", "land": "@SUM(1+1)"} ## {"type": "Polygon", "coordinates": [[[5.70, 50.95], [5.74, 50.95], [5.74, 50.99], [5.70, 50.99], [5.70, 50.95]]]}
{"code": "-2+3", "naam": "\tTab", "land": "-12"} ## {"type": "Polygon", "coordinates": [[[5.74, 50.95], [5.78, 50.95], [5.78, 50.99], [5.74, 50.99], [5.74, 50.95]]]}
JSON
  features >"$tmp/flood.geojson" <<JSON
{"hq": -10} ## $square
JSON
  sed "s#$data/towns.geojson#$tmp/towns.geojson#" <(pipeline "$tmp/flood.geojson") >"$tmp/p.yaml"
  run 0 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  $py - "$tmp/o/tables/municipality_summary.csv" <<'PY' || fail "a cell could run as a formula: $(cat "$tmp/o/tables/municipality_summary.csv")"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
ids = {r["municipality_id"] for r in rows}
assert ids == {"'=HYPERLINK(\"http://x.test\",\"a\")", "'-2+3"}, ids
assert {r["municipality_name"] for r in rows} == {"'+cmd|' /C calc'!A0", "'\tTab"}
assert {r["country"] for r in rows} == {"'@SUM(1+1)", "-12"}  # a number stays a number
assert {r["class"] for r in rows} == {"-10"}
for r in rows:
    for v in r.values():
        assert not v or v[0] not in "=+-@\t\r" or v.lstrip("+-").replace(".", "", 1).isdigit(), v
PY
  # The GeoPackage keeps the data as it is.
  ogrinfo -q "$tmp/o/twinrisk.gpkg" zone_parts | grep -qF 'municipality_id (String) = =HYPERLINK' || fail "GeoPackage value changed"
  ;;
unclosed-ring)
  # OGR and QGIS read a ring that does not end where it starts; the feature is mended and named.
  features >"$tmp/flood.geojson" <<'JSON'
{"hq": 10} ## {"type": "Polygon", "coordinates": [[[5.70, 50.955], [5.78, 50.955], [5.78, 50.985], [5.70, 50.985]]]}
JSON
  pipeline "$tmp/flood.geojson" >"$tmp/p.yaml"
  run 0 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "layer 'flood', feature 0"
  stderr_has "was closed"
  grep -q '"repaired": 1' "$tmp/o/manifest.json" || fail "the repair is not counted"
  ;;
empty-ring)
  # fuzz_geometry's first crash: GDAL 3.6 dereferences a null point array when asked whether an
  # empty ring is closed. An empty hole is removed (a named repair), an empty polygon a named drop.
  features >"$tmp/flood.geojson" <<'JSON'
{"hq": 10} ## {"type": "Polygon", "coordinates": [[[5.70, 50.955], [5.78, 50.955], [5.78, 50.985], [5.70, 50.985], [5.70, 50.955]], []]}
{"hq": 20} ## {"type": "Polygon", "coordinates": [[]]}
JSON
  pipeline "$tmp/flood.geojson" >"$tmp/p.yaml"
  run 0 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "layer 'flood', feature 0"
  stderr_has "layer 'flood', feature 1: NULL or empty geometry, dropped"
  grep -q '"repaired": 1' "$tmp/o/manifest.json" || fail "the repair is not counted"
  ;;
degenerate-ring)
  # A ring of three points (A,B,A) cannot be a polygon: a named drop, the other feature kept.
  features >"$tmp/flood.geojson" <<JSON
{"hq": 10} ## {"type": "Polygon", "coordinates": [[[5.70, 50.955], [5.78, 50.955], [5.70, 50.955]]]}
{"hq": 20} ## $square
JSON
  pipeline "$tmp/flood.geojson" >"$tmp/p.yaml"
  run 0 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "layer 'flood', feature 0"
  stderr_has "dropped"
  ;;
shapefile-sidecars)
  ogr2ogr -f "ESRI Shapefile" "$tmp/flood.shp" "$data/flood.geojson" || fail "ogr2ogr"
  mv "$tmp/flood.dbf" "$tmp/flood.dbf.away"
  pipeline "$tmp/flood.shp" >"$tmp/p.yaml"
  run 3 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "flood.shp has no .dbf beside it"
  stderr_lacks "field not found"
  mv "$tmp/flood.dbf.away" "$tmp/flood.dbf"
  mv "$tmp/flood.shx" "$tmp/flood.shx.away"
  run 3 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "flood.shp has no .shx beside it"
  stderr_has "SHAPE_RESTORE_SHX"
  no_output "$tmp/o"
  ;;
empty-and-odd-files)
  # A zero-byte GeoPackage, a symlink loop and a CSV twinning table with a BOM and CRLF lines.
  : >"$tmp/flood.gpkg"
  pipeline "$tmp/flood.gpkg" >"$tmp/p.yaml"
  run 3 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "flood.gpkg is empty (0 bytes)"
  ln -s "$tmp/loop2.gpkg" "$tmp/loop1.gpkg"
  ln -s "$tmp/loop1.gpkg" "$tmp/loop2.gpkg"
  pipeline "$tmp/loop1.gpkg" >"$tmp/p.yaml"
  run 3 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "loop1.gpkg"
  stderr_has "symbolic links"
  stderr_lacks "internal error"
  no_output "$tmp/o"
  ;;
yaml-oddities)
  # Windows line ends and a BOM are fine; an alias bomb, deep nesting, duplicate keys and an
  # empty file are configuration errors with the line.
  pipeline "$data/flood.geojson" | sed 's/$/\r/' | { printf '\xef\xbb\xbf'; cat; } >"$tmp/crlf.yaml"
  run 0 run "$tmp/crlf.yaml" -o "$tmp/o" --progress none
  cat >"$tmp/bomb.yaml" <<'YAML'
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
layers: { towns: { source: *g, role: municipalities } }
steps: [ { shared-zones: { municipalities: *g, hazard: *g } } ]
YAML
  run 2 run "$tmp/bomb.yaml" -o "$tmp/o2"
  $py -c "print('layers: ' + '[' * 5000 + ']' * 5000)" >"$tmp/deep.yaml"
  run 2 run "$tmp/deep.yaml" -o "$tmp/o2"
  stderr_has "deep.yaml:1: "
  printf 'layers:\n  flood: { source: a.gpkg, role: hazard }\n  flood: { source: b.gpkg, role: hazard }\nsteps: []\n' >"$tmp/dup.yaml"
  run 2 run "$tmp/dup.yaml" -o "$tmp/o2"
  stderr_has "dup.yaml:3: 'flood' appears twice in layers (lines 2 and 3)"
  printf '# nothing but a comment\n' >"$tmp/empty.yaml"
  run 2 run "$tmp/empty.yaml" -o "$tmp/o2"
  stderr_has "empty.yaml: the file is empty"
  no_output "$tmp/o2"
  ;;
output-checked-first)
  # An output that cannot become the folder layout is refused before any input is read: the
  # inputs here do not exist, so an input error would mean they were looked at first.
  printf 'layers:\n  m: { source: missing.gpkg, role: municipalities }\n  h: { source: missing2.gpkg, role: hazard }\nsteps:\n  - shared-zones: { municipalities: m, hazard: h }\n' >"$tmp/p.yaml"
  mkdir -p "$tmp/o"
  : >"$tmp/o/tables"
  run 4 run "$tmp/p.yaml" -o "$tmp/o" --overwrite
  stderr_has "tables"
  stderr_has "in the way"
  : >"$tmp/file"
  run 4 run "$tmp/p.yaml" -o "$tmp/file/sub"
  stderr_has "file/sub"
  run 2 run "$tmp/p.yaml" -o ""
  stderr_has "output"
  [ -z "$(ls -A "$tmp/o" | grep -v '^tables$')" ] || fail "something was written into the output folder"
  ;;
read-only-output)
  # A result folder made read-only (chmod a-w) is not replaced, even by root.
  run 0 run "$data/pipelines/ok.yaml" -o "$tmp/o" --progress none
  chmod a-w "$tmp/o"
  before=$(cd "$tmp/o" && find . -type f -exec sha256sum {} + | sort)
  run 4 run "$data/pipelines/ok.yaml" -o "$tmp/o" --overwrite --progress none
  stderr_has "read-only"
  after=$(cd "$tmp/o" && find . -type f -exec sha256sum {} + | sort)
  [ "$before" = "$after" ] || fail "the read-only result changed"
  ;;
full-disk)
  # The output on a file system that fills up: the message says so (SQLite's first error), not
  # "no such table: gpkg_geometry_columns". Needs a mount namespace (root in CI); skips otherwise.
  mkdir -p "$tmp/small"
  unshare -m true 2>/dev/null || { echo "SKIP: no mount namespace"; exit 77; }
  "$tw" demo -o "$tmp/ref" --progress none >/dev/null 2>&1 || fail "demo"
  unshare -m sh -c "mount -t tmpfs -o size=64k tmpfs '$tmp/small' && exec timeout 120 '$tw' demo -o '$tmp/small/o' --progress none" \
    >"$tmp/out" 2>"$tmp/err"
  rc=$?
  [ "$rc" -eq 4 ] || fail "exit $rc, want 4"
  stderr_lacks "no such table"
  grep -qiE "disk is full|No space left" "$tmp/err" || fail "the message does not say the disk is full"
  ;;
sync-fails)
  # The disk does not take a file of the result (fsync or fdatasync fails: a failing disk, an NFS
  # share past its quota). The run says which file and fails; the previous result stays whole and
  # nothing staged is left. Before, the failure was ignored and the result swapped in.
  [ -n "$shim" ] || fail "no LD_PRELOAD shim given"
  pipeline "$data/flood.geojson" >"$tmp/p.yaml"
  run 0 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  before=$(sha256sum "$tmp/o/manifest.json")
  # FILE or FILE:CALL (only that call fails: the GeoPackage's early fdatasync on its thread, whose
  # error the kernel does not tell the fsync before the swap).
  for target in twinrisk.gpkg twinrisk.gpkg:fdatasync tables.xlsx zone_summary.csv; do
    file=${target%%:*} call=${target#"$file"}
    # ASan's check that its runtime comes first would refuse the preloaded shim.
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" TWINRISK_TEST_FAIL_SYNC="/$file" \
      TWINRISK_TEST_FAIL_SYNC_CALL="${call#:}" LD_PRELOAD="$shim" run 4 run "$tmp/p.yaml" -o "$tmp/o" --overwrite --progress none
    stderr_has "$file"
    stderr_has "Input/output error"
    [ "$(sha256sum "$tmp/o/manifest.json")" = "$before" ] || fail "$file: the previous result was replaced"
    ls -A "$tmp" | grep -q "twinrisk-new" && fail "$file: the staged result was left behind"
  done
  ;;
intersection-field-names)
  # Both layers have a field area_m2 (the output's own) and a name that differs only in case:
  # every column is kept under a name of its own, instead of "duplicate column name" after the
  # whole computation.
  echo '{"area_m2": 7, "Name": "in"} ## '"$square" | features >"$tmp/a.geojson"
  echo '{"name": "ov", "area_m2": 9} ## '"$square" | features >"$tmp/b.geojson"
  run 0 intersection --input "$tmp/a.geojson" --overlay "$tmp/b.geojson" -o "$tmp/o" --progress none
  $py - "$tmp/o/twinrisk.gpkg" <<'PY' || fail "the columns are not as expected"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
table = db.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'features'").fetchone()[0]
row = db.execute(f'SELECT area_m2_1, "Name", name_2, area_m2_2, area_m2 FROM "{table}"').fetchall()
assert len(row) == 1, row
area_1, name, name_2, area_2, area = row[0]
assert (area_1, name, name_2, area_2) == (7, "in", "ov", 9), row
# 0.08 deg x 0.03 deg at 50.97 N: 5608 m x 3336 m.
assert abs(area - 5608 * 3336) < 0.01 * 5608 * 3336, area
PY
  ;;
limits)
  # A polygon with 10^6 vertices, a multipolygon with 10^5 parts, collections nested 20 deep (kept)
  # and 10^5 deep (refused): no stack overflow, and memory stays bounded (max RSS under 2.5 GB,
  # sanitizer builds included).
  $py - "$tmp" <<'PY'
import json, math, sys
out = sys.argv[1]
n = 1000000
ring = [[5.74 + 0.03 * math.cos(2 * math.pi * i / n), 50.97 + 0.018 * math.sin(2 * math.pi * i / n)] for i in range(n)]
ring.append(ring[0])
json.dump({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"hq": 1},
           "geometry": {"type": "Polygon", "coordinates": [ring]}}]}, open(out + "/vertices.geojson", "w"))
parts = [[[[x, y], [x + 0.0001, y], [x + 0.0001, y + 0.00005], [x, y + 0.00005], [x, y]]]
         for x, y in ((5.70 + (k // 317) * 0.00025, 50.955 + (k % 317) * 0.0001) for k in range(100000))]
json.dump({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"hq": 1},
           "geometry": {"type": "MultiPolygon", "coordinates": parts}}]}, open(out + "/parts.geojson", "w"))
square = '{"type": "Polygon", "coordinates": [[[5.70, 50.955], [5.78, 50.955], [5.78, 50.985], [5.70, 50.985], [5.70, 50.955]]]}'
for depth in (20, 100000):
    geometry = '{"type": "GeometryCollection", "geometries": [' * depth + square + ']}' * depth
    open(f"{out}/nested{depth}.geojson", "w").write(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"hq": 1}, "geometry": ' + geometry + '}]}')
PY
  # The parts come as a GeoPackage: GDAL's GeoJSON reader grows a multipolygon's list of parts by
  # one realloc a part, which ASan's realloc copies every time (440 s and more under ASan, 2 s in
  # Release); so read, the whole case takes 36 s under ASan.
  ogr2ogr -f GPKG "$tmp/parts.gpkg" "$tmp/parts.geojson" || fail "ogr2ogr parts"
  for input in vertices.geojson parts.gpkg nested20.geojson; do
    pipeline "$tmp/$input" >"$tmp/p.yaml"
    input=${input%.*}
    /usr/bin/time -f "%M" -o "$tmp/rss" timeout 600 "$tw" run "$tmp/p.yaml" -o "$tmp/o_$input" --progress none \
      >"$tmp/out" 2>"$tmp/err" || fail "$input: exit $?"
    [ "$(tail -1 "$tmp/rss")" -lt 2500000 ] || fail "$input: max RSS $(tail -1 "$tmp/rss") kB"
    grep -q '^1,1,' "$tmp/o_$input/tables/zone_summary.csv" || [ "$input" = parts ] || fail "$input: no zone"
  done
  [ "$(grep -c . "$tmp/o_parts/tables/zone_summary.csv")" -eq 2 ] || fail "parts: no zones"
  pipeline "$tmp/nested100000.geojson" >"$tmp/p.yaml"
  run 3 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "nested100000.geojson"
  ;;
*)
  fail "unknown case"
  ;;
esac
echo "PASS [$case]"
