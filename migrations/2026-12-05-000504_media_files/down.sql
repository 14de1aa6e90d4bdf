DROP INDEX media_attachments_unattached;
DROP TRIGGER accounts_queue_profile_image_files ON accounts;
DROP FUNCTION kereru_queue_profile_image_files();
DROP TRIGGER media_attachments_queue_files ON media_attachments;
DROP FUNCTION kereru_queue_attachment_files();
DROP TABLE media_file_removals;
