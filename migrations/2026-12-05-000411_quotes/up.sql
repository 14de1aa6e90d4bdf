-- Quote posts as Mastodon 4.5 has them. A status may quote one other
-- status; the quote's state says whether the quoted author's policy let it
-- (accepted), whether the author took it back (revoked), or whether it waits
-- for a server that decides (pending). The quoted status may go: its URI stays.
CREATE TABLE status_quotes (
    status_id BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
    quoted_status_id BIGINT REFERENCES statuses (id) ON DELETE SET NULL,
    quoted_uri TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected', 'revoked')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX status_quotes_quoted ON status_quotes (quoted_status_id, status_id) WHERE quoted_status_id IS NOT NULL;

-- Who may quote a status without asking: 'public' (anyone), 'followers',
-- 'nobody' (only its author). NULL: not known (a remote status that says nothing).
ALTER TABLE statuses ADD COLUMN quote_policy TEXT CHECK (quote_policy IN ('public', 'followers', 'nobody'));

ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_type_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_type_check CHECK (type IN (
    'mention', 'status', 'reblog', 'follow', 'follow_request', 'favourite', 'poll', 'update',
    'quote', 'quoted_update'
));
