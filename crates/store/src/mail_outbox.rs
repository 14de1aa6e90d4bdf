//! The durable mail outbox: a mail is stored here inside the transaction of
//! the action that causes it (a sign-up, a password reset), and sent later
//! by the worker in `kereru_mail`. Nothing committed is lost: a row stays
//! until it is sent, or given up after a bounded number of attempts (then
//! it keeps its last error).
//!
//! Claiming moves a row's `next_attempt_at` forward by a lease under
//! `FOR UPDATE SKIP LOCKED`, so two workers (on any node) never hold the
//! same row at once; a worker that dies leaves the lease to run out and the
//! row becomes due again (at-least-once sending). The marks name the
//! attempt they finish, so a worker whose lease ran out cannot overwrite
//! the outcome of the attempt that followed.

use crate::error::StoreError;
use crate::ids::DomainId;
use crate::schema::mail_outbox;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::time::Duration;

/// PostgreSQL NOTIFY channel that wakes the mail workers when a mail is queued.
pub const CHANNEL: &str = "kereru_mail";
/// Longest error text kept per row.
const MAX_ERROR_LENGTH: usize = 1000;

/// A mail to queue: the recipient, and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// Queues `mail` from tenant `domain` and wakes the workers. Run it inside
/// the caller's transaction: the row and the notification take effect at
/// its commit, or not at all. Returns the row's id.
pub async fn enqueue(conn: &mut AsyncPgConnection, domain: DomainId, mail: &OutgoingMail) -> Result<i64, StoreError> {
    let id = diesel::insert_into(mail_outbox::table)
        .values((
            mail_outbox::domain_id.eq(domain.0),
            mail_outbox::to_address.eq(&mail.to),
            mail_outbox::subject.eq(&mail.subject),
            mail_outbox::body_text.eq(&mail.text),
            mail_outbox::body_html.eq(mail.html.as_deref()),
        ))
        .returning(mail_outbox::id)
        .get_result(conn)
        .await?;
    diesel::sql_query("SELECT pg_notify($1, '')").bind::<Text, _>(CHANNEL).execute(conn).await?;
    Ok(id)
}

/// A row a worker holds (its lease is running), with what the sender needs
/// of its tenant.
#[derive(Debug, Clone, QueryableByName)]
pub struct ClaimedMail {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub domain_id: i64,
    #[diesel(sql_type = Text)]
    pub to_address: String,
    #[diesel(sql_type = Text)]
    pub subject: String,
    #[diesel(sql_type = Text)]
    pub body_text: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub body_html: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// Including this one.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// The tenant's display name.
    #[diesel(sql_type = Text)]
    pub tenant_name: String,
    /// The tenant's account host (after the `@` of its handles).
    #[diesel(sql_type = Text)]
    pub account_host: String,
}

/// Claims up to `limit` due, unsent rows for `lease`, oldest first. Rows
/// locked by a concurrent claim are skipped and rows leased by one are not
/// due, so no row is held by two workers at once.
pub async fn claim_due(
    conn: &mut AsyncPgConnection,
    limit: usize,
    lease: Duration,
) -> Result<Vec<ClaimedMail>, StoreError> {
    Ok(diesel::sql_query(
        "WITH locked AS (
             SELECT id FROM mail_outbox
             WHERE sent_at IS NULL AND given_up_at IS NULL AND next_attempt_at <= now()
             ORDER BY next_attempt_at, id
             LIMIT $1
             FOR UPDATE SKIP LOCKED
         )
         UPDATE mail_outbox m
         SET next_attempt_at = now() + make_interval(secs => $2), attempts = m.attempts + 1
         FROM locked l, domains d
         WHERE m.id = l.id AND d.id = m.domain_id
         RETURNING m.id, m.domain_id, m.to_address, m.subject, m.body_text, m.body_html, m.created_at,
                   m.attempts, d.name AS tenant_name, d.account_host",
    )
    .bind::<BigInt, _>(i64::try_from(limit).unwrap_or(i64::MAX))
    .bind::<Double, _>(lease.as_secs_f64())
    .load(conn)
    .await?)
}

/// Records that attempt `attempt` of row `id` sent it. False when that
/// attempt no longer holds the row (another took it after the lease ran out).
pub async fn mark_sent(conn: &mut AsyncPgConnection, id: i64, attempt: i32) -> Result<bool, StoreError> {
    let updated = diesel::update(
        mail_outbox::table
            .filter(mail_outbox::id.eq(id))
            .filter(mail_outbox::attempts.eq(attempt))
            .filter(mail_outbox::sent_at.is_null()),
    )
    .set((mail_outbox::sent_at.eq(diesel::dsl::now), mail_outbox::last_error.eq(None::<String>)))
    .execute(conn)
    .await?;
    Ok(updated > 0)
}

/// What [`mark_failed`] did with the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    /// Due again after the back-off.
    Retry,
    /// That was the last attempt: the row stays, unsent, with its error.
    GaveUp,
    /// The attempt no longer held the row; nothing changed.
    Stale,
}

/// Records that attempt `attempt` of row `id` failed with `error`: due
/// again after `backoff`, or given up when it was attempt `max_attempts`.
pub async fn mark_failed(
    conn: &mut AsyncPgConnection,
    id: i64,
    attempt: i32,
    error: &str,
    backoff: Duration,
    max_attempts: i32,
) -> Result<Failed, StoreError> {
    let error: String = error.chars().take(MAX_ERROR_LENGTH).collect();
    let give_up = attempt >= max_attempts;
    let updated = diesel::sql_query(
        "UPDATE mail_outbox
         SET last_error = $3,
             next_attempt_at = now() + make_interval(secs => $4),
             given_up_at = CASE WHEN $5 THEN now() END
         WHERE id = $1 AND attempts = $2 AND sent_at IS NULL AND given_up_at IS NULL",
    )
    .bind::<BigInt, _>(id)
    .bind::<Integer, _>(attempt)
    .bind::<Text, _>(&error)
    .bind::<Double, _>(backoff.as_secs_f64())
    .bind::<diesel::sql_types::Bool, _>(give_up)
    .execute(conn)
    .await?;
    Ok(match (updated, give_up) {
        (0, _) => Failed::Stale,
        (_, true) => Failed::GaveUp,
        (_, false) => Failed::Retry,
    })
}

/// One row as stored, for tests and operators.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mail_outbox)]
pub struct StoredMail {
    pub id: i64,
    pub domain_id: i64,
    pub to_address: String,
    pub subject: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub given_up_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// The row `id` of tenant `domain`, if there is one.
pub async fn get(conn: &mut AsyncPgConnection, domain: DomainId, id: i64) -> Result<Option<StoredMail>, StoreError> {
    Ok(mail_outbox::table
        .filter(mail_outbox::id.eq(id))
        .filter(mail_outbox::domain_id.eq(domain.0))
        .select(StoredMail::as_select())
        .first(conn)
        .await
        .optional()?)
}
