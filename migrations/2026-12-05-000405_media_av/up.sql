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
