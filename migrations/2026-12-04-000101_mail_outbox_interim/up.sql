-- INTERIM (branch accounts): the mail outbox of branch `mail`, the same
-- table, so that account mails can be queued before that branch lands.
-- Delete this directory when merging `mail` (its 000100 migration makes the
-- table; IF NOT EXISTS keeps this one harmless meanwhile).
CREATE TABLE IF NOT EXISTS mail_outbox (
    id BIGSERIAL PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at TIMESTAMPTZ,
    given_up_at TIMESTAMPTZ,
    last_error TEXT
);
