DROP TABLE filter_statuses;
DROP TABLE filter_keywords;
DROP TABLE filters;
DROP TABLE account_domain_blocks;
DROP TABLE ip_blocks;
DROP TABLE email_domain_blocks;
DROP TABLE domain_allows;
ALTER TABLE domains DROP COLUMN show_domain_blocks;
ALTER TABLE domain_blocks DROP COLUMN severity, DROP COLUMN reject_media, DROP COLUMN reject_reports,
    DROP COLUMN private_comment, DROP COLUMN public_comment, DROP COLUMN obfuscate;
DROP TABLE admin_actions;
DROP INDEX reports_queue;
ALTER TABLE reports DROP COLUMN category, DROP COLUMN rule_ids, DROP COLUMN forward, DROP COLUMN forwarded_at,
    DROP COLUMN assigned_account_id, DROP COLUMN action_taken_at, DROP COLUMN action_taken_by_account_id,
    DROP COLUMN action_taken, DROP COLUMN updated_at;
DROP TABLE account_moderation;
ALTER TABLE users DROP COLUMN disabled;
ALTER TABLE users DROP COLUMN host_admin;
ALTER TABLE users ADD COLUMN admin BOOLEAN NOT NULL DEFAULT false;
UPDATE users SET admin = (role = 'admin');
ALTER TABLE users DROP COLUMN role;
