-- Who signed in each week (weeks start on Monday, as PostgreSQL's
-- date_trunc('week') and Mastodon's activity API count them): the
-- "logins" of /api/v1/instance/activity. One row per person per week.
CREATE TABLE weekly_logins (
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    week DATE NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (domain_id, week, account_id)
);
