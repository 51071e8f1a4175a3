-- Registrations to webinars: seats up to the capacity, then a waiting
-- list; a cancel link (its hash kept) frees a seat for the first one
-- waiting. The reminder the day before and the replay link after are each
-- sent once: the column that records them is set in the transaction that
-- writes the mail to the outbox.
CREATE TABLE registrations (
    id             BIGSERIAL PRIMARY KEY,
    resource_id    TEXT NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    -- Personal data, lower-cased address.
    email          TEXT NOT NULL,
    name           TEXT NOT NULL,
    company        TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('confirmed', 'waiting', 'cancelled')),
    cancel_hash    TEXT NOT NULL UNIQUE,
    created_at     BIGINT NOT NULL,
    reminded_at    BIGINT,
    replay_sent_at BIGINT,
    UNIQUE (resource_id, email)
);
CREATE INDEX registrations_queue ON registrations (resource_id, status, created_at);

-- A mail may carry one file (the .ics of an event).
ALTER TABLE outbox ADD COLUMN attachment_name TEXT;
ALTER TABLE outbox ADD COLUMN attachment_type TEXT;
ALTER TABLE outbox ADD COLUMN attachment_body TEXT;
