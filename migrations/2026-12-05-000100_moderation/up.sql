-- Administration and moderation (#13): roles, per-tenant account moderation,
-- the report queue's workflow, the audit log, domain block severities and the
-- admin API's lists, and the user-level safety tools (domain blocks, filters).

-- Roles. A tenant's people are `user`, `moderator` or `admin` (its owners);
-- `host_admin` reaches the whole deployment. `users.admin` becomes `role`.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'user'
    CHECK (role IN ('user', 'moderator', 'admin'));
UPDATE users SET role = 'admin' WHERE admin;
ALTER TABLE users DROP COLUMN admin;
ALTER TABLE users ADD COLUMN host_admin BOOLEAN NOT NULL DEFAULT false;
-- Mastodon's "disable": the login is refused, the account stays visible.
ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT false;

-- What a tenant's moderators did to an account, local or remote. Remote
-- accounts are shared by every tenant, so each tenant's verdict is its own row.
CREATE TABLE account_moderation (
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    suspended_at TIMESTAMPTZ,
    silenced_at TIMESTAMPTZ,
    sensitized_at TIMESTAMPTZ,
    note TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (domain_id, account_id)
);
CREATE INDEX account_moderation_account ON account_moderation (account_id);

-- Reports: Mastodon's categories, the rules named, forwarding, assignment and
-- the record of what was done when resolved.
ALTER TABLE reports
    ADD COLUMN category TEXT NOT NULL DEFAULT 'other'
        CHECK (category IN ('spam', 'legal', 'violation', 'other')),
    ADD COLUMN rule_ids BIGINT[] NOT NULL DEFAULT '{}',
    ADD COLUMN forward BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN forwarded_at TIMESTAMPTZ,
    ADD COLUMN assigned_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    ADD COLUMN action_taken_at TIMESTAMPTZ,
    ADD COLUMN action_taken_by_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    ADD COLUMN action_taken TEXT NOT NULL DEFAULT '',
    ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();
CREATE INDEX reports_queue ON reports (domain_id, action_taken_at, id DESC);

-- The audit log: who did what to which object. NULL tenant: a host-wide act.
CREATE TABLE admin_actions (
    id BIGINT PRIMARY KEY,
    domain_id BIGINT REFERENCES domains (id) ON DELETE CASCADE,
    account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id BIGINT,
    target_label TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX admin_actions_tenant ON admin_actions (domain_id, id DESC);

-- Domain blocks: Mastodon's severities and options. Existing rows were
-- refusals, which is `suspend`.
ALTER TABLE domain_blocks
    ADD COLUMN severity TEXT NOT NULL DEFAULT 'suspend' CHECK (severity IN ('noop', 'silence', 'suspend')),
    ADD COLUMN reject_media BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN reject_reports BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN private_comment TEXT NOT NULL DEFAULT '',
    ADD COLUMN public_comment TEXT NOT NULL DEFAULT '',
    ADD COLUMN obfuscate BOOLEAN NOT NULL DEFAULT false;
-- Whether /api/v1/instance/domain_blocks shows this tenant's blocks: to nobody,
-- to its signed-in users, or to all.
ALTER TABLE domains ADD COLUMN show_domain_blocks TEXT NOT NULL DEFAULT 'disabled'
    CHECK (show_domain_blocks IN ('disabled', 'users', 'all'));

-- Hosts a tenant (NULL: the whole host) explicitly federates with.
CREATE TABLE domain_allows (
    id BIGINT PRIMARY KEY,
    domain_id BIGINT REFERENCES domains (id) ON DELETE CASCADE,
    host TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX domain_allows_host ON domain_allows (coalesce(domain_id, 0), host);

-- E-mail domains refused at sign-up.
CREATE TABLE email_domain_blocks (
    id BIGINT PRIMARY KEY,
    domain_id BIGINT REFERENCES domains (id) ON DELETE CASCADE,
    email_domain TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX email_domain_blocks_domain ON email_domain_blocks (coalesce(domain_id, 0), email_domain);

-- Addresses (a CIDR range as text, checked by the service) with what they may not do.
CREATE TABLE ip_blocks (
    id BIGINT PRIMARY KEY,
    domain_id BIGINT REFERENCES domains (id) ON DELETE CASCADE,
    ip TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('sign_up_requires_approval', 'sign_up_block', 'no_access')),
    comment TEXT NOT NULL DEFAULT '',
    expires_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ip_blocks_ip ON ip_blocks (coalesce(domain_id, 0), ip);

-- A person's own domain blocks (/api/v1/domain_blocks): hide and refuse that host.
CREATE TABLE account_domain_blocks (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    host TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, host)
);

-- Filters v2: a title, contexts, an action, keywords and statuses.
CREATE TABLE filters (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    context TEXT[] NOT NULL,
    filter_action TEXT NOT NULL DEFAULT 'warn' CHECK (filter_action IN ('warn', 'hide')),
    expires_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX filters_account ON filters (account_id);
CREATE TABLE filter_keywords (
    id BIGINT PRIMARY KEY,
    filter_id BIGINT NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    keyword TEXT NOT NULL,
    whole_word BOOLEAN NOT NULL DEFAULT true
);
CREATE INDEX filter_keywords_filter ON filter_keywords (filter_id);
CREATE TABLE filter_statuses (
    id BIGINT PRIMARY KEY,
    filter_id BIGINT NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    UNIQUE (filter_id, status_id)
);
