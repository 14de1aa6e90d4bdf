DELETE FROM notifications WHERE type IN ('quote', 'quoted_update');
ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_type_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_type_check CHECK (type IN (
    'mention', 'status', 'reblog', 'follow', 'follow_request', 'favourite', 'poll', 'update'
));
ALTER TABLE statuses DROP COLUMN quote_policy;
DROP TABLE status_quotes;
