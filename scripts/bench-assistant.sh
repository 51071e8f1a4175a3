#!/usr/bin/env bash
# The assistant under load, on loopback: POST /api/v1/assistant/messages
# with the first messages of the evaluation set (each one a new
# conversation, saved with its reply on SQLite), under wrk. Reports
# replies/s and latency; every answer counted must be a 200.
#
#   scripts/bench-assistant.sh       # builds target/release/osez if missing
#
# Settings (environment): OSEZ_BIN (default target/release/osez), PORT,
# DURATION (seconds of load, 20), THREADS (wrk threads, 2), CONNECTIONS
# (8), READY_TIMEOUT (120), EMBEDDINGS_MODEL (the local embedding model,
# scripts/fetch-e5-model.sh; the load starts once it is ready).
#
# Loopback only; every step bounded in time; the server stopped and its
# data removed on exit. wrk shares the server's cores: on 2 cores the
# figures are a lower bound. The server start and stop repeat those of
# bench-votes.sh (a sourced helper would do; see the notes).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${OSEZ_BIN:-$ROOT/target/release/osez}"
DURATION="${DURATION:-20}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-8}"
# wrk needs at least one connection per thread.
(( THREADS > CONNECTIONS )) && THREADS=$CONNECTIONS
READY_TIMEOUT="${READY_TIMEOUT:-120}"

for tool in curl wrk python3; do
    command -v "$tool" >/dev/null || { echo "bench-assistant: '$tool' is missing (Debian: apt-get install -y $tool)" >&2; exit 2; }
done
[[ -x "$BIN" ]] || (cd "$ROOT" && cargo build --release -p osez-cli)
PORT="${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
BASE="http://127.0.0.1:$PORT"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        timeout 10 tail --pid="$SERVER_PID" -f /dev/null || kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# All the load comes from one address: the per-address form limit is off.
MODEL_ARGS=()
[[ -n "${EMBEDDINGS_MODEL:-}" ]] && MODEL_ARGS=(--embeddings-model "$EMBEDDINGS_MODEL")
OSEZ_LOG="${OSEZ_LOG:-warn,osez::serve=info}" "$BIN" serve --addr "127.0.0.1:$PORT" --data-dir "$WORK/data" --insecure-cookies \
    --forms-per-minute 0 "${MODEL_ARGS[@]}" >>"$WORK/server.log" 2>&1 &
SERVER_PID=$!
deadline=$(( $(date +%s) + READY_TIMEOUT ))
until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/healthz" || true)" == 200 ]]; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null || (( $(date +%s) > deadline )); then
        echo "bench-assistant: the server did not start; its log:" >&2
        cat "$WORK/server.log" >&2
        exit 1
    fi
    sleep 0.05
done
if [[ -n "${EMBEDDINGS_MODEL:-}" ]]; then
    until grep -q "embedding model ready" "$WORK/server.log"; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null || (( $(date +%s) > deadline )); then
            echo "bench-assistant: the embedding model did not get ready; the server's log:" >&2
            cat "$WORK/server.log" >&2
            exit 1
        fi
        sleep 0.2
    done
    echo "embeddings: on ($EMBEDDINGS_MODEL)"
else
    echo "embeddings: off (rules only)"
fi

echo "== osez assistant benchmark =="
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
python3 - "$ROOT/crates/osez-assistant/eval/cases.toml" >"$WORK/bodies.txt" <<'PY'
import json, sys, tomllib
for c in tomllib.load(open(sys.argv[1], "rb"))["case"]:
    print(json.dumps({"text": c["text"]}))
PY
echo "messages: $(wc -l <"$WORK/bodies.txt") first messages of the evaluation set, cycled"
cat >"$WORK/load.lua" <<LUA
local reqs = {}
local i = 0
init = function(args)
  for body in io.lines("$WORK/bodies.txt") do
    reqs[#reqs + 1] = wrk.format("POST", "/api/v1/assistant/messages", { ["Content-Type"] = "application/json" }, body)
  end
  i = math.random(#reqs)
end
request = function()
  i = i % #reqs + 1
  return reqs[i]
end
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT replies=%d seconds=%.2f replies_per_s=%.0f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    errors, summary.errors.status))
end
LUA
echo "--- wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s ---"
timeout $((DURATION + 60)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/load.lua" "$BASE" | tee "$WORK/wrk.out"
echo "--- summary ---"
grep '^RESULT' "$WORK/wrk.out" | sed 's/^RESULT //'
