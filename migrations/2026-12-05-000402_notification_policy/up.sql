-- Notification policies and requests (Mastodon 4.3+; issue 15). A person's
-- policy says what becomes of notifications from people they don't follow,
-- who don't follow them, new accounts, private mentions and accounts their
-- tenant's moderators limited: accept, filter or drop. A filtered
-- notification is stored as any other, marked in filtered_notifications and
-- held in one request per sender (notification_requests) until the person
-- accepts the request (the marks go, the sender is remembered in
-- notification_permissions and let through from then on) or dismisses it
-- (the held notifications go with it). for_limited_accounts defaults to drop, not
-- Mastodon's filter: limited accounts' notifications to strangers were dropped here
-- before policies existed.
CREATE TABLE notification_policies (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    for_not_following TEXT NOT NULL DEFAULT 'accept' CHECK (for_not_following IN ('accept', 'filter', 'drop')),
    for_not_followers TEXT NOT NULL DEFAULT 'accept' CHECK (for_not_followers IN ('accept', 'filter', 'drop')),
    for_new_accounts TEXT NOT NULL DEFAULT 'accept' CHECK (for_new_accounts IN ('accept', 'filter', 'drop')),
    for_private_mentions TEXT NOT NULL DEFAULT 'filter' CHECK (for_private_mentions IN ('accept', 'filter', 'drop')),
    for_limited_accounts TEXT NOT NULL DEFAULT 'drop' CHECK (for_limited_accounts IN ('accept', 'filter', 'drop')),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE notification_requests (
    id BIGINT PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    -- The local account whose notifications are held, and who sent them.
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    from_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, from_account_id)
);
CREATE INDEX notification_requests_account ON notification_requests (domain_id, account_id, id DESC);

CREATE TABLE filtered_notifications (
    notification_id BIGINT PRIMARY KEY REFERENCES notifications (id) ON DELETE CASCADE,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    request_id BIGINT NOT NULL REFERENCES notification_requests (id) ON DELETE CASCADE
);
CREATE INDEX filtered_notifications_request ON filtered_notifications (request_id);

CREATE TABLE notification_permissions (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    from_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, from_account_id)
);
