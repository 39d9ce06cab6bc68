#!/usr/bin/env bash
# Scenarios and chained steps in one pipeline give what the same steps give run one by one:
# two shared-zones scenarios (as: hq10, as: hq100), an intersection that reads hq100_zones (kept
# in memory), and a second intersection that reads the first one's streamed result (read back
# from a scratch file). Compared feature by feature: attributes and geometry (WKB).
# Usage: scenarios.sh TWINRISK SOURCE_DIR
set -uo pipefail
tw=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
demo=$src/layers/demo/meuse_nl_be.gpkg
fail() { echo "FAIL: $*"; exit 1; }
run() { "$tw" "$@" --progress none >"$tmp/log" 2>&1 || fail "twinrisk $*: $(cat "$tmp/log")"; }

layers="layers:
  provinces: { source: $demo, layer: ne_admin1, role: municipalities, fields: { id: woe_label, name: name, country: iso_a2 } }
  hq10: { source: $demo, layer: meuse_flood_freq_zones, role: hazard, where: \"ffreq <= 2\", fields: { class: ffreq } }
  hq100: { source: $demo, layer: meuse_flood_freq_zones, role: hazard, fields: { class: ffreq } }"

cat >"$tmp/all.yaml" <<YAML
analysis_crs: EPSG:3035
$layers
steps:
  - shared-zones: { municipalities: provinces, hazard: hq10, as: hq10 }
  - shared-zones: { municipalities: provinces, hazard: hq100, as: hq100 }
  - intersection: { input: hq100_zones, overlay: provinces }
  - intersection: { input: intersection, overlay: provinces, as: again }
YAML
run run "$tmp/all.yaml" -o "$tmp/all"
for name in hq10 hq100; do
  cat >"$tmp/$name.yaml" <<YAML
analysis_crs: EPSG:3035
$layers
steps:
  - shared-zones: { municipalities: provinces, hazard: $name }
YAML
  run run "$tmp/$name.yaml" -o "$tmp/$name"
done
run intersection --input "$tmp/hq100/twinrisk.gpkg" --input-layer zones --overlay "$demo" --overlay-layer ne_admin1 \
  --analysis-crs EPSG:3035 -o "$tmp/x1"
run intersection --input "$tmp/x1/twinrisk.gpkg" --input-layer intersection --overlay "$demo" --overlay-layer ne_admin1 \
  --analysis-crs EPSG:3035 -o "$tmp/x2"

for f in zone_summary municipality_summary; do
  cmp -s "$tmp/all/tables/hq10_$f.csv" "$tmp/hq10/tables/$f.csv" || fail "hq10_$f.csv differs from $f.csv of the hq10 run"
  cmp -s "$tmp/all/tables/hq100_$f.csv" "$tmp/hq100/tables/$f.csv" || fail "hq100_$f.csv differs"
done
[ -e "$tmp/all/tables/zone_summary.csv" ] && fail "an unprefixed table was written"

$py - "$tmp" <<'PY' || exit 1
import sys
from osgeo import ogr
tmp = sys.argv[1]
def features(path, layer):
    ds = ogr.Open(path)
    lyr = ds.GetLayerByName(layer)
    if lyr is None:
        print(f"FAIL: no layer {layer} in {path}"); sys.exit(1)
    defn = lyr.GetLayerDefn()
    names = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
    rows = [([f.GetField(n) for n in names], f.GetGeometryRef().ExportToWkb()) for f in lyr]
    return names, rows
pairs = [("all", "hq10_zones", "hq10", "zones"), ("all", "hq10_zone_parts", "hq10", "zone_parts"),
         ("all", "hq100_zones", "hq100", "zones"), ("all", "hq100_zone_parts", "hq100", "zone_parts"),
         ("all", "intersection", "x1", "intersection"), ("all", "again_intersection", "x2", "intersection")]
for a, la, b, lb in pairs:
    na, ra = features(f"{tmp}/{a}/twinrisk.gpkg", la)
    nb, rb = features(f"{tmp}/{b}/twinrisk.gpkg", lb)
    if na != nb: print(f"FAIL: {la}: fields {na} != {nb}"); sys.exit(1)
    if len(ra) == 0: print(f"FAIL: {la} is empty"); sys.exit(1)
    if len(ra) != len(rb): print(f"FAIL: {la}: {len(ra)} features, separately {len(rb)}"); sys.exit(1)
    for i, (fa, fb) in enumerate(zip(ra, rb)):
        if fa[0] != fb[0]: print(f"FAIL: {la} feature {i}: {fa[0]} != {fb[0]}"); sys.exit(1)
        if fa[1] != fb[1]: print(f"FAIL: {la} feature {i}: geometry differs"); sys.exit(1)
    print(f"{la}: {len(ra)} features equal")
ds = ogr.Open(f"{tmp}/all/twinrisk.gpkg")
names = sorted(ds.GetLayerByIndex(i).GetName() for i in range(ds.GetLayerCount()))
want = sorted(["hq10_zones", "hq10_zone_parts", "hq100_zones", "hq100_zone_parts", "intersection",
               "again_intersection", "layer_styles"])
if names != want: print(f"FAIL: layers {names}, want {want}"); sys.exit(1)
# A scenario's layers open in QGIS with the style of the output they are (hq10_zones as zones).
styles = ds.ExecuteSQL("SELECT f_table_name FROM layer_styles")
styled = sorted(f.GetField(0) for f in styles)
ds.ReleaseResultSet(styles)
if styled != sorted(["hq10_zones", "hq10_zone_parts", "hq100_zones", "hq100_zone_parts"]):
    print(f"FAIL: styled layers {styled}"); sys.exit(1)
PY
echo "PASS"
