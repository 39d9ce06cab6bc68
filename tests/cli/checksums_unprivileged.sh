#!/usr/bin/env bash
# The manifest's input checksums when another process keeps the run's core busy and the run has
# no CAP_SYS_NICE (nobody, when the tests run as root). fb950ae hashed inputs at SCHED_IDLE: such a
# user cannot take a thread back from idle priority, and beside a busy process the thread barely
# ran (this run waited over 30 s for 60 MB). Every checksum is right, and the run does not wait.
# Usage: checksums_unprivileged.sh TWINRISK DATA_DIR
set -uo pipefail
tw=$1 data=$2
py=/usr/bin/python3
work=$(mktemp -d)
busy=
trap '[ -n "$busy" ] && kill "$busy" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; cat "$work/err" 2>/dev/null; exit 1; }

# A sanitized build stays root: as nobody it could not write its reports where .ci/run reads them.
as_user=()
if [ "$(id -u)" = 0 ] && ! grep -qa __asan_init "$tw"; then
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
fi
# Everything the run reads, where the unprivileged user may read it.
chmod 755 "$work"
cp "$tw" "$work/twinrisk"
cp "$data/flood.geojson" "$work/"
$py - "$data/towns.geojson" "$work/towns.gpkg" <<'EOF' || fail "cannot make the padded GeoPackage"
import os, sqlite3, sys
from osgeo import gdal
gdal.UseExceptions()
gdal.VectorTranslate(sys.argv[2], sys.argv[1], format="GPKG", layerName="towns")
with sqlite3.connect(sys.argv[2]) as db:  # a table GDAL does not list: bytes to hash, nothing to read
    db.execute("CREATE TABLE padding (b BLOB)")
    for _ in range(60):
        db.execute("INSERT INTO padding VALUES (?)", (os.urandom(1 << 20),))
EOF
cat > "$work/p.yaml" <<'EOF'
analysis_crs: auto
layers:
  towns: { source: towns.gpkg, layer: towns, role: municipalities, fields: { id: code, name: naam, country: land } }
  flood: { source: flood.geojson, role: hazard, fields: { class: hq } }
steps:
  - shared-zones: { municipalities: towns, hazard: flood }
EOF
mkdir "$work/out" && chmod 777 "$work/out"

taskset -c 0 bash -c 'while :; do :; done' &
busy=$!
timeout 12 taskset -c 0 "${as_user[@]}" "$work/twinrisk" run "$work/p.yaml" -o "$work/out/o" >/dev/null 2>"$work/err"
rc=$?
[ "$rc" -eq 124 ] && fail "the run waited for the idle-priority hashing thread (killed after 12 s)"
[ "$rc" -eq 0 ] || fail "exit $rc"
$py -c "
import hashlib, json, sys
m = json.load(open(sys.argv[1]))
sums = {e['source']: e.get('sha256') for e in m['inputs']}
assert len(sums) == 2, sums
for source, digest in sums.items():
    assert digest == hashlib.sha256(open(source, 'rb').read()).hexdigest(), (source, digest)
" "$work/out/o/manifest.json" || fail "an input's checksum is missing or wrong"
echo "ok"
