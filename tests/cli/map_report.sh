#!/usr/bin/env bash
# The map and report steps through the CLI: what they write, and bad input refused with nothing written.
# Usage: map_report.sh TWINRISK DATA_DIR CASE
set -uo pipefail
tw=$1 data=$2 case=$3
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
pipeline() {  # pipeline FILE STEP_LINES...
  local file=$1; shift
  {
    echo "analysis_crs: EPSG:3035"
    echo "layers:"
    echo "  towns: { source: $data/towns.geojson, role: municipalities, fields: { id: code, name: naam, country: land } }"
    echo "  flood: { source: $data/flood.geojson, role: hazard, fields: { class: hq } }"
    echo "steps:"
    echo "  - shared-zones: { municipalities: towns, hazard: flood }"
    for line in "$@"; do echo "  - $line"; done
  } >"$file"
}
nothing_written() { [ -z "$(ls -A "$tmp/o" 2>/dev/null)" ] || fail "files were written: $(ls -A "$tmp/o")"; }

case $case in
files)
  pipeline "$tmp/p.yaml" "map: { municipalities: towns, layers: [zones], parts: zone_parts, dpi: 72 }" \
    "report: { municipalities: towns, layers: [zones], tables: [zone_summary], lang: de+fr }"
  run 0 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  for f in maps/overview.png maps/overview.pdf maps/overview.svg maps/atlas.pdf report/index.html report/report.pdf tables.xlsx; do
    [ -s "$tmp/o/$f" ] || fail "no $f"
  done
  # One atlas page per cross-border zone, counted in the GeoPackage by OGR.
  want=$($py -c "from osgeo import ogr; ds = ogr.Open('$tmp/o/twinrisk.gpkg'); print(sum(1 for f in ds.GetLayerByName('zones') if f['cross_border'] == 1))")
  pages=$(pdfinfo "$tmp/o/maps/atlas.pdf" | awk '/^Pages:/ {print $2}')
  [ "$want" -gt 0 ] && [ "$pages" = "$want" ] || fail "atlas has $pages pages, want $want (cross-border zones)"
  # 72 dpi on an A4 landscape page (297 mm): 297 / 25.4 * 72 = 841.9 px wide.
  $py -c "import struct,sys; d=open(sys.argv[1],'rb').read(24); w,h=struct.unpack('>II', d[16:24]); assert w == 842 and h == 595, (w, h)" \
    "$tmp/o/maps/overview.png" || fail "overview.png is not A4 at 72 dpi"
  grep -q "Gemeinsames Hochwasserrisiko" "$tmp/o/report/index.html" && grep -q "Risque d.inondation partagé" "$tmp/o/report/index.html" \
    || fail "the bilingual report lacks a title: $(grep -o '<h1[^<]*' "$tmp/o/report/index.html" | head -2)"
  $py -c "import json,sys; m=json.load(open(sys.argv[1])); files={o.get('file') for o in m['outputs']}; assert {'maps/atlas.pdf','report/index.html','tables.xlsx'} <= files, files" \
    "$tmp/o/manifest.json" || fail "manifest does not list the files"
  ;;
bad-style)
  mkdir "$tmp/styles"
  printf 'layer: zones\ntitle: Zones\ngeometry: polygon\nclasses:\n  field: return_period\n  values: auto\n' >"$tmp/styles/zones.yaml"
  pipeline "$tmp/p.yaml" "map: { layers: [zones], style_dir: $tmp/styles }"
  run 2 run "$tmp/p.yaml" -o "$tmp/o"
  grep -q "zones.yaml:5" "$tmp/err" && grep -q "field 'return_period'" "$tmp/err" || fail "the style's missing field is not named"
  nothing_written
  ;;
bad-lang)
  pipeline "$tmp/p.yaml" "report: { layers: [zones], lang: de+xx }"
  run 2 run "$tmp/p.yaml" -o "$tmp/o"
  grep -q "xx" "$tmp/err" && grep -q "p.yaml:7: step 'report'" "$tmp/err" || fail "the unknown language is not named"
  nothing_written
  ;;
bad-dpi)
  pipeline "$tmp/p.yaml" "map: { layers: [zones], dpi: 0 }"
  run 2 run "$tmp/p.yaml" -o "$tmp/o"
  grep -q "p.yaml:7: step 'map': parameter 'dpi': 0 is out of range \[10, 1200\]" "$tmp/err" || fail "dpi 0 not refused with file:line"
  nothing_written
  ;;
nothing-to-draw)
  pipeline "$tmp/p.yaml" "map: { dpi: 72 }"
  run 2 run "$tmp/p.yaml" -o "$tmp/o"
  grep -q "p.yaml:7: step 'map': the map has no layer to draw" "$tmp/err" || fail "no layer to draw is not said"
  nothing_written
  ;;
module-missing)
  # The program without twinrisk-maps.so beside it: it links no drawing library, runs a pipeline
  # that draws nothing, and refuses one that draws with the module's path, writing nothing.
  ldd "$tw" | grep -qE "libmapnik|libcairo|libpango" && fail "the program links the drawing libraries: $(ldd "$tw" | grep -E 'mapnik|cairo|pango')"
  mkdir "$tmp/bin" && cp "$tw" "$tmp/bin/twinrisk"
  tw=$tmp/bin/twinrisk
  pipeline "$tmp/p.yaml"
  run 0 run "$tmp/p.yaml" -o "$tmp/plain" --progress none
  [ -s "$tmp/plain/twinrisk.gpkg" ] || fail "no GeoPackage without the module"
  pipeline "$tmp/p.yaml" "map: { layers: [zones], dpi: 72 }"
  run 1 run "$tmp/p.yaml" -o "$tmp/o"
  grep -q "step 'map': cannot load the map module: $tmp/bin/twinrisk-maps.so" "$tmp/err" || fail "the missing module is not named"
  nothing_written
  ;;
*) fail "unknown case" ;;
esac
echo "PASS [$case]"
