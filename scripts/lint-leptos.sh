#!/usr/bin/env bash
# Leptos SSR pitfalls a compiler does not catch: `prop:` on attributes that must be in the
# server HTML (href, src, alt) renders nothing on the server.
set -euo pipefail
cd "$(dirname "$0")/.."
if grep -rnE 'prop:(href|src|alt)=' app/src; then
  echo "lint-leptos: use the plain attribute, not prop:, for href/src/alt (SSR would drop it)" >&2
  exit 1
fi
# In view!, `attr=a >= b` ends the tag at `>`: a comparison as an attribute value needs braces.
if grep -rnE '[a-z:-]+=[A-Za-z_][A-Za-z0-9_.()]* (<=|>=|<|>) ' app/src --include=*.rs; then
  echo "lint-leptos: wrap comparisons used as attribute values in braces: attr={a >= b}" >&2
  exit 1
fi
