DROP TRIGGER oauth_tokens_revoked_push ON oauth_tokens;
DROP FUNCTION push_subscriptions_forget_revoked();
DROP TABLE push_deliveries;
DROP TABLE push_subscriptions;
DROP TABLE push_vapid_keys;
