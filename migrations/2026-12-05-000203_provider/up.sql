-- The provisioning API (issue 14): the keys hosting providers authenticate
-- with, and what the API keeps about the tenants it manages.

-- Only the SHA-256 of a key is stored; the key itself is printed once.
-- A revoked key stays (for the record) and frees its name.
CREATE TABLE provider_keys (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    key_sha256 BYTEA NOT NULL,
    read_only BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX provider_keys_sha256 ON provider_keys (key_sha256);
CREATE UNIQUE INDEX provider_keys_live_name ON provider_keys (name) WHERE revoked_at IS NULL;

-- Per tenant: the plan it is on (a name, kept as given until plans exist) and,
-- once deleted through the API, when its data is purged. A tenant without a
-- row has no plan and is not marked for deletion.
CREATE TABLE tenant_provisioning (
    domain_id BIGINT PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
    plan TEXT,
    delete_after TIMESTAMPTZ,
    -- The state to return to when a deletion is undone.
    state_before_delete TEXT,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX tenant_provisioning_delete_after ON tenant_provisioning (delete_after) WHERE delete_after IS NOT NULL;
