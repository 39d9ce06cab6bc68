#!/usr/bin/env bash
# docs/algorithms/*.md must be exactly what the registry generates (`twinrisk algorithms --docs`).
# Usage: docs_drift.sh TWINRISK DOCS_DIR
set -uo pipefail
tw=$1 docs=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$tw" algorithms --docs "$tmp/algorithms" >/dev/null || { echo "FAIL: twinrisk algorithms --docs exited $?"; exit 1; }
if ! diff -ru "$docs" "$tmp/algorithms" >"$tmp/diff"; then
  head -60 "$tmp/diff"
  echo "FAIL: docs/algorithms differs from the algorithm registry. Regenerate and commit it:"
  echo "  rm -rf docs/algorithms && build/twinrisk algorithms --docs docs/algorithms && git add -A docs/algorithms"
  exit 1
fi
echo "PASS: docs/algorithms matches the registry ($(ls "$docs" | wc -l) pages)"
