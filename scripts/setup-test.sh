#!/usr/bin/env bash
# What the test suites need beyond the build: Chromium, a reachable PostgreSQL and Redis, an
# SMTP sink, a Stripe test server.
set -euo pipefail
die() { echo "setup-test: $*" >&2; exit 1; }

if [ ! -x /usr/bin/chromium ]; then
  echo "setup-test: installing Debian's chromium"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null \
    || die "could not install chromium (run as root)"
fi
command -v psql >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null \
    || die "psql is missing and could not be installed"
}
if ! psql "$OPS_TEST_POSTGRES_URL" -Atqc 'select 1' >/dev/null 2>&1; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "setup-test: starting the local PostgreSQL cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    sleep 2
  fi
  psql "$OPS_TEST_POSTGRES_URL" -Atqc 'select 1' >/dev/null 2>&1 \
    || die "PostgreSQL at $OPS_TEST_POSTGRES_URL is unreachable; the PostgreSQL suites cannot run (set OPS_TEST_POSTGRES_URL)"
fi
# Redis, shared by gateway replicas in their tests (the local server, started when down).
command -v redis-server >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null \
    || die "redis-server is missing and could not be installed"
}
if [ "$(redis-cli -u "$OPS_TEST_REDIS_URL" ping 2>/dev/null)" != PONG ]; then
  if [ "$OPS_TEST_REDIS_URL" = redis://127.0.0.1:6379 ]; then
    echo "setup-test: starting Redis on 127.0.0.1:6379"
    redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no >/dev/null
    sleep 0.5
  fi
  [ "$(redis-cli -u "$OPS_TEST_REDIS_URL" ping 2>/dev/null)" = PONG ] \
    || die "Redis at $OPS_TEST_REDIS_URL is unreachable; the replica suites cannot run (set OPS_TEST_REDIS_URL)"
fi
# The SMTP sink the mail tests deliver to (PyPI aiosmtpd, Maildir handler).
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  echo "setup-test: installing aiosmtpd (SMTP sink)"
  python3 -m pip install --quiet aiosmtpd 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages aiosmtpd \
    || die "could not install aiosmtpd from PyPI; the mail tests cannot run"
fi
# The Stripe test server (PyPI localstripe, extended by end2end/peers/stripe_fake.py).
if ! python3 -c 'import localstripe' 2>/dev/null; then
  echo "setup-test: installing localstripe (Stripe test server)"
  python3 -m pip install --quiet localstripe 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages localstripe \
    || die "could not install localstripe from PyPI; the payment tests cannot run"
fi
# The official OpenAI and Anthropic Python SDKs, as clients of the AI gateway in its tests.
if ! python3 -c 'import openai, anthropic' 2>/dev/null; then
  echo "setup-test: installing the openai and anthropic Python SDKs"
  python3 -m pip install --quiet openai anthropic 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages openai anthropic \
    || die "could not install the openai and anthropic SDKs from PyPI; the gateway SDK tests cannot run"
fi
echo "setup-test: chromium, PostgreSQL, Redis, the SMTP sink, the Stripe test server and the LLM SDKs ready"
