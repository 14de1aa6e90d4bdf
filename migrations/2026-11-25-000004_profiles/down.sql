DROP TABLE markers;
DROP TABLE account_fields;
ALTER TABLE accounts DROP COLUMN bot;
ALTER TABLE users DROP COLUMN default_language;
ALTER TABLE users DROP COLUMN default_sensitive;
ALTER TABLE users DROP COLUMN default_visibility;
ALTER TABLE users DROP COLUMN locale;
ALTER TABLE users DROP COLUMN signup_reason;
ALTER TABLE users DROP COLUMN approved;
