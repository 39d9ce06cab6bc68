#!/usr/bin/env bash
# ctest driver for the QGIS provider: Debian's QGIS 3.22, headless, with a throwaway profile.
# Usage: qgis_test.sh TWINRISK REPO_ROOT CASE [EVERY_TYPE_REGISTRY]
#   list            qgis_process lists every registry algorithm, no plugin errors on stderr
#   run-equals-cli  qgis_process run twinrisk:shared-zones on the demo == the CLI run (areas ≤ 1e-9)
#   wrong-parameter a nonexistent field fails with twinrisk's message; a negative min_area_m2 is
#                   refused by QGIS from the registry's range
#   memory-layer | selection | cancel | existing-output | output-crs | auto-crs-name |
#   intersection-native | unmapped-warning   PyQGIS checks in pyqgis_test.py
#   dialogs | auto-field | log   the algorithm dialogs, in dialog_test.py
#   existing-output-process  qgis_process refuses an output folder holding results, in QGIS's words
#   every-type | every-type-dialog  a registry declaring every parameter type and output kind
#                   (EVERY_TYPE_REGISTRY prints it): the QGIS parameters and outputs, the command line a run
#                   passes (to a stand-in twinrisk), its results; its dialog
#   install         scripts/install-qgis-plugin --profiles-path P NAME, then the QGIS desktop started
#                   (under Xvfb) with --profiles-path P --profile NAME has the plugin and its algorithms
# Exits 77 (ctest SKIP_RETURN_CODE) when QGIS is not installed: ./scripts/setup-qgis installs it.
set -uo pipefail
tw=$(realpath "$1") root=$(realpath "$2") case=$3 every_type=${4:-}
qp=/usr/bin/qgis_process.bin py=/usr/bin/python3
if [ ! -x "$qp" ] || ! "$py" -c "import qgis.core" 2>/dev/null; then
  echo "SKIP: QGIS is not installed (./scripts/setup-qgis)"; exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
demo=$root/layers/demo/meuse_nl_be.gpkg
export QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=$tmp QGIS_CUSTOM_CONFIG_PATH=$tmp/profile
export QGIS_PLUGINPATH=$root/qgis PATH=$(dirname "$tw"):$PATH
# Standalone PyQGIS falls back to plain QSettings (~/.config/Unknown Organization.conf): keep those in $tmp too.
export XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache
# Qt's temporary files and Processing's processing_* folders, which QGIS leaves behind. Outputs
# stay inside it too: QGIS names a loaded layer after its file unless it lies in the temp folder.
export TMPDIR=$tmp
mkdir -p "$tmp/profile"; chmod 700 "$tmp"

fail() { echo "FAIL [$case]: $*"; for f in out err; do [ -s "$tmp/$f" ] && { echo "--- $f"; grep -v '"percent"' "$tmp/$f" | tail -20; }; done; exit 1; }
qgis() { "$qp" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null; }
# The demo as the CLI runs it, and the same parameters for qgis_process.
cli_demo() {
  "$tw" shared-zones --municipalities "$demo" --municipalities-layer ne_admin1 \
    --municipalities-field id=woe_label --municipalities-field name=name --municipalities-field country=iso_a2 \
    --hazard "$demo" --hazard-layer meuse_flood_freq_zones --hazard-field class=ffreq -o "$1" >/dev/null 2>"$tmp/cli-err" \
    || { cat "$tmp/cli-err"; fail "the CLI run failed"; }
}
qgis_demo_args=("municipalities=$demo|layername=ne_admin1" municipalities_id_field=woe_label
                municipalities_name_field=name municipalities_country_field=iso_a2
                "hazard=$demo|layername=meuse_flood_freq_zones" hazard_class_field=ffreq)

qgis plugins enable twinrisk_provider || fail "cannot enable the plugin"
grep -q "Enabled twinrisk_provider" "$tmp/out" || fail "plugin not enabled"

case $case in
list)
  n_reg=$("$tw" algorithms --json | "$py" -c "import json,sys; print(len(json.load(sys.stdin)['algorithms']))")
  qgis list || fail "qgis_process list exited $?"
  grep -qi error "$tmp/err" && fail "errors on stderr"
  ids_reg=$("$tw" algorithms --json | "$py" -c "import json,sys; print('\n'.join(sorted('twinrisk:'+a['id'] for a in json.load(sys.stdin)['algorithms'])))")
  ids_q=$(grep -oE '^\s*twinrisk:[a-z0-9-]+' "$tmp/out" | tr -d '[:space:]' | sed 's/twinrisk:/\ntwinrisk:/g' | sed '/^$/d' | sort)
  [ "$(echo "$ids_q" | sed '/^$/d' | wc -l)" -eq "$n_reg" ] || fail "qgis_process lists $(echo "$ids_q" | wc -l) twinrisk algorithms, the registry has $n_reg"
  [ "$ids_q" = "$ids_reg" ] || fail "ids differ: $ids_q vs $ids_reg"
  # Every registry parameter is there, with the registry's help.
  for id in $ids_reg; do
    qgis help "$id" || fail "qgis_process help $id exited $?"
    "$tw" algorithms --json | "$py" -c "
import json, re, sys
text = open('$tmp/out').read()
alg = [a for a in json.load(sys.stdin)['algorithms'] if 'twinrisk:' + a['id'] == '$id'][0]
missing = [p['name'] for p in alg['parameters'] if p['name'] + ':' not in text]
# File outputs appear under the provider's identifier for their path (maps/overview.png → maps_overview_png).
qgis_name = lambda o: re.sub(r'[^A-Za-z0-9_]+', '_', o['name']).strip('_') if o.get('kind') == 'file' else o['name']
missing += [o['name'] for o in alg['outputs'] if qgis_name(o) + ':' not in text]
if alg['help'][:60] not in text: missing.append('help text')
sys.exit('missing in qgis_process help: ' + ', '.join(missing) if missing else 0)" || fail "$id help incomplete"
  done
  echo "ok: $n_reg algorithms: $(echo $ids_q)"
  ;;
run-equals-cli)
  cli_demo "$tmp/cli"
  qgis run twinrisk:shared-zones --json -- "${qgis_demo_args[@]}" output="$tmp/qgis" || fail "qgis_process run exited $?"
  grep -qi '"type": *"error"\|^ERROR' "$tmp/err" && fail "errors on stderr"
  "$py" - "$tmp/out" "$tmp/qgis" <<'PY' || fail "results JSON"
import json, sys
results = json.load(open(sys.argv[1]))['results']
folder = sys.argv[2]
assert results['zones'] == folder + '/twinrisk.gpkg|layername=zones', results
assert results['zone_summary'] == folder + '/tables/zone_summary.csv', results
assert results['manifest'] == folder + '/manifest.json', results
PY
  "$py" "$here/compare_outputs.py" "$tmp/cli" "$tmp/qgis" || fail "qgis_process result differs from the CLI run"
  cmp -s "$tmp/cli/tables/zone_summary.csv" "$tmp/qgis/tables/zone_summary.csv" || fail "zone_summary.csv differs"
  ;;
wrong-parameter)
  args=("${qgis_demo_args[@]}")
  args[1]=municipalities_id_field=no_such_field
  qgis run twinrisk:shared-zones -- "${args[@]}" output="$tmp/o1" && fail "a nonexistent field was accepted"
  grep -qF "field 'no_such_field' not found in layer 'ne_admin1'" "$tmp/err" || fail "twinrisk's message is not passed on"
  grep -qF "exit code 2" "$tmp/err" || fail "exit code not reported"
  message=$(grep -m1 -F "no_such_field" "$tmp/err")
  [ -e "$tmp/o1/twinrisk.gpkg" ] && fail "an output was written"
  qgis run twinrisk:shared-zones -- "${qgis_demo_args[@]}" min_area_m2=-5 output="$tmp/o2" && fail "min_area_m2=-5 was accepted"
  grep -qF "min_area_m2" "$tmp/err" || fail "no message naming min_area_m2"
  echo "ok: $message"
  echo "ok: $(grep -m1 -F "min_area_m2" "$tmp/err")"
  ;;
memory-layer|selection|cancel|existing-output|output-crs|auto-crs-name|intersection-native|unmapped-warning)
  cli_demo "$tmp/cli"
  "$py" "$here/pyqgis_test.py" "$root" "$tmp/cli" "$tmp" "$case" >"$tmp/out" 2>"$tmp/err" || fail "pyqgis_test.py $case"
  grep -v DeprecationWarning "$tmp/err" | grep -qi "error\|Traceback" && fail "errors on stderr"
  cat "$tmp/out"
  ;;
every-type|every-type-dialog)
  # A stand-in twinrisk: describes the every-type registry; a run records its arguments (and the
  # layer definition files it is given) and writes the outputs the provider returns.
  mkdir -p "$tmp/argv"
  cat > "$tmp/fake-twinrisk" <<SH
#!/bin/sh
[ "\$1" = algorithms ] && exec "$every_type"
printf '%s\n' "\$@" > "$tmp/argv/argv"
out=; prev=
for a in "\$@"; do
  case \$a in *.yaml) cp "\$a" "$tmp/argv/" ;; esac
  [ "\$prev" = --output ] && out=\$a
  prev=\$a
done
mkdir -p "\$out/tables" "\$out/maps" "\$out/report"
printf 'zone,exposed\n1,4\n2,0\n' > "\$out/tables/by_zone.csv"
: > "\$out/maps/overview.png"; : > "\$out/report/index.html"
echo "Outputs:"
SH
  chmod +x "$tmp/fake-twinrisk"
  if [ "$case" = every-type ]; then
    TWINRISK_TEST_BINARY=$tmp/fake-twinrisk "$py" "$here/pyqgis_test.py" "$root" - "$tmp" "$case" >"$tmp/out" 2>"$tmp/err" \
      || fail "pyqgis_test.py $case"
  else
    TWINRISK_TEST_BINARY=$tmp/fake-twinrisk "$py" "$here/dialog_test.py" "$root" "$tmp" "$case" >"$tmp/out" 2>"$tmp/err" \
      || fail "dialog_test.py $case"
  fi
  grep -v DeprecationWarning "$tmp/err" | grep -qi "error\|Traceback" && fail "errors on stderr"
  cat "$tmp/out"
  ;;
dialogs|auto-field|log)
  "$py" "$here/dialog_test.py" "$root" "$tmp" "$case" >"$tmp/out" 2>"$tmp/err" || fail "dialog_test.py $case"
  grep -v DeprecationWarning "$tmp/err" | grep -qi "error\|Traceback" && fail "errors on stderr"
  cat "$tmp/out"
  ;;
existing-output-process)
  cli_demo "$tmp/cli"
  before=$(cd "$tmp/cli" && find . -type f -exec sha256sum {} + | sort)
  qgis run twinrisk:shared-zones -- "${qgis_demo_args[@]}" output="$tmp/cli" && fail "an output folder with results was accepted"
  message=$(grep -m1 -F "the output folder already holds results — tick Overwrite" "$tmp/err") \
    || fail "not refused in QGIS's words"
  [ "$before" = "$(cd "$tmp/cli" && find . -type f -exec sha256sum {} + | sort)" ] || fail "the existing results changed"
  qgis run twinrisk:shared-zones -- "${qgis_demo_args[@]}" output="$tmp/cli" overwrite=true || fail "refused with overwrite=true"
  echo "ok: $message"
  ;;
install)
  command -v xvfb-run >/dev/null || { echo "SKIP: xvfb-run is not installed"; exit 77; }
  profiles=$tmp/qgis-config  # what `qgis --profiles-path` is given; QGIS reads its profiles/NAME
  # The old mistake: a folder that is not PROFILES_PATH/profiles/NAME is refused, not written.
  "$root/scripts/install-qgis-plugin" "$profiles/default" >"$tmp/out" 2>"$tmp/err" && fail "installed into $profiles/default"
  grep -qF "not a QGIS profile folder" "$tmp/err" || fail "no reason given for refusing $profiles/default"
  [ -e "$profiles/default" ] && fail "$profiles/default was created"
  "$root/scripts/install-qgis-plugin" --profiles-path "$profiles" work >"$tmp/out" 2>"$tmp/err" \
    || fail "install-qgis-plugin --profiles-path $profiles work exited $?"
  cat > "$tmp/started.py" <<'PY'
import os
import qgis.utils
from qgis.core import QgsApplication
from qgis.PyQt.QtCore import QTimer
provider = QgsApplication.processingRegistry().providerById('twinrisk')
with open(os.environ['TWINRISK_STARTED'], 'w') as out:
    out.write(f"{QgsApplication.qgisSettingsDirPath()} {'twinrisk_provider' in qgis.utils.active_plugins} "
              f"{len(provider.algorithms()) if provider else 0}\n")
QTimer.singleShot(0, QgsApplication.instance().quit)
PY
  # The desktop as a user starts it (Debian's qgis wrapper passes --noversioncheck), with no
  # QGIS_PLUGINPATH: only the profile can lead it to the plugin.
  env -u QGIS_PLUGINPATH -u QGIS_CUSTOM_CONFIG_PATH -u QT_QPA_PLATFORM TWINRISK_STARTED="$tmp/started" \
    timeout 120 xvfb-run -a /usr/bin/qgis.bin --noversioncheck --nologo --profiles-path "$profiles" --profile work \
    --code "$tmp/started.py" >"$tmp/qgis-out" 2>"$tmp/qgis-err" </dev/null || fail "QGIS exited $? ($(tail -3 "$tmp/qgis-err"))"
  [ -s "$tmp/started" ] || fail "QGIS ran no startup code"
  read -r settings active algorithms <"$tmp/started"
  [ "$settings" = "$profiles/profiles/work/" ] || fail "QGIS used the profile $settings"
  [ "$active" = True ] || fail "QGIS started without the plugin"
  n_reg=$("$tw" algorithms --json | "$py" -c "import json,sys; print(len(json.load(sys.stdin)['algorithms']))")
  [ "$algorithms" -eq "$n_reg" ] || fail "the provider offers $algorithms algorithms, the registry $n_reg"
  echo "ok: $(tail -1 "$tmp/out")"
  echo "ok: QGIS started with --profiles-path $profiles --profile work: plugin active, $algorithms algorithms"
  ;;
*) fail "unknown case" ;;
esac
echo "PASS [$case]"
