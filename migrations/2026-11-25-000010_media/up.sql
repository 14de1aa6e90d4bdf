-- Media attachments: files a local account uploaded, on its tenant, before
-- and after they are attached to a status. The files live on disk under
-- `<media_dir>/<domain id>/`; rows hold their random names.
CREATE TABLE media_attachments (
    id BIGINT PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL,
    -- NULL until a status takes it; then its place among the status's media.
    status_id BIGINT,
    status_position SMALLINT,
    -- Mastodon's types; only images are accepted for now.
    type TEXT NOT NULL CHECK (type IN ('image')),
    -- `<32 hex digits>.<ext>`: 128 random bits, so that URLs cannot be guessed.
    file_name TEXT NOT NULL UNIQUE CHECK (file_name ~ '^[0-9a-f]{32}\.(jpg|png|gif|webp)$'),
    content_type TEXT NOT NULL,
    file_size BIGINT NOT NULL CHECK (file_size > 0),
    width INTEGER NOT NULL CHECK (width > 0),
    height INTEGER NOT NULL CHECK (height > 0),
    -- The preview (Mastodon's `small`): made from the file, or the uploaded thumbnail.
    thumbnail_file_name TEXT NOT NULL UNIQUE CHECK (thumbnail_file_name ~ '^[0-9a-f]{32}\.(jpg|png|gif|webp)$'),
    thumbnail_content_type TEXT NOT NULL,
    thumbnail_width INTEGER NOT NULL CHECK (thumbnail_width > 0),
    thumbnail_height INTEGER NOT NULL CHECK (thumbnail_height > 0),
    description TEXT,
    focus_x DOUBLE PRECISION CHECK (focus_x BETWEEN -1 AND 1),
    focus_y DOUBLE PRECISION CHECK (focus_y BETWEEN -1 AND 1),
    blurhash TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((focus_x IS NULL) = (focus_y IS NULL)),
    CHECK ((status_id IS NULL) = (status_position IS NULL)),
    -- An attachment's tenant is its account's tenant, by construction.
    FOREIGN KEY (account_id, domain_id) REFERENCES accounts (id, domain_id) ON DELETE CASCADE
);
CREATE INDEX media_attachments_account ON media_attachments (account_id);
CREATE INDEX media_attachments_status ON media_attachments (status_id, status_position) WHERE status_id IS NOT NULL;
