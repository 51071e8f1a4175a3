-- Conversations with the assistant: anonymous, their texts scrubbed of
-- personal data before they are written. A conversation is kept while it
-- is active and purged some time after its last message (`updated_at`).
CREATE TABLE assistant_conversations (
    id         TEXT PRIMARY KEY NOT NULL,
    -- The dialogue state, JSON written by the assistant.
    state      TEXT NOT NULL,
    -- Messages kept so far, both speakers: an exchange is appended only by
    -- whoever read the current count, so two at once never share a `seq`.
    messages   INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX assistant_conversations_updated ON assistant_conversations (updated_at);

CREATE TABLE assistant_messages (
    conversation_id TEXT NOT NULL REFERENCES assistant_conversations (id) ON DELETE CASCADE,
    -- 1, 2, … in the order written.
    seq             INTEGER NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('person', 'assistant')),
    text            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
