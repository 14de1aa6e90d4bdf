-- Self-service custom domains: a person claims a domain from the host's page
-- ([provider] self_service); the claim waits until the TXT record
-- _kereru-challenge.<host> carries its challenge (and A/AAAA point here),
-- then the tenant is created. Unverified claims reserve nothing: the first
-- to prove control wins. Claims end after 7 days.
CREATE TABLE domain_claims (
    id BIGINT PRIMARY KEY,
    -- The random id in the status page's URL (/claim/{status_key}).
    status_key TEXT NOT NULL UNIQUE,
    -- The value the TXT record must carry.
    challenge TEXT NOT NULL,
    account_host TEXT NOT NULL,
    service_host TEXT,
    email TEXT NOT NULL,
    username TEXT NOT NULL,
    -- waiting | verified | refused
    state TEXT NOT NULL DEFAULT 'waiting',
    domain_id BIGINT REFERENCES domains (id) ON DELETE SET NULL,
    checks INTEGER NOT NULL DEFAULT 0,
    last_problem TEXT,
    last_checked_at TIMESTAMPTZ,
    next_check_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    verified_at TIMESTAMPTZ
);
CREATE INDEX domain_claims_due ON domain_claims (next_check_at) WHERE state = 'waiting';
CREATE INDEX domain_claims_host ON domain_claims (account_host);
