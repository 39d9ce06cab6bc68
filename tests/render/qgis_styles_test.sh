#!/usr/bin/env bash
# ctest driver: the demo's GeoPackage opens in Debian's QGIS 3.22 styled from layer_styles, with the
# colours of the Mapnik style generated from the same YAML. Exits 77 (skip) without QGIS.
# Usage: qgis_styles_test.sh TWINRISK STYLEGEN REPO_ROOT
set -uo pipefail
tw=$(realpath "$1") gen=$(realpath "$2") root=$(realpath "$3")
py=/usr/bin/python3
if ! "$py" -c "import qgis.core" 2>/dev/null; then echo "SKIP: QGIS is not installed (./scripts/setup-qgis)"; exit 77; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=$tmp QGIS_CUSTOM_CONFIG_PATH=$tmp/profile
export XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache
export TMPDIR=$tmp  # Qt's and Processing's temporary files, which QGIS leaves behind
mkdir -p "$tmp/profile"; chmod 700 "$tmp"
"$tw" demo -o "$tmp/demo" >"$tmp/demo.log" 2>&1 || { cat "$tmp/demo.log"; echo "FAIL: twinrisk demo"; exit 1; }
"$gen" --mapnik "$root/styles/zones.yaml" >"$tmp/zones.xml" || { echo "FAIL: twinrisk-stylegen"; exit 1; }
"$py" "$root/tests/render/qgis_styles.py" "$tmp/demo/twinrisk.gpkg" "$tmp/zones.xml" 2> >(grep -v "^QStandardPaths\|^Application path" >&2)
