#!/usr/bin/env bash
# User administration at 100,000 users (on demand; not a timed test). Usage:
#   bench_users.sh BIN            SQLite in a fresh data dir
#   BENCH_POSTGRES_URL=postgres://…/postgres bench_users.sh BIN    a fresh PostgreSQL database
# Seeds 100k users (some suspended, on every tier, 10k in an organisation, 5k linked to an SSO
# provider), then prints the median time of 7 requests for each list query.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "$1")
n=${BENCH_USERS:-100000}
work=$(mktemp -d); port=${BENCH_PORT:-3918}; base="http://127.0.0.1:$port"
pw='a slow timing passphrase'
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
  db="ops_bench_users_$$"
  psql "$BENCH_POSTGRES_URL" -qc "CREATE DATABASE $db" >/dev/null
  export OPS_DATABASE_URL="${BENCH_POSTGRES_URL%/*}/$db"
  run_sql() { psql "$OPS_DATABASE_URL" -qv ON_ERROR_STOP=1 >/dev/null; }
  series="SELECT generate_series(1, $n) AS x"
  fmt() { echo "'$1' || lpad(x::text, 7, '0')"; }
  trap 'cleanup; psql "$BENCH_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null' EXIT
else
  run_sql() { sqlite3 "$work/ops-center.db"; }
  series="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $n) SELECT x FROM c"
  fmt() { echo "'$1' || printf('%07d', x)"; }
fi

"$bin" admin create --email bench@example.com --password "$pw" --role admin --data-dir "$work" >/dev/null
run_sql <<SQL
INSERT INTO users (id, email, display_name, role, tier, disabled, created_at, updated_at, email_verified_at)
SELECT $(fmt u-), $(fmt user) || '@bench.test', $(fmt 'User '),
       CASE x % 5 WHEN 0 THEN 'developer' WHEN 1 THEN 'analyst' WHEN 2 THEN 'moderator' ELSE 'viewer' END,
       CASE x % 4 WHEN 0 THEN 'free' WHEN 1 THEN 'starter' WHEN 2 THEN 'professional' ELSE 'enterprise' END,
       CASE WHEN x % 50 = 0 THEN 1 ELSE 0 END, 1700000000000 + x * 1000, 1700000000000 + x * 1000, 1700000000000
FROM ($series) s;
INSERT INTO orgs (id, name, slug, created_at, updated_at) VALUES ('bench-org', 'Bench', 'bench', 0, 0);
INSERT INTO org_members (org_id, user_id, role, joined_at)
SELECT 'bench-org', $(fmt u-), 'member', 0 FROM ($series) s WHERE x % 10 = 0;
INSERT INTO sso_providers (id, slug, name, kind, issuer, client_id, created_at, updated_at)
VALUES ('bench-sso', 'corp', 'Corp', 'oidc', 'https://id.bench.test', 'x', 0, 0);
INSERT INTO user_identities (provider_id, subject, user_id, created_at)
SELECT 'bench-sso', $(fmt s-), $(fmt u-), 0 FROM ($series) s WHERE x % 20 = 0;
SQL
echo "ANALYZE;" | run_sql

OPS_LOG=warn "$bin" serve --bind 127.0.0.1:$port --data-dir "$work" >"$work/log" 2>&1 &
pid=$!
until curl -fs "$base/healthz" >/dev/null; do sleep 0.05; done
jar="$work/jar"
curl -fs -c "$jar" -H 'content-type: application/json' -d "{\"email\":\"bench@example.com\",\"password\":\"$pw\"}" "$base/api/v1/auth/login" >/dev/null

echo "# $(( n + 1 )) users on $([ -n "${BENCH_POSTGRES_URL:-}" ] && echo PostgreSQL || echo SQLite)"
for q in \
  "" "?page=1000" "?q=user0099" "?role=developer&status=active" "?sort=email&dir=asc" \
  "?sort=last_login_at" "?tier=professional" "?provider=corp" "?provider=none" "?org=bench-org" \
  "/analytics/summary"; do
  path="/api/v1/admin/users$q"
  [ "$q" = "/analytics/summary" ] && path="/api/v1/admin/users/analytics/summary"
  total=$(curl -fs -b "$jar" "$base$path" | sed -nE 's/.*"total":([0-9]+).*/\1/p')
  times=()
  for _ in $(seq 7); do times+=("$(curl -fs -o /dev/null -b "$jar" -w '%{time_total}' "$base$path")"); done
  printf '%-45s median %6.1f ms  (total %s)\n' "$path" \
    "$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[4] * 1000}')" "${total:--}"
done
