//! A tenant's weekly activity, as Mastodon's `/api/v1/instance/activity`
//! reports it: local posts, people who signed in, and sign-ups, for the
//! current week and the eleven before it (weeks start on Monday, UTC).

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId};
use diesel::sql_types::{BigInt, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// One week's figures.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct Week {
    /// Monday 00:00 UTC.
    #[diesel(sql_type = Timestamptz)]
    pub starts: chrono::DateTime<chrono::Utc>,
    /// Local statuses posted (boosts not counted).
    #[diesel(sql_type = BigInt)]
    pub statuses: i64,
    /// People who signed in at least once.
    #[diesel(sql_type = BigInt)]
    pub logins: i64,
    /// Local accounts made.
    #[diesel(sql_type = BigInt)]
    pub registrations: i64,
}

/// Counts a sign-in of `account` in the current week (once per week).
pub async fn record_login(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
) -> Result<(), StoreError> {
    diesel::sql_query(
        "INSERT INTO weekly_logins (domain_id, week, account_id)
         VALUES ($1, date_trunc('week', now() AT TIME ZONE 'UTC')::date, $2)
         ON CONFLICT DO NOTHING",
    )
    .bind::<BigInt, _>(domain.0)
    .bind::<BigInt, _>(account.0)
    .execute(conn)
    .await?;
    Ok(())
}

/// The last twelve weeks of `domain`, this week first.
pub async fn weeks(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<Vec<Week>, StoreError> {
    let weeks = diesel::sql_query(
        "WITH weeks AS (
           SELECT date_trunc('week', now() AT TIME ZONE 'UTC') - make_interval(weeks => n) AS starts
           FROM generate_series(0, 11) AS n
         )
         SELECT (w.starts AT TIME ZONE 'UTC') AS starts,
           (SELECT count(*) FROM statuses s
             WHERE s.domain_id = $1 AND s.reblog_of_id IS NULL
               AND s.created_at >= (w.starts AT TIME ZONE 'UTC')
               AND s.created_at < ((w.starts + interval '1 week') AT TIME ZONE 'UTC'))::bigint AS statuses,
           (SELECT count(*) FROM weekly_logins l
             WHERE l.domain_id = $1 AND l.week = w.starts::date)::bigint AS logins,
           (SELECT count(*) FROM users u
             WHERE u.domain_id = $1
               AND u.created_at >= (w.starts AT TIME ZONE 'UTC')
               AND u.created_at < ((w.starts + interval '1 week') AT TIME ZONE 'UTC'))::bigint AS registrations
         FROM weeks w ORDER BY w.starts DESC",
    )
    .bind::<BigInt, _>(domain.0)
    .load(conn)
    .await?;
    Ok(weeks)
}
