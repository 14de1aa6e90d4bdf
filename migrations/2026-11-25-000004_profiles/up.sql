-- Profiles, sign-up approval, preferences and read markers.

-- Sign-ups on domains with registrations = 'approval' wait for a moderator.
ALTER TABLE users ADD COLUMN approved BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE users ADD COLUMN signup_reason TEXT;
ALTER TABLE users ADD COLUMN locale TEXT;
-- Posting defaults, as Mastodon's preferences.
ALTER TABLE users ADD COLUMN default_visibility TEXT NOT NULL DEFAULT 'public'
    CHECK (default_visibility IN ('public', 'unlisted', 'private', 'direct'));
ALTER TABLE users ADD COLUMN default_sensitive BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN default_language TEXT;

ALTER TABLE accounts ADD COLUMN bot BOOLEAN NOT NULL DEFAULT false;

-- Profile metadata: up to four name/value pairs, in order.
CREATE TABLE account_fields (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    position INT NOT NULL CHECK (position >= 0 AND position < 4),
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    -- When a link in `value` was found to link back with rel="me".
    verified_at TIMESTAMPTZ,
    PRIMARY KEY (account_id, position)
);

CREATE TABLE markers (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    timeline TEXT NOT NULL CHECK (timeline IN ('home', 'notifications')),
    last_read_id BIGINT NOT NULL,
    version INT NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, timeline)
);
