#!/usr/bin/env bash
# On-demand benchmark of the AI gateway (not a test): one interleaved run on loopback of four
# paths to the same canned upstream (an nginx mock): direct, an nginx proxy hop, ops-center's
# gateway and the LiteLLM proxy. See README.md beside this file.
#
# Usage: bench/gateway/run.sh [--rounds N] [--duration S] [--connections C] [--threads T]
#                             [--stream-requests N] [--skip-litellm] [--skip-ops] [--keep] [--out FILE]
# Env:   OPS_BIN (default $CARGO_TARGET_DIR/release/ops-center, else <repo>/target/release/ops-center)
#        LITELLM_VENV (default $HOME/.cache/ops-bench/litellm-venv), BENCH_NGINX_WORKERS (auto),
#        BENCH_OPS_LOG (warn)
# Every server is bound to 127.0.0.1 and stopped by PID on exit; every loop is bounded.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
helper=(python3 "$here/helper.py")

rounds=3 duration=10 connections=64 threads=2 stream_n=200
skip_litellm=0 skip_ops=0 keep=0 out=""
usage() { sed -n '6,10p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --stream-requests) stream_n=$2; shift 2 ;;
    --skip-litellm) skip_litellm=1; shift ;;
    --skip-ops) skip_ops=1; shift ;;
    --keep) keep=1; shift ;;
    --out) out=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
for v in rounds duration connections threads stream_n; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "--${v//_/-} needs a positive whole number" >&2; exit 2; }
done

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- prerequisites
missing=()
for c in nginx wrk curl python3; do
  command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || missing+=("$c")
done
if [ ${#missing[@]} -gt 0 ]; then
  die "missing: ${missing[*]}. Install them with: apt-get install -y nginx-light wrk curl python3"
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

if [ "$skip_ops" = 0 ]; then
  OPS_BIN=${OPS_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/ops-center}
  [ -x "$OPS_BIN" ] || die "no ops-center binary at $OPS_BIN: build it (cargo build --release -p ops-center), set OPS_BIN, or pass --skip-ops"
fi

LITELLM_VENV=${LITELLM_VENV:-$HOME/.cache/ops-bench/litellm-venv}
if [ "$skip_litellm" = 0 ] && [ ! -x "$LITELLM_VENV/bin/litellm" ]; then
  log "LiteLLM is not installed at $LITELLM_VENV: installing litellm[proxy]==1.108.7 from PyPI (once; a few minutes)"
  python3 -m venv "$LITELLM_VENV"
  "$LITELLM_VENV/bin/pip" install -q 'litellm[proxy]==1.108.7' || die "pip install of LiteLLM failed (or pass --skip-litellm)"
fi

ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null || true

# ---------------------------------------------------------------- processes and cleanup
work=$(mktemp -d -t ops-gateway-bench.XXXXXX)
chmod 755 "$work"  # nginx workers started by root run as nobody and must reach their files
pids=()
cleanup() {
  local rc=$? p all=()
  trap - EXIT INT TERM
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    p=${pids[i]}
    kill -0 "$p" 2>/dev/null || continue
    mapfile -t -O "${#all[@]}" all < <("${helper[@]}" tree "$p" 2>/dev/null || echo "$p")
  done
  for p in "${all[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for p in "${all[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in "${all[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$keep" = 1 ]; then log "kept $work (logs, configs, raw results)"; else rm -rf "$work"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_pid() { # PID: stops one server we started (and its children), waits for it
  local p=$1 all
  all=$("${helper[@]}" tree "$p" || true)
  for c in $all; do kill -TERM "$c" 2>/dev/null || true; done
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}

wait_http() { # URL PID LOG SECONDS: until URL answers 2xx; fails if PID dies
  local url=$1 pid=$2 logf=$3 limit=$4 t=0
  while ! curl -fs -o /dev/null --max-time 2 "$url"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "the server for $url exited; last lines of $logf:"; tail -20 "$logf" >&2 || true; return 1
    fi
    t=$((t + 1)); [ $t -le $((limit * 5)) ] || { log "$url not ready after ${limit}s"; tail -20 "$logf" >&2 || true; return 1; }
    sleep 0.2
  done
}

read -r -d '' -a port_list < <("${helper[@]}" ports 4 && printf '\0') || true
mock_port=${port_list[0]} proxy_port=${port_list[1]} ops_port=${port_list[2]} litellm_port=${port_list[3]}

# ---------------------------------------------------------------- request bodies
body=$work/body.json stream_body=$work/stream.json
printf '%s' '{"model":"bench","max_tokens":16,"messages":[{"role":"user","content":"hello"}]}' >"$body"
printf '%s' '{"model":"bench-stream","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"hello"}]}' >"$stream_body"
fake_key=sk-bench-000000000000

# ---------------------------------------------------------------- nginx: mock upstream and proxy hop
workers=${BENCH_NGINX_WORKERS:-auto}
nginx_conf() { # DIR SERVER_BLOCK: a self-contained config whose files all live in DIR
  local d=$1
  mkdir -p "$d/tmp"
  cat >"$d/nginx.conf" <<EOF
worker_processes $workers;
error_log $d/error.log warn;
pid $d/nginx.pid;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    keepalive_requests 10000000;
    keepalive_timeout 120s;
$2
}
EOF
}

chunk() { # DELTA_JSON FINISH: one chat.completion.chunk event (escaped for an nginx string)
  printf 'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"up","choices":[{"index":0,"delta":%s,"finish_reason":%s}]}\\n\\n' "$1" "$2"
}
completion='{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"up","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18}}'
sse="$(chunk '{"role":"assistant","content":""}' null)$(chunk '{"content":"Hello"}' null)$(chunk '{"content":"! How can"}' null)$(chunk '{"content":" I help you today?"}' null)$(chunk '{}' '"stop"')"
sse+='data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"up","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18}}\n\ndata: [DONE]\n\n'

mock_dir=$work/mock
nginx_conf "$mock_dir" "
    server {
        listen 127.0.0.1:$mock_port;
        location = /v1/chat/completions {
            default_type application/json;
            return 200 '$completion';
        }
        location = /stream/v1/chat/completions {
            default_type text/event-stream;
            add_header Cache-Control no-cache;
            return 200 '$sse';
        }
        location = /v1/models {
            default_type application/json;
            return 200 '{\"object\":\"list\",\"data\":[{\"id\":\"up\",\"object\":\"model\",\"created\":1700000000,\"owned_by\":\"bench\"}]}';
        }
        location / { return 404; }
    }"
proxy_dir=$work/proxy
nginx_conf "$proxy_dir" "
    upstream mock { server 127.0.0.1:$mock_port; keepalive 256; }
    server {
        listen 127.0.0.1:$proxy_port;
        proxy_http_version 1.1;
        proxy_set_header Connection \"\";
        location / { proxy_pass http://mock; }
        location /stream/ { proxy_pass http://mock; proxy_buffering off; }
    }"

log "work dir $work; ports: mock $mock_port, nginx $proxy_port, ops-center $ops_port, litellm $litellm_port"
"$nginx_bin" -t -q -p "$mock_dir" -c "$mock_dir/nginx.conf" -g 'daemon off;' 2>"$mock_dir/test.log" || { cat "$mock_dir/test.log" >&2; die "mock nginx config rejected"; }
"$nginx_bin" -p "$mock_dir" -c "$mock_dir/nginx.conf" -g 'daemon off;' >"$mock_dir/out.log" 2>&1 &
mock_pid=$!; pids+=("$mock_pid")
"$nginx_bin" -p "$proxy_dir" -c "$proxy_dir/nginx.conf" -g 'daemon off;' >"$proxy_dir/out.log" 2>&1 &
proxy_pid=$!; pids+=("$proxy_pid")

# name port json_path stream_path auth pid
targets=()
declare -A t_port t_path t_spath t_auth t_pid
add_target() { targets+=("$1"); t_port[$1]=$2; t_path[$1]=$3; t_spath[$1]=$4; t_auth[$1]=$5; t_pid[$1]=$6; }

wait_http "http://127.0.0.1:$mock_port/v1/models" "$mock_pid" "$mock_dir/error.log" 10 || die "mock nginx did not start"
add_target direct "$mock_port" /v1/chat/completions /stream/v1/chat/completions "$fake_key" "$mock_pid"
wait_http "http://127.0.0.1:$proxy_port/v1/models" "$proxy_pid" "$proxy_dir/error.log" 10 || die "proxy nginx did not start"
add_target nginx "$proxy_port" /v1/chat/completions /stream/v1/chat/completions "$fake_key" "$proxy_pid"

# ---------------------------------------------------------------- ops-center
ops_dir=$work/ops
ops_base="http://127.0.0.1:$ops_port"
jar=$work/ops-cookies
ops_pid=""
start_ops() {
  OPS_DATA_DIR=$ops_dir OPS_LOG=${BENCH_OPS_LOG:-warn} "$OPS_BIN" serve --bind "127.0.0.1:$ops_port" >>"$ops_dir/serve.log" 2>&1 &
  ops_pid=$!; pids+=("$ops_pid")
  wait_http "$ops_base/healthz" "$ops_pid" "$ops_dir/serve.log" 120
}
ops_post() { # PATH JSON: prints the body of a 2xx answer; otherwise says what failed
  local resp code
  resp=$(curl -sS --max-time 30 -b "$jar" -c "$jar" -H 'content-type: application/json' \
    -H "Origin: $ops_base" -d "$2" -w '\n%{http_code}' "$ops_base$1") || { log "ops-center: POST $1 failed (curl)"; return 1; }
  code=${resp##*$'\n'}
  resp=${resp%$'\n'*}
  [[ $code == 2* ]] || { log "ops-center: POST $1 answered HTTP $code: ${resp:0:400}"; return 1; }
  printf '%s' "$resp"
}
setup_ops() { # every step checked explicitly: errexit does not apply inside an `if`
  local out pid_m pid_s key rows
  mkdir -p "$ops_dir"
  log "ops-center: $OPS_BIN ($(stat -c '%s' "$OPS_BIN" | awk '{printf "%.0f MiB", $1/1048576}'), built $(date -r "$OPS_BIN" '+%F %T'))"
  OPS_DATA_DIR=$ops_dir OPS_LOG=warn "$OPS_BIN" admin create --email bench@example.com \
    --password 'Loopback-timing-42' --role admin >"$ops_dir/admin.log" 2>&1 || { log "ops-center: admin create failed:"; tail -5 "$ops_dir/admin.log" >&2; return 1; }
  start_ops || { log "ops-center: first start failed"; return 1; }
  stop_pid "$ops_pid"
  rows=$("${helper[@]}" sql "$ops_dir/ops-center.db" \
    "UPDATE plans SET rate_limit_rpm=NULL, request_limit=NULL, included_credits=1000000000000 WHERE code='free'") \
    || { log "ops-center: could not lift the free plan's limits in $ops_dir/ops-center.db"; return 1; }
  [ "$rows" = 1 ] || { log "ops-center: the free plan was not found (UPDATE changed $rows rows)"; return 1; }
  start_ops || { log "ops-center: second start failed"; return 1; }
  ops_post /api/v1/auth/login '{"email":"bench@example.com","password":"Loopback-timing-42"}' >/dev/null || return 1
  out=$(ops_post /api/v1/llm/providers "{\"name\":\"mock\",\"kind\":\"openai_compatible\",\"base_url\":\"http://127.0.0.1:$mock_port/v1\",\"api_key\":\"$fake_key\"}") || return 1
  pid_m=$(printf '%s' "$out" | "${helper[@]}" json id) || { log "ops-center: no id in $out"; return 1; }
  out=$(ops_post /api/v1/llm/providers "{\"name\":\"mock-stream\",\"kind\":\"openai_compatible\",\"base_url\":\"http://127.0.0.1:$mock_port/stream/v1\",\"api_key\":\"$fake_key\"}") || return 1
  pid_s=$(printf '%s' "$out" | "${helper[@]}" json id) || { log "ops-center: no id in $out"; return 1; }
  ops_post /api/v1/llm/admin/models "{\"name\":\"bench\",\"model_group\":\"basic\",\"input_price\":1000000,\"output_price\":2000000,\"max_output_tokens\":100,\"deployments\":[{\"provider_id\":\"$pid_m\",\"upstream_model\":\"up\"}]}" >/dev/null || return 1
  ops_post /api/v1/llm/admin/models "{\"name\":\"bench-stream\",\"model_group\":\"basic\",\"input_price\":1000000,\"output_price\":2000000,\"max_output_tokens\":100,\"deployments\":[{\"provider_id\":\"$pid_s\",\"upstream_model\":\"up\"}]}" >/dev/null || return 1
  out=$(ops_post /api/v1/api-keys '{"name":"bench"}') || return 1
  key=$(printf '%s' "$out" | "${helper[@]}" json secret) || { log "ops-center: no secret in the API key answer"; return 1; }
  add_target ops-center "$ops_port" /v1/chat/completions /v1/chat/completions "$key" "$ops_pid"
}
if [ "$skip_ops" = 0 ]; then
  setup_ops || { log "ops-center left out of this run (see above; its log: $ops_dir/serve.log)"; keep=1; }
fi

# ---------------------------------------------------------------- LiteLLM
if [ "$skip_litellm" = 0 ]; then
  ll_dir=$work/litellm
  mkdir -p "$ll_dir"
  # Prices as ops-center's (1 and 2 USD per million tokens): LiteLLM then tracks cost like our meter
  # does, and skips the zero-cost diagnostic it otherwise runs on every response of an unpriced
  # model (a walk of its whole price map, ~10 % of its CPU in 1.108.7).
  cat >"$ll_dir/config.yaml" <<EOF
model_list:
  - model_name: bench
    litellm_params:
      model: openai/up
      api_base: http://127.0.0.1:$mock_port/v1
      api_key: $fake_key
    model_info:
      input_cost_per_token: 0.000001
      output_cost_per_token: 0.000002
  - model_name: bench-stream
    litellm_params:
      model: openai/up
      api_base: http://127.0.0.1:$mock_port/stream/v1
      api_key: $fake_key
    model_info:
      input_cost_per_token: 0.000001
      output_cost_per_token: 0.000002
litellm_settings:
  telemetry: false
  drop_params: true
general_settings:
  master_key: sk-litellm-bench
EOF
  log "LiteLLM: starting $("$LITELLM_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))') (takes a while)"
  ( cd "$ll_dir" && LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_LOG=ERROR LITELLM_TELEMETRY=False \
      DISABLE_SCHEMA_UPDATE=true exec "$LITELLM_VENV/bin/litellm" --config "$ll_dir/config.yaml" \
      --host 127.0.0.1 --port "$litellm_port" --num_workers 1 ) >"$ll_dir/out.log" 2>&1 &
  ll_pid=$!; pids+=("$ll_pid")
  if wait_http "http://127.0.0.1:$litellm_port/health/liveliness" "$ll_pid" "$ll_dir/out.log" 240; then
    add_target litellm "$litellm_port" /v1/chat/completions /v1/chat/completions sk-litellm-bench "$ll_pid"
  else
    log "LiteLLM left out of this run (log: $ll_dir/out.log)"; keep=1
  fi
fi

# ---------------------------------------------------------------- checks, idle memory, warm-up
results=$work/results.tsv
: >"$results"
rec() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$results"; }
kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$2" | head -1; }  # KEY FILE: value from the BENCH line
ticks=$("${helper[@]}" ticks)

checked=()
for t in "${targets[@]}"; do
  if msg=$("${helper[@]}" check "${t_port[$t]}" "${t_path[$t]}" "${t_auth[$t]}" "$body" json 2>&1) &&
     msg=$("${helper[@]}" check "${t_port[$t]}" "${t_spath[$t]}" "${t_auth[$t]}" "$stream_body" sse 2>&1); then
    checked+=("$t")
  else
    log "$t: a check request failed, so it is left out: $msg"; keep=1
  fi
done
[ ${#checked[@]} -gt 0 ] || die "no target answered correctly"
[ "${checked[0]}" = direct ] || die "the direct path to the mock failed"
targets=("${checked[@]}")

sleep 2
for t in "${targets[@]}"; do
  read -r rss _ < <("${helper[@]}" mem "${t_pid[$t]}")
  rec 0 "$t" idle_rss_kib "$rss"
done
log "warm-up: 2 s of load on each target"
for t in "${targets[@]}"; do
  BENCH_BODY_FILE=$body BENCH_AUTH=${t_auth[$t]} wrk -t"$threads" -c"$connections" -d2s --timeout 30s \
    -s "$here/wrk.lua" "http://127.0.0.1:${t_port[$t]}${t_path[$t]}" >/dev/null
done

rec meta - rounds "$rounds"; rec meta - duration "$duration"; rec meta - threads "$threads"
rec meta - connections "$connections"; rec meta - stream_requests "$stream_n"
rec meta - when "$(date '+%F %H:%M %Z')"; rec meta - cpus "$(nproc)"
rec meta - cpu_model "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
rec meta - ops_bin "${OPS_BIN:-n/a}"

# ---------------------------------------------------------------- rounds
alive() { kill -0 "${t_pid[$1]}" 2>/dev/null || die "$1 (PID ${t_pid[$1]}) died during the run"; }
measure() { # ROUND TARGET
  local r=$1 t=$2 f=$work/wrk-$1-$2 url c0 c1 req dur errs
  url="http://127.0.0.1:${t_port[$t]}${t_path[$t]}"
  # (a) latency: one thread, one connection
  BENCH_BODY_FILE=$body BENCH_AUTH=${t_auth[$t]} wrk -t1 -c1 -d"${duration}s" --timeout 30s \
    -s "$here/wrk.lua" "$url" >"$f-lat" 2>&1
  grep -q '^BENCH ' "$f-lat" || die "wrk gave no result for $t: $(tail -3 "$f-lat")"
  rec "$r" "$t" lat_p50_us "$(kv p50_us "$f-lat")"
  rec "$r" "$t" lat_p99_us "$(kv p99_us "$f-lat")"
  errs=$(grep '^BENCH ' "$f-lat" | grep -o 'err_[a-z]*=[0-9]*' | awk -F= '{s += $2} END {print s + 0}')
  rec "$r" "$t" lat_errors "$errs"
  alive "$t"
  # (b) throughput: many connections; CPU of the target's processes over the phase; RSS sampled
  "${helper[@]}" sample "${t_pid[$t]}" "$duration" >"$f-peak" &
  local sampler=$!
  local perf_pid=""
  if [ -n "${BENCH_PERF:-}" ] && [ "$t" = ops-center ]; then  # a CPU profile of this phase
    perf record -q -F 999 ${BENCH_PERF_ARGS:-} -o "$BENCH_PERF" -p "${t_pid[$t]}" -- sleep "$duration" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  c0=$("${helper[@]}" cpu "${t_pid[$t]}")
  BENCH_BODY_FILE=$body BENCH_AUTH=${t_auth[$t]} wrk -t"$threads" -c"$connections" -d"${duration}s" \
    --timeout 30s -s "$here/wrk.lua" "$url" >"$f-tput" 2>&1
  c1=$("${helper[@]}" cpu "${t_pid[$t]}")
  wait "$sampler"
  [ -z "$perf_pid" ] || wait "$perf_pid" || log "perf record failed"
  grep -q '^BENCH ' "$f-tput" || die "wrk gave no result for $t: $(tail -3 "$f-tput")"
  req=$(kv requests "$f-tput"); dur=$(kv duration_us "$f-tput")
  errs=$(grep '^BENCH ' "$f-tput" | grep -o 'err_[a-z]*=[0-9]*' | awk -F= '{s += $2} END {print s + 0}')
  rec "$r" "$t" tput_requests "$req"
  rec "$r" "$t" tput_errors "$errs"
  rec "$r" "$t" tput_rps "$(awk -v n="$req" -v d="$dur" 'BEGIN {printf "%.1f", n / (d / 1e6)}')"
  rec "$r" "$t" cpu_ms_per_req "$(awk -v a="$c0" -v b="$c1" -v n="$req" -v hz="$ticks" 'BEGIN {printf "%.6f", n ? (b - a) * 1000 / hz / n : 0}')"
  rec "$r" "$t" peak_rss_kib "$(cat "$f-peak")"
  alive "$t"
  # (c) streaming: time to the first byte and to the first `data:` event
  "${helper[@]}" stream "${t_port[$t]}" "${t_spath[$t]}" "${t_auth[$t]}" "$stream_body" "$stream_n" >"$f-sse" 2>&1 || true
  grep -q '^BENCH ' "$f-sse" || die "stream check gave no result for $t: $(tail -3 "$f-sse")"
  rec "$r" "$t" ttfb_us "$(kv ttfb_us "$f-sse")"
  rec "$r" "$t" first_data_us "$(kv first_data_us "$f-sse")"
  rec "$r" "$t" stream_errors "$(kv errors "$f-sse")"
  log "round $r $t: p50 $(kv p50_us "$f-lat") µs, p99 $(kv p99_us "$f-lat") µs, $(awk -v n="$req" -v d="$dur" 'BEGIN {printf "%.0f", n / (d / 1e6)}') req/s, $errs errors, first data $(kv first_data_us "$f-sse") µs"
}

n=${#targets[@]}
for ((r = 1; r <= rounds; r++)); do
  for ((i = 0; i < n; i++)); do  # the order rotates each round so that no target always goes first
    measure "$r" "${targets[(i + r - 1) % n]}"
  done
done
for t in "${targets[@]}"; do
  read -r _ hwm < <("${helper[@]}" mem "${t_pid[$t]}")
  rec 0 "$t" hwm_kib "$hwm"
done

# ---------------------------------------------------------------- report
report=$("${helper[@]}" report "$results")
printf '\n%s\n' "$report"
if [ -n "$out" ]; then
  { printf '%s\n\n<!-- raw results (round, target, metric, value) -->\n```\n' "$report"; cat "$results"; printf '```\n'; } >"$out"
  log "report written to $out"
fi
