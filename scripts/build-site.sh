#!/usr/bin/env bash
# Builds the browser side into SITE_DIR: WASM + JS glue (wasm-bindgen), CSS, public assets,
# ECharts and Swagger UI from end2end/node_modules. Usage: build-site.sh dev|release SITE_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:?dev or release}; site=${2:?site dir}
target_dir=${CARGO_TARGET_DIR:-target}
case "$profile" in
  dev) cargo_profile=dev; out=debug ;;
  release) cargo_profile=wasm-release; out=wasm-release ;;
  *) echo "build-site: unknown profile $profile" >&2; exit 2 ;;
esac
cargo build -p ops-frontend --lib --target wasm32-unknown-unknown --profile "$cargo_profile"
cargo build -q -p ops-site-split
mkdir -p "$site/pkg" "$site/swagger"
# Lazy routes: cut the WASM at its split points into chunks plus a loader, then bind the main
# module. wasm-bindgen must keep the linker's exports, which the chunks import by name.
rm -f "$site"/pkg/{split_,chunk_,__wasm_split}*
wasm="$target_dir/wasm32-unknown-unknown/$out/ops_frontend.wasm"
"$target_dir/debug/ops-site-split" "$wasm" "$site/pkg" "${wasm%.wasm}_split.wasm" ops-center
wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle \
  --out-dir "$site/pkg" --out-name ops-center "${wasm%.wasm}_split.wasm"
cp style/main.css "$site/pkg/ops-center.css"
cp -r public/. "$site/"
nm=end2end/node_modules
[ -f "$nm/echarts/dist/echarts.min.js" ] || { echo "build-site: run make setup first (npm packages missing)" >&2; exit 1; }
cp "$nm/echarts/dist/echarts.min.js" "$site/echarts.min.js"
cp "$nm/swagger-ui-dist/swagger-ui-bundle.js" "$nm/swagger-ui-dist/swagger-ui.css" "$site/swagger/"
if [ "$profile" = release ]; then
  node scripts/precompress.mjs "$site"   # .br/.gz beside each asset, served as they are
else
  find "$site" \( -name '*.br' -o -name '*.gz' \) -delete   # stale ones would shadow dev assets
fi
echo "site built in $site ($profile)"
