#!/usr/bin/env bash
# ctest driver: the Meuse demo's bilingual report (de+fr) opened in headless chromium — no console
# errors, every image loaded, not blank — and both languages' titles in the HTML and the PDF.
# Usage: report_browser_test.sh TWINRISK REPO_ROOT. Exits 77 (skip) without chromium.
set -uo pipefail
tw=$(realpath "$1") root=$(realpath "$2")
command -v chromium >/dev/null || { echo "SKIP: chromium is not installed (scripts/setup)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$tw" demo -o "$tmp/out" --lang de+fr >"$tmp/demo.log" 2>&1 || { cat "$tmp/demo.log"; echo "FAIL: twinrisk demo"; exit 1; }
for title in "Gemeinsames Hochwasserrisiko" "Risque d’inondation partagé"; do
  grep -q "$title" "$tmp/out/report/index.html" || { echo "FAIL: '$title' not in index.html"; exit 1; }
  pdftotext "$tmp/out/report/report.pdf" - | tr '\n' ' ' | grep -q "$title" || { echo "FAIL: '$title' not in report.pdf"; exit 1; }
done
python3 "$root/tests/render/browser_check.py" chromium "$tmp/out/report" "$tmp"
