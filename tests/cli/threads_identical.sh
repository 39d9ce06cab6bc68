#!/usr/bin/env bash
# Results must not depend on the thread count: byte-identical GeoPackage and CSV tables for
# --threads 1 and --threads 2 on generated data (SOURCE_DATE_EPOCH pins the GeoPackage timestamps).
# Usage: threads_identical.sh TWINRISK BENCH_GENERATOR
set -euo pipefail
tw=$1 gen=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$gen" --municipalities 400 --hazards 120 --seed 7 -o "$tmp/data.gpkg" >/dev/null
cat >"$tmp/p.yaml" <<YAML
analysis_crs: EPSG:3035
layers:
  m: { source: data.gpkg, layer: municipalities, role: municipalities, fields: { id: id, name: name, country: country } }
  h: { source: data.gpkg, layer: hazard, role: hazard, fields: { class: class } }
steps:
  - shared-zones: { municipalities: m, hazard: h }
YAML
export SOURCE_DATE_EPOCH=1700000000
for t in 1 2; do "$tw" run "$tmp/p.yaml" -o "$tmp/out$t" --threads "$t" --progress none >/dev/null; done
for f in twinrisk.gpkg tables/zone_summary.csv tables/municipality_summary.csv; do
  if ! cmp -s "$tmp/out1/$f" "$tmp/out2/$f"; then echo "FAIL: $f differs between --threads 1 and 2"; exit 1; fi
done
zones=$(grep -c . "$tmp/out1/tables/zone_summary.csv")
[ "$zones" -ge 2 ] || { echo "FAIL: no zones were produced"; exit 1; }
echo "PASS: identical outputs for 1 and 2 threads"
