ALTER TABLE users DROP COLUMN invite_id;
DROP TABLE invites;
DROP TABLE user_tokens;
ALTER TABLE domains DROP COLUMN invites_by_users;
ALTER TABLE users DROP COLUMN otp_recovery_codes;
ALTER TABLE users DROP COLUMN otp_last_step;
ALTER TABLE users DROP COLUMN otp_enabled;
ALTER TABLE users DROP COLUMN otp_secret;
ALTER TABLE users DROP COLUMN confirmed_at;
