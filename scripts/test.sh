#!/usr/bin/env bash
# Installs what the tests need and runs them all: formatting, lints, unit, integration,
# sqllogictest and CLI tests. README's test command; .ci/run calls it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$here/target}
export CARGO_TERM_COLOR=never

need_apt=()
command -v git >/dev/null || need_apt+=(git)
command -v cc >/dev/null || need_apt+=(build-essential)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
command -v psql >/dev/null || need_apt+=(postgresql-client)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v python3 >/dev/null || need_apt+=(python3 python3-venv)
# Headless Chromium draws `gitfleet report`'s pages in tests/cli.rs and tests/github.rs.
command -v chromium >/dev/null || need_apt+=(chromium)
# GitHub linguist (Ruby) is the oracle for the files' language and vendored/generated flags.
command -v github-linguist >/dev/null || need_apt+=(ruby-github-linguist)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "cargo is required (rustup)"; exit 1; }

# A venv of the tests' own: real Postgres clients for tests/server.rs, and maturin, pytest,
# pyarrow, pandas, polars, duckdb (zero-copy consumers), pydantic and tqdm (progress bars) for
# the Python package.
venv=${GITFLEET_TEST_VENV:-$HOME/.cache/gitfleet-venv}
if ! "$venv/bin/python" -c "import psycopg, sqlalchemy, maturin, pytest, pyarrow, pandas, polars, pydantic, duckdb, tqdm" 2>/dev/null; then
  echo "== installing test packages into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "psycopg[binary]>=3.2" "sqlalchemy>=2.0" \
    "maturin>=1.7,<2" pytest pyarrow pandas polars pydantic duckdb tqdm
fi
export GITFLEET_TEST_PYTHON="$venv/bin/python"

echo "== vendored crates (published crate + patch)"
bash scripts/vendor.sh
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo test -p gitfleet -p gitfleet-diffcore 2>&1
# The fuzz targets (src/fuzz.rs) ran for a second each above; here each gets a real budget.
fuzz_seconds=${GITFLEET_FUZZ_SECONDS:-60}
echo "== fuzz targets, ${fuzz_seconds} s each"
log=$CARGO_TARGET_DIR/fuzz.log
if ! GITFLEET_FUZZ_SECONDS=$fuzz_seconds cargo test -q -p gitfleet --lib fuzz_ -- --nocapture --test-threads=2 >"$log" 2>&1; then
  cat "$log"; echo "a fuzz target failed (its seed replays it: see above)"; exit 1
fi
grep -o 'fuzz fuzz_.*' "$log"
echo "== python package (maturin develop, pytest)"
log=$CARGO_TARGET_DIR/maturin-develop.log
if ! (cd python && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" maturin develop --quiet >"$log" 2>&1); then
  cat "$log"; echo "the Python package did not build"; exit 1
fi
# The CLI the Rust tests built: the Python tests start `gitfleet worker` processes with it.
GITFLEET_BIN=$CARGO_TARGET_DIR/debug/gitfleet "$venv/bin/python" -m pytest -q python/tests
