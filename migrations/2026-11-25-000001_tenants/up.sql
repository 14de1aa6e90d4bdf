-- Tenants: one row per domain that Kererū serves.
CREATE TABLE domains (
    id BIGINT PRIMARY KEY,
    -- The part after @ in handles (`example.com`), ASCII form of the host name.
    account_host TEXT NOT NULL UNIQUE,
    -- Where actor URLs live (`social.example.com`); NULL means the account host.
    service_host TEXT UNIQUE,
    state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('pending', 'active', 'suspended')),
    registrations TEXT NOT NULL DEFAULT 'closed' CHECK (registrations IN ('open', 'approval', 'closed')),
    name TEXT NOT NULL,
    owner_email TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (service_host IS NULL OR service_host <> account_host)
);

-- Every host name a tenant answers on, so that no host can belong to two
-- tenants (one's account host as another's service host) and a request's
-- Host header resolves with one index lookup.
CREATE TABLE domain_hosts (
    host TEXT PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('account', 'service'))
);
CREATE INDEX domain_hosts_domain_id ON domain_hosts (domain_id);

-- Local accounts: the actor and profile of a person on one tenant.
CREATE TABLE accounts (
    id BIGINT PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    locked BOOLEAN NOT NULL DEFAULT false,
    discoverable BOOLEAN NOT NULL DEFAULT true,
    private_key_pkcs8 BYTEA NOT NULL,
    public_key_pem TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (id, domain_id)
);
-- The same name on two tenants is two people; on one tenant, case does not matter.
CREATE UNIQUE INDEX accounts_domain_username ON accounts (domain_id, lower(username));

-- Login credentials of a local account.
CREATE TABLE users (
    account_id BIGINT PRIMARY KEY,
    domain_id BIGINT NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    admin BOOLEAN NOT NULL DEFAULT false,
    last_active_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- A user's tenant is its account's tenant, by construction.
    FOREIGN KEY (account_id, domain_id) REFERENCES accounts (id, domain_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX users_domain_email ON users (domain_id, lower(email));
