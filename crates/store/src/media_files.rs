//! The queue of files to remove from the media store (`media_file_removals`),
//! filled by the database itself as the rows naming them go (see migration
//! `2026-12-05-000504_media_files`), and the sweep of uploads never attached.
//! Claims span tenants (it is the server's work) with a lease, `FOR UPDATE
//! SKIP LOCKED`, so any number of nodes share it and a node that dies leaves
//! its claims to be taken again: a file is removed at least once.

use crate::error::StoreError;
use crate::ids::DomainId;
use crate::schema::media_file_removals;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// How long a claim holds a row; a failed removal is tried again after it (times the attempts).
pub const LEASE: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// Uploads no status took are removed after this long (as Mastodon does).
pub const UNATTACHED_FOR: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// A file to remove.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Removal {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub domain_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub file_name: String,
}

/// Claims up to `limit` due removals, each for [`LEASE`] times its attempts.
pub async fn claim(conn: &mut AsyncPgConnection, limit: i64) -> Result<Vec<Removal>, StoreError> {
    let claimed = diesel::sql_query(
        "UPDATE media_file_removals SET attempts = attempts + 1, \
             not_before = now() + make_interval(secs => $1 * (attempts + 1)) \
         WHERE id IN (SELECT id FROM media_file_removals WHERE not_before <= now() \
             ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) \
         RETURNING id, domain_id, file_name",
    )
    .bind::<diesel::sql_types::Double, _>(LEASE.as_seconds_f64())
    .bind::<BigInt, _>(limit)
    .load::<Removal>(conn)
    .await?;
    Ok(claimed)
}

/// Forgets removals that were made.
pub async fn done(conn: &mut AsyncPgConnection, ids: &[i64]) -> Result<(), StoreError> {
    diesel::delete(media_file_removals::table.filter(media_file_removals::id.eq_any(ids))).execute(conn).await?;
    Ok(())
}

/// How many removals are queued for a tenant (tests, and the operations guide's checks).
pub async fn queued(conn: &mut AsyncPgConnection, domain_id: DomainId) -> Result<i64, StoreError> {
    Ok(media_file_removals::table
        .filter(media_file_removals::domain_id.eq(domain_id.0))
        .count()
        .get_result(conn)
        .await?)
}

/// Deletes up to `limit` attachments created before `before` that no status
/// took and no scheduled status reserves (their files are queued by the
/// trigger); how many went. Their quota bytes are given back as for any delete.
pub async fn sweep_unattached(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<usize, StoreError> {
    let swept = diesel::sql_query(
        "DELETE FROM media_attachments WHERE id IN ( \
             SELECT m.id FROM media_attachments m \
             WHERE m.status_id IS NULL AND m.created_at < $1 \
               AND NOT EXISTS (SELECT 1 FROM scheduled_status_media s WHERE s.media_id = m.id) \
             ORDER BY m.created_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
    )
    .bind::<Timestamptz, _>(before)
    .bind::<BigInt, _>(limit)
    .execute(conn)
    .await?;
    Ok(swept)
}
