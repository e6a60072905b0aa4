# Ops-Center — the two commands a fresh machine needs:
#   make run    install what is missing, build in release mode, start on http://127.0.0.1:3000
#   make test   install what the tests need and run every suite (PostgreSQL included)
# Everything comes from the package registries (crates, npm, Debian); nothing else is downloaded.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(HOME)/.cargo/bin:$(PATH)

TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
SITE_DIR := $(TARGET_DIR)/site
export OPS_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export OPS_TEST_REDIS_URL ?= redis://127.0.0.1:6379

.PHONY: run build test setup setup-test lint check-wasm-deps unit site site-release e2e bench bench-users bench-gateway clean

run: build
	@mkdir -p data
	OPS_SITE_DIR=$(SITE_DIR) $(TARGET_DIR)/release/ops-center serve --data-dir ./data

## Release binary and site: $(TARGET_DIR)/release/ops-center and $(SITE_DIR)
build: setup site-release
	cargo build --release -p ops-center
	@echo "built $(TARGET_DIR)/release/ops-center and $(SITE_DIR)"

setup:
	@scripts/setup.sh

setup-test: setup
	@scripts/setup-test.sh

site:
	@scripts/build-site.sh dev $(SITE_DIR)

site-release:
	@scripts/build-site.sh release $(SITE_DIR)

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --exclude ops-frontend --all-targets -- -D warnings
	cargo clippy -p ops-frontend --target wasm32-unknown-unknown -- -D warnings
	scripts/lint-leptos.sh

## The WASM bundle must not pull server crates.
check-wasm-deps:
	@for c in sqlx tokio sysinfo nvml-wrapper argon2 aes-gcm qrcode image; do \
	  out=$$(cargo tree -p ops-frontend --target wasm32-unknown-unknown -e normal -i $$c 2>&1 || true); \
	  if grep -qE "nothing to print|did not match any packages" <<<"$$out"; then continue; fi; \
	  echo "error: the WASM build depends on $$c:"; echo "$$out" | head -20; exit 1; \
	done; echo "wasm dependency check: no sqlx, tokio, sysinfo, nvml-wrapper, argon2, aes-gcm, qrcode, image"

unit:
	scripts/drop-test-dbs.sh
	cargo test --workspace --exclude ops-frontend --exclude ops-center
	# The API tests run one application at a time: with several tokio runtimes serving SSR
	# at once in one process, a page render sometimes stalled (not seen with one server under
	# 24 concurrent page loads). Under investigation; see the #3 notes.
	cargo test -p ops-center -- --test-threads=1

e2e: site
	cargo build -p ops-center
	scripts/e2e.sh $(TARGET_DIR)/debug/ops-center $(SITE_DIR)

test: setup-test lint check-wasm-deps unit e2e
	@echo "make test: all suites passed"

## Benchmarks (on demand, not part of make test).
bench: build
	scripts/bench.sh $(TARGET_DIR)/release/ops-center $(SITE_DIR)

# User administration at 100k users; BENCH_POSTGRES_URL=… for PostgreSQL.
bench-users:
	cargo build --release -p ops-center
	scripts/bench_users.sh $(TARGET_DIR)/release/ops-center

# The AI gateway against a mock upstream, an nginx hop and LiteLLM (bench/gateway/README.md).
bench-gateway:
	cargo build --release -p ops-center
	OPS_BIN=$(TARGET_DIR)/release/ops-center bench/gateway/run.sh

clean:
	cargo clean
	rm -rf end2end/node_modules
