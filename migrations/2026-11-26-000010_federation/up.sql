-- Federation: statuses of other servers, the inbox's durable intake, the
-- ids of activities that relationships came from, reports and domain blocks.

-- A remote status has no tenant; tenants see it through status_receipts.
ALTER TABLE statuses ALTER COLUMN domain_id DROP NOT NULL;
-- The (account_id, domain_id) key checks nothing when domain_id is NULL.
ALTER TABLE statuses ADD CONSTRAINT statuses_account FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE;
-- The HTML page of a remote status (local ones derive it).
ALTER TABLE statuses ADD COLUMN url TEXT;

-- Attachments of remote statuses: links, never fetched or stored here.
CREATE TABLE remote_attachments (
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    position SMALLINT NOT NULL,
    id BIGINT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    media_type TEXT,
    description TEXT,
    blurhash TEXT,
    width INTEGER,
    height INTEGER,
    PRIMARY KEY (status_id, position)
);

-- The key a remote actor signs with (its publicKey id), to find the actor
-- of an inbound signature without fetching.
ALTER TABLE accounts ADD COLUMN key_id TEXT;
CREATE INDEX accounts_key_id ON accounts (key_id) WHERE key_id IS NOT NULL;
-- Whether a local account's followers and following pages are shown to other servers.
ALTER TABLE accounts ADD COLUMN hide_collections BOOLEAN NOT NULL DEFAULT false;
-- Move: where a remote account says it went.
ALTER TABLE accounts ADD COLUMN moved_to_uri TEXT;

-- The Follow activity's id: ours for outgoing follows (so an Accept can
-- name it), the remote one for incoming (so our Accept quotes it).
ALTER TABLE follows ADD COLUMN uri TEXT;
CREATE INDEX follows_uri ON follows (uri) WHERE uri IS NOT NULL;

-- Every activity an inbox accepted (answered 202), stored before the
-- answer: processed later, once per tenant and activity id.
CREATE TABLE inbound_activities (
    id BIGINT PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    -- The account whose inbox it came to; NULL for the shared inbox.
    inbox_account_id BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    activity_uri TEXT NOT NULL,
    -- The actor whose signature was verified.
    actor_uri TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'ignored', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_until TIMESTAMPTZ,
    -- What processing did, or why it did nothing.
    outcome TEXT,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    processed_at TIMESTAMPTZ,
    UNIQUE (domain_id, activity_uri)
);
CREATE INDEX inbound_activities_due ON inbound_activities (next_attempt_at) WHERE state = 'queued';

-- Flag: a report for the tenant's moderators.
CREATE TABLE reports (
    id BIGINT PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_ids BIGINT[] NOT NULL DEFAULT '{}',
    comment TEXT NOT NULL DEFAULT '',
    uri TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (domain_id, uri)
);

-- Remote hosts a tenant refuses (NULL tenant: the whole host refuses them).
CREATE TABLE domain_blocks (
    id BIGINT PRIMARY KEY,
    domain_id BIGINT REFERENCES domains (id) ON DELETE CASCADE,
    host TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX domain_blocks_host ON domain_blocks (coalesce(domain_id, 0), host);
