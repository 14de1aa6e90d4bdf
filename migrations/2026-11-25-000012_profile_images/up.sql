-- Avatar and header images: file names under the tenant's media directory.
ALTER TABLE accounts ADD COLUMN avatar_file TEXT;
ALTER TABLE accounts ADD COLUMN header_file TEXT;
