-- Claims of imported profiles ("C'est ma structure"): whoever runs a
-- structure imported from the open data, which has no account and no
-- address, asks for access. The team checks and accepts or refuses.
CREATE TABLE claims (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    adviser_id  TEXT NOT NULL REFERENCES advisers (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    siret       TEXT NOT NULL,
    message     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'refused')),
    -- The reason of a refusal, told to the claimant.
    reason      TEXT,
    decided_by  TEXT,
    decided_at  BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX claims_adviser ON claims (adviser_id, status);
CREATE INDEX claims_created ON claims (created_at);

-- Single-use invitation links (a claim accepted, or the team's own
-- invitation): the first password of an adviser account. Only a hash of
-- the token is kept, as for password resets.
CREATE TABLE invitations (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX invitations_user ON invitations (user_id);
