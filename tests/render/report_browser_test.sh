#!/usr/bin/env bash
# ctest driver: the Meuse demo's bilingual report (de+fr) opened in headless chromium — no console
# errors, every image loaded, not blank — and both languages' titles in the HTML and the PDF.
# Usage: report_browser_test.sh TWINRISK RENDER_BENCH REPO_ROOT. Exits 77 (skip) without chromium.
set -uo pipefail
tw=$(realpath "$1") bench=$(realpath "$2") root=$(realpath "$3")
command -v chromium >/dev/null || { echo "SKIP: chromium is not installed (scripts/setup)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$tw" demo -o "$tmp/run" >"$tmp/demo.log" 2>&1 || { cat "$tmp/demo.log"; echo "FAIL: twinrisk demo"; exit 1; }
"$bench" "$root/examples/meuse.yaml" "$tmp/run" "$tmp/out" --lang de+fr --report >"$tmp/bench.log" 2>&1 \
  || { cat "$tmp/bench.log"; echo "FAIL: maps and report"; exit 1; }
for title in "Gemeinsames Hochwasserrisiko" "Risque d’inondation partagé"; do
  grep -q "$title" "$tmp/out/report/index.html" || { echo "FAIL: '$title' not in index.html"; exit 1; }
  pdftotext "$tmp/out/report/report.pdf" - | tr '\n' ' ' | grep -q "$title" || { echo "FAIL: '$title' not in report.pdf"; exit 1; }
done
python3 "$root/tests/render/browser_check.py" chromium "$tmp/out/report" "$tmp"
