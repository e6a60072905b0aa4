#!/usr/bin/env bash
# Leptos SSR pitfalls a compiler does not catch: `prop:` on attributes that must be in the
# server HTML (href, src, alt) renders nothing on the server.
set -euo pipefail
cd "$(dirname "$0")/.."
if grep -rnE 'prop:(href|src|alt)=' app/src; then
  echo "lint-leptos: use the plain attribute, not prop:, for href/src/alt (SSR would drop it)" >&2
  exit 1
fi
