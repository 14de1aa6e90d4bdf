//! A host suspended by a domain block gets nothing more: what is still
//! queued for it (and its subdomains) from the blocking tenant's people, or
//! from everyone's for a host-wide block, is given up at once.

use super::QueueError;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kereru_store::ids::DomainId;

/// Gives up the queued deliveries to `host` sent by local accounts of
/// `tenant` (of any tenant with `None`); returns how many.
pub async fn give_up_blocked(
    conn: &mut AsyncPgConnection,
    host: &str,
    tenant: Option<DomainId>,
) -> Result<usize, QueueError> {
    Ok(diesel::sql_query(
        "UPDATE deliveries d SET state = 'given_up', lease_until = NULL, finished_at = now(), \
             last_error = 'the host is suspended here' \
         FROM delivery_activities a, accounts s \
         WHERE d.activity_id = a.id AND a.account_id = s.id AND d.state = 'queued' \
           AND (d.host = $1 OR d.host LIKE '%.' || $1) \
           AND s.domain_id IS NOT NULL AND ($2::bigint IS NULL OR s.domain_id = $2)",
    )
    .bind::<Text, _>(host)
    .bind::<Nullable<BigInt>, _>(tenant.map(|t| t.0))
    .execute(conn)
    .await?)
}
