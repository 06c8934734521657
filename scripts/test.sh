#!/usr/bin/env bash
# Installs what the tests need and runs them all: formatting, lints, unit, integration,
# sqllogictest and CLI tests. README's test command; .ci/run calls it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/gitfleet-target}
export CARGO_TERM_COLOR=never

need_apt=()
command -v git >/dev/null || need_apt+=(git)
command -v cc >/dev/null || need_apt+=(build-essential)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
command -v psql >/dev/null || need_apt+=(postgresql-client)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v python3 >/dev/null || need_apt+=(python3 python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "cargo is required (rustup)"; exit 1; }

# Real Postgres clients for the server tests (tests/server.rs), in a venv of their own.
venv=${GITFLEET_TEST_VENV:-$HOME/.cache/gitfleet-venv}
if ! "$venv/bin/python" -c "import psycopg, sqlalchemy" 2>/dev/null; then
  echo "== installing psycopg and SQLAlchemy into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "psycopg[binary]>=3.2" "sqlalchemy>=2.0"
fi
export GITFLEET_TEST_PYTHON="$venv/bin/python"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo test 2>&1
