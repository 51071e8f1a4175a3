-- Messages written through the site to the team or to one adviser, the
-- team's answers, the outbox of e-mail, spent anti-spam challenges, and
-- single-use links to one's own data.

CREATE TABLE contact_messages (
    id            BIGSERIAL PRIMARY KEY,
    recipient     TEXT NOT NULL CHECK (recipient IN ('team', 'adviser')),
    adviser_id    TEXT REFERENCES advisers (id) ON DELETE SET NULL,
    -- The adviser had no account when the message came: the team passes it on.
    via_team      BIGINT NOT NULL CHECK (via_team IN (0, 1)),
    -- Personal data; blanked on erasure or at the end of retention.
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    company       TEXT,
    commune_insee TEXT NOT NULL,
    commune_label TEXT NOT NULL,
    message       TEXT NOT NULL,
    -- Kept after erasure, for anonymous counts.
    department    TEXT NOT NULL,
    need          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('new', 'open', 'closed')),
    assigned_to   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    -- What came of a message to an adviser, as the adviser records it.
    outcome       TEXT CHECK (outcome IN ('met', 'quote_sent', 'no_follow_up')),
    outcome_at    BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    erased_at     BIGINT
);
CREATE INDEX contact_messages_email ON contact_messages (email);
CREATE INDEX contact_messages_created ON contact_messages (created_at);
CREATE INDEX contact_messages_adviser ON contact_messages (adviser_id);

CREATE TABLE contact_replies (
    id          BIGSERIAL PRIMARY KEY,
    contact_id  BIGINT NOT NULL REFERENCES contact_messages (id) ON DELETE CASCADE,
    author      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX contact_replies_contact ON contact_replies (contact_id);

-- Every e-mail is written here in the transaction that causes it, then
-- delivered by the worker. The Message-ID is fixed once, so a retry is the
-- same message to the receiving servers.
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    message_id      TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    contact_id      BIGINT REFERENCES contact_messages (id) ON DELETE SET NULL,
    to_addr         TEXT NOT NULL,
    reply_to        TEXT,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    -- Also the lease: a worker that takes a message pushes it forward.
    next_attempt_at BIGINT NOT NULL,
    sent_at         BIGINT,
    failed_at       BIGINT,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at);

CREATE TABLE used_challenges (
    key        TEXT PRIMARY KEY NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE data_requests (
    token_hash TEXT PRIMARY KEY NOT NULL,
    email      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
