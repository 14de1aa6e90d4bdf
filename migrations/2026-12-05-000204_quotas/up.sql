-- Plans, quotas and usage (issue 14). A plan names limits; NULL is unlimited.
CREATE TABLE plans (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    max_accounts BIGINT CHECK (max_accounts >= 0),
    media_storage_bytes BIGINT CHECK (media_storage_bytes >= 0),
    posts_per_day BIGINT CHECK (posts_per_day >= 0),
    remote_follows BIGINT CHECK (remote_follows >= 0),
    custom_emoji BIGINT CHECK (custom_emoji >= 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A tenant's plan; no row: no limits. A plan in use cannot be deleted.
CREATE TABLE domain_plans (
    domain_id BIGINT PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
    plan_id BIGINT NOT NULL REFERENCES plans (id) ON DELETE RESTRICT
);
CREATE INDEX domain_plans_plan ON domain_plans (plan_id);

-- Bytes of media a tenant stores, counted when an attachment row is
-- inserted (by the store, which refuses past the plan's limit) and released
-- by the trigger below whenever one is deleted, cascades included.
CREATE TABLE tenant_storage (
    domain_id BIGINT PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
    bytes BIGINT NOT NULL DEFAULT 0
);
INSERT INTO tenant_storage (domain_id, bytes)
    SELECT domain_id, sum(file_size) FROM media_attachments GROUP BY domain_id;

CREATE FUNCTION kereru_release_media_storage() RETURNS trigger AS $$
BEGIN
    UPDATE tenant_storage SET bytes = greatest(bytes - OLD.file_size, 0) WHERE domain_id = OLD.domain_id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER media_attachments_release_storage AFTER DELETE ON media_attachments
    FOR EACH ROW EXECUTE FUNCTION kereru_release_media_storage();

-- The bytes of each local account's avatar and header, counted in
-- tenant_storage when set (refused past the limit), given back when replaced,
-- removed, or the account goes (the trigger). Images set before this
-- migration are not counted: their sizes were never recorded.
CREATE TABLE profile_image_bytes (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    avatar BIGINT NOT NULL DEFAULT 0,
    header BIGINT NOT NULL DEFAULT 0
);

CREATE FUNCTION kereru_release_profile_image_storage() RETURNS trigger AS $$
BEGIN
    UPDATE tenant_storage SET bytes = greatest(bytes - OLD.avatar - OLD.header, 0) WHERE domain_id = OLD.domain_id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER profile_image_bytes_release_storage AFTER DELETE ON profile_image_bytes
    FOR EACH ROW EXECUTE FUNCTION kereru_release_profile_image_storage();

-- Local posts per tenant per UTC day: the posts_per_day quota's counter,
-- bumped in the posting transaction by one INSERT ... ON CONFLICT that
-- refuses past the limit.
CREATE TABLE tenant_post_counts (
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    day DATE NOT NULL,
    posts BIGINT NOT NULL,
    PRIMARY KEY (domain_id, day)
);

-- Federation traffic per tenant per hour (so "the last 24 hours" is exact to
-- the hour): deliveries attempted (counted per claim by the delivery worker)
-- and inbound activities processed (counted as each is finished).
CREATE TABLE tenant_traffic (
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    hour TIMESTAMPTZ NOT NULL,
    deliveries BIGINT NOT NULL DEFAULT 0,
    inbound BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (domain_id, hour)
);
