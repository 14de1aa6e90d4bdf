-- How people get and secure their accounts: e-mail confirmation, password
-- reset and e-mail change links, invites, two-factor authentication.

-- Existing logins and accounts made by `kereru user create` are confirmed (the
-- default); sign-ups insert NULL and are confirmed by the link in their mail.
ALTER TABLE users ADD COLUMN confirmed_at TIMESTAMPTZ DEFAULT now();
-- TOTP (RFC 6238): the base32 secret, set while enabling and kept once
-- enabled; the last time step accepted (a code is good once); the SHA-256
-- digests (hex, one a line) of the unused recovery codes.
ALTER TABLE users ADD COLUMN otp_secret TEXT;
ALTER TABLE users ADD COLUMN otp_enabled BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN otp_last_step BIGINT;
ALTER TABLE users ADD COLUMN otp_recovery_codes TEXT NOT NULL DEFAULT '';

-- Whether any user of the tenant may make invites (else only its admins).
ALTER TABLE domains ADD COLUMN invites_by_users BOOLEAN NOT NULL DEFAULT false;

-- Single-use links sent by mail (confirmation, e-mail change, password reset)
-- and the pending second step of a two-factor sign-in. Only the token's
-- SHA-256 is stored; every lookup names the tenant.
CREATE TABLE user_tokens (
    id BIGINT PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('confirmation', 'email_change', 'password_reset', 'two_factor')),
    token_sha256 BYTEA NOT NULL UNIQUE,
    -- The address a confirmation or e-mail change confirms.
    email TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX user_tokens_account ON user_tokens (domain_id, account_id, purpose);

-- Invite links (`/invite/{code}`): let someone sign up even when the
-- tenant's registrations are closed or need approval.
CREATE TABLE invites (
    id BIGINT PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    creator_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code TEXT NOT NULL UNIQUE,
    max_uses INTEGER,
    uses INTEGER NOT NULL DEFAULT 0,
    expires_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX invites_domain ON invites (domain_id, creator_id);
ALTER TABLE users ADD COLUMN invite_id BIGINT REFERENCES invites (id) ON DELETE SET NULL;
