//! The inbox's durable intake: an activity is stored here before the inbox
//! answers 202, then processed once per tenant and activity id by whichever
//! node claims it (`FOR UPDATE SKIP LOCKED`, with a lease so a crashed
//! processor's rows come back).

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, next_id};
use crate::schema::inbound_activities;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// PostgreSQL NOTIFY channel that wakes processors when an activity arrives.
pub const CHANNEL: &str = "kereru_inbound";

#[derive(Debug, Clone)]
pub struct NewInbound<'a> {
    pub tenant: DomainId,
    pub inbox_account: Option<AccountId>,
    pub activity_uri: &'a str,
    pub actor_uri: &'a str,
    pub body: &'a str,
}

/// Stores an accepted activity; false when this tenant has it already
/// (a redelivery: it is processed once). Wakes the processors.
pub async fn store(conn: &mut AsyncPgConnection, new: &NewInbound<'_>) -> Result<bool, StoreError> {
    let inserted = diesel::insert_into(inbound_activities::table)
        .values((
            inbound_activities::id.eq(next_id()),
            inbound_activities::domain_id.eq(new.tenant.0),
            inbound_activities::inbox_account_id.eq(new.inbox_account.map(|a| a.0)),
            inbound_activities::activity_uri.eq(new.activity_uri),
            inbound_activities::actor_uri.eq(new.actor_uri),
            inbound_activities::body.eq(new.body),
        ))
        .on_conflict((inbound_activities::domain_id, inbound_activities::activity_uri))
        .do_nothing()
        .execute(conn)
        .await?;
    if inserted > 0 {
        diesel::sql_query("SELECT pg_notify($1, '')").bind::<diesel::sql_types::Text, _>(CHANNEL).execute(conn).await?;
    }
    Ok(inserted > 0)
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = inbound_activities)]
pub struct Inbound {
    pub id: i64,
    pub domain_id: i64,
    pub inbox_account_id: Option<i64>,
    pub activity_uri: String,
    pub actor_uri: String,
    pub body: String,
    pub attempts: i32,
    pub received_at: DateTime<Utc>,
}

/// Claims up to `limit` due activities for `lease_seconds`, oldest first.
pub async fn claim(conn: &mut AsyncPgConnection, limit: i64, lease_seconds: i32) -> Result<Vec<Inbound>, StoreError> {
    Ok(diesel::sql_query(
        "UPDATE inbound_activities SET lease_until = now() + make_interval(secs => $2), attempts = attempts + 1,
                next_attempt_at = now() + make_interval(secs => $2)
         WHERE id IN (SELECT id FROM inbound_activities
                      WHERE state = 'queued' AND next_attempt_at <= now()
                      ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING id, domain_id, inbox_account_id, activity_uri, actor_uri, body, attempts, received_at",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Integer, _>(lease_seconds)
    .load(conn)
    .await?)
}

/// Hands claimed activities back at once (a node stopping gracefully): they
/// are due again now, for any node, without waiting out the lease, and the
/// attempt that never ran is not counted. Rows finished meanwhile, or whose
/// lease ran out (another node may hold them now), are left alone.
pub async fn release(conn: &mut AsyncPgConnection, ids: &[i64]) -> Result<usize, StoreError> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(diesel::sql_query(
        "UPDATE inbound_activities SET lease_until = NULL, next_attempt_at = now(), attempts = GREATEST(attempts - 1, 0)
         WHERE id = ANY($1) AND state = 'queued' AND lease_until > now()",
    )
    .bind::<diesel::sql_types::Array<BigInt>, _>(ids)
    .execute(conn)
    .await?)
}

/// How processing ended for one activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    Done,
    /// Understood and deliberately not acted on.
    Ignored,
    /// Given up after errors.
    Failed,
}

pub async fn finish(conn: &mut AsyncPgConnection, id: i64, how: Finished, outcome: &str) -> Result<(), StoreError> {
    let state = match how {
        Finished::Done => "done",
        Finished::Ignored => "ignored",
        Finished::Failed => "failed",
    };
    // The tenant's hourly inbound counter (usage) is bumped by the same statement.
    diesel::sql_query(
        "WITH finished AS (
           UPDATE inbound_activities SET state = $2, outcome = $3, processed_at = now(), lease_until = NULL
           WHERE id = $1 RETURNING domain_id)
         INSERT INTO tenant_traffic (domain_id, hour, inbound)
         SELECT domain_id, date_trunc('hour', now()), 1 FROM finished
         ON CONFLICT (domain_id, hour) DO UPDATE SET inbound = tenant_traffic.inbound + 1",
    )
    .bind::<diesel::sql_types::BigInt, _>(id)
    .bind::<diesel::sql_types::Text, _>(state)
    .bind::<diesel::sql_types::Text, _>(outcome.chars().take(500).collect::<String>())
    .execute(conn)
    .await?;
    Ok(())
}

/// Tries again after `delay_seconds` (a failure that may pass: a remote
/// server that did not answer, a database hiccup).
pub async fn retry_later(
    conn: &mut AsyncPgConnection,
    id: i64,
    delay_seconds: i32,
    error: &str,
) -> Result<(), StoreError> {
    diesel::sql_query(
        "UPDATE inbound_activities SET next_attempt_at = now() + make_interval(secs => $2), lease_until = NULL,
                outcome = $3 WHERE id = $1",
    )
    .bind::<BigInt, _>(id)
    .bind::<Integer, _>(delay_seconds)
    .bind::<diesel::sql_types::Text, _>(error.chars().take(500).collect::<String>())
    .execute(conn)
    .await?;
    Ok(())
}

/// Counts by state, for `kereru queue stats` and tests.
pub async fn counts(conn: &mut AsyncPgConnection) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(inbound_activities::table
        .group_by(inbound_activities::state)
        .select((inbound_activities::state, diesel::dsl::count_star()))
        .load(conn)
        .await?)
}

/// The processing backlog: activities waiting (and how many of them wait for a retry), and when the oldest arrived.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backlog {
    pub queued: i64,
    pub retrying: i64,
    pub oldest_queued_at: Option<DateTime<Utc>>,
}

pub async fn backlog(conn: &mut AsyncPgConnection) -> Result<Backlog, StoreError> {
    let queued = inbound_activities::table.filter(inbound_activities::state.eq("queued"));
    let (count, oldest): (i64, Option<DateTime<Utc>>) = queued
        .select((diesel::dsl::count_star(), diesel::dsl::min(inbound_activities::received_at)))
        .first(conn)
        .await?;
    let retrying: i64 = inbound_activities::table
        .filter(inbound_activities::state.eq("queued"))
        .filter(inbound_activities::attempts.gt(0))
        .filter(inbound_activities::lease_until.is_null())
        .count()
        .get_result(conn)
        .await?;
    Ok(Backlog { queued: count, retrying, oldest_queued_at: oldest })
}

/// Deletes up to `batch` finished activities (done, ignored, failed) processed
/// more than `hours` ago; returns how many. Queued ones are never pruned.
pub async fn prune(conn: &mut AsyncPgConnection, hours: i32, batch: i64) -> Result<usize, StoreError> {
    Ok(diesel::sql_query(
        "DELETE FROM inbound_activities WHERE id IN (
             SELECT id FROM inbound_activities
             WHERE state <> 'queued' AND processed_at < now() - make_interval(hours => $1)
             LIMIT $2 FOR UPDATE SKIP LOCKED)",
    )
    .bind::<Integer, _>(hours)
    .bind::<BigInt, _>(batch)
    .execute(conn)
    .await?)
}
