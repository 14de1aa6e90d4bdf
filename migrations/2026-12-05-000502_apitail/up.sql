-- The application a person signed up through (`POST /api/v1/accounts`):
-- Mastodon lets only that application ask for the confirmation mail again
-- (`POST /api/v1/emails/confirmations`). NULL for sign-ups on the web.
ALTER TABLE users ADD COLUMN created_by_application_id BIGINT REFERENCES oauth_applications (id) ON DELETE SET NULL;

-- A tenant's terms of service, one text per effective date, as Mastodon 4.4+
-- serves them at `/api/v1/instance/terms_of_service`. The text is plain
-- (paragraphs), shown as HTML paragraphs.
CREATE TABLE terms_of_service (
    id BIGSERIAL PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    effective_date DATE NOT NULL,
    text TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (domain_id, effective_date)
);
