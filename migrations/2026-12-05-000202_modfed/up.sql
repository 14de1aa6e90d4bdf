-- modfed: account tombstones and limited federation.

-- A deleted local account keeps its accounts row (name and key pair, no
-- login) so the Delete of its actor can still be signed and its name is
-- never reused; this row marks it gone: its actor answers 410.
CREATE TABLE account_tombstones (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    deleted_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Tenants in limited federation mode (Mastodon's LIMITED_FEDERATION_MODE):
-- only hosts on their allow list (domain_allows, theirs or host-wide) federate.
CREATE TABLE limited_federation (
    domain_id BIGINT PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
    enabled_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
