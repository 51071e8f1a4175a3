#!/bin/sh
# Nightly backup of one Osez site (docs/DEPLOYMENT.md, "Backups"): the
# database first (SQLite: an online copy; PostgreSQL: pg_dump -Fc), checked,
# then the uploaded files. Run by deploy/osez-backup.service as the osez
# user, with the node's env file (OSEZ_DATA_DIR, OSEZ_DATABASE_URL,
# OSEZ_FILES_DIR). Settings:
#   BACKUP_DIR               where the copies go (/var/backups/osez)
#   BACKUP_DATABASE_URL      PostgreSQL to dump from (the standby); default OSEZ_DATABASE_URL
#   BACKUP_KEEP_DAYS         older copies are deleted (30)
# Copy BACKUP_DIR off the machine afterwards: a backup on the server's own
# disk is not a backup.
set -eu

BACKUP_DIR="${BACKUP_DIR:-/var/backups/osez}"
KEEP="${BACKUP_KEEP_DAYS:-30}"
DATA="${OSEZ_DATA_DIR:-./data}"
FILES="${OSEZ_FILES_DIR:-$DATA/fichiers}"
DAY="$(date +%F)"
OUT="$BACKUP_DIR/$DAY"
umask 077
mkdir -p "$OUT"

if [ -n "${OSEZ_DATABASE_URL:-}" ]; then
    # One snapshot of the whole database, restorable with pg_restore.
    timeout 3h pg_dump -Fc -d "${BACKUP_DATABASE_URL:-$OSEZ_DATABASE_URL}" -f "$OUT/osez.dump.part"
    pg_restore --list "$OUT/osez.dump.part" >/dev/null
    mv "$OUT/osez.dump.part" "$OUT/osez.dump"
else
    # Online copy beside the node's writes (WAL); never cp the live file.
    rm -f "$OUT/osez.db.part"
    timeout 1h sqlite3 "$DATA/osez.db" ".timeout 10000" ".backup '$OUT/osez.db.part'"
    check="$(sqlite3 "$OUT/osez.db.part" "PRAGMA integrity_check")"
    if [ "$check" != ok ]; then
        echo "osez-backup: integrity_check of the copy: $check" >&2
        exit 1
    fi
    mv "$OUT/osez.db.part" "$OUT/osez.db"
fi

# The files after the database: every file the copy names is already there.
# Named by their SHA-256 and never changed, so an incremental copy is exact.
if [ -d "$FILES" ]; then
    mkdir -p "$BACKUP_DIR/fichiers"
    rsync -a --exclude=/tmp/ "$FILES/" "$BACKUP_DIR/fichiers/"
fi

find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name '20??-??-??' -mtime +"$KEEP" -exec rm -rf {} +
echo "osez-backup: $OUT ($(du -sh "$OUT" | cut -f1))"
