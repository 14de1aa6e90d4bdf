-- The durable outbound delivery queue (kereru_delivery::queue).

-- An activity to deliver, stored once however many inboxes it goes to.
-- `body` is the exact JSON text sent (the Digest is computed over it).
CREATE TABLE delivery_activities (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    activity_uri TEXT NOT NULL,
    key_id TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per (activity, target inbox). state: queued (due at
-- next_attempt_at; in flight while lease_until is in the future), done,
-- given_up (final, with the reason in last_error).
CREATE TABLE deliveries (
    id BIGINT PRIMARY KEY,
    activity_id BIGINT NOT NULL REFERENCES delivery_activities (id) ON DELETE CASCADE,
    inbox TEXT NOT NULL,
    host TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'given_up')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_until TIMESTAMPTZ,
    last_status INTEGER,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    UNIQUE (activity_id, inbox)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'queued';
CREATE INDEX deliveries_host_queued ON deliveries (host) WHERE state = 'queued';

-- Per remote host: consecutive failures and, when it keeps failing, until
-- when its deliveries wait (the circuit breaker).
CREATE TABLE delivery_hosts (
    host TEXT PRIMARY KEY,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    unavailable_until TIMESTAMPTZ,
    last_error TEXT,
    last_success_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Inboxes that answered 410 Gone: nothing more is queued for them.
CREATE TABLE gone_inboxes (
    inbox TEXT PRIMARY KEY,
    gone_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
