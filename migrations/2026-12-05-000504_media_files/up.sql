-- Files to remove from the media store (the local directory or S3). The
-- database queues them itself, in the transaction that drops their last
-- reference: an attachment row deleted (a status, an account or a whole
-- tenant going, cascades included, or an upload swept), an avatar or header
-- replaced or its account deleted. A worker (kereru_service::media_files)
-- removes the files and then the rows, so a file goes at least once and a
-- crash only means it is removed again.
-- No foreign key to domains: a purged tenant's rows must outlive its domain row.
CREATE TABLE media_file_removals (
    id BIGSERIAL PRIMARY KEY,
    domain_id BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    queued_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX media_file_removals_due ON media_file_removals (not_before);

CREATE FUNCTION kereru_queue_attachment_files() RETURNS trigger AS $$
BEGIN
    INSERT INTO media_file_removals (domain_id, file_name)
        VALUES (OLD.domain_id, OLD.file_name), (OLD.domain_id, OLD.thumbnail_file_name);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER media_attachments_queue_files AFTER DELETE ON media_attachments
    FOR EACH ROW EXECUTE FUNCTION kereru_queue_attachment_files();

-- Avatars and headers: only local accounts have files (domain_id set).
CREATE FUNCTION kereru_queue_profile_image_files() RETURNS trigger AS $$
BEGIN
    IF OLD.domain_id IS NULL THEN
        RETURN NULL;
    END IF;
    IF OLD.avatar_file IS NOT NULL
        AND (TG_OP = 'DELETE' OR NEW.avatar_file IS DISTINCT FROM OLD.avatar_file) THEN
        INSERT INTO media_file_removals (domain_id, file_name) VALUES (OLD.domain_id, OLD.avatar_file);
    END IF;
    IF OLD.header_file IS NOT NULL
        AND (TG_OP = 'DELETE' OR NEW.header_file IS DISTINCT FROM OLD.header_file) THEN
        INSERT INTO media_file_removals (domain_id, file_name) VALUES (OLD.domain_id, OLD.header_file);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER accounts_queue_profile_image_files AFTER DELETE OR UPDATE OF avatar_file, header_file ON accounts
    FOR EACH ROW EXECUTE FUNCTION kereru_queue_profile_image_files();

-- The sweep of uploads never attached looks for old rows without a status.
CREATE INDEX media_attachments_unattached ON media_attachments (created_at) WHERE status_id IS NULL;
