-- Accounts of the back office and of advisers, their sessions, and the
-- audit log of every change.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'moderator', 'adviser')),
    -- For the adviser role: the profile they may edit.
    adviser_id    TEXT REFERENCES advisers (id) ON DELETE SET NULL,
    totp_secret   TEXT,
    -- Last TOTP time step accepted: a code is never accepted twice.
    totp_last_step BIGINT,
    disabled      BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    BIGINT NOT NULL
);

-- Server-side sessions. Only a hash of the token is kept: a copy of the
-- database does not let anyone in.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       BIGINT NOT NULL,
    -- Who: a user's e-mail, "system", or "anonyme" with the address.
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    before   TEXT,
    after    TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
