-- Issue 15, the social part of the client API: endorsements, private notes on
-- accounts, dismissed follow suggestions, the profile settings Mastodon keeps
-- beside the account, conversations (direct messages) and muted threads.
-- Every row names the tenant of the local account that owns it.

-- "Featured on my profile" (Mastodon's account pins, `/api/v1/accounts/:id/pin`).
CREATE TABLE account_endorsements (
    id BIGINT PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, target_account_id)
);
CREATE INDEX account_endorsements_target ON account_endorsements (target_account_id);

-- A person's private comment on another account (Relationship `note`).
CREATE TABLE account_notes (
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    comment TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, target_account_id)
);

-- Follow suggestions a person dismissed (`DELETE /api/v1/suggestions/:id`).
CREATE TABLE suggestion_dismissals (
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, target_account_id)
);

-- Profile settings Mastodon's update_credentials takes that `accounts` lacks.
-- No row: indexable follows discoverable, no attribution domains, quotes public.
CREATE TABLE account_settings (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    indexable BOOLEAN,
    attribution_domains TEXT[] NOT NULL DEFAULT '{}',
    quote_policy TEXT NOT NULL DEFAULT 'public' CHECK (quote_policy IN ('public', 'followers', 'nobody')),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Mastodon's AccountConversation: per participant, one row per thread and set
-- of other participants, with the direct statuses in it.
CREATE TABLE conversations (
    id BIGINT PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    root_status_id BIGINT NOT NULL,
    participant_ids BIGINT[] NOT NULL,
    status_ids BIGINT[] NOT NULL DEFAULT '{}',
    last_status_id BIGINT NOT NULL,
    unread BOOLEAN NOT NULL DEFAULT false,
    UNIQUE (account_id, root_status_id, participant_ids)
);
CREATE INDEX conversations_page ON conversations (account_id, last_status_id DESC);
CREATE INDEX conversations_statuses ON conversations USING gin (status_ids);

-- Threads a person muted (`POST /api/v1/statuses/:id/mute`), by their root.
CREATE TABLE conversation_mutes (
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    root_status_id BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, root_status_id)
);
