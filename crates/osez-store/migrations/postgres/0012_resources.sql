-- The resource centre. A resource is its row (the workflow) and its
-- versions (the content, whole, as JSON of osez_core::resource::Content):
-- every save adds a version, nothing is rewritten. The public sees the
-- `live` version while a newer `head` may be in review.
CREATE TABLE resources (
    id           TEXT PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('draft', 'review', 'scheduled', 'published', 'archived')),
    head         BIGINT NOT NULL,
    live         BIGINT,
    -- When a scheduled version is to go live.
    publish_at   BIGINT,
    -- First publication, and last published change.
    published_at BIGINT,
    updated_at   BIGINT,
    is_demo      BIGINT NOT NULL CHECK (is_demo IN (0, 1)),
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX resources_status ON resources (status, publish_at);

CREATE TABLE resource_versions (
    resource_id TEXT NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    content     TEXT NOT NULL,
    author      TEXT NOT NULL,
    note        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (resource_id, version)
);
