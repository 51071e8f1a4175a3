-- Flags are INTEGER 0/1 and times are Unix milliseconds, in both backends,
-- so that one set of queries reads both through sqlx's Any driver.
CREATE TABLE advisers (
    id              TEXT PRIMARY KEY NOT NULL,
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    structure_type  TEXT NOT NULL,
    category        TEXT NOT NULL,
    address         TEXT,
    commune_insee   TEXT NOT NULL,
    commune         TEXT NOT NULL,
    postal_code     TEXT NOT NULL,
    department      TEXT NOT NULL,
    region          TEXT NOT NULL,
    lat             REAL NOT NULL,
    lon             REAL NOT NULL,
    approx_location INTEGER NOT NULL CHECK (approx_location IN (0, 1)),
    specialties     TEXT NOT NULL,
    sectors         TEXT NOT NULL,
    in_person       INTEGER NOT NULL CHECK (in_person IN (0, 1)),
    remote          INTEGER NOT NULL CHECK (remote IN (0, 1)),
    description     TEXT NOT NULL,
    website         TEXT,
    source_url      TEXT,
    is_demo         INTEGER NOT NULL CHECK (is_demo IN (0, 1)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- Searches that found nothing, for the back office. No personal data: the
-- query text, the filters and the time only.
CREATE TABLE zero_result_searches (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    query      TEXT NOT NULL,
    filters    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX zero_result_searches_created_at ON zero_result_searches (created_at);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
