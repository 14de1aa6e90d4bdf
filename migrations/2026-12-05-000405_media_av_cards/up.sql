-- Video and audio attachments (Mastodon's `video`, `gifv`, `audio`), checked
-- with ffprobe at upload and finished by a worker (kept as uploaded when web
-- browsers play it, else transcoded), as Mastodon processes them: the row is
-- `pending` until then, and a status cannot take it.
ALTER TABLE media_attachments DROP CONSTRAINT media_attachments_type_check;
ALTER TABLE media_attachments ADD CONSTRAINT media_attachments_type_check
    CHECK (type IN ('image', 'video', 'gifv', 'audio'));
ALTER TABLE media_attachments DROP CONSTRAINT media_attachments_file_name_check;
ALTER TABLE media_attachments ADD CONSTRAINT media_attachments_file_name_check
    CHECK (file_name ~ '^[0-9a-f]{32}\.(jpg|png|gif|webp|mp4|m4a|mov|webm|mkv|mp3|ogg|wav|flac)$');
-- Audio has no pixels.
ALTER TABLE media_attachments DROP CONSTRAINT media_attachments_width_check;
ALTER TABLE media_attachments ADD CONSTRAINT media_attachments_width_check CHECK (width >= 0);
ALTER TABLE media_attachments DROP CONSTRAINT media_attachments_height_check;
ALTER TABLE media_attachments ADD CONSTRAINT media_attachments_height_check CHECK (height >= 0);
ALTER TABLE media_attachments
    -- 'pending' until the worker has finished the file; 'failed' when it gave up.
    ADD COLUMN processing TEXT NOT NULL DEFAULT 'done' CHECK (processing IN ('pending', 'done', 'failed')),
    -- What ffprobe found (video and audio only), as JSON text: duration, bitrate, frame rate, codecs.
    ADD COLUMN av_meta TEXT,
    -- The worker's claim: attempts so far and until when the current one holds the row.
    ADD COLUMN processing_attempts INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN processing_locked_until TIMESTAMPTZ,
    -- An attachment is never attached while it is not done.
    ADD CONSTRAINT media_attachments_processed_before_attached CHECK (status_id IS NULL OR processing = 'done');
CREATE INDEX media_attachments_pending ON media_attachments (id) WHERE processing = 'pending';

-- Link preview cards (Mastodon's PreviewCard), one per URL, shared by every
-- status linking to it (public pages, like remote statuses: no tenant). A
-- failed fetch is kept too, so that a dead link is not fetched again and again.
CREATE TABLE preview_cards (
    id BIGINT PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    fetched BOOLEAN NOT NULL,
    card_type TEXT NOT NULL DEFAULT 'link' CHECK (card_type IN ('link', 'photo', 'video', 'rich')),
    title TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    image_url TEXT,
    image_description TEXT NOT NULL DEFAULT '',
    width INTEGER NOT NULL DEFAULT 0,
    height INTEGER NOT NULL DEFAULT 0,
    author_name TEXT NOT NULL DEFAULT '',
    author_url TEXT NOT NULL DEFAULT '',
    provider_name TEXT NOT NULL DEFAULT '',
    provider_url TEXT NOT NULL DEFAULT '',
    language TEXT,
    published_at TIMESTAMPTZ,
    fetched_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The first link of a status, its card to fetch (`card_id` NULL until then,
-- or when there is none). Keyed by the status, local or remote, like
-- `remote_attachments`: read only for statuses the reader already sees.
CREATE TABLE status_cards (
    status_id BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    card_id BIGINT REFERENCES preview_cards (id) ON DELETE SET NULL,
    pending BOOLEAN NOT NULL DEFAULT true,
    attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX status_cards_pending ON status_cards (status_id) WHERE pending;
CREATE INDEX status_cards_card ON status_cards (card_id);
