//! The durable outbound queue: what is stored and how rows change state.
//! The [`crate::worker`] drives it.
//!
//! - [`enqueue`] runs inside the caller's transaction (the one that creates
//!   the post): the activity is stored once (`delivery_activities`) and one
//!   `deliveries` row per distinct target inbox is added. Inboxes are the
//!   caller's choice (shared inboxes preferred, chosen by the caller); this
//!   function only drops duplicates, malformed URLs and inboxes known gone.
//! - A row is `queued` until it is `done` (the inbox answered 2xx) or
//!   `given_up` (a final 4xx, 410 Gone, or the retry horizon passed; the
//!   reason is in `last_error`). A queued row is *in flight* while its
//!   `lease_until` is in the future: [`claim`] sets it, under
//!   `FOR UPDATE SKIP LOCKED`, so concurrent workers on any node never take
//!   the same row; a worker that dies leaves the lease to run out and the
//!   row becomes due again (at-least-once delivery).
//! - `delivery_hosts` counts consecutive failures per host; past a threshold
//!   the host is *unavailable* until a time that grows with its failures,
//!   and its rows wait (they are not dropped). The first success resets it
//!   and makes its waiting rows due at once.
//!
//! Here: storing ([`enqueue`]) and claiming ([`claim`]) rows. Beside it:
//! `marks` (a row's outcome), `hosts` (the per-host circuit breaker),
//! `prune` (deleting finished rows) and `stats` (the queue's figures).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kereru_store::ids::{AccountId, next_id};
use kereru_store::schema::{deliveries, delivery_activities, gone_inboxes};
use std::time::Duration;
use url::Url;

/// Longest inbox URL accepted.
pub const MAX_INBOX_LENGTH: usize = 2048;
/// Rows inserted per statement (PostgreSQL binds at most 65535 parameters).
const INSERT_CHUNK: usize = 5000;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("the activity has no actor id to name its signing key")]
    NoActor,
    #[error("the activity could not be serialized: {0}")]
    Serialize(String),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
}

/// What [`enqueue`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueued {
    /// The stored activity, if any inbox was left to deliver to.
    pub activity: Option<i64>,
    /// Deliveries queued (distinct inboxes).
    pub queued: usize,
    /// Inboxes dropped: malformed, not http(s), with credentials, too long.
    pub refused: usize,
    /// Inboxes dropped because they answered 410 Gone before.
    pub gone: usize,
}

/// Checks an inbox URL as the outbound client will (scheme, host, no
/// credentials, length) and returns it without its fragment.
pub fn check_inbox(url: &Url) -> Option<Url> {
    if url.as_str().len() > MAX_INBOX_LENGTH || !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    if !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    url.host_str().filter(|h| !h.is_empty())?;
    let mut url = url.clone();
    url.set_fragment(None);
    Some(url)
}

/// The name the per-host limits and the circuit breaker count by.
pub fn host_key(url: &Url) -> String {
    url.host_str().unwrap_or_default().trim_end_matches('.').to_ascii_lowercase()
}

/// Stores `activity` once and queues it for every distinct inbox in
/// `inboxes`. Run it inside the transaction that creates the activity, so
/// both commit or neither does. `activity_id` is the activity's own id
/// (its URI); the signing key is `{actor}#main-key` of the activity's
/// `actor`, `sender`'s key pair signs.
pub async fn enqueue(
    conn: &mut AsyncPgConnection,
    sender: AccountId,
    activity_id: &str,
    activity: &serde_json::Value,
    inboxes: &[Url],
) -> Result<Enqueued, QueueError> {
    let actor = match &activity["actor"] {
        serde_json::Value::String(actor) => actor.as_str(),
        serde_json::Value::Object(object) => object.get("id").and_then(|id| id.as_str()).ok_or(QueueError::NoActor)?,
        _ => return Err(QueueError::NoActor),
    };
    let key_id = format!("{actor}#main-key");
    let mut refused = 0;
    let mut targets: Vec<(String, String)> = Vec::with_capacity(inboxes.len());
    for inbox in inboxes {
        match check_inbox(inbox) {
            Some(url) => targets.push((url.to_string(), host_key(&url))),
            None => refused += 1,
        }
    }
    targets.sort();
    targets.dedup();
    let candidates: Vec<&str> = targets.iter().map(|(inbox, _)| inbox.as_str()).collect();
    let known_gone: Vec<String> = gone_inboxes::table
        .filter(gone_inboxes::inbox.eq_any(&candidates))
        .select(gone_inboxes::inbox)
        .load(conn)
        .await?;
    targets.retain(|(inbox, _)| !known_gone.contains(inbox));
    if targets.is_empty() {
        return Ok(Enqueued { activity: None, queued: 0, refused, gone: known_gone.len() });
    }
    let body = serde_json::to_string(activity).map_err(|e| QueueError::Serialize(e.to_string()))?;
    let id = next_id();
    diesel::insert_into(delivery_activities::table)
        .values((
            delivery_activities::id.eq(id),
            delivery_activities::account_id.eq(sender.0),
            delivery_activities::activity_uri.eq(activity_id),
            delivery_activities::key_id.eq(&key_id),
            delivery_activities::body.eq(&body),
        ))
        .execute(conn)
        .await?;
    for chunk in targets.chunks(INSERT_CHUNK) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(inbox, host)| {
                (
                    deliveries::id.eq(next_id()),
                    deliveries::activity_id.eq(id),
                    deliveries::inbox.eq(inbox),
                    deliveries::host.eq(host),
                )
            })
            .collect();
        diesel::insert_into(deliveries::table).values(&rows).execute(conn).await?;
    }
    Ok(Enqueued { activity: Some(id), queued: targets.len(), refused, gone: known_gone.len() })
}

/// A row a worker has claimed (its lease is running).
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub activity_id: i64,
    #[diesel(sql_type = Text)]
    pub inbox: String,
    #[diesel(sql_type = Text)]
    pub host: String,
    /// Including this one.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub account_id: i64,
    #[diesel(sql_type = Text)]
    pub key_id: String,
}

/// Claims up to `limit` due rows, at most `per_host` in flight per host
/// (counting rows other workers hold), skipping unavailable hosts, and
/// leases them for `lease`. Rows locked by a concurrent claim are skipped,
/// and a row whose lease another claim set meanwhile is re-checked and
/// left alone, so no row is claimed twice while its lease runs.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    limit: usize,
    per_host: usize,
    lease: Duration,
) -> Result<Vec<Claimed>, QueueError> {
    let rows = diesel::sql_query(
        "WITH in_flight AS (
             SELECT host, count(*) AS n FROM deliveries
             WHERE state = 'queued' AND lease_until > now() GROUP BY host
         ), ranked AS (
             SELECT d.id, d.host, d.next_attempt_at,
                    row_number() OVER (PARTITION BY d.host ORDER BY d.next_attempt_at, d.id) AS rank
             FROM deliveries d LEFT JOIN delivery_hosts h ON h.host = d.host
             WHERE d.state = 'queued' AND d.next_attempt_at <= now()
               AND (d.lease_until IS NULL OR d.lease_until <= now())
               AND (h.unavailable_until IS NULL OR h.unavailable_until <= now())
         ), candidates AS (
             SELECT r.id FROM ranked r LEFT JOIN in_flight f ON f.host = r.host
             WHERE r.rank <= $2 - COALESCE(f.n, 0)
             ORDER BY r.next_attempt_at, r.id
             LIMIT $1
         ), locked AS (
             SELECT id FROM deliveries
             WHERE id IN (SELECT id FROM candidates)
               AND state = 'queued' AND (lease_until IS NULL OR lease_until <= now())
             FOR UPDATE SKIP LOCKED
         )
         UPDATE deliveries d
         SET lease_until = now() + make_interval(secs => $3), attempts = d.attempts + 1
         FROM locked l, delivery_activities a
         WHERE d.id = l.id AND a.id = d.activity_id
         RETURNING d.id, d.activity_id, d.inbox, d.host, d.attempts, d.created_at, a.account_id, a.key_id",
    )
    .bind::<BigInt, _>(i64::try_from(limit).unwrap_or(i64::MAX))
    .bind::<BigInt, _>(i64::try_from(per_host).unwrap_or(i64::MAX))
    .bind::<Double, _>(lease.as_secs_f64())
    .load::<Claimed>(conn)
    .await?;
    Ok(rows)
}

/// The stored JSON text of activities, by id.
pub async fn bodies(conn: &mut AsyncPgConnection, ids: &[i64]) -> Result<Vec<(i64, String)>, QueueError> {
    Ok(delivery_activities::table
        .filter(delivery_activities::id.eq_any(ids))
        .select((delivery_activities::id, delivery_activities::body))
        .load(conn)
        .await?)
}

mod blocked;
mod hosts;
mod marks;
mod prune;
mod stats;

pub use blocked::give_up_blocked;
pub use marks::{mark_done, mark_given_up, mark_gone, mark_retry, release};
pub use prune::{Pruned, prune};
pub use stats::{HostFigures, Stats, Totals, stats};

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn inboxes_are_checked() {
        assert_eq!(
            check_inbox(&url("https://a.test/inbox#x")).map(|u| u.to_string()),
            Some("https://a.test/inbox".into())
        );
        assert!(check_inbox(&url("ftp://a.test/inbox")).is_none());
        assert!(check_inbox(&url("https://u:p@a.test/inbox")).is_none());
        assert!(check_inbox(&url("data:text/plain,hi")).is_none());
        let long = format!("https://a.test/{}", "x".repeat(MAX_INBOX_LENGTH));
        assert!(check_inbox(&url(&long)).is_none());
        assert_eq!(host_key(&url("https://A.Test.:8443/inbox")), "a.test");
    }
}
