#!/usr/bin/env bash
# Golden CLI tests: run the binary on tiny inputs and check exit code and message.
# Usage: cli_test.sh TWINRISK DATA_DIR CASE
set -uo pipefail
tw=$1 data=$2 case=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3

fail() { echo "FAIL [$case]: $*"; echo "--- stdout"; cat "$tmp/out" 2>/dev/null; echo "--- stderr"; cat "$tmp/err" 2>/dev/null; exit 1; }
# run EXPECTED_EXIT ARGS...: runs twinrisk, keeps stdout/stderr, checks the exit code.
run() {
  local want=$1; shift
  "$tw" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  local rc=$?
  [ "$rc" -eq "$want" ] || fail "exit $rc, want $want: twinrisk $*"
}
stderr_has() { grep -qF -- "$1" "$tmp/err" || fail "stderr lacks: $1"; }
# exposure_pipeline NAME=FILE...: $tmp/exposure.yaml, shared-zones of the demo's provinces and
# flood zones, then exposure of the demo's layers/demo/FILE.yaml, each read as NAME.
exposure_pipeline() {
  local demo names="" pair
  demo=$(cd "$data/../../layers/demo" && pwd)
  {
    echo "analysis_crs: auto"
    echo "layers:"
    echo "  provinces: $demo/limburg_provinces.yaml"
    echo "  flood: $demo/meuse_flood_frequency.yaml"
    for pair in "$@"; do
      echo "  ${pair%%=*}: $demo/${pair#*=}.yaml"
      names+="${names:+, }${pair%%=*}"
    done
    echo "steps:"
    echo "  - shared-zones: { municipalities: provinces, hazard: flood }"
    echo "  - exposure: { zone_parts: zone_parts, assets: [$names] }"
  } >"$tmp/exposure.yaml"
}
stdout_has() { grep -qF -- "$1" "$tmp/out" || fail "stdout lacks: $1"; }

case $case in
success)
  run 0 run "$data/pipelines/ok.yaml" -o "$tmp/o"
  for f in twinrisk.gpkg manifest.json tables/zone_summary.csv tables/municipality_summary.csv; do
    [ -s "$tmp/o/$f" ] || fail "missing output $f"
  done
  stdout_has "zone_summary"
  ls -a "$tmp/o" | grep -q 'tmp-' && fail "temporary files left behind"
  # UTF-8 in, UTF-8 out.
  grep -q "Lanaken–Mésen" "$tmp/o/tables/municipality_summary.csv" || fail "UTF-8 name not kept"
  # Every input file's checksum, computed in the background, equals Python's of the file.
  $py -c "
import hashlib, json, sys
m = json.load(open(sys.argv[1]))
assert m['inputs'] and m['steps'][0]['algorithm'] == 'shared-zones'
assert m['analysis_crs']['equal_area'] is True, m['analysis_crs']['equal_area']
for entry in m['inputs']:
    data = open(entry['source'], 'rb').read()
    assert entry['size_bytes'] == len(data), entry
    assert entry['sha256'] == hashlib.sha256(data).hexdigest(), entry
" "$tmp/o/manifest.json" || fail "manifest lacks steps, or an input's size or checksum is wrong"
  # UTM is conformal, not equal-area: the run says so and the manifest records it.
  sed -e 's/^analysis_crs: auto$/analysis_crs: EPSG:32631/' -e "s|\.\./|$data/|g" "$data/pipelines/ok.yaml" > "$tmp/utm.yaml"
  run 0 run "$tmp/utm.yaml" -o "$tmp/utm"
  stderr_has "not an equal-area projection"
  $py -c "import json, sys; assert json.load(open(sys.argv[1]))['analysis_crs']['equal_area'] is False" \
    "$tmp/utm/manifest.json" || fail "manifest says a UTM analysis CRS is equal-area"
  ;;
missing-input)
  run 3 run "$data/pipelines/missing_input.yaml" -o "$tmp/o"
  stderr_has "does_not_exist.gpkg"
  stderr_has "not found"
  [ -e "$tmp/o/twinrisk.gpkg" ] && fail "an output was written despite the error"
  ;;
malformed-yaml)
  run 2 run "$data/pipelines/malformed.yaml" -o "$tmp/o"
  grep -qE "malformed.yaml:[0-9]+: malformed YAML" "$tmp/err" || fail "no file:line in the message"
  ;;
unknown-field)
  run 2 run "$data/pipelines/unknown_field.yaml" -o "$tmp/o"
  stderr_has "field 'AGS' not found"
  stderr_has "code, naam, land"
  stderr_has "set fields.id"
  ;;
no-crs)
  run 3 run "$data/pipelines/no_crs.yaml" -o "$tmp/o"
  stderr_has "has no CRS"
  stderr_has "crs: EPSG:"
  ;;
warnings-without-progress)
  # A bow-tie hazard is repaired and named in a warning, also when progress is off.
  cat >"$tmp/bowtie.geojson" <<'JSON'
{"type": "FeatureCollection", "features": [
 {"type": "Feature", "properties": {"hq": 10},
  "geometry": {"type": "Polygon", "coordinates": [[[5.74, 50.96], [5.76, 50.99], [5.76, 50.96], [5.74, 50.99], [5.74, 50.96]]]}}]}
JSON
  cat >"$tmp/p.yaml" <<YAML
analysis_crs: EPSG:3035
layers:
  towns: { source: $data/towns.geojson, role: municipalities, fields: { id: code, name: naam, country: land } }
  flood: { source: $tmp/bowtie.geojson, role: hazard, fields: { class: hq } }
steps:
  - shared-zones: { municipalities: towns, hazard: flood }
YAML
  run 0 run "$tmp/p.yaml" -o "$tmp/o" --progress none
  stderr_has "warning:"
  stderr_has "repaired"
  ;;
output-exists)
  run 0 run "$data/pipelines/ok.yaml" -o "$tmp/o"
  before=$(cd "$tmp/o" && find . -type f -exec sha256sum {} + | sort)
  run 4 run "$data/pipelines/ok.yaml" -o "$tmp/o"
  stderr_has "already exists"
  stderr_has "--overwrite"
  after=$(cd "$tmp/o" && find . -type f -exec sha256sum {} + | sort)
  [ "$before" = "$after" ] || fail "existing outputs changed"
  run 0 run "$data/pipelines/ok.yaml" -o "$tmp/o" --overwrite
  ;;
algorithms-json)
  run 0 algorithms --json
  $py - "$tmp/out" <<'PY' || fail "algorithms --json does not describe shared-zones fully"
import json, sys
doc = json.load(open(sys.argv[1]))
alg = {a["id"]: a for a in doc["algorithms"]}["shared-zones"]
params = {p["name"]: p for p in alg["parameters"]}
assert set(params) == {"municipalities", "hazard", "min_area_m2"}, params
for p in params.values():
    assert {"type", "label", "help", "default", "optional", "cli_flag"} <= set(p), p
assert params["municipalities"]["type"] == "layer" and params["municipalities"]["geometry"] == "polygon"
assert params["min_area_m2"]["type"] == "number" and params["min_area_m2"]["default"] == 0
assert [o["name"] for o in alg["outputs"]] == ["zones", "zone_parts", "zone_summary", "municipality_summary"]
assert all(o["fields"] for o in alg["outputs"])
PY
  ;;
subcommand-equals-run)
  run 0 run "$data/pipelines/ok.yaml" -o "$tmp/a"
  run 0 shared-zones --municipalities "$data/towns.geojson" --municipalities-field id=code \
    --municipalities-field name=naam --municipalities-field country=land \
    --hazard "$data/flood.geojson" --hazard-field class=hq -o "$tmp/b"
  for t in zone_summary municipality_summary; do
    cmp -s "$tmp/a/tables/$t.csv" "$tmp/b/tables/$t.csv" || fail "$t.csv differs between run and shared-zones"
  done
  run 2 shared-zones --municipalities "$data/towns.geojson" --hazard "$data/flood.geojson" -o "$tmp/c" --min-area-m2=-5
  stderr_has "out of range"
  run 2 shared-zones --municipalities "$data/towns.geojson" --municipalities-field id=AGS --hazard "$data/flood.geojson" -o "$tmp/c"
  stderr_has "use --municipalities-field id=FIELD"
  printf '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"n":1},"geometry":{"type":"Point","coordinates":[5.7,50.96]}}]}' >"$tmp/points.geojson"
  run 3 intersection --input "$tmp/points.geojson" --overlay "$data/towns.geojson" -o "$tmp/d"
  stderr_has "its step needs polygon geometries"
  ;;
info)
  run 0 info "$data/towns.geojson"
  stdout_has "3 features"
  stdout_has "EPSG:4326"
  stdout_has "code (String)"
  run 3 info "$tmp/nothing.gpkg"
  stderr_has "nothing.gpkg"
  ;;
info-raster)
  # gdalinfo layers/demo/meuse_dem_idw40m.tif: Size is 90, 115; Amersfoort / RD New (EPSG:28992);
  # Pixel Size = (40,-40); Origin = (178300,334000); Band 1 Type=Float32, NoData Value=-9999.
  run 0 info "$data/../../layers/demo/meuse_dem_idw40m.tif"
  stdout_has "raster: 90 x 115 cells, 1 band, CRS EPSG:28992 (Amersfoort / RD New)"
  stdout_has "resolution: 40 x 40, origin 178300, 334000"
  stdout_has "band 1: Float32, nodata -9999"
  run 0 info "$data/../../layers/demo/meuse_dem_idw40m.tif" --json
  $py -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['kind']=='raster' and d['width']==90 and d['bands'][0]['nodata']==-9999, d" "$tmp/out" \
    || fail "raster JSON"
  ;;
file-system-errors)
  # A path the file system refuses (a name longer than NAME_MAX) is the input's or the output's
  # problem, named by its path: exit 3 or 4, never an internal error.
  long=$(printf 'x%.0s' $(seq 300))
  sed "s#../towns.geojson#$tmp/$long/towns.geojson#" "$data/pipelines/ok.yaml" >"$tmp/p.yaml"
  sed -i "s#../flood.geojson#$data/flood.geojson#" "$tmp/p.yaml"
  run 3 run "$tmp/p.yaml" -o "$tmp/o"
  stderr_has "File name too long"
  stderr_has "$long"
  grep -q "internal error" "$tmp/err" && fail "reported as an internal error"
  run 4 run "$data/pipelines/ok.yaml" -o "$tmp/$long/o"
  stderr_has "File name too long"
  grep -q "internal error" "$tmp/err" && fail "reported as an internal error"
  ;;
usage)
  run 0 --version
  stdout_has "GDAL"
  stdout_has "GEOS"
  stdout_has "PROJ"
  run 0 shared-zones --help
  stdout_has "--min-area-m2"
  run 2 run
  run 2 no-such-command
  ;;
progress-json)
  run 0 --progress json run "$data/pipelines/ok.yaml" -o "$tmp/o"
  $py - "$tmp/err" <<'PY' || fail "stderr is not JSON progress lines with stages"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
progress = [l for l in lines if l["type"] == "progress"]
assert progress and all(l["stages"] == 3 for l in progress), progress[:3]
overall = [(l["stage"] + l["percent"] / 100) / l["stages"] for l in progress]
assert overall == sorted(overall) and overall[-1] == 1.0, overall
PY
  # A step that streams several layers: each bar is the layer being read, 0 to 100 % (the
  # second layer's bar, started when it was opened, used to count the first's features: 600 %).
  exposure_pipeline roads=meuse_roads buildings=meuse_buildings facilities=meuse_facilities
  run 0 --progress json run "$tmp/exposure.yaml" -o "$tmp/e"
  $py - "$tmp/err" <<'PY' || fail "a streamed layer's progress is not its own, 0 to 100 %"
import json, sys
progress = [json.loads(l) for l in open(sys.argv[1])]
progress = [l for l in progress if l["type"] == "progress"]
bars = {}
for l in progress:
    bars.setdefault(l["task"], []).append(l["percent"])
for task in ("load roads", "load buildings", "load facilities"):
    percents = bars.get(task)
    assert percents and percents == sorted(percents) and percents[-1] == 100, (task, percents)
assert all(0 <= l["percent"] <= 100 for l in progress), [l for l in progress if l["percent"] > 100][:3]
PY
  run 3 --progress json run "$data/pipelines/missing_input.yaml" -o "$tmp/p"
  $py -c "import json,sys; l=json.loads(open(sys.argv[1]).read().splitlines()[-1]); assert l['type']=='error' and l['exit_code']==3" "$tmp/err" \
    || fail "error is not a JSON line"
  ;;
summary)
  # The run summary: input names of any length in one column; a step's per-category stats as
  # "name value" pairs with rounded measures, not raw JSON.
  exposure_pipeline roads_with_a_long_layer_name=meuse_roads
  run 0 run "$tmp/exposure.yaml" -o "$tmp/e"
  $py - "$tmp/out" <<'PY' || fail "the run summary is not laid out as it should be"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
inputs = lines[lines.index("Inputs:") + 1:lines.index("Inputs:") + 4]
counts = [re.match(r"  \S+ +(\d+) features read", l) for l in inputs]
assert len(inputs) == 3 and all(counts) and len({m.start(1) for m in counts}) == 1, inputs
start = lines.index("  unexposed_by_category:")
road = lines[start + 1]
assert "{" not in road, road
assert re.fullmatch(r"    road +assets \d+, length_m \d+\.\d\d, of_assets \d+, of_length_m \d+\.\d\d", road), road
PY
  ;;
*)
  fail "unknown case"
  ;;
esac
echo "PASS [$case]"
