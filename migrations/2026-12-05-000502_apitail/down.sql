DROP TABLE terms_of_service;
ALTER TABLE users DROP COLUMN created_by_application_id;
