-- Automatic TLS (crates/acme). Everything a node needs to serve any tenant's
-- certificate and answer any pending challenge lives here, so nodes are
-- interchangeable and a restart never re-issues.

-- The ACME account per directory URL: instant-acme's serialized credentials
-- (account URL and PKCS#8 key). Created once, reused by every node.
CREATE TABLE acme_accounts (
    directory TEXT PRIMARY KEY,
    credentials TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One certificate per tenant host name (account or service host). The host
-- is a tenant's by construction: removing the tenant removes its certificates.
CREATE TABLE acme_certificates (
    host TEXT PRIMARY KEY REFERENCES domain_hosts (host) ON DELETE CASCADE,
    chain_pem TEXT NOT NULL,
    key_pkcs8 BYTEA NOT NULL,
    not_before TIMESTAMPTZ NOT NULL,
    not_after TIMESTAMPTZ NOT NULL,
    issued_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX acme_certificates_issued_at ON acme_certificates (issued_at);

-- Pending challenges: HTTP-01 tokens (answered on /.well-known/acme-challenge/)
-- and TLS-ALPN-01 key authorizations (answered by every node's resolver).
CREATE TABLE acme_challenges (
    id BIGSERIAL PRIMARY KEY,
    host TEXT NOT NULL REFERENCES domain_hosts (host) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('http-01', 'tls-alpn-01')),
    token TEXT NOT NULL,
    key_authorization TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX acme_challenges_token ON acme_challenges (token);
CREATE INDEX acme_challenges_host ON acme_challenges (host);

-- Issuance state per host: who holds the lease (one node issues per host at
-- a time), failures and the back-off they earned, the last error in words.
CREATE TABLE acme_issuance (
    host TEXT PRIMARY KEY REFERENCES domain_hosts (host) ON DELETE CASCADE,
    lease_owner TEXT,
    lease_until TIMESTAMPTZ,
    failures INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    last_attempt_at TIMESTAMPTZ,
    last_error TEXT,
    orders INTEGER NOT NULL DEFAULT 0
);

-- Every order placed, by any node: the global rate limit counts these.
CREATE TABLE acme_orders (
    id BIGSERIAL PRIMARY KEY,
    host TEXT NOT NULL,
    node TEXT NOT NULL,
    placed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    outcome TEXT
);
CREATE INDEX acme_orders_placed_at ON acme_orders (placed_at);
