-- Calls for applications ("appels à manifestation d'intérêt") for
-- ambassadeurs IA, and applications to join the directory: new
-- organisations, candidates to a call, and changes of name or SIRET of a
-- published profile, which go back to review.
CREATE TABLE calls (
    id          BIGSERIAL PRIMARY KEY,
    title       TEXT NOT NULL,
    criteria    TEXT NOT NULL,
    -- Dates as AAAA-MM-JJ, both included.
    opens_on    TEXT NOT NULL,
    closes_on   TEXT NOT NULL,
    -- Region codes, comma-separated; empty: every region.
    regions     TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE applications (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('activateur', 'ambassadeur_ia', 'modification')),
    call_id     BIGINT REFERENCES calls (id),
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The published profile: the one to change, or the one created.
    adviser_id  TEXT REFERENCES advisers (id) ON DELETE SET NULL,
    status      TEXT NOT NULL CHECK (status IN ('submitted', 'changes_requested', 'shortlisted', 'accepted', 'refused')),
    -- The checked form, as JSON.
    form        TEXT NOT NULL,
    -- The team's last message: changes asked, or the reason of a refusal.
    team_note   TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX applications_status ON applications (status);
CREATE INDEX applications_user ON applications (user_id);
