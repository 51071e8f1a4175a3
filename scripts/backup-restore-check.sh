#!/usr/bin/env bash
# Backup and restore of Osez, tested for real on both backends: the
# procedure of docs/DEPLOYMENT.md, run end to end on loopback.
#
#   scripts/backup-restore-check.sh              # SQLite, then PostgreSQL
#   BACKENDS=sqlite scripts/backup-restore-check.sh
#
# SQLite: `osez serve` on a temporary data directory (the demo data loads on
# the first start), a few writes through the API (an assistant
# conversation, consultation votes), an online backup while it serves
# (`sqlite3 DB ".backup FILE"`, or Python's Connection.backup without the
# sqlite3 program) and a second one with `VACUUM INTO`, then the server is
# stopped; the copy is restored into a fresh data directory and compared
# with the original, table by table (row counts and a digest of the rows),
# with `PRAGMA integrity_check`; a node started on the restored directory
# must answer the same searches, recognise the participant who voted
# (the signing key travels with the database) and trust a vote key the
# original node signed.
#
# PostgreSQL: the same on a fresh database osez_backup_check_<pid>, with
# `pg_dump -Fc` while the node serves and `pg_restore` into a second
# database osez_backup_check_<pid>_restored; both are dropped at the end.
# When PostgreSQL cannot be reached the check is skipped, unless CI=true:
# then it fails.
#
# Settings (environment): OSEZ_BIN (default target/debug/osez, built if
# missing), BACKENDS ("sqlite postgres"), PGHOST (127.0.0.1; loopback only),
# PGPORT (5432), PGUSER (postgres), PGPASSWORD, READY_TIMEOUT (seconds for a
# start, 300), STEP_TIMEOUT (seconds for any other step, 300),
# CONTENT_SKIP (tables whose rows may change by themselves between the
# backup and the stop: counted, not digested; default "job_runs").
#
# Loopback only; every step is bounded by `timeout`; servers, temporary
# files and databases are removed on exit, whatever happens. Runs as root or
# as any user who can read the binary. Exit status: 0 when every comparison
# held, 1 on any difference or error.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${OSEZ_BIN:-$ROOT/target/debug/osez}"
BACKENDS="${BACKENDS:-sqlite postgres}"
READY_TIMEOUT="${READY_TIMEOUT:-300}"
STEP_TIMEOUT="${STEP_TIMEOUT:-300}"
CONTENT_SKIP="${CONTENT_SKIP:-job_runs}"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-5}"
# No NOTICE chatter ("database … does not exist, skipping").
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

# The operator's own settings must not leak into the servers started here
# (an OSEZ_DATABASE_URL would turn the SQLite check into a PostgreSQL one).
for v in $(compgen -e); do
    case "$v" in OSEZ_BIN | OSEZ_LOG) ;; OSEZ_*) unset "$v" ;; esac
done
export OSEZ_LOG="${OSEZ_LOG:-warn}"

now() { date +%s.%N; }
secs_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
T_ALL="$(now)"

FAILURES=0
fail() {
    echo "FAIL: $*" >&2
    FAILURES=$((FAILURES + 1))
}
die() {
    echo "backup-restore-check: $*" >&2
    exit 1
}

case "$PGHOST" in
    127.0.0.1 | localhost | ::1) ;;
    *) die "PGHOST=$PGHOST: this check talks to loopback only (127.0.0.1, localhost, ::1)" ;;
esac

for tool in curl python3 timeout awk; do
    command -v "$tool" >/dev/null || die "'$tool' is missing"
done

if [[ ! -x "$BIN" ]]; then
    [[ -z "${OSEZ_BIN:-}" ]] || die "OSEZ_BIN=$BIN is not an executable file"
    echo "building $BIN (cargo build -p osez-cli)" >&2
    (cd "$ROOT" && timeout 3600 cargo build -p osez-cli) || die "cannot build $BIN"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/osez-backup-check.XXXXXX")"
SERVER_PID=""
BASE=""
PG_DBS=()

stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 300); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "backup-restore-check: the server did not stop within 30 s of SIGTERM; killing it" >&2
            kill -KILL "$SERVER_PID" 2>/dev/null || true
        fi
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
    BASE=""
}

drop_pg_dbs() {
    local db
    for db in "${PG_DBS[@]}"; do
        timeout 60 psql -X -q -d postgres -v ON_ERROR_STOP=1 \
            -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 ||
            echo "backup-restore-check: could not drop database $db; drop it by hand" >&2
    done
    PG_DBS=()
}

cleanup() {
    local status=$?
    stop_server
    if ((${#PG_DBS[@]} > 0)); then drop_pg_dbs; fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts `osez serve` on a free loopback port with the given arguments;
# waits for its address and for /healthz to answer 200. Sets BASE and
# READY_SECS. A server outlives no more than an hour, even if this script
# is killed without a chance to stop it.
start_server() {
    local name="$1"
    shift
    local out="$WORK/$name.out" log="$WORK/$name.log" t0 addr=""
    t0="$(now)"
    timeout -k 10 3600 "$BIN" serve --addr 127.0.0.1:0 --insecure-cookies "$@" >"$out" 2>"$log" &
    SERVER_PID=$!
    local deadline=$(($(date +%s) + READY_TIMEOUT))
    while true; do
        addr="$(sed -n 's#^listening on http://##p' "$out" | head -n 1)"
        [[ -z "$addr" ]] || break
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "--- $name: the server exited during start-up; its log:" >&2
            tail -n 40 "$log" >&2
            SERVER_PID=""
            die "osez serve ($name) did not start"
        fi
        (($(date +%s) <= deadline)) || {
            tail -n 40 "$log" >&2
            die "osez serve ($name) not ready within ${READY_TIMEOUT}s"
        }
        sleep 0.1
    done
    BASE="http://$addr"
    until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/healthz" || true)" == 200 ]]; do
        (($(date +%s) <= deadline)) || die "$BASE/healthz did not answer 200 within ${READY_TIMEOUT}s"
        sleep 0.1
    done
    READY_SECS="$(secs_since "$t0")"
}

# GET (or POST JSON with a body) on the running server with the cookie jar
# of the participant; prints the status; the body goes to $2, the headers
# to $2.headers.
http() {
    local method="$1" path="$2" body_file="$3" data="${4:-}"
    local args=(-sS --max-time 30 -o "$body_file" -D "$body_file.headers" -w '%{http_code}'
        -b "$WORK/cookies" -c "$WORK/cookies" -X "$method")
    if [[ -n "$data" ]]; then
        args+=(-H 'Content-Type: application/json' --data-binary "$data")
    fi
    curl "${args[@]}" "$BASE$path" || echo 000
}

# What the tests read back and compare: search totals and the consultations'
# participants. One line per probe.
PROBES=(
    "/api/v1/advisers?q=comptabilite"
    "/api/v1/advisers?q=marketing+en+Bretagne"
    "/api/v1/advisers?q=cybers%C3%A9curit%C3%A9+33000"
    "/api/v1/resources?q=intelligence+artificielle"
    "/api/v1/search?q=site+internet"
    "/api/v1/consultations"
)
probe() {
    local out="$1" p code
    : >"$out"
    for p in "${PROBES[@]}"; do
        code="$(http GET "$p" "$WORK/probe.json")"
        [[ "$code" == 200 ]] || {
            fail "GET $p answered $code"
            echo "$p status=$code" >>"$out"
            continue
        }
        python3 - "$p" "$WORK/probe.json" >>"$out" <<'EOF'
import json, sys
path, body = sys.argv[1], json.load(open(sys.argv[2]))
if "consultations" in body:
    parts = [f"{c['slug']}:{c['participants']}" for c in body["consultations"]]
elif "advisers" in body and "resources" in body:
    parts = [f"advisers={body['advisers']['total']}", f"resources={body['resources']['total']}"]
else:
    parts = [f"total={body['total']}"]
print(path, " ".join(parts))
EOF
    done
}

# Writes through the API of the running server, as visitors would: an
# assistant conversation, and votes of one participant on the first open
# consultation. Keeps a key of a proposal served but not voted, for the
# restored node to check.
VOTED=""
SPARE=""
SLUG=""
make_writes() {
    local code
    VOTED=""
    SPARE=""
    code="$(http POST /api/v1/assistant/messages "$WORK/w.json" \
        '{"text":"Je cherche de l'\''aide pour créer le site internet de ma boulangerie à Nantes"}')"
    [[ "$code" == 200 ]] || fail "POST /api/v1/assistant/messages answered $code"
    code="$(http GET /api/v1/consultations "$WORK/w.json")"
    [[ "$code" == 200 ]] || die "GET /api/v1/consultations answered $code"
    SLUG="$(python3 -c 'import json,sys; c=[c["slug"] for c in json.load(open(sys.argv[1]))["consultations"] if c["open"]]; print(c[0] if c else "")' "$WORK/w.json")"
    [[ -n "$SLUG" ]] || die "no open consultation to vote on (the demo data should have one)"
    code="$(http GET "/api/v1/consultations/$SLUG/sequence" "$WORK/seq.json")"
    [[ "$code" == 200 ]] || die "GET the sequence of $SLUG answered $code"
    python3 - "$WORK/seq.json" >"$WORK/seq.tsv" <<'EOF'
import json, sys
for p in json.load(open(sys.argv[1]))["proposals"]:
    print(f"{p['id']}\t{p['key']}")
EOF
    (($(wc -l <"$WORK/seq.tsv") >= 4)) || die "the sequence of $SLUG holds fewer than 4 proposals"
    local i=0 id key
    local vote=(agree disagree neutral)
    while IFS=$'\t' read -r id key; do
        i=$((i + 1))
        if ((i == 4)); then
            SPARE="$id	$key"
            break
        fi
        code="$(http POST "/api/v1/consultations/$SLUG/votes" "$WORK/vote.json" \
            "{\"proposal_id\":$id,\"key\":\"$key\",\"vote\":\"${vote[$((i - 1))]}\"}")"
        if [[ "$code" != 200 ]] || ! grep -q '"trusted":true' "$WORK/vote.json"; then
            fail "vote on proposal $id answered $code: $(cat "$WORK/vote.json")"
        fi
        VOTED="$VOTED $id"
    done <"$WORK/seq.tsv"
}

# On the restored node, with the participant's cookie: the same participant
# (no new cookie), none of their voted proposals served again, and the key
# signed by the original node for a proposal not voted yet still trusted.
check_participant() {
    local code id key before=$FAILURES
    PARTICIPANT_OK="the participant and their vote keys are NOT recognised"
    code="$(http GET "/api/v1/consultations/$SLUG/sequence" "$WORK/seq2.json")"
    [[ "$code" == 200 ]] || {
        fail "restored node: GET the sequence answered $code"
        return
    }
    if grep -qi '^set-cookie: *\(__Host-\)\?osez_participant=' "$WORK/seq2.json.headers"; then
        fail "restored node: the participant's cookie was not recognised (a new one was set): the signing key did not travel"
    fi
    for id in $VOTED; do
        if python3 -c 'import json,sys; sys.exit(0 if int(sys.argv[2]) in [p["id"] for p in json.load(open(sys.argv[1]))["proposals"]] else 1)' \
            "$WORK/seq2.json" "$id"; then
            fail "restored node: proposal $id, voted before the backup, is served again"
        fi
    done
    IFS=$'\t' read -r id key <<<"$SPARE"
    code="$(http POST "/api/v1/consultations/$SLUG/votes" "$WORK/vote.json" \
        "{\"proposal_id\":$id,\"key\":\"$key\",\"vote\":\"agree\"}")"
    if [[ "$code" != 200 ]] || ! grep -q '"trusted":true' "$WORK/vote.json"; then
        fail "restored node: a vote key signed before the backup is not trusted ($code: $(cat "$WORK/vote.json"))"
    fi
    ((FAILURES > before)) || PARTICIPANT_OK="the participant and their vote keys are recognised"
}

compare_probes() {
    if diff -u "$1" "$2" >"$WORK/probes.diff"; then
        PROBES_OK="$(wc -l <"$1") searches and lists answer the same"
    else
        fail "the restored node answers differently:"
        cat "$WORK/probes.diff" >&2
        PROBES_OK="DIFFERENT"
    fi
}

# Compares two snapshots (lines "table<TAB>rows<TAB>digest"); sets TABLES
# and ROWS from the first.
compare_snapshots() {
    local what="$1" a="$2" b="$3"
    TABLES="$(grep -c $'^table\t' "$a" || true)"
    ROWS="$(awk -F'\t' '$1 == "table" { n += $3 } END { print n + 0 }' "$a")"
    if ! diff -u "$a" "$b" >"$WORK/snap.diff"; then
        fail "$what differs from the original:"
        cat "$WORK/snap.diff" >&2
        return 1
    fi
}

# Places a file as Osez stores an upload: FILES_DIR/<2 hex>/<SHA-256>.
place_test_file() {
    local dir="$1" sum
    mkdir -p "$dir"
    printf '%%PDF-1.4\n%% backup-restore-check %s\n%%%%EOF\n' "$$" >"$dir/probe"
    sum="$(sha256sum "$dir/probe" | cut -d' ' -f1)"
    mkdir -p "$dir/${sum:0:2}"
    mv "$dir/probe" "$dir/${sum:0:2}/$sum"
}

# The restored files: the same tree, and each file's SHA-256 is its name.
check_files() {
    local from="$1" to="$2" n=0 f
    diff -r "$from" "$to" >/dev/null || fail "the restored files differ from the original"
    while IFS= read -r f; do
        n=$((n + 1))
        [[ "$(sha256sum "$f" | cut -d' ' -f1)" == "$(basename "$f")" ]] || fail "restored file $f: its SHA-256 is not its name"
    done < <(find "$to" -type f ! -path "$to/tmp/*")
    echo "uploaded files restored and checked (SHA-256 = name): $n"
}

# --- SQLite -------------------------------------------------------------

cat >"$WORK/sqlite_snapshot.py" <<'EOF'
# Prints, for every table of an SQLite database, its row count and a digest
# of its rows (order-independent), then the integrity check.
import hashlib, sqlite3, sys

db, skip = sys.argv[1], set(sys.argv[2].split())
con = sqlite3.connect(db)
con.execute("PRAGMA busy_timeout = 10000")
tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
for t in tables:
    q = '"' + t.replace('"', '""') + '"'
    n = 0
    acc = 0
    for row in con.execute(f"SELECT * FROM {q}"):
        n += 1
        # Sum of per-row digests modulo 2^128: independent of the order.
        acc = (acc + int.from_bytes(hashlib.md5(repr(row).encode()).digest(), "big")) % (1 << 128)
    print(f"table\t{t}\t{n}\t{'-' if t in skip else format(acc, '032x')}")
print("integrity_check\t" + ",".join(r[0] for r in con.execute("PRAGMA integrity_check")))
EOF

sqlite_online_backup() {
    local db="$1" copy="$2"
    if command -v sqlite3 >/dev/null; then
        BACKUP_HOW="sqlite3 .backup"
        timeout "$STEP_TIMEOUT" sqlite3 "$db" ".timeout 10000" ".backup '$copy'"
    else
        BACKUP_HOW="Python sqlite3 Connection.backup"
        timeout "$STEP_TIMEOUT" python3 - "$db" "$copy" <<'EOF'
import sqlite3, sys
src = sqlite3.connect(sys.argv[1])
src.execute("PRAGMA busy_timeout = 10000")
dst = sqlite3.connect(sys.argv[2])
src.backup(dst)
dst.close()
src.close()
EOF
    fi
}

check_sqlite() {
    echo "-- SQLite --"
    local t0 data="$WORK/sqlite-data" restored="$WORK/sqlite-restored" bk="$WORK/sqlite-backup"
    t0="$(now)"
    rm -f "$WORK/cookies"
    mkdir -p "$bk"
    start_server sqlite-original --data-dir "$data"
    echo "first start on an empty data directory (demo data, index): ${READY_SECS} s"
    make_writes
    probe "$WORK/sqlite-probes-original"

    local t1
    t1="$(now)"
    sqlite_online_backup "$data/osez.db" "$bk/osez.db" || die "online backup failed"
    echo "online backup while serving ($BACKUP_HOW): $(secs_since "$t1") s, $(du -h "$bk/osez.db" | cut -f1)"
    timeout "$STEP_TIMEOUT" python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("PRAGMA busy_timeout = 10000"); c.execute("VACUUM INTO ?", (sys.argv[2],))' \
        "$data/osez.db" "$bk/osez-vacuum.db" || die "VACUUM INTO failed"
    # The uploaded files (by default DATA_DIR/fichiers): named by their
    # SHA-256, never changed once written, copied after the database. The
    # demo data has none: one test file is placed as Osez stores them, so
    # that the copy and its check run.
    place_test_file "$data/fichiers"
    cp -a "$data/fichiers" "$bk/fichiers"
    stop_server

    # Restore into a fresh data directory: the database file, the files;
    # no -wal/-shm beside it, no index (rebuilt at start).
    mkdir -p "$restored"
    cp "$bk/osez.db" "$restored/osez.db"
    if [[ -d "$bk/fichiers" ]]; then cp -a "$bk/fichiers" "$restored/fichiers"; fi

    timeout "$STEP_TIMEOUT" python3 "$WORK/sqlite_snapshot.py" "$data/osez.db" "$CONTENT_SKIP" >"$WORK/sqlite-snap-original"
    timeout "$STEP_TIMEOUT" python3 "$WORK/sqlite_snapshot.py" "$restored/osez.db" "$CONTENT_SKIP" >"$WORK/sqlite-snap-restored"
    timeout "$STEP_TIMEOUT" python3 "$WORK/sqlite_snapshot.py" "$bk/osez-vacuum.db" "$CONTENT_SKIP" >"$WORK/sqlite-snap-vacuum"
    grep -qx $'integrity_check\tok' "$WORK/sqlite-snap-restored" || fail "integrity_check of the restored database: $(tail -n 1 "$WORK/sqlite-snap-restored")"
    grep -qx $'integrity_check\tok' "$WORK/sqlite-snap-vacuum" || fail "integrity_check of the VACUUM INTO copy: $(tail -n 1 "$WORK/sqlite-snap-vacuum")"
    compare_snapshots "the VACUUM INTO copy" "$WORK/sqlite-snap-original" "$WORK/sqlite-snap-vacuum" &&
        echo "second copy, by VACUUM INTO: $(du -h "$bk/osez-vacuum.db" | cut -f1), the same rows, integrity_check: $(tail -n 1 "$WORK/sqlite-snap-vacuum" | cut -f2)"
    compare_snapshots "the restored database" "$WORK/sqlite-snap-original" "$WORK/sqlite-snap-restored" || true
    echo "restored copy: tables compared: $TABLES, rows: $ROWS (counts and row digests; integrity_check: $(tail -n 1 "$WORK/sqlite-snap-restored" | cut -f2))"
    check_files "$data/fichiers" "$restored/fichiers"

    start_server sqlite-restored --data-dir "$restored"
    echo "start on the restored copy (index rebuilt): ${READY_SECS} s"
    probe "$WORK/sqlite-probes-restored"
    compare_probes "$WORK/sqlite-probes-original" "$WORK/sqlite-probes-restored"
    check_participant
    stop_server
    echo "restored node: $PROBES_OK; $PARTICIPANT_OK"
    echo "sqlite: done in $(secs_since "$t0") s"
    CHECKED="$CHECKED sqlite"
}

# --- PostgreSQL ---------------------------------------------------------

pg_reachable() {
    local tool
    for tool in psql pg_dump pg_restore; do
        command -v "$tool" >/dev/null || {
            PG_WHY="'$tool' is missing (Debian: postgresql-client)"
            return 1
        }
    done
    if ! timeout 20 psql -X -At -d postgres -c 'SELECT 1' >/dev/null 2>"$WORK/pg.err"; then
        PG_WHY="cannot connect to $PGUSER@$PGHOST:$PGPORT: $(head -n 1 "$WORK/pg.err")"
        return 1
    fi
}

pg_snapshot() {
    timeout "$STEP_TIMEOUT" psql -X -At -F $'\t' -v ON_ERROR_STOP=1 -d "$1" -v skip="$CONTENT_SKIP" <<'EOF'
SELECT format(
    'SELECT %L, %L, count(*), %s FROM %I.%I x',
    'table', table_name,
    CASE WHEN table_name = ANY (string_to_array(:'skip', ' ')) THEN '''-'''
         ELSE 'md5(coalesce(string_agg(md5(x::text), '''' ORDER BY md5(x::text)), ''''))' END,
    table_schema, table_name)
FROM information_schema.tables
WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
ORDER BY table_name
\gexec
SELECT 'sequence', sequencename, coalesce(last_value, 0), '' FROM pg_sequences
WHERE schemaname = 'public' ORDER BY sequencename;
EOF
}

check_postgres() {
    echo "-- PostgreSQL --"
    if ! pg_reachable; then
        if [[ "${CI:-}" == true ]]; then
            fail "PostgreSQL: $PG_WHY (CI=true: a failure, not a skip)"
        else
            echo "postgres: SKIPPED: $PG_WHY (with CI=true this is a failure)"
            SKIPPED="$SKIPPED postgres"
        fi
        return
    fi
    local t0 db="osez_backup_check_$$" rdb="osez_backup_check_$$_restored" dump="$WORK/osez.dump"
    t0="$(now)"
    rm -f "$WORK/cookies"
    echo "server: $(psql -X -At -d postgres -c 'SHOW server_version') at $PGHOST:$PGPORT; $(pg_dump --version)"
    PG_DBS=("$db" "$rdb")
    timeout 60 psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" \
        -c "DROP DATABASE IF EXISTS \"$rdb\" WITH (FORCE)" -c "CREATE DATABASE \"$db\"" >/dev/null
    local url="postgres://$PGUSER@$PGHOST:$PGPORT"
    start_server pg-original --data-dir "$WORK/pg-data" --database-url "$url/$db"
    echo "first start on an empty database (demo data, index): ${READY_SECS} s"
    make_writes
    probe "$WORK/pg-probes-original"

    local t1
    t1="$(now)"
    timeout "$STEP_TIMEOUT" pg_dump -Fc -d "$db" -f "$dump" || die "pg_dump failed"
    echo "pg_dump -Fc while serving: $(secs_since "$t1") s, $(du -h "$dump" | cut -f1)"
    stop_server

    t1="$(now)"
    timeout 60 psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$rdb\"" >/dev/null
    timeout "$STEP_TIMEOUT" pg_restore --exit-on-error --single-transaction --no-owner -d "$rdb" "$dump" ||
        die "pg_restore failed"
    echo "pg_restore into a new database: $(secs_since "$t1") s"
    pg_snapshot "$db" >"$WORK/pg-snap-original"
    pg_snapshot "$rdb" >"$WORK/pg-snap-restored"
    compare_snapshots "the restored database" "$WORK/pg-snap-original" "$WORK/pg-snap-restored" || true
    echo "restored database: tables compared: $TABLES, rows: $ROWS (counts, row digests, sequences: $(grep -c $'^sequence\t' "$WORK/pg-snap-original" || true))"

    start_server pg-restored --data-dir "$WORK/pg-restored-data" --database-url "$url/$rdb"
    echo "start on the restored database (index rebuilt): ${READY_SECS} s"
    probe "$WORK/pg-probes-restored"
    compare_probes "$WORK/pg-probes-original" "$WORK/pg-probes-restored"
    check_participant
    stop_server
    echo "restored node: $PROBES_OK; $PARTICIPANT_OK"
    drop_pg_dbs
    echo "postgres: done in $(secs_since "$t0") s (databases dropped)"
    CHECKED="$CHECKED postgres"
}

echo "== osez backup and restore check =="
echo "binary: $BIN"
CHECKED=""
SKIPPED=""
for backend in $BACKENDS; do
    case "$backend" in
        sqlite) check_sqlite ;;
        postgres) check_postgres ;;
        *) die "BACKENDS: unknown backend '$backend' (sqlite, postgres)" ;;
    esac
done
if ((FAILURES > 0)); then
    echo "== backup-restore-check: $FAILURES FAILED check(s), $(secs_since "$T_ALL") s =="
    exit 1
fi
echo "== backup-restore-check: every comparison held; checked:${CHECKED:- nothing}${SKIPPED:+; skipped:$SKIPPED}; $(secs_since "$T_ALL") s =="
