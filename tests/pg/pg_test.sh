#!/usr/bin/env bash
# PostGIS as a source and as a sink, against the throwaway cluster of cluster.sh (a ctest fixture).
# Usage: pg_test.sh TWINRISK SOURCE_DIR CLUSTER_DIR CASE
#   roundtrip  municipalities read from PostGIS, results written to PostGIS, equal to the folder run
#   rollback   a step that fails after an earlier step wrote its layer leaves no table (nor schema)
#   secrets    the password appears in no output file, on stdout or on stderr
#   pushdown   probing does not scan the table (no count(*)); bbox: is a spatial filter in SQL
set -uo pipefail
tw=$1 src=$2 cluster=$3 case=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
demo=$src/layers/demo/meuse_nl_be.gpkg
fail() { echo "FAIL [$case]: $*"; for f in "$tmp"/out "$tmp"/err; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done; exit 1; }
if [ ! -f "$cluster/env" ]; then
  [ -x /usr/lib/postgresql/15/bin/initdb ] && fail "no cluster at $cluster although PostgreSQL is installed (see pg.start)"
  echo "PostgreSQL is not installed: skipped (./scripts/setup installs it)"; exit 77
fi
. "$cluster/env"
pg="PG:dbname=$PGDATABASE host=$PGHOST port=$PGPORT user=$PGUSER password=$PGPASSWORD"
schema="t_${case//-/_}"
run() {  # run EXPECTED_EXIT ARGS...
  local want=$1; shift
  "$tw" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  local rc=$?
  [ "$rc" -eq "$want" ] || fail "exit $rc, want $want: twinrisk $*"
}
tables_in() { psql -Atq -c "SELECT count(*) FROM information_schema.tables WHERE table_schema = '$1'"; }
schema_exists() { psql -Atq -c "SELECT count(*) FROM information_schema.schemata WHERE schema_name = '$1'"; }
psql -q -c "DROP SCHEMA IF EXISTS $schema CASCADE; DROP SCHEMA IF EXISTS src_$schema CASCADE; CREATE SCHEMA src_$schema" \
  >/dev/null 2>&1 || fail "psql"
ogr2ogr -f PostgreSQL "$pg" "$demo" ne_admin1 -nln "src_$schema.provinces" -lco GEOMETRY_NAME=geom || fail "ogr2ogr load"
psql -q -c "ANALYZE src_$schema.provinces"

pipeline() {  # pipeline FILE MUNICIPALITIES_SOURCE [EXTRA_LAYER_KEYS]
  cat >"$1" <<YAML
analysis_crs: EPSG:3035
layers:
  provinces: { source: "$2", layer: $3, role: municipalities, fields: { id: woe_label, name: name, country: iso_a2 } $4}
  flood: { source: $demo, layer: meuse_flood_freq_zones, role: hazard, fields: { class: ffreq } }
steps:
  - shared-zones: { municipalities: provinces, hazard: flood }
YAML
}

case $case in
roundtrip)
  pipeline "$tmp/pg.yaml" "$pg" "src_$schema.provinces" ""
  pipeline "$tmp/gpkg.yaml" "$demo" ne_admin1 ""
  run 0 run "$tmp/pg.yaml" -o "$pg active_schema=$schema" --progress none
  run 0 run "$tmp/gpkg.yaml" -o "$tmp/folder" --progress none
  [ "$(tables_in "$schema")" -eq 5 ] || fail "want 5 tables in $schema (zones, zone_parts, 2 tables, manifest)"
  for t in zone_summary municipality_summary; do
    cols=$(head -1 "$tmp/folder/tables/$t.csv" | tr -d '\r')
    psql -Atq -c "COPY (SELECT $cols FROM $schema.$t ORDER BY fid) TO STDOUT WITH (FORMAT csv, HEADER)" >"$tmp/$t.pg.csv" \
      || fail "read $schema.$t"
    $py - "$tmp/folder/tables/$t.csv" "$tmp/$t.pg.csv" <<'PY' || fail "$t differs between PostGIS and the folder"
import csv, sys
a = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
b = list(csv.reader(open(sys.argv[2], newline="", encoding="utf-8")))
assert a[0] == b[0] and len(a) == len(b) > 1, (a[0], b[0], len(a), len(b))
for ra, rb in zip(a[1:], b[1:]):
    for x, y in zip(ra, rb):
        try:
            assert abs(float(x) - float(y)) <= 1e-12 * max(1.0, abs(float(x))), (x, y)
        except ValueError:
            assert x == y, (x, y)
print(f"{sys.argv[1]}: {len(a) - 1} rows equal")
PY
  done
  ogr2ogr -f GPKG "$tmp/from_pg.gpkg" "$pg" "$schema.zone_parts" -nln zone_parts || fail "read back zone_parts"
  $py - "$tmp/folder/twinrisk.gpkg" "$tmp/from_pg.gpkg" <<'PY' || fail "zone_parts differ"
import sys
from osgeo import ogr
def parts(path):
    ds = ogr.Open(path)
    lyr = ds.GetLayerByName("zone_parts")
    return sorted((f["zone_id"], f["municipality_id"], round(f["area_m2"], 6), round(f.GetGeometryRef().GetArea(), 3)) for f in lyr)
a, b = parts(sys.argv[1]), parts(sys.argv[2])
assert len(a) == 77 and a == b, (len(a), len(b))
print("zone_parts: 77 parts equal")
PY
  # An existing result is refused (exit 4) and left as it is; --overwrite replaces it in one transaction.
  before=$(psql -Atq -c "SELECT md5(string_agg(manifest, '')) FROM $schema.twinrisk_manifest")
  run 4 run "$tmp/pg.yaml" -o "$pg active_schema=$schema" --progress none
  grep -q "already exists: .*$schema.zones" "$tmp/err" || fail "no 'already exists' message"
  [ "$before" = "$(psql -Atq -c "SELECT md5(string_agg(manifest, '')) FROM $schema.twinrisk_manifest")" ] || fail "changed"
  run 0 run "$tmp/pg.yaml" -o "$pg active_schema=$schema" --progress none --overwrite
  [ "$(psql -Atq -c "SELECT count(*) FROM $schema.zone_parts")" -eq 77 ] || fail "overwrite did not replace zone_parts"
  ;;
rollback)
  # intersection writes its layer, then shared-zones finds that layer has no id field: the run
  # fails after a table was created inside the transaction.
  cat >"$tmp/p.yaml" <<YAML
analysis_crs: EPSG:3035
layers:
  provinces: { source: "$pg", layer: src_$schema.provinces, role: municipalities, fields: { id: woe_label } }
  flood: { source: $demo, layer: meuse_flood_freq_zones, role: hazard, fields: { class: ffreq } }
steps:
  - intersection: { input: flood, overlay: provinces }
  - shared-zones: { municipalities: intersection, hazard: flood }
YAML
  run 2 run "$tmp/p.yaml" -o "$pg active_schema=$schema" --progress none
  grep -q "layer 'intersection': role municipalities needs field 'id'" "$tmp/err" || fail "the failure is not named"
  grep -q "p.yaml:7: step 'shared-zones'" "$tmp/err" || fail "no file:line"
  [ "$(schema_exists "$schema")" -eq 0 ] || fail "schema $schema left behind ($(tables_in "$schema") tables)"
  # Over an existing result with --overwrite: the old tables were dropped inside the transaction,
  # so the failure brings them back unchanged.
  pipeline "$tmp/ok.yaml" "$pg" "src_$schema.provinces" ""
  run 0 run "$tmp/ok.yaml" -o "$pg active_schema=$schema" --progress none
  before=$(psql -Atq -c "SELECT md5(string_agg(manifest, '')) || count(*) FROM $schema.twinrisk_manifest, $schema.zones")
  run 2 run "$tmp/p.yaml" -o "$pg active_schema=$schema" --progress none --overwrite
  after=$(psql -Atq -c "SELECT md5(string_agg(manifest, '')) || count(*) FROM $schema.twinrisk_manifest, $schema.zones")
  [ "$before" = "$after" ] || fail "the failed --overwrite run changed the old result ($before → $after)"
  [ "$(tables_in "$schema")" -eq 5 ] || fail "want the old 5 tables, have $(tables_in "$schema")"
  ;;
secrets)
  pipeline "$tmp/p.yaml" "$pg" "src_$schema.provinces" ""
  run 0 run "$tmp/p.yaml" -o "$tmp/folder" --progress json
  cat "$tmp/out" "$tmp/err" >"$tmp/all_printed"
  run 0 run "$tmp/p.yaml" -o "$pg active_schema=$schema" --progress bar
  cat "$tmp/out" "$tmp/err" >>"$tmp/all_printed"
  run 3 info "PG:dbname=no_such_db host=$PGHOST port=$PGPORT user=$PGUSER password=$PGPASSWORD"
  cat "$tmp/out" "$tmp/err" >>"$tmp/all_printed"
  grep -q "password=\*\*\*" "$tmp/err" || fail "the failed connection's message does not show the redacted string"
  run 4 run "$tmp/p.yaml" -o "PG:dbname=no_such_db host=$PGHOST port=$PGPORT user=$PGUSER password='$PGPASSWORD'"
  cat "$tmp/out" "$tmp/err" >>"$tmp/all_printed"
  pipeline "$tmp/bad.yaml" "PG:dbname=no_such_db host=$PGHOST port=$PGPORT user=$PGUSER password=$PGPASSWORD" provinces ""
  run 3 run "$tmp/bad.yaml" -o "$tmp/never" --progress json
  cat "$tmp/out" "$tmp/err" >>"$tmp/all_printed"
  grep -qF -- "$PGPASSWORD" "$tmp/all_printed" && fail "the password was printed: $(grep -F -- "$PGPASSWORD" "$tmp/all_printed" | head -2)"
  grep -rqaF -- "$PGPASSWORD" "$tmp/folder" && fail "the password is in the output folder: $(grep -rlaF -- "$PGPASSWORD" "$tmp/folder")"
  psql -Atq -c "SELECT manifest FROM $schema.twinrisk_manifest" | grep -qF -- "$PGPASSWORD" && fail "the password is in the PostGIS manifest"
  grep -q '"source": "PG:dbname=twinrisk .*password=\*\*\*' "$tmp/folder/manifest.json" || fail "manifest lacks the redacted source"
  ;;
pushdown)
  mark=$(wc -l <"$cluster/server.log")
  # Limburg (NL) lies north of 50.75°N and Limburg (BE) south of 51.35°N: a box around the NL
  # part of the floodplain only keeps the two provinces that meet it.
  pipeline "$tmp/p.yaml" "$pg" "src_$schema.provinces" ", bbox: [5.7, 50.95, 5.8, 51.0] "
  run 0 run "$tmp/p.yaml" -o "$tmp/folder" --progress none
  log=$(tail -n +"$mark" "$cluster/server.log")
  echo "$log" | grep -qi "count(\*) FROM \"src_$schema\".\"provinces\"" && fail "probe scanned the table: $(echo "$log" | grep -i "count(\*)" | head -1)"
  echo "$log" | grep -i "CURSOR for SELECT.*FROM \"src_$schema\".\"provinces\"" | grep -q '"geom" && ST_SetSRID(.BOX3D(5.7' \
    || fail "bbox was not pushed to PostgreSQL: $(echo "$log" | grep -i "cursor for select" | head -2)"
  grep -q "provinces        2 features read" "$tmp/out" || fail "$(grep provinces "$tmp/out")"
  ;;
*) fail "unknown case" ;;
esac
psql -q -c "DROP SCHEMA IF EXISTS $schema CASCADE; DROP SCHEMA IF EXISTS src_$schema CASCADE" >/dev/null 2>&1
echo "PASS [$case]"
