DROP TABLE tenant_traffic;
DROP TABLE tenant_post_counts;
DROP TABLE profile_image_bytes;
DROP FUNCTION kereru_release_profile_image_storage();
DROP TRIGGER media_attachments_release_storage ON media_attachments;
DROP FUNCTION kereru_release_media_storage();
DROP TABLE tenant_storage;
DROP TABLE domain_plans;
DROP TABLE plans;
