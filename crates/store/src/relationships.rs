//! Follows, blocks, mutes, and which accounts a tenant knows.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, next_id};
use crate::page::Page;
use crate::schema::{blocks, follows, known_accounts, mutes};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowState {
    Requested,
    Accepted,
}

impl FollowState {
    fn as_str(self) -> &'static str {
        match self {
            FollowState::Requested => "requested",
            FollowState::Accepted => "accepted",
        }
    }
}

/// Records that `tenant` knows `accounts` (idempotent).
pub async fn make_known(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    accounts: &[AccountId],
) -> Result<(), StoreError> {
    let rows: Vec<_> =
        accounts.iter().map(|a| (known_accounts::domain_id.eq(tenant.0), known_accounts::account_id.eq(a.0))).collect();
    diesel::insert_into(known_accounts::table).values(rows).on_conflict_do_nothing().execute(conn).await?;
    Ok(())
}

/// Creates or updates a follow; returns its state.
pub async fn upsert_follow(
    conn: &mut AsyncPgConnection,
    follower: AccountId,
    target: AccountId,
    state: FollowState,
    show_reblogs: bool,
    notify: bool,
) -> Result<FollowState, StoreError> {
    let stored: String = diesel::insert_into(follows::table)
        .values((
            follows::id.eq(next_id()),
            follows::account_id.eq(follower.0),
            follows::target_account_id.eq(target.0),
            follows::state.eq(state.as_str()),
            follows::show_reblogs.eq(show_reblogs),
            follows::notify.eq(notify),
        ))
        .on_conflict((follows::account_id, follows::target_account_id))
        .do_update()
        .set((follows::show_reblogs.eq(show_reblogs), follows::notify.eq(notify)))
        .returning(follows::state)
        .get_result(conn)
        .await?;
    Ok(if stored == "accepted" { FollowState::Accepted } else { FollowState::Requested })
}

pub async fn follow_state(
    conn: &mut AsyncPgConnection,
    follower: AccountId,
    target: AccountId,
) -> Result<Option<FollowState>, StoreError> {
    let state: Option<String> = follows::table
        .filter(follows::account_id.eq(follower.0))
        .filter(follows::target_account_id.eq(target.0))
        .select(follows::state)
        .first(conn)
        .await
        .optional()?;
    Ok(state.map(|s| if s == "accepted" { FollowState::Accepted } else { FollowState::Requested }))
}

/// Removes a follow or follow request; whether one existed.
pub async fn remove_follow(
    conn: &mut AsyncPgConnection,
    follower: AccountId,
    target: AccountId,
) -> Result<bool, StoreError> {
    let n = diesel::delete(
        follows::table.filter(follows::account_id.eq(follower.0)).filter(follows::target_account_id.eq(target.0)),
    )
    .execute(conn)
    .await?;
    Ok(n > 0)
}

/// Accepts a pending request; whether there was one.
pub async fn accept_follow(
    conn: &mut AsyncPgConnection,
    follower: AccountId,
    target: AccountId,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        follows::table
            .filter(follows::account_id.eq(follower.0))
            .filter(follows::target_account_id.eq(target.0))
            .filter(follows::state.eq("requested")),
    )
    .set(follows::state.eq("accepted"))
    .execute(conn)
    .await?;
    Ok(n > 0)
}

/// Accounts following `target` (accepted), or requesting to, newest first, paged by follow id.
pub async fn followers(
    conn: &mut AsyncPgConnection,
    target: AccountId,
    state: FollowState,
    page: Page,
) -> Result<Vec<(i64, AccountId)>, StoreError> {
    let mut query = follows::table
        .filter(follows::target_account_id.eq(target.0))
        .filter(follows::state.eq(state.as_str()))
        .select((follows::id, follows::account_id))
        .into_boxed();
    query = page_filter!(query, follows::id, page);
    let rows: Vec<(i64, i64)> = query.limit(page.limit).load(conn).await?;
    Ok(finish_page(rows, page).into_iter().map(|(id, a)| (id, AccountId(a))).collect())
}

/// Accounts `follower` follows (accepted), newest first, paged by follow id.
pub async fn following(
    conn: &mut AsyncPgConnection,
    follower: AccountId,
    page: Page,
) -> Result<Vec<(i64, AccountId)>, StoreError> {
    let mut query = follows::table
        .filter(follows::account_id.eq(follower.0))
        .filter(follows::state.eq("accepted"))
        .select((follows::id, follows::target_account_id))
        .into_boxed();
    query = page_filter!(query, follows::id, page);
    let rows: Vec<(i64, i64)> = query.limit(page.limit).load(conn).await?;
    Ok(finish_page(rows, page).into_iter().map(|(id, a)| (id, AccountId(a))).collect())
}

pub(crate) fn finish_page<T>(mut rows: Vec<T>, page: Page) -> Vec<T> {
    if page.ascending() {
        rows.reverse();
    }
    rows
}

/// Applies a [`Page`] to a boxed query ordered by `$column`.
macro_rules! page_filter {
    ($query:expr, $column:expr, $page:expr) => {{
        let mut q = $query;
        if let Some(max) = $page.max_id {
            q = q.filter($column.lt(max));
        }
        if let Some(since) = $page.since_id {
            q = q.filter($column.gt(since));
        }
        if let Some(min) = $page.min_id {
            q = q.filter($column.gt(min)).order($column.asc());
        } else {
            q = q.order($column.desc());
        }
        q
    }};
}
pub(crate) use page_filter;

/// Follower and following counts (accepted follows only).
pub async fn follow_counts(conn: &mut AsyncPgConnection, account: AccountId) -> Result<(i64, i64), StoreError> {
    let followers: i64 = follows::table
        .filter(follows::target_account_id.eq(account.0))
        .filter(follows::state.eq("accepted"))
        .count()
        .get_result(conn)
        .await?;
    let following: i64 = follows::table
        .filter(follows::account_id.eq(account.0))
        .filter(follows::state.eq("accepted"))
        .count()
        .get_result(conn)
        .await?;
    Ok((followers, following))
}

pub async fn block(conn: &mut AsyncPgConnection, account: AccountId, target: AccountId) -> Result<(), StoreError> {
    diesel::insert_into(blocks::table)
        .values((blocks::id.eq(next_id()), blocks::account_id.eq(account.0), blocks::target_account_id.eq(target.0)))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn unblock(conn: &mut AsyncPgConnection, account: AccountId, target: AccountId) -> Result<(), StoreError> {
    diesel::delete(
        blocks::table.filter(blocks::account_id.eq(account.0)).filter(blocks::target_account_id.eq(target.0)),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether either account blocks the other.
pub async fn blocked_either_way(conn: &mut AsyncPgConnection, a: AccountId, b: AccountId) -> Result<bool, StoreError> {
    let n: i64 = blocks::table
        .filter(
            (blocks::account_id.eq(a.0).and(blocks::target_account_id.eq(b.0)))
                .or(blocks::account_id.eq(b.0).and(blocks::target_account_id.eq(a.0))),
        )
        .count()
        .get_result(conn)
        .await?;
    Ok(n > 0)
}

pub async fn mute(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    target: AccountId,
    hide_notifications: bool,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), StoreError> {
    diesel::insert_into(mutes::table)
        .values((
            mutes::id.eq(next_id()),
            mutes::account_id.eq(account.0),
            mutes::target_account_id.eq(target.0),
            mutes::hide_notifications.eq(hide_notifications),
            mutes::expires_at.eq(expires_at),
        ))
        .on_conflict((mutes::account_id, mutes::target_account_id))
        .do_update()
        .set((mutes::hide_notifications.eq(hide_notifications), mutes::expires_at.eq(expires_at)))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn unmute(conn: &mut AsyncPgConnection, account: AccountId, target: AccountId) -> Result<(), StoreError> {
    diesel::delete(mutes::table.filter(mutes::account_id.eq(account.0)).filter(mutes::target_account_id.eq(target.0)))
        .execute(conn)
        .await?;
    Ok(())
}

/// The Relationship entity's facts between a viewer and one account.
#[derive(Debug, Clone, Default, diesel::QueryableByName)]
pub struct Relationship {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub following: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub showing_reblogs: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub notifying: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub followed_by: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub blocking: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub blocked_by: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub muting: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub muting_notifications: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub requested: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub requested_by: bool,
    /// The viewer blocked the target's server (`account_domain_blocks`).
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub domain_blocking: bool,
    /// When the viewer's mute of the target ends (none: never, or not muted).
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    pub muting_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The viewer features the target on their profile (`account_endorsements`).
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub endorsed: bool,
    /// The viewer's private note on the target (`account_notes`), or empty.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub note: String,
}

pub async fn relationships(
    conn: &mut AsyncPgConnection,
    viewer: AccountId,
    targets: &[i64],
) -> Result<Vec<Relationship>, StoreError> {
    use diesel::sql_types::{Array, BigInt};
    Ok(diesel::sql_query(format!(
        "SELECT t.id, \
           EXISTS (SELECT 1 FROM follows f WHERE f.account_id = $1 AND f.target_account_id = t.id AND f.state = 'accepted') AS following, \
           COALESCE((SELECT f.show_reblogs FROM follows f WHERE f.account_id = $1 AND f.target_account_id = t.id), false) AS showing_reblogs, \
           COALESCE((SELECT f.notify FROM follows f WHERE f.account_id = $1 AND f.target_account_id = t.id), false) AS notifying, \
           EXISTS (SELECT 1 FROM follows f WHERE f.account_id = t.id AND f.target_account_id = $1 AND f.state = 'accepted') AS followed_by, \
           EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = $1 AND b.target_account_id = t.id) AS blocking, \
           EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = t.id AND b.target_account_id = $1) AS blocked_by, \
           EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = $1 AND m.target_account_id = t.id AND (m.expires_at IS NULL OR m.expires_at > now())) AS muting, \
           EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = $1 AND m.target_account_id = t.id AND m.hide_notifications AND (m.expires_at IS NULL OR m.expires_at > now())) AS muting_notifications, \
           EXISTS (SELECT 1 FROM follows f WHERE f.account_id = $1 AND f.target_account_id = t.id AND f.state = 'requested') AS requested, \
           EXISTS (SELECT 1 FROM follows f WHERE f.account_id = t.id AND f.target_account_id = $1 AND f.state = 'requested') AS requested_by, \
           NOT {} AS domain_blocking, \
           (SELECT m.expires_at FROM mutes m WHERE m.account_id = $1 AND m.target_account_id = t.id \
              AND m.expires_at > now()) AS muting_expires_at, \
           EXISTS (SELECT 1 FROM account_endorsements e WHERE e.account_id = $1 AND e.target_account_id = t.id) AS endorsed, \
           COALESCE((SELECT n.comment FROM account_notes n WHERE n.account_id = $1 AND n.target_account_id = t.id), '') AS note \
         FROM unnest($2::bigint[]) AS t(id)",
        crate::account_domain_blocks::account_not_blocked_sql("t.id", "$1")
    ))
    .bind::<BigInt, _>(viewer.0)
    .bind::<Array<BigInt>, _>(targets)
    .load(conn)
    .await?)
}

/// (block id, blocked account) of `account`'s blocks, or mutes, newest first.
pub async fn blocks_of(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    page: Page,
) -> Result<Vec<(i64, AccountId)>, StoreError> {
    let query = blocks::table
        .filter(blocks::account_id.eq(account.0))
        .select((blocks::id, blocks::target_account_id))
        .into_boxed();
    let query = page_filter!(query, blocks::id, page);
    let rows: Vec<(i64, i64)> = query.limit(page.limit).load(conn).await?;
    Ok(finish_page(rows, page).into_iter().map(|(id, a)| (id, AccountId(a))).collect())
}

/// When each of `account`'s unexpired mutes of `targets` ends, for those that end.
pub async fn mute_expiries(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    targets: &[i64],
) -> Result<std::collections::HashMap<i64, chrono::DateTime<chrono::Utc>>, StoreError> {
    let rows: Vec<(i64, Option<chrono::DateTime<chrono::Utc>>)> = mutes::table
        .filter(mutes::account_id.eq(account.0))
        .filter(mutes::target_account_id.eq_any(targets))
        .filter(mutes::expires_at.gt(diesel::dsl::now))
        .select((mutes::target_account_id, mutes::expires_at))
        .load(conn)
        .await?;
    Ok(rows.into_iter().filter_map(|(target, at)| at.map(|at| (target, at))).collect())
}

pub async fn mutes_of(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    page: Page,
) -> Result<Vec<(i64, AccountId)>, StoreError> {
    let query = mutes::table
        .filter(mutes::account_id.eq(account.0))
        .filter(mutes::expires_at.is_null().or(mutes::expires_at.gt(diesel::dsl::now)))
        .select((mutes::id, mutes::target_account_id))
        .into_boxed();
    let query = page_filter!(query, mutes::id, page);
    let rows: Vec<(i64, i64)> = query.limit(page.limit).load(conn).await?;
    Ok(finish_page(rows, page).into_iter().map(|(id, a)| (id, AccountId(a))).collect())
}

/// Keeps the id of the Follow activity a follow came from (or went out as).
pub async fn set_follow_uri(
    conn: &mut AsyncPgConnection,
    follower: AccountId,
    target: AccountId,
    uri: &str,
) -> Result<(), StoreError> {
    diesel::update(follows::table)
        .filter(follows::account_id.eq(follower.0))
        .filter(follows::target_account_id.eq(target.0))
        .set(follows::uri.eq(uri))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn follow_uri(
    conn: &mut AsyncPgConnection,
    follower: AccountId,
    target: AccountId,
) -> Result<Option<String>, StoreError> {
    let uri: Option<Option<String>> = follows::table
        .filter(follows::account_id.eq(follower.0))
        .filter(follows::target_account_id.eq(target.0))
        .select(follows::uri)
        .first(conn)
        .await
        .optional()?;
    Ok(uri.flatten())
}
