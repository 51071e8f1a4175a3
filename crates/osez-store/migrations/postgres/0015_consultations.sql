-- Citizen consultations. Identity stays apart from votes: a participant is
-- the hash of an anonymous cookie's token, with an e-mail address only if
-- they gave one (to learn the fate of their proposals); the open data
-- names participants and proposals by their `number` alone.
CREATE TABLE consultations (
    id                BIGSERIAL PRIMARY KEY,
    slug              TEXT NOT NULL UNIQUE,
    title             TEXT NOT NULL,
    question          TEXT NOT NULL,
    description       TEXT NOT NULL,
    opens_at          BIGINT NOT NULL,
    closes_at         BIGINT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    -- 'osez' (run here), 'polis' (imported from a Pol.is export), 'demo'.
    origin            TEXT NOT NULL CHECK (origin IN ('osez', 'polis', 'demo')),
    -- The last number given to a participant and to a proposal: taking
    -- the next one is an UPDATE of this row, which serialises it on both
    -- backends.
    participants_seq  BIGINT NOT NULL DEFAULT 0,
    proposals_seq     BIGINT NOT NULL DEFAULT 0,
    -- Bumped by every batch of votes: the results' cache key.
    votes_seq         BIGINT NOT NULL DEFAULT 0,
    -- Participants with at least one trusted vote, kept by each batch.
    voters            BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

CREATE TABLE consultation_participants (
    id                 BIGSERIAL PRIMARY KEY,
    consultation_id    BIGINT NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    -- The pseudonym of the open data (Pol.is's voter-id); an imported
    -- conversation keeps its own.
    number             BIGINT NOT NULL,
    -- SHA-256 of the cookie's token; NULL for imported participants.
    token_hash         TEXT,
    -- Personal data, lower-cased; confirmed through a mailed link.
    email              TEXT,
    email_confirmed_at BIGINT,
    -- How many of their votes are trusted, kept by each batch.
    trusted_votes      BIGINT NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL,
    UNIQUE (consultation_id, number),
    UNIQUE (consultation_id, token_hash)
);

CREATE TABLE consultation_proposals (
    id              BIGSERIAL PRIMARY KEY,
    consultation_id BIGINT NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    -- comment-id of the open data.
    number          BIGINT NOT NULL,
    text            TEXT NOT NULL,
    author_id       BIGINT REFERENCES consultation_participants (id) ON DELETE SET NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'refused', 'postponed', 'archived')),
    refusal_reason  TEXT CHECK (refusal_reason IN ('incomprehensible', 'off_topic', 'discriminatory', 'partisan',
                                                   'advertising', 'several_ideas', 'insulting')),
    created_at      BIGINT NOT NULL,
    decided_at      BIGINT,
    decided_by      TEXT,
    -- The count of trusted votes, kept by each batch of votes in its
    -- transaction; always equal to a recount of consultation_votes
    -- (`osez consultation check`, and the store's tests).
    agree           BIGINT NOT NULL DEFAULT 0,
    disagree        BIGINT NOT NULL DEFAULT 0,
    neutral         BIGINT NOT NULL DEFAULT 0,
    -- Qualifications, in the order of Qualification::ALL.
    q_like_it            BIGINT NOT NULL DEFAULT 0,
    q_doable             BIGINT NOT NULL DEFAULT 0,
    q_platitude_agree    BIGINT NOT NULL DEFAULT 0,
    q_no_way             BIGINT NOT NULL DEFAULT 0,
    q_impossible         BIGINT NOT NULL DEFAULT 0,
    q_platitude_disagree BIGINT NOT NULL DEFAULT 0,
    q_do_not_understand  BIGINT NOT NULL DEFAULT 0,
    q_no_opinion         BIGINT NOT NULL DEFAULT 0,
    q_do_not_care        BIGINT NOT NULL DEFAULT 0,
    UNIQUE (consultation_id, number)
);
CREATE INDEX consultation_proposals_status ON consultation_proposals (consultation_id, status);
CREATE INDEX consultation_proposals_author ON consultation_proposals (author_id);

-- One row per participant and proposal: a changed vote replaces it. A vote
-- whose key did not check is kept with trusted = 0 and counted nowhere.
CREATE TABLE consultation_votes (
    participant_id BIGINT NOT NULL REFERENCES consultation_participants (id) ON DELETE CASCADE,
    proposal_id    BIGINT NOT NULL REFERENCES consultation_proposals (id) ON DELETE CASCADE,
    -- 1 agree, -1 disagree, 0 neutral, as in Pol.is.
    vote           BIGINT NOT NULL CHECK (vote IN (-1, 0, 1)),
    qualification  TEXT,
    trusted        BIGINT NOT NULL CHECK (trusted IN (0, 1)),
    voted_at       BIGINT NOT NULL,
    PRIMARY KEY (participant_id, proposal_id)
);
CREATE INDEX consultation_votes_proposal ON consultation_votes (proposal_id, participant_id);
