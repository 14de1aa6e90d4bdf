DROP INDEX status_quotes_authorization;
DROP INDEX status_quotes_request;
ALTER TABLE status_quotes DROP COLUMN authorization_uri;
ALTER TABLE status_quotes DROP COLUMN request_uri;
