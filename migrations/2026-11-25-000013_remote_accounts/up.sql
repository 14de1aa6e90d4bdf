-- Remote accounts: actors of other servers, known by their ActivityPub id.
-- A row is local (a tenant's, with a key pair) or remote (an actor id and
-- the host of its handle), never both.
ALTER TABLE accounts ALTER COLUMN domain_id DROP NOT NULL;
ALTER TABLE accounts ALTER COLUMN private_key_pkcs8 DROP NOT NULL;
ALTER TABLE accounts ADD COLUMN uri TEXT UNIQUE;
ALTER TABLE accounts ADD COLUMN remote_host TEXT;
ALTER TABLE accounts ADD COLUMN url TEXT;
ALTER TABLE accounts ADD COLUMN inbox_url TEXT;
ALTER TABLE accounts ADD COLUMN shared_inbox_url TEXT;
ALTER TABLE accounts ADD COLUMN followers_url TEXT;
ALTER TABLE accounts ADD COLUMN avatar_remote_url TEXT;
ALTER TABLE accounts ADD COLUMN header_remote_url TEXT;
ALTER TABLE accounts ADD COLUMN fetched_at TIMESTAMPTZ;
ALTER TABLE accounts ADD CONSTRAINT accounts_local_or_remote CHECK (
    (domain_id IS NOT NULL AND uri IS NULL AND remote_host IS NULL AND private_key_pkcs8 IS NOT NULL)
    OR (domain_id IS NULL AND uri IS NOT NULL AND remote_host IS NOT NULL)
);
-- One account per handle on a remote host, as per tenant for local ones.
CREATE UNIQUE INDEX accounts_remote_handle ON accounts (remote_host, lower(username)) WHERE domain_id IS NULL;
