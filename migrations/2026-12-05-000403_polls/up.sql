-- Scheduled statuses (issue 15): what a person asked to post later, as the
-- parameters of the post, published by the scheduler at `scheduled_at`.
CREATE TABLE scheduled_statuses (
    id BIGINT PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL,
    scheduled_at TIMESTAMPTZ NOT NULL,
    -- Mastodon's ScheduledStatus params (text, visibility, poll, ...), a JSON object.
    params TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (account_id, domain_id) REFERENCES accounts (id, domain_id) ON DELETE CASCADE
);
CREATE INDEX scheduled_statuses_account ON scheduled_statuses (account_id, id DESC);
CREATE INDEX scheduled_statuses_due ON scheduled_statuses (scheduled_at);

-- Media a scheduled status will carry: reserved, so no other post takes it
-- (one reservation per attachment).
CREATE TABLE scheduled_status_media (
    media_id BIGINT PRIMARY KEY REFERENCES media_attachments (id) ON DELETE CASCADE,
    scheduled_status_id BIGINT NOT NULL REFERENCES scheduled_statuses (id) ON DELETE CASCADE,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    position SMALLINT NOT NULL
);
CREATE INDEX scheduled_status_media_status ON scheduled_status_media (scheduled_status_id);

-- Polls: one per status, local or remote (a remote poll has no tenant, as its status).
CREATE TABLE polls (
    id BIGINT PRIMARY KEY,
    status_id BIGINT NOT NULL UNIQUE REFERENCES statuses (id) ON DELETE CASCADE,
    domain_id BIGINT REFERENCES domains (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    options TEXT[] NOT NULL,
    -- Votes per option, in the order of `options` (counted here for local
    -- polls, as the origin says for remote ones).
    tallies BIGINT[] NOT NULL,
    multiple BOOLEAN NOT NULL DEFAULT false,
    hide_totals BOOLEAN NOT NULL DEFAULT false,
    votes_count BIGINT NOT NULL DEFAULT 0,
    voters_count BIGINT NOT NULL DEFAULT 0,
    expires_at TIMESTAMPTZ,
    -- Set once the expiry worker has notified the author and voters.
    ended_at TIMESTAMPTZ,
    -- A local poll whose counts changed: its Question goes out again then
    -- (one Update for the votes of a few minutes, as Mastodon).
    federate_after TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX polls_due ON polls (expires_at) WHERE ended_at IS NULL;
CREATE INDEX polls_federate ON polls (federate_after) WHERE federate_after IS NOT NULL;

-- One row per option chosen (a multiple-choice voter has several).
CREATE TABLE poll_votes (
    id BIGINT PRIMARY KEY,
    poll_id BIGINT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    choice INTEGER NOT NULL CHECK (choice >= 0),
    -- The vote's ActivityPub id (ours, or the remote voter's Note).
    uri TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (poll_id, account_id, choice)
);
CREATE INDEX poll_votes_account ON poll_votes (account_id);
