#!/usr/bin/env bash
# Installs the build tools; idempotent. Needs only rustup's dist server, crates.io and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "setup: $*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found: install Rust with rustup (https://rustup.rs) first"
command -v rustup >/dev/null || die "rustup not found: the wasm32 target is installed through rustup"
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown \
  || die "could not add the wasm32-unknown-unknown target"

# The wasm-bindgen CLI must equal the wasm-bindgen crate pinned in Cargo.toml.
want=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
[ -n "$want" ] || die "cannot read the pinned wasm-bindgen version from Cargo.toml"
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  echo "setup: installing wasm-bindgen-cli $want (a few minutes, once)"
  # Not --locked: its lock file names a crate version this registry may not carry.
  cargo install wasm-bindgen-cli --version "$want" || die "wasm-bindgen-cli $want failed to install"
fi

command -v npm >/dev/null || {
  echo "setup: installing Node.js and npm from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null \
    || die "npm is missing and could not be installed (run as root, or install nodejs/npm)"
}
if [ ! -f end2end/node_modules/.package-lock.json ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in end2end/ failed"
fi
