-- Abuse reports sent from adviser profiles, for the moderation queue.
CREATE TABLE abuse_reports (
    id         BIGSERIAL PRIMARY KEY,
    adviser_id TEXT NOT NULL REFERENCES advisers (id) ON DELETE CASCADE,
    reason     TEXT NOT NULL,
    message    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX abuse_reports_adviser ON abuse_reports (adviser_id);
