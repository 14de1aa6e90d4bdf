-- Browser sessions of the web interface. The cookie holds a random token;
-- only its SHA-256 is stored. A session belongs to one tenant: it is looked
-- up by (domain_id, token hash), so a cookie is worth nothing on another host.
CREATE TABLE web_sessions (
    id BIGINT PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_sha256 BYTEA NOT NULL UNIQUE,
    -- The CSRF token every form of this session carries.
    csrf TEXT NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX web_sessions_account ON web_sessions (domain_id, account_id);
