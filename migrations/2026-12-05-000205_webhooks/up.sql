-- Provider webhooks (kereru_store::webhooks, sent by kereru_delivery::webhooks).
-- A provider registers URLs; every event is stored once (webhook_events, its
-- exact JSON body, so every attempt sends the same bytes) and one delivery
-- row per matching enabled webhook is queued in the transaction of the action
-- that caused it. Deliveries are claimed with a lease and retried with
-- backoff like the federation delivery queue, in tables of their own.
CREATE TABLE webhooks (
    id BIGINT PRIMARY KEY,
    url TEXT NOT NULL,
    -- The HMAC-SHA256 key; shown once when the webhook is created.
    secret TEXT NOT NULL,
    -- Event types sent; empty: every event.
    events TEXT[] NOT NULL DEFAULT '{}',
    enabled BOOLEAN NOT NULL DEFAULT true,
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE webhook_events (
    id BIGINT PRIMARY KEY,
    event_type TEXT NOT NULL,
    -- {"id","type","created_at","data"} exactly as POSTed and signed.
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX webhook_events_created_at ON webhook_events (created_at);

CREATE TABLE webhook_deliveries (
    id BIGSERIAL PRIMARY KEY,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'given_up')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_until TIMESTAMPTZ,
    last_status INTEGER,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'queued';
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE state <> 'queued';

-- Hosts whose DNS check passed once (tenant.dns_ready fires once per host).
CREATE TABLE tenant_dns_ready (
    host TEXT PRIMARY KEY REFERENCES domain_hosts (host) ON DELETE CASCADE,
    ready_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- quota.exceeded fires at most once a day per tenant and quota.
CREATE TABLE quota_exceeded_notices (
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    quota TEXT NOT NULL,
    day DATE NOT NULL,
    PRIMARY KEY (domain_id, quota, day)
);
