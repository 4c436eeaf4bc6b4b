#!/usr/bin/env bash
# Regenerate docs/report.png: the HTML report of examples/legacy-nginx (with the equivalence
# check) as headless Chromium (Debian's `chromium` package) shows it.
set -euo pipefail
cd "$(dirname "$0")/.."
ING2GW=${ING2GW:-.venv/bin/ing2gw}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$ING2GW" convert -f examples/legacy-nginx --verify --report "$tmp/report.html" --fail-on never >/dev/null 2>&1
chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --user-data-dir="$tmp/profile" --hide-scrollbars --window-size=1280,1500 \
  --screenshot=docs/report.png "file://$tmp/report.html" 2>/dev/null
echo "wrote docs/report.png"
