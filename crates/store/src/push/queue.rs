//! Pushes to send, as a durable queue on the delivery queue's ideas: a row
//! per (subscription, notification), `queued` until `done` (a 2xx) or
//! `given_up`. [`enqueue`] runs in the transaction that makes the
//! notification, so a push exists exactly when its notification does;
//! [`claim`] leases due rows under `FOR UPDATE SKIP LOCKED` and counts the
//! attempt, so no two workers hold one row and a dead worker's rows come
//! back when the lease ends (at least once). Marks name the attempt they
//! finish, so a late outcome from an expired lease changes nothing.

use crate::error::StoreError;
use crate::notifications::Notification;
use diesel::sql_types::{BigInt, Bool, Double, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::time::Duration;

/// Longest error text kept per row.
const MAX_ERROR_LENGTH: usize = 500;

/// Queues a push of `notification` to each subscription of its recipient
/// whose alerts take its type and whose policy lets its sender through
/// (Mastodon's `pushable?`: `all`; `followed`, the recipient follows the
/// sender; `follower`, the sender follows the recipient; `none`).
/// Returns how many were queued.
pub async fn enqueue(conn: &mut AsyncPgConnection, notification: &Notification) -> Result<usize, StoreError> {
    Ok(diesel::sql_query(
        "INSERT INTO push_deliveries (domain_id, subscription_id, notification_id)
         SELECT s.domain_id, s.id, $1 FROM push_subscriptions s
         JOIN oauth_tokens t ON t.id = s.token_id AND t.revoked_at IS NULL
         WHERE s.account_id = $2
           AND (s.alerts::jsonb ->> $3) = 'true'
           AND CASE s.policy
                 WHEN 'all' THEN true
                 WHEN 'followed' THEN EXISTS (SELECT 1 FROM follows f
                     WHERE f.account_id = $2 AND f.target_account_id = $4 AND f.state = 'accepted')
                 WHEN 'follower' THEN EXISTS (SELECT 1 FROM follows f
                     WHERE f.account_id = $4 AND f.target_account_id = $2 AND f.state = 'accepted')
                 ELSE false
               END",
    )
    .bind::<BigInt, _>(notification.id.0)
    .bind::<BigInt, _>(notification.account_id.0)
    .bind::<Text, _>(&notification.kind)
    .bind::<BigInt, _>(notification.from_account_id.0)
    .execute(conn)
    .await?)
}

/// A push a worker holds, with what sending it needs.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Including this one.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = BigInt)]
    pub domain_id: i64,
    #[diesel(sql_type = BigInt)]
    pub subscription_id: i64,
    #[diesel(sql_type = Text)]
    pub endpoint: String,
    #[diesel(sql_type = diesel::sql_types::Binary)]
    pub key_p256dh: Vec<u8>,
    #[diesel(sql_type = diesel::sql_types::Binary)]
    pub key_auth: Vec<u8>,
    #[diesel(sql_type = Bool)]
    pub standard: bool,
    #[diesel(sql_type = Text)]
    pub access_token: String,
    #[diesel(sql_type = BigInt)]
    pub notification_id: i64,
    #[diesel(sql_type = Text)]
    pub notification_type: String,
    #[diesel(sql_type = BigInt)]
    pub from_account_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub status_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub locale: Option<String>,
}

/// Hands claimed rows back at once (a worker stopping gracefully): due
/// again for any worker, the attempt that did not finish uncounted. Rows
/// finished meanwhile or whose lease ran out are left alone.
pub async fn release(conn: &mut AsyncPgConnection, ids: &[i64]) -> Result<usize, StoreError> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(diesel::sql_query(
        "UPDATE push_deliveries SET lease_until = NULL, attempts = GREATEST(attempts - 1, 0)
         WHERE id = ANY($1) AND state = 'queued' AND lease_until > now()",
    )
    .bind::<diesel::sql_types::Array<BigInt>, _>(ids)
    .execute(conn)
    .await?)
}

/// Claims up to `limit` due rows for `lease`, oldest first.
pub async fn claim(conn: &mut AsyncPgConnection, limit: usize, lease: Duration) -> Result<Vec<Claimed>, StoreError> {
    Ok(diesel::sql_query(
        "WITH locked AS (
             SELECT id FROM push_deliveries
             WHERE state = 'queued' AND next_attempt_at <= now()
               AND (lease_until IS NULL OR lease_until <= now())
             ORDER BY next_attempt_at, id
             LIMIT $1
             FOR UPDATE SKIP LOCKED
         )
         UPDATE push_deliveries d
         SET lease_until = now() + make_interval(secs => $2), attempts = d.attempts + 1
         FROM locked l, push_subscriptions s, notifications n
         WHERE d.id = l.id AND s.id = d.subscription_id AND n.id = d.notification_id
         RETURNING d.id, d.attempts, d.domain_id, d.subscription_id, s.endpoint, s.key_p256dh, s.key_auth,
                   s.standard, s.access_token, n.id AS notification_id, n.type AS notification_type,
                   n.from_account_id, n.status_id,
                   (SELECT u.locale FROM users u WHERE u.account_id = s.account_id) AS locale",
    )
    .bind::<BigInt, _>(i64::try_from(limit).unwrap_or(i64::MAX))
    .bind::<Double, _>(lease.as_secs_f64())
    .load(conn)
    .await?)
}

/// Attempt `attempt` of row `id` got a 2xx. False when that attempt no longer held the row.
pub async fn mark_done(conn: &mut AsyncPgConnection, id: i64, attempt: i32, status: u16) -> Result<bool, StoreError> {
    let updated = diesel::sql_query(
        "UPDATE push_deliveries
         SET state = 'done', lease_until = NULL, finished_at = now(), last_status = $3, last_error = NULL
         WHERE id = $1 AND attempts = $2 AND state = 'queued'",
    )
    .bind::<BigInt, _>(id)
    .bind::<Integer, _>(attempt)
    .bind::<Integer, _>(i32::from(status))
    .execute(conn)
    .await?;
    Ok(updated > 0)
}

/// Attempt `attempt` of row `id` failed: due again after `delay`, or given up
/// when `give_up`. False when that attempt no longer held the row.
pub async fn mark_failed(
    conn: &mut AsyncPgConnection,
    id: i64,
    attempt: i32,
    status: Option<u16>,
    error: &str,
    delay: Duration,
    give_up: bool,
) -> Result<bool, StoreError> {
    let error: String = error.chars().take(MAX_ERROR_LENGTH).collect();
    let updated = diesel::sql_query(
        "UPDATE push_deliveries
         SET lease_until = NULL, last_status = $3, last_error = $4,
             next_attempt_at = now() + make_interval(secs => $5),
             state = CASE WHEN $6 THEN 'given_up' ELSE 'queued' END,
             finished_at = CASE WHEN $6 THEN now() END
         WHERE id = $1 AND attempts = $2 AND state = 'queued'",
    )
    .bind::<BigInt, _>(id)
    .bind::<Integer, _>(attempt)
    .bind::<Nullable<Integer>, _>(status.map(i32::from))
    .bind::<Text, _>(&error)
    .bind::<Double, _>(delay.as_secs_f64())
    .bind::<Bool, _>(give_up)
    .execute(conn)
    .await?;
    Ok(updated > 0)
}

/// Deletes finished rows older than `keep`, 1000 at a time. Returns how many.
pub async fn prune(conn: &mut AsyncPgConnection, keep: Duration) -> Result<usize, StoreError> {
    Ok(diesel::sql_query(
        "DELETE FROM push_deliveries WHERE id IN (
             SELECT id FROM push_deliveries
             WHERE state <> 'queued' AND finished_at < now() - make_interval(secs => $1)
             LIMIT 1000 FOR UPDATE SKIP LOCKED)",
    )
    .bind::<Double, _>(keep.as_secs_f64())
    .execute(conn)
    .await?)
}

/// One push as stored, for tests and operators.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct Delivery {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub subscription_id: i64,
    #[diesel(sql_type = BigInt)]
    pub notification_id: i64,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Nullable<Integer>)]
    pub last_status: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_error: Option<String>,
}

/// The pushes queued for `account`'s subscriptions, oldest first.
pub async fn of_account(conn: &mut AsyncPgConnection, account: i64) -> Result<Vec<Delivery>, StoreError> {
    Ok(diesel::sql_query(
        "SELECT d.id, d.subscription_id, d.notification_id, d.state, d.attempts, d.last_status, d.last_error
         FROM push_deliveries d JOIN push_subscriptions s ON s.id = d.subscription_id
         WHERE s.account_id = $1 ORDER BY d.id",
    )
    .bind::<BigInt, _>(account)
    .load(conn)
    .await?)
}

/// What a push's title, body and icon are made of: the sender and the status.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct Facts {
    #[diesel(sql_type = Text)]
    pub username: String,
    #[diesel(sql_type = Text)]
    pub display_name: String,
    /// The sender's bio (HTML).
    #[diesel(sql_type = Text)]
    pub summary: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub avatar_file: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub avatar_remote_url: Option<String>,
    /// The sender's tenant, when it is a local account (its avatar is served there).
    #[diesel(sql_type = Nullable<BigInt>)]
    pub from_domain_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub spoiler_text: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub text: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub content: Option<String>,
}

/// The facts of a claimed push; None when its sender is gone.
pub async fn facts(conn: &mut AsyncPgConnection, claimed: &Claimed) -> Result<Option<Facts>, StoreError> {
    use diesel::OptionalExtension;
    Ok(diesel::sql_query(
        "SELECT a.username, a.display_name, a.summary, a.avatar_file, a.avatar_remote_url,
                a.domain_id AS from_domain_id, s.spoiler_text, s.text, s.content
         FROM accounts a LEFT JOIN statuses s ON s.id = $2
         WHERE a.id = $1",
    )
    .bind::<BigInt, _>(claimed.from_account_id)
    .bind::<Nullable<BigInt>, _>(claimed.status_id)
    .get_result(conn)
    .await
    .optional()?)
}
