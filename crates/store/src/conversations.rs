//! Conversations (direct messages), as Mastodon's AccountConversation: for
//! each participant, one row per thread and set of other participants, with
//! the direct statuses in it, the newest, and whether it is unread.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, StatusId, next_id};
use crate::page::Page;
use crate::schema::conversations;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// How far up a reply chain the thread's root is looked for.
const MAX_DEPTH: i64 = 200;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = conversations)]
pub struct Conversation {
    pub id: i64,
    pub account_id: i64,
    pub participant_ids: Vec<i64>,
    pub last_status_id: i64,
    pub unread: bool,
}

#[derive(QueryableByName)]
struct Root {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The first status of `status`'s thread this host knows (itself when it replies to nothing known).
pub async fn thread_root(conn: &mut AsyncPgConnection, status: StatusId) -> Result<StatusId, StoreError> {
    let root: Option<Root> = diesel::sql_query(
        "WITH RECURSIVE up(id, parent, depth) AS ( \
           SELECT s.id, s.in_reply_to_id, 0::bigint FROM statuses s WHERE s.id = $1 \
           UNION ALL \
           SELECT p.id, p.in_reply_to_id, up.depth + 1 FROM up JOIN statuses p ON p.id = up.parent \
            WHERE up.depth < $2) \
         SELECT id FROM up ORDER BY depth DESC LIMIT 1",
    )
    .bind::<BigInt, _>(status.0)
    .bind::<BigInt, _>(MAX_DEPTH)
    .get_result(conn)
    .await
    .optional()?;
    Ok(root.map_or(status, |r| StatusId(r.id)))
}

/// Adds `status` to `recipient`'s conversation in its thread with `participants`
/// (the others, sorted); unread unless the recipient wrote it. Returns the conversation's id.
pub async fn add_status(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    recipient: AccountId,
    root: StatusId,
    participants: &[i64],
    status: StatusId,
    unread: bool,
) -> Result<i64, StoreError> {
    let id: i64 = diesel::insert_into(conversations::table)
        .values((
            conversations::id.eq(next_id()),
            conversations::domain_id.eq(tenant.0),
            conversations::account_id.eq(recipient.0),
            conversations::root_status_id.eq(root.0),
            conversations::participant_ids.eq(participants),
            conversations::status_ids.eq(vec![status.0]),
            conversations::last_status_id.eq(status.0),
            conversations::unread.eq(unread),
        ))
        .on_conflict((conversations::account_id, conversations::root_status_id, conversations::participant_ids))
        .do_update()
        .set((
            conversations::status_ids.eq(diesel::dsl::sql::<Array<BigInt>>(&format!(
                "CASE WHEN {0} = ANY(conversations.status_ids) THEN conversations.status_ids \
                 ELSE array_append(conversations.status_ids, {0}) END",
                status.0
            ))),
            conversations::last_status_id
                .eq(diesel::dsl::sql::<BigInt>(&format!("GREATEST(conversations.last_status_id, {})", status.0))),
            conversations::unread.eq(unread),
        ))
        .returning(conversations::id)
        .get_result(conn)
        .await?;
    Ok(id)
}

/// Takes a deleted status out of every conversation; conversations left empty go.
pub async fn remove_status(conn: &mut AsyncPgConnection, status: StatusId) -> Result<(), StoreError> {
    diesel::sql_query("DELETE FROM conversations WHERE status_ids = ARRAY[$1]::bigint[]")
        .bind::<BigInt, _>(status.0)
        .execute(conn)
        .await?;
    diesel::sql_query(
        "UPDATE conversations SET status_ids = array_remove(status_ids, $1), \
           last_status_id = (SELECT max(x) FROM unnest(array_remove(status_ids, $1)) AS x) \
         WHERE status_ids @> ARRAY[$1]::bigint[]",
    )
    .bind::<BigInt, _>(status.0)
    .execute(conn)
    .await?;
    Ok(())
}

/// `account`'s conversations, most recent first, paged by their last status's id (as Mastodon).
pub async fn list(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    page: Page,
) -> Result<Vec<Conversation>, StoreError> {
    let mut query = conversations::table
        .filter(conversations::domain_id.eq(tenant.0))
        .filter(conversations::account_id.eq(account.0))
        .select(Conversation::as_select())
        .into_boxed();
    if let Some(max) = page.max_id {
        query = query.filter(conversations::last_status_id.lt(max));
    }
    if let Some(since) = page.since_id {
        query = query.filter(conversations::last_status_id.gt(since));
    }
    query = match page.min_id {
        Some(min) => query.filter(conversations::last_status_id.gt(min)).order(conversations::last_status_id.asc()),
        None => query.order(conversations::last_status_id.desc()),
    };
    let mut rows: Vec<Conversation> = query.limit(page.limit).load(conn).await?;
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

/// One of `account`'s conversations.
pub async fn get(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    id: i64,
) -> Result<Option<Conversation>, StoreError> {
    Ok(conversations::table
        .filter(conversations::domain_id.eq(tenant.0))
        .filter(conversations::account_id.eq(account.0))
        .filter(conversations::id.eq(id))
        .select(Conversation::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Marks one of `account`'s conversations read; whether it exists.
pub async fn mark_read(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    id: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        conversations::table
            .filter(conversations::domain_id.eq(tenant.0))
            .filter(conversations::account_id.eq(account.0))
            .filter(conversations::id.eq(id)),
    )
    .set(conversations::unread.eq(false))
    .execute(conn)
    .await?;
    Ok(n > 0)
}

/// Removes one of `account`'s conversations (a later message brings it back); whether it existed.
pub async fn remove(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    id: i64,
) -> Result<bool, StoreError> {
    let n = diesel::delete(
        conversations::table
            .filter(conversations::domain_id.eq(tenant.0))
            .filter(conversations::account_id.eq(account.0))
            .filter(conversations::id.eq(id)),
    )
    .execute(conn)
    .await?;
    Ok(n > 0)
}
