#!/usr/bin/env bash
# Benchmarks (on demand; not timed tests). Usage: bench.sh BIN SITE_DIR
# Prints: start-to-ready, idle RSS, first-page transfer (compressed), dashboard SSR time to
# first byte, and server CPU while 1,000 SSE clients follow the metrics stream.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "$1"); site=$(realpath "$2")
ulimit -n 8192 || true
work=$(mktemp -d); port=${BENCH_PORT:-3917}; base="http://127.0.0.1:$port"
pw='a slow timing passphrase'
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$bin" admin create --email bench@example.com --password "$pw" --role admin --data-dir "$work" >/dev/null
t0=$(date +%s%N)
OPS_SITE_DIR=$site OPS_LOG=warn "$bin" serve --bind 127.0.0.1:$port --data-dir "$work" >"$work/log" 2>&1 &
pid=$!
until curl -fs "$base/healthz" >/dev/null; do sleep 0.01; done
t1=$(date +%s%N)
echo "start-to-ready: $(( (t1 - t0) / 1000000 )) ms"
sleep 3
echo "idle RSS: $(( $(ps -o rss= -p $pid) / 1024 )) MiB"

size() { curl -s -o /dev/null -H 'Accept-Encoding: br, gzip' -w '%{size_download}' "$@"; }
html=$(size "$base/login")
wasm=$(size "$base/pkg/ops-center_bg.wasm"); js=$(size "$base/pkg/ops-center.js"); css=$(size "$base/pkg/ops-center.css")
raw_wasm=$(stat -c %s "$site/pkg/ops-center_bg.wasm")
echo "first page (/login) compressed: html $html + wasm $wasm + js $js + css $css = $(( (html + wasm + js + css) / 1024 )) KiB (wasm raw $(( raw_wasm / 1024 )) KiB)"
echo "  dashboard adds echarts.min.js: $(( $(size "$base/echarts.min.js") / 1024 )) KiB compressed"

jar="$work/jar"
curl -s -c "$jar" -H 'content-type: application/json' -d "{\"email\":\"bench@example.com\",\"password\":\"$pw\"}" "$base/api/v1/auth/login" >/dev/null
echo "what Chromium transfers to load and hydrate a page (compressed; ECharts not counted):"
node end2end/page_weight.mjs "$base" - /login
session=$(awk '$6 == "ops_session" {print $6 "=" $7}' "$jar")
node end2end/page_weight.mjs "$base" "$session" / /admin/users /account/security /org/none
ttfb=()
for _ in $(seq 20); do ttfb+=("$(curl -s -o /dev/null -b "$jar" -w '%{time_starttransfer}' "$base/" || echo fail)"); done; echo "ttfb samples: ${ttfb[*]}"
printf 'dashboard SSR time to first byte: median %s ms over 20\n' \
  "$(printf '%s\n' "${ttfb[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]*1000}')"

key=$(curl -s -b "$jar" -H 'content-type: application/json' -d '{"name":"bench"}' "$base/api/v1/api-keys" | sed -E 's/.*"secret":"([^"]+)".*/\1/')
python3 scripts/bench_sse.py "$port" "$key" "$pid" "${BENCH_SSE_CLIENTS:-1000}" "${BENCH_SECONDS:-10}"
