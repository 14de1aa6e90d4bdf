//! Deleting what is finished, a batch at a time.

use super::QueueError;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::time::Duration;

/// What one [`prune`] call deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub deliveries: u64,
    pub activities: u64,
}

/// Deletes at most `batch` finished deliveries (`done` or `given_up`) that
/// finished more than `keep` ago, and at most `batch` activities older than
/// `keep` with no delivery rows left. Rows another pruner holds are skipped.
/// Call it again while it deletes a full batch.
pub async fn prune(conn: &mut AsyncPgConnection, keep: Duration, batch: i64) -> Result<Pruned, QueueError> {
    let keep_ms = i64::try_from(keep.as_millis()).unwrap_or(i64::MAX);
    let deliveries = diesel::sql_query(
        "DELETE FROM deliveries WHERE id IN (
           SELECT id FROM deliveries
           WHERE state <> 'queued' AND finished_at < now() - make_interval(secs => $1::double precision / 1000)
           LIMIT $2 FOR UPDATE SKIP LOCKED)",
    )
    .bind::<BigInt, _>(keep_ms)
    .bind::<BigInt, _>(batch)
    .execute(conn)
    .await?;
    let activities = diesel::sql_query(
        "DELETE FROM delivery_activities WHERE id IN (
           SELECT a.id FROM delivery_activities a
           WHERE a.created_at < now() - make_interval(secs => $1::double precision / 1000)
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.activity_id = a.id)
           LIMIT $2 FOR UPDATE SKIP LOCKED)",
    )
    .bind::<BigInt, _>(keep_ms)
    .bind::<BigInt, _>(batch)
    .execute(conn)
    .await?;
    Ok(Pruned { deliveries: deliveries as u64, activities: activities as u64 })
}
