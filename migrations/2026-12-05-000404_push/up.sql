-- Web Push (issue 15): each tenant's VAPID key pair, subscriptions (one per
-- access token, as Mastodon), and the durable queue of pushes to send.

CREATE TABLE push_vapid_keys (
    domain_id BIGINT PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
    -- PKCS#8 DER of the P-256 private key; the public key as an uncompressed point.
    private_key BYTEA NOT NULL,
    public_key BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE push_subscriptions (
    -- Small numbers, as Mastodon's: clients get the id as a JSON number.
    id BIGSERIAL PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL,
    token_id BIGINT NOT NULL UNIQUE REFERENCES oauth_tokens (id) ON DELETE CASCADE,
    -- The token itself: Mastodon's push payload carries it for the app's
    -- service worker. Deleted with the subscription when the token is revoked.
    access_token TEXT NOT NULL,
    endpoint TEXT NOT NULL CHECK (length(endpoint) <= 2048),
    key_p256dh BYTEA NOT NULL,
    key_auth BYTEA NOT NULL,
    -- A JSON object of notification type -> boolean, as the client gave it.
    alerts TEXT NOT NULL DEFAULT '{}',
    policy TEXT NOT NULL DEFAULT 'all' CHECK (policy IN ('all', 'followed', 'follower', 'none')),
    standard BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (account_id, domain_id) REFERENCES accounts (id, domain_id) ON DELETE CASCADE
);
CREATE INDEX push_subscriptions_account ON push_subscriptions (account_id);

CREATE TABLE push_deliveries (
    id BIGSERIAL PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    subscription_id BIGINT NOT NULL REFERENCES push_subscriptions (id) ON DELETE CASCADE,
    -- A dismissed notification is not pushed any more (as Mastodon, which skips it).
    notification_id BIGINT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'given_up')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_until TIMESTAMPTZ,
    last_status INTEGER,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ
);
CREATE INDEX push_deliveries_due ON push_deliveries (next_attempt_at, id) WHERE state = 'queued';
CREATE INDEX push_deliveries_finished ON push_deliveries (finished_at) WHERE state <> 'queued';
CREATE INDEX push_deliveries_subscription ON push_deliveries (subscription_id);
CREATE INDEX push_deliveries_notification ON push_deliveries (notification_id);

-- A revoked token's subscription goes at once, wherever the token was revoked
-- (revocation by the app, refresh, sign-out of an app, password change, ...):
-- the subscription holds the token, which must not outlive its use.
CREATE FUNCTION push_subscriptions_forget_revoked() RETURNS trigger AS $$
BEGIN
    DELETE FROM push_subscriptions WHERE token_id = NEW.id;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER oauth_tokens_revoked_push
    AFTER UPDATE OF revoked_at ON oauth_tokens
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
    EXECUTE FUNCTION push_subscriptions_forget_revoked();
