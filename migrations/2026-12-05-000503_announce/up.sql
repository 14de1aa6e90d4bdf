-- Announcements a tenant's admins show to its people, their dismissals and
-- emoji reactions, and whether the tenant shows trends (issue 15).

CREATE TABLE announcements (
    id BIGINT PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    starts_at TIMESTAMPTZ,
    ends_at TIMESTAMPTZ,
    all_day BOOLEAN NOT NULL DEFAULT false,
    -- Shown to people (and apps) only while published.
    published BOOLEAN NOT NULL DEFAULT false,
    published_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (id, domain_id)
);
CREATE INDEX announcements_domain ON announcements (domain_id, published, id);

-- A person dismissed ("read") an announcement.
CREATE TABLE announcement_dismissals (
    announcement_id BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    domain_id BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (announcement_id, account_id),
    FOREIGN KEY (announcement_id, domain_id) REFERENCES announcements (id, domain_id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, domain_id) REFERENCES accounts (id, domain_id) ON DELETE CASCADE
);

-- A person's reaction (a unicode emoji) to an announcement, once per name.
CREATE TABLE announcement_reactions (
    announcement_id BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    domain_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (announcement_id, account_id, name),
    FOREIGN KEY (announcement_id, domain_id) REFERENCES announcements (id, domain_id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, domain_id) REFERENCES accounts (id, domain_id) ON DELETE CASCADE
);
CREATE INDEX announcement_reactions_account ON announcement_reactions (account_id);

-- A tenant's trends switch; no row means trends are shown (Mastodon's default).
CREATE TABLE tenant_trends (
    domain_id BIGINT PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
    enabled BOOLEAN NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
