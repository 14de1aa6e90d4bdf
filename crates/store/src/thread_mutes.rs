//! Muted threads (`POST /api/v1/statuses/:id/mute`): a person hears nothing
//! more from a thread, kept by the thread's root status.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, StatusId};
use crate::schema::conversation_mutes;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::HashSet;

pub async fn mute(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    root: StatusId,
) -> Result<(), StoreError> {
    diesel::insert_into(conversation_mutes::table)
        .values((
            conversation_mutes::domain_id.eq(tenant.0),
            conversation_mutes::account_id.eq(account.0),
            conversation_mutes::root_status_id.eq(root.0),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn unmute(conn: &mut AsyncPgConnection, account: AccountId, root: StatusId) -> Result<(), StoreError> {
    diesel::delete(
        conversation_mutes::table
            .filter(conversation_mutes::account_id.eq(account.0))
            .filter(conversation_mutes::root_status_id.eq(root.0)),
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Which of `statuses` are in a thread `account` muted (the status or one it replies to, up the chain).
pub async fn muted_among(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    statuses: &[StatusId],
) -> Result<HashSet<StatusId>, StoreError> {
    let ids: Vec<i64> = statuses.iter().map(|s| s.0).collect();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let any: i64 =
        conversation_mutes::table.filter(conversation_mutes::account_id.eq(account.0)).count().get_result(conn).await?;
    if any == 0 {
        return Ok(HashSet::new());
    }
    let hits: Vec<Hit> = diesel::sql_query(
        "WITH RECURSIVE up(start, id, parent, depth) AS ( \
           SELECT s.id, s.id, s.in_reply_to_id, 0 FROM statuses s WHERE s.id = ANY($2) \
           UNION ALL \
           SELECT up.start, p.id, p.in_reply_to_id, up.depth + 1 FROM up JOIN statuses p ON p.id = up.parent \
            WHERE up.depth < 200) \
         SELECT DISTINCT up.start AS id FROM up \
           JOIN conversation_mutes m ON m.root_status_id = up.id AND m.account_id = $1",
    )
    .bind::<BigInt, _>(account.0)
    .bind::<Array<BigInt>, _>(&ids)
    .load(conn)
    .await?;
    Ok(hits.into_iter().map(|h| StatusId(h.id)).collect())
}

/// Whether `status` is in a thread `account` muted.
pub async fn is_muted(conn: &mut AsyncPgConnection, account: AccountId, status: StatusId) -> Result<bool, StoreError> {
    Ok(!muted_among(conn, account, &[status]).await?.is_empty())
}
