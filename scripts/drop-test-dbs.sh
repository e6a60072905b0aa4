#!/usr/bin/env bash
# Drops the throwaway databases earlier test runs left on the test PostgreSQL server
# (ops_test_* from the Rust suites, ops_e2e_* from the browser suite).
set -euo pipefail
url=${OPS_TEST_POSTGRES_URL:?}
psql "$url" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'ops\_test\_%' OR datname LIKE 'ops\_e2e\_%'" |
  while read -r db; do psql "$url" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null; done
