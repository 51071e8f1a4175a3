#!/usr/bin/env bash
# Vote throughput of `osez serve` on loopback: the open demo consultation,
# a few thousand anonymous participants whose sequences (cookie, proposal,
# signed key) are fetched first, then POST /api/v1/consultations/…/votes
# under wrk. Every answer counted is a 200, sent once the vote's batch
# committed (SQLite, synchronous = FULL); afterwards `osez consultation
# check` recounts the votes against the counts kept.
#
#   scripts/bench-votes.sh           # builds target/release/osez if missing
#
# Settings (environment): OSEZ_BIN (default target/release/osez), PORT,
# DURATION (seconds of load, 20), THREADS (wrk threads, 2), CONNECTIONS
# (64: votes from many people at once; the group commit batches them),
# PARTICIPANTS (2000), READY_TIMEOUT (120).
#
# Loopback only; every step bounded in time; the server stopped and its
# data removed on exit. wrk shares the server's cores: on 2 cores the
# figures are a lower bound.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${OSEZ_BIN:-$ROOT/target/release/osez}"
DURATION="${DURATION:-20}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
PARTICIPANTS="${PARTICIPANTS:-2000}"
READY_TIMEOUT="${READY_TIMEOUT:-120}"
SLUG="ia-dans-les-tpe"

for tool in curl wrk python3; do
    if ! command -v "$tool" >/dev/null; then
        echo "bench-votes: '$tool' is missing (Debian: apt-get install -y $tool)" >&2
        exit 2
    fi
done
if [[ ! -x "$BIN" ]]; then
    echo "bench-votes: building $BIN (cargo build --release -p osez-cli)" >&2
    (cd "$ROOT" && cargo build --release -p osez-cli)
fi
if [[ -z "${PORT:-}" ]]; then
    PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
fi
BASE="http://127.0.0.1:$PORT"
WORK="$(mktemp -d)"
DATA="$WORK/data"
LOG="$WORK/server.log"
SERVER_PID=""

stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
cleanup() {
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# All the load comes from one address, with thousands of participants: the
# per-address and per-participant limits are off for the benchmark.
OSEZ_LOG="${OSEZ_LOG:-warn}" "$BIN" serve --addr "127.0.0.1:$PORT" --data-dir "$DATA" --insecure-cookies \
    --search-per-minute 0 --votes-per-minute 0 --participant-votes-per-minute 0 --participants-per-hour 0 \
    >>"$LOG" 2>&1 &
SERVER_PID=$!
deadline=$(( $(date +%s) + READY_TIMEOUT ))
until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/healthz" || true)" == 200 ]]; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null || (( $(date +%s) > deadline )); then
        echo "bench-votes: the server did not start; its log:" >&2
        cat "$LOG" >&2
        exit 1
    fi
    sleep 0.05
done

echo "== osez vote benchmark =="
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"

# Each participant's cookie and sequence: one line per vote to send.
timeout 300 python3 - "$PORT" "$SLUG" "$PARTICIPANTS" >"$WORK/votes.tsv" <<'PY'
import http.client, json, sys
port, slug, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
for _ in range(n):
    conn.request("GET", f"/api/v1/consultations/{slug}/sequence")
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        sys.exit(f"sequence answered {r.status}: {body[:200]!r}")
    cookie = r.getheader("set-cookie").split(";")[0]
    for i, p in enumerate(json.loads(body)["proposals"]):
        vote = ("agree", "disagree", "neutral")[i % 3]
        print(cookie + "\t" + json.dumps({"proposal_id": p["id"], "key": p["key"], "vote": vote}))
PY
echo "participants: $PARTICIPANTS, distinct votes prepared: $(wc -l <"$WORK/votes.tsv") (wrk cycles through them: a vote sent again replaces itself)"

LUA="$WORK/votes.lua"
cat >"$LUA" <<EOF
local reqs = {}
local i = 0
init = function(args)
  for line in io.lines("$WORK/votes.tsv") do
    local cookie, body = line:match("([^\t]+)\t(.+)")
    reqs[#reqs + 1] = wrk.format("POST", "/api/v1/consultations/$SLUG/votes",
      { ["Cookie"] = cookie, ["Content-Type"] = "application/json" }, body)
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
  io.write(string.format("RESULT votes=%d seconds=%.2f votes_per_s=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    errors, summary.errors.status))
end
EOF
echo "--- wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s ---"
timeout $((DURATION + 60)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$LUA" "$BASE" | tee "$WORK/wrk.out"
echo "--- summary ---"
grep '^RESULT' "$WORK/wrk.out" | sed 's/^RESULT //'
stop_server
"$BIN" consultation check "$SLUG" --data-dir "$DATA"
