#!/usr/bin/env bash
# Report check: renders a report page, then opens it in headless Chromium with the network cut off
# and saves a screenshot, proving the page stands alone offline and its inline-SVG charts draw.
#
#   tools/report-check/check.sh [OUT_DIR] [EVAL_JSON [METRICS_JSONL] | REPORT_HTML]
#
# OUT_DIR defaults to tmp/report-check. Without EVAL_JSON the page comes from a built-in synthetic
# evaluation; a finished page (a run's report.html) is checked as it is. Chromium is taken from $CHROMIUM, else chromium / chromium-browser / google-chrome on
# PATH; when none is found and we run as root on Debian/Ubuntu, `apt-get install chromium` installs it
# (set REPORT_CHECK_NO_INSTALL=1 to forbid). Exit 0 = page written, self-contained, all charts in the
# rendered DOM, screenshot written; the PNG is left in OUT_DIR for a person to look at.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-tmp/report-check}"
shift || true

npx tsx tools/report-check/render.ts "$out" "$@"

find_chromium() {
  for c in "${CHROMIUM:-}" chromium chromium-browser google-chrome google-chrome-stable; do
    if [ -n "$c" ] && command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
  done
  return 1
}

if ! browser="$(find_chromium)"; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ -z "${REPORT_CHECK_NO_INSTALL:-}" ]; then
    echo "installing chromium with apt-get…" >&2
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
    browser="$(find_chromium)"
  else
    echo "report-check: no Chromium found (set CHROMIUM=/path/to/chrome); the HTML checks passed, the screenshot was skipped" >&2
    exit 3
  fi
fi

page="file://$(realpath "$out/report.html")"
# An unreachable proxy and no DNS: any attempt to load something from the network fails.
offline=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-background-networking
  --proxy-server=127.0.0.1:9 --host-resolver-rules="MAP * ~NOTFOUND")

"$browser" "${offline[@]}" --dump-dom "$page" 2>/dev/null > "$out/dom.html"
charts="$(grep -o '<svg class="chart"' "$out/dom.html" | wc -l)"
expected="$(grep -o '<svg class="chart"' "$out/report.html" | wc -l)"
if [ "$charts" -eq 0 ] || [ "$charts" -ne "$expected" ]; then
  echo "report-check: the rendered page holds $charts charts, the file $expected" >&2
  exit 1
fi

"$browser" "${offline[@]}" --window-size=1280,4400 --screenshot="$out/report.png" "$page" 2>/dev/null
size="$(stat -c %s "$out/report.png" 2>/dev/null || echo 0)"
if [ "$size" -lt 20000 ]; then
  echo "report-check: screenshot missing or blank ($size bytes)" >&2
  exit 1
fi
echo "report-check: ok — $charts charts rendered offline; screenshot $out/report.png ($size bytes)"
