#!/usr/bin/env bash
# Runs the browser suite against SQLite and against PostgreSQL (a fresh database, dropped after).
# Usage: e2e.sh BIN SITE_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "$1"); site=$(realpath "$2")
pg=${OPS_TEST_POSTGRES_URL:?OPS_TEST_POSTGRES_URL must name a PostgreSQL server}

echo "== browser tests on SQLite"
E2E_BIN=$bin E2E_SITE=$site node end2end/e2e.mjs

db="ops_e2e_$(date +%s)_$$"
psql "$pg" -qc "CREATE DATABASE $db" >/dev/null
trap 'psql "$pg" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
pg_db_url=$(sed -E "s#^(postgres(ql)?://[^/]+)(/[^?]*)?#\1/$db#" <<<"$pg")
echo "== browser tests on PostgreSQL"
E2E_BIN=$bin E2E_SITE=$site E2E_DATABASE_URL=$pg_db_url node end2end/e2e.mjs
