//! Webhook deliveries as a durable queue, on the delivery queue's ideas in
//! tables of their own: a row is `queued` until `done` (a 2xx) or
//! `given_up` (too many attempts, or a URL the outbound client refuses).
//! [`claim`] leases due rows under `FOR UPDATE SKIP LOCKED` and counts the
//! attempt, so no two workers hold a row at once and a dead worker's rows
//! come back when the lease runs out (at least once). Marks name the attempt
//! they finish, so a late outcome from an expired lease changes nothing.

use crate::error::StoreError;
use crate::schema::{webhook_deliveries, webhook_events};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::time::Duration;

/// Longest error text kept per row.
const MAX_ERROR_LENGTH: usize = 500;

/// A delivery a worker holds, with what sending it needs.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub webhook_id: i64,
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    /// Including this one.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Text)]
    pub secret: String,
    #[diesel(sql_type = Text)]
    pub body: String,
}

/// Hands claimed rows back at once (a worker stopping gracefully): due
/// again for any worker, the attempt that did not finish uncounted. Rows
/// finished meanwhile or whose lease ran out are left alone.
pub async fn release(conn: &mut AsyncPgConnection, ids: &[i64]) -> Result<usize, StoreError> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(diesel::sql_query(
        "UPDATE webhook_deliveries SET lease_until = NULL, attempts = GREATEST(attempts - 1, 0)
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
             SELECT id FROM webhook_deliveries
             WHERE state = 'queued' AND next_attempt_at <= now()
               AND (lease_until IS NULL OR lease_until <= now())
             ORDER BY next_attempt_at, id
             LIMIT $1
             FOR UPDATE SKIP LOCKED
         )
         UPDATE webhook_deliveries d
         SET lease_until = now() + make_interval(secs => $2), attempts = d.attempts + 1
         FROM locked l, webhooks w, webhook_events e
         WHERE d.id = l.id AND w.id = d.webhook_id AND e.id = d.event_id
         RETURNING d.id, d.webhook_id, d.event_id, d.attempts, w.url, w.secret, e.body",
    )
    .bind::<BigInt, _>(i64::try_from(limit).unwrap_or(i64::MAX))
    .bind::<Double, _>(lease.as_secs_f64())
    .load(conn)
    .await?)
}

/// Attempt `attempt` of row `id` got a 2xx. False when that attempt no longer held the row.
pub async fn mark_done(conn: &mut AsyncPgConnection, id: i64, attempt: i32, status: u16) -> Result<bool, StoreError> {
    let updated = diesel::sql_query(
        "UPDATE webhook_deliveries
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
        "UPDATE webhook_deliveries
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

/// Deletes deliveries finished more than `keep` ago and events with no
/// delivery left (older than `keep`). Returns the deliveries deleted.
pub async fn prune(conn: &mut AsyncPgConnection, keep: Duration) -> Result<usize, StoreError> {
    let deleted = diesel::sql_query(
        "DELETE FROM webhook_deliveries WHERE id IN (
             SELECT id FROM webhook_deliveries
             WHERE state <> 'queued' AND finished_at < now() - make_interval(secs => $1)
             LIMIT 1000 FOR UPDATE SKIP LOCKED)",
    )
    .bind::<Double, _>(keep.as_secs_f64())
    .execute(conn)
    .await?;
    diesel::sql_query(
        "DELETE FROM webhook_events e WHERE e.created_at < now() - make_interval(secs => $1)
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)",
    )
    .bind::<Double, _>(keep.as_secs_f64())
    .execute(conn)
    .await?;
    Ok(deleted)
}

/// One delivery as stored, for operators (the CLI, the provider API) and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: i64,
    pub event_type: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The latest `limit` deliveries of webhook `webhook_id`, newest first.
pub async fn recent(conn: &mut AsyncPgConnection, webhook_id: i64, limit: i64) -> Result<Vec<Delivery>, StoreError> {
    let rows = webhook_deliveries::table
        .inner_join(webhook_events::table)
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .select((
            webhook_deliveries::id,
            webhook_deliveries::webhook_id,
            webhook_deliveries::event_id,
            webhook_events::event_type,
            webhook_deliveries::state,
            webhook_deliveries::attempts,
            webhook_deliveries::next_attempt_at,
            webhook_deliveries::last_status,
            webhook_deliveries::last_error,
            webhook_deliveries::created_at,
            webhook_deliveries::finished_at,
        ))
        .load::<(
            i64,
            i64,
            i64,
            String,
            String,
            i32,
            DateTime<Utc>,
            Option<i32>,
            Option<String>,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
        )>(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Delivery {
            id: r.0,
            webhook_id: r.1,
            event_id: r.2,
            event_type: r.3,
            state: r.4,
            attempts: r.5,
            next_attempt_at: r.6,
            last_status: r.7,
            last_error: r.8,
            created_at: r.9,
            finished_at: r.10,
        })
        .collect())
}
