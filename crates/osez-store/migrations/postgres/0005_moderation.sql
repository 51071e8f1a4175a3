-- Moderation: a profile reported 3 times is hidden pending review; each
-- report is decided (upheld or dismissed) by a moderator.
ALTER TABLE advisers ADD COLUMN hidden BIGINT NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1));
ALTER TABLE abuse_reports ADD COLUMN status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'dismissed'));
ALTER TABLE abuse_reports ADD COLUMN decided_at BIGINT;
ALTER TABLE abuse_reports ADD COLUMN decided_by TEXT;
CREATE INDEX abuse_reports_status ON abuse_reports (status);
CREATE INDEX audit_log_actor ON audit_log (actor);
