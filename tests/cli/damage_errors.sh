#!/usr/bin/env bash
# Bad input to the exposure and damage steps (issue 10): each a clear error naming the file and
# what to fix, exit 2 (configuration) or 3 (input data), and nothing written.
# Usage: damage_errors.sh TWINRISK REPO_ROOT CASE
set -uo pipefail
tw=$(realpath "$1") root=$(realpath "$2") case=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
demo=$root/layers/demo

fail() { echo "FAIL [$case]: $*"; echo "--- stderr"; cat "$tmp/err" 2>/dev/null; exit 1; }
stderr_has() { grep -qF -- "$1" "$tmp/err" || fail "stderr lacks: $1"; }
# run_pipeline EXPECTED_EXIT: runs $tmp/p.yaml into $tmp/out and checks that nothing was written.
run_pipeline() {
  "$tw" --progress none run "$tmp/p.yaml" -o "$tmp/out" >"$tmp/stdout" 2>"$tmp/err" </dev/null
  local rc=$?
  [ "$rc" -eq "$1" ] || fail "exit $rc, want $1"
  if [ -e "$tmp/out" ]; then
    [ -z "$(find "$tmp/out" -type f)" ] || fail "the failed run left files behind: $(find "$tmp/out" -type f)"
  fi
}
# A pipeline: exposure of the demo's assets in the demo's zones, then damage under three events.
pipeline() {  # pipeline EXTRA_LAYERS DAMAGE_ARGUMENTS
  cat >"$tmp/p.yaml" <<YAML
analysis_crs: EPSG:3035
layers:
  provinces: $demo/limburg_provinces.yaml
  flood: $demo/meuse_flood_frequency.yaml
  buildings: $demo/meuse_buildings.yaml
  rp2: $demo/meuse_depth_rp2.yaml
  rp10: $demo/meuse_depth_rp10.yaml
  rp50: $demo/meuse_depth_rp50.yaml
$1
steps:
  - shared-zones: { municipalities: provinces, hazard: flood }
  - exposure: { zone_parts: zone_parts, assets: [buildings] }
  - damage: { assets: exposed_assets, $2 }
YAML
}
curves() { printf 'category,depth_m,fraction\n%b' "$1" >"$tmp/curves.csv"; }

case $case in
raster-without-crs)
  # The DEM as an ASCII grid without its .prj: no CRS.
  gdal_translate -q -of AAIGrid "$demo/meuse_depth_rp50.tif" "$tmp/nocrs.asc" && rm -f "$tmp/nocrs.prj"
  pipeline "  nocrs: { source: $tmp/nocrs.asc, role: raster }" "events: [rp2, nocrs], return_periods: [2, 50]"
  run_pipeline 3
  stderr_has "nocrs.asc has no CRS"
  stderr_has "add \`crs: EPSG:XXXX\`"
  ;;
curve-not-monotonic)
  curves 'residential,0,0\nresidential,1,0.6\nresidential,2,0.4\n'
  pipeline "  curves: { source: $tmp/curves.csv, role: damage_curves }" \
           "events: [rp2, rp10, rp50], return_periods: [2, 10, 50], curves: curves"
  run_pipeline 3
  stderr_has "curves.csv: curve 'residential': is not monotonic: the fraction falls from 0.6 at 1 m to 0.4 at 2 m"
  stderr_has "never falling as depth grows"
  ;;
fraction-out-of-range)
  curves 'residential,0,0\nresidential,1,1.2\n'
  pipeline "  curves: { source: $tmp/curves.csv, role: damage_curves }" \
           "events: [rp2, rp10, rp50], return_periods: [2, 10, 50], curves: curves"
  run_pipeline 3
  stderr_has "curves.csv: curve 'residential': fraction 1.2 at 1 m is outside 0..1"
  ;;
event-without-return-period)
  pipeline "" "events: [rp2, rp10, rp50], return_periods: [2, 10]"
  run_pipeline 2
  # Found when the pipeline is checked, before any source is opened: no output folder at all.
  stderr_has "p.yaml:13: step 'damage': event 'rp50' has no return period: 3 events (rp2, rp10, rp50) but 2 return periods (2, 10)"
  stderr_has "give one return period per event"
  [ -e "$tmp/out" ] && fail "the output folder was made"
  ;;
duplicate-return-periods)
  pipeline "" "events: [rp2, rp10, rp50], return_periods: [2, 10, 10]"
  run_pipeline 2
  stderr_has "p.yaml:13: step 'damage': events 'rp10' and 'rp50' both have return period 10"
  [ -e "$tmp/out" ] && fail "the output folder was made"
  ;;
category-without-curve)
  # Categories the JRC defaults do not know, with no curve of their own.
  pipeline "" "events: [rp2, rp10, rp50], return_periods: [2, 10, 50], defaults: none"
  run_pipeline 3
  stderr_has "has no damage curve (curves: none)"
  stderr_has "add a curve"
  stderr_has "layer 'buildings'"
  ;;
missing-category-field)
  cat >"$tmp/p.yaml" <<YAML
analysis_crs: EPSG:3035
layers:
  provinces: $demo/limburg_provinces.yaml
  flood: $demo/meuse_flood_frequency.yaml
  sites: { source: $demo/meuse_nl_be.gpkg, layer: meuse_samples, role: infrastructure }
steps:
  - shared-zones: { municipalities: provinces, hazard: flood }
  - exposure: { zone_parts: zone_parts, assets: [sites] }
YAML
  run_pipeline 2
  stderr_has "layer 'sites'"
  stderr_has "role infrastructure needs field 'category' and none is mapped"
  stderr_has "set fields.category to one of them, or to \"=VALUE\""
  ;;
asset-layer-is-a-raster)
  cat >"$tmp/p.yaml" <<YAML
analysis_crs: EPSG:3035
layers:
  provinces: $demo/limburg_provinces.yaml
  flood: $demo/meuse_flood_frequency.yaml
  rp2: $demo/meuse_depth_rp2.yaml
steps:
  - shared-zones: { municipalities: provinces, hazard: flood }
  - exposure: { zone_parts: zone_parts, assets: [rp2] }
YAML
  run_pipeline 2
  stderr_has "p.yaml:8: step 'exposure': assets needs a vector layer, but 'rp2' is a raster"
  ;;
*) fail "unknown case" ;;
esac
echo "ok [$case]"
