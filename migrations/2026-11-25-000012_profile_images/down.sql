ALTER TABLE accounts DROP COLUMN header_file;
ALTER TABLE accounts DROP COLUMN avatar_file;
