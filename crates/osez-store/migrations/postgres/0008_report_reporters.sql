-- Abuse reports count distinct reporters. A reporter is a keyed hash of
-- the client's address (IPv4, or IPv6 /64) and of the day, computed by the
-- web layer: the address itself is never stored. One client keeps one open
-- report per profile.
ALTER TABLE abuse_reports ADD COLUMN reporter TEXT;
-- Reports made before reporters were known count as distinct, as they did.
UPDATE abuse_reports SET reporter = 'avant-0008:' || id;
CREATE UNIQUE INDEX abuse_reports_open_reporter ON abuse_reports (adviser_id, reporter) WHERE status = 'open';
-- The daily cap per profile counts its recent reports.
CREATE INDEX abuse_reports_adviser_created ON abuse_reports (adviser_id, created_at);
