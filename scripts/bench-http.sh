#!/usr/bin/env bash
# HTTP benchmark of `osez serve` on loopback: time to ready (first start on
# an empty data directory, then a second start on the same one), search load
# on /api/v1/advisers with wrk, and the server's memory after the load.
#
#   scripts/bench-http.sh            # builds target/release/osez if missing
#
# Settings (environment): OSEZ_BIN (default target/release/osez), PORT
# (default: a free port), DURATION (seconds of load, 20), THREADS (wrk
# threads, 2), CONNECTIONS (2), READY_TIMEOUT (seconds, 120), WARMUP (5).
#
# Traffic goes to 127.0.0.1 only; every step is bounded in time; the server
# is stopped and its data directory removed on exit, whatever happens.
# The load generator runs on the same machine as the server and shares its
# cores: on a 2-core machine the figures are a lower bound for the server.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${OSEZ_BIN:-$ROOT/target/release/osez}"
DURATION="${DURATION:-20}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-2}"
READY_TIMEOUT="${READY_TIMEOUT:-120}"
WARMUP="${WARMUP:-5}"

for tool in curl wrk; do
    if ! command -v "$tool" >/dev/null; then
        echo "bench-http: '$tool' is missing (Debian: apt-get install -y $tool)" >&2
        exit 2
    fi
done

if [[ ! -x "$BIN" ]]; then
    echo "bench-http: building $BIN (cargo build --release -p osez-cli)" >&2
    (cd "$ROOT" && cargo build --release -p osez-cli)
fi

if [[ -z "${PORT:-}" ]]; then
    PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)))"
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
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "bench-http: server did not stop within 10 s of SIGTERM, killing it" >&2
            kill -KILL "$SERVER_PID" 2>/dev/null || true
        fi
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

now() { date +%s.%N; }

# Starts the server; sets READY_SECS to the seconds until /healthz answers 200.
READY_SECS=""
start_server() {
    local t0 t1
    t0="$(now)"
    # All the load comes from one address: the per-IP search limit is off.
    OSEZ_LOG="${OSEZ_LOG:-warn}" "$BIN" serve --addr "127.0.0.1:$PORT" --data-dir "$DATA" \
        --search-per-minute 0 >>"$LOG" 2>&1 &
    SERVER_PID=$!
    local deadline=$(( $(date +%s) + READY_TIMEOUT ))
    until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/healthz" || true)" == 200 ]]; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "bench-http: the server exited during start-up; its log:" >&2
            cat "$LOG" >&2
            exit 1
        fi
        if (( $(date +%s) > deadline )); then
            echo "bench-http: not ready within ${READY_TIMEOUT}s; log:" >&2
            cat "$LOG" >&2
            exit 1
        fi
        sleep 0.02
    done
    t1="$(now)"
    READY_SECS="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
}

# CPU seconds (user + system) the server has used so far.
cpu_secs() {
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$SERVER_PID/stat"
}

mem() {
    awk '/^(VmRSS|VmHWM):/ { printf "%s %.1f MB  ", $1, $2 / 1024 }' "/proc/$SERVER_PID/status"
}

# Query paths the load rotates over: words, accents, typos, sentences,
# places, facets, prefixes (as typed).
PATHS=(
    "/api/v1/advisers?q=cybers%C3%A9curit%C3%A9"
    "/api/v1/advisers?q=comptabilite"
    "/api/v1/advisers?q=marketting"
    "/api/v1/advisers?q=ia+lyon"
    "/api/v1/advisers?q=cybers%C3%A9curit%C3%A9+33000"
    "/api/v1/advisers?q=marketing+en+Bretagne"
    "/api/v1/advisers?q=site+web+st+etienne"
    "/api/v1/advisers?q=comptabilit%C3%A9+dans+le+33"
    "/api/v1/advisers?q=Je+cherche+un+ambassadeur+IA+%C3%A0+distance+pour+mon+entreprise"
    "/api/v1/advisers?q=j%27ai+besoin+d%27aide+pour+cr%C3%A9er+mon+site+internet+%C3%A0+Lille"
    "/api/v1/advisers?q=comment+prot%C3%A9ger+mon+entreprise+contre+le+piratage"
    "/api/v1/advisers?q=cyb"
    "/api/v1/advisers?q=compt"
    "/api/v1/advisers?q=seo+toul"
    "/api/v1/advisers?q=rgpd&specialty=donnees"
    "/api/v1/advisers?q=marketing&department=33"
    "/api/v1/advisers?q=ia&remote=true"
    "/api/v1/advisers?kind=ambassadeur_ia"
    "/api/v1/advisers?q=restaurnt+Nice"
    "/api/v1/advisers?q=chatgpt&kind=ambassadeur_ia&remote=true"
)

echo "== osez HTTP benchmark =="
echo "binary: $BIN"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "load: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s over ${#PATHS[@]} query paths, on the same cores as the server"

start_server
first="$READY_SECS"
echo "ready (first start, empty data dir: demo import + index build): ${first} s"
stop_server
start_server
second="$READY_SECS"
echo "ready (second start, same data dir): ${second} s"
echo "memory after start: $(mem)"

# Every path must answer 200 with JSON before the load counts.
bad=0
for p in "${PATHS[@]}"; do
    code="$(curl -s -o "$WORK/body" -w '%{http_code}' --max-time 5 "$BASE$p" || true)"
    total="$(grep -o '"total":[0-9]*' "$WORK/body" | head -1 | cut -d: -f2 || true)"
    printf '  %s %-6s %s\n' "$code" "${total:-?}" "$p"
    [[ "$code" == 200 ]] || bad=$((bad + 1))
done
if (( bad > 0 )); then
    echo "bench-http: $bad query paths did not answer 200" >&2
    exit 1
fi

LUA="$WORK/paths.lua"
{
    echo "local paths = {"
    for p in "${PATHS[@]}"; do echo "  \"$p\","; done
    echo "}"
    cat <<'EOF'
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f mean_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    errors, summary.errors.status))
end
EOF
} >"$LUA"

if (( WARMUP > 0 )); then
    timeout $((WARMUP + 30)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$LUA" "$BASE" >/dev/null
fi
echo "--- wrk ---"
cpu0="$(cpu_secs)"
timeout $((DURATION + 60)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$LUA" "$BASE" | tee "$WORK/wrk.out"
cpu1="$(cpu_secs)"
echo "--- summary ---"
grep '^RESULT' "$WORK/wrk.out" | sed 's/^RESULT /searches: /'
requests="$(grep -o '^RESULT requests=[0-9]*' "$WORK/wrk.out" | cut -d= -f2)"
seconds="$(grep -o ' seconds=[0-9.]*' "$WORK/wrk.out" | cut -d= -f2)"
awk -v a="$cpu0" -v b="$cpu1" -v n="$requests" -v s="$seconds" -v c="$(nproc)" 'BEGIN {
    used = b - a
    printf "server CPU during the load: %.1f s over %.1f s (%.2f of %d cores), %.3f ms per search", used, s, used / s, c, 1000 * used / n
    printf " -> at most ~%.0f searches/s with every core for the server\n", n / used * c
}'
echo "memory after load: $(mem)"
echo "ready: first ${first} s, second ${second} s"
