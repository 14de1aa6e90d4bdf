DROP TABLE status_cards;
DROP TABLE preview_cards;
DELETE FROM media_attachments WHERE type <> 'image';
DROP INDEX media_attachments_pending;
ALTER TABLE media_attachments
    DROP CONSTRAINT media_attachments_processed_before_attached,
    DROP COLUMN processing_locked_until,
    DROP COLUMN processing_attempts,
    DROP COLUMN av_meta,
    DROP COLUMN processing;
ALTER TABLE media_attachments DROP CONSTRAINT media_attachments_height_check;
ALTER TABLE media_attachments ADD CONSTRAINT media_attachments_height_check CHECK (height > 0);
ALTER TABLE media_attachments DROP CONSTRAINT media_attachments_width_check;
ALTER TABLE media_attachments ADD CONSTRAINT media_attachments_width_check CHECK (width > 0);
ALTER TABLE media_attachments DROP CONSTRAINT media_attachments_file_name_check;
ALTER TABLE media_attachments ADD CONSTRAINT media_attachments_file_name_check
    CHECK (file_name ~ '^[0-9a-f]{32}\.(jpg|png|gif|webp)$');
ALTER TABLE media_attachments DROP CONSTRAINT media_attachments_type_check;
ALTER TABLE media_attachments ADD CONSTRAINT media_attachments_type_check CHECK (type IN ('image'));
