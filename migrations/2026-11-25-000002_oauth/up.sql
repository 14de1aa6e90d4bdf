-- OAuth 2 for the Mastodon client API. Every row belongs to one tenant: an
-- app registered on one domain and its tokens are unknown on every other.

CREATE TABLE oauth_applications (
    id BIGINT PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    website TEXT,
    -- One URI per line; `urn:ietf:wg:oauth:2.0:oob` for copy-and-paste codes.
    redirect_uris TEXT NOT NULL,
    scopes TEXT NOT NULL,
    client_id TEXT NOT NULL UNIQUE,
    -- SHA-256 of the secret: it is shown once, at registration.
    client_secret_sha256 BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX oauth_applications_domain ON oauth_applications (domain_id);

CREATE TABLE oauth_authorization_codes (
    code_sha256 BYTEA PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES oauth_applications (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    scopes TEXT NOT NULL,
    code_challenge TEXT,
    code_challenge_method TEXT CHECK (code_challenge_method IN ('S256', 'plain')),
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE oauth_tokens (
    id BIGINT PRIMARY KEY,
    token_sha256 BYTEA NOT NULL UNIQUE,
    refresh_sha256 BYTEA UNIQUE,
    application_id BIGINT NOT NULL REFERENCES oauth_applications (id) ON DELETE CASCADE,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    -- NULL for client_credentials tokens, which act for the app alone.
    account_id BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ
);
CREATE INDEX oauth_tokens_account ON oauth_tokens (account_id);
