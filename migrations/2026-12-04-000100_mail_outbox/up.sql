-- The durable mail outbox (kereru_store::mail_outbox, sent by kereru_mail).
-- A row is queued inside the transaction of the action that causes it, so a
-- mail is never lost nor sent for an action that rolled back.
-- Unsent rows: due at next_attempt_at; a worker's claim moves
-- next_attempt_at forward by its lease, so no other worker takes the row
-- while it is being sent. Sent rows have sent_at; rows given up after too
-- many failed attempts have given_up_at, and keep their last_error.
CREATE TABLE mail_outbox (
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
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND given_up_at IS NULL;
CREATE INDEX mail_outbox_domain ON mail_outbox (domain_id);
