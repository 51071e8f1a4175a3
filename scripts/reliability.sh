#!/usr/bin/env bash
# The reliability suites of issue 13 (crash, two nodes, graceful shutdown,
# database restart, load), on the release binary, on loopback only:
#
#   scripts/reliability.sh                 # every suite
#   scripts/reliability.sh crash_sqlite    # the suites whose name contains a word
#
# Needs PostgreSQL at OSEZ_TEST_DATABASE_URL (CI: postgres://postgres@127.0.0.1:5432/postgres)
# and wrk for the load suite. Each suite is a test of crates/osez-cli/tests/reliability,
# ignored by the plain `cargo test`; this script builds them in release and runs
# them one at a time, each bounded by `timeout`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export OSEZ_TEST_DATABASE_URL="${OSEZ_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
# A thousand connections from the load tool, and as many in the node.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

SUITES=(crash_sqlite crash_postgres two_nodes shutdown_under_load database_restart load load_postgres)
if [ "$#" -gt 0 ]; then
  SUITES=("$@")
fi

echo "reliability: building the suites in release"
timeout 40m cargo test --release -p osez-cli --test reliability --no-run

status=0
for suite in "${SUITES[@]}"; do
  start=$SECONDS
  echo ""
  echo "==> reliability: ${suite}"
  if timeout 15m cargo test --release -p osez-cli --test reliability -- --ignored --exact "$suite" --test-threads 1 --nocapture; then
    echo "<== ${suite}: passed in $((SECONDS - start)) s"
  else
    echo "<== ${suite}: FAILED after $((SECONDS - start)) s"
    status=1
  fi
done
exit "$status"
