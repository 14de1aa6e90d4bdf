//! A person's lists: named sets of accounts they follow, each with its own
//! timeline (`statuses::Feed::List`). Every read names the tenant and the
//! owner, so a list is never reachable by anyone else; a member row points
//! at the owner's follow and goes with it.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, next_id};
use crate::page::Page;
use crate::relationships::{finish_page, page_filter};
use crate::schema::{follows, list_accounts, lists};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// How many lists one person may have (Mastodon's limit).
pub const MAX_LISTS: i64 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = lists)]
pub struct List {
    pub id: i64,
    pub domain_id: i64,
    pub account_id: i64,
    pub title: String,
    pub replies_policy: String,
    pub exclusive: bool,
    pub created_at: DateTime<Utc>,
}

/// What a list is made of (new, or replacing the old values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFields {
    pub title: String,
    pub replies_policy: String,
    pub exclusive: bool,
}

/// `owner`'s lists on `tenant`, oldest first.
pub async fn of(conn: &mut AsyncPgConnection, tenant: DomainId, owner: AccountId) -> Result<Vec<List>, StoreError> {
    Ok(lists::table
        .filter(lists::domain_id.eq(tenant.0))
        .filter(lists::account_id.eq(owner.0))
        .order(lists::id.asc())
        .select(List::as_select())
        .load(conn)
        .await?)
}

/// One of `owner`'s lists.
pub async fn get(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    owner: AccountId,
    id: i64,
) -> Result<Option<List>, StoreError> {
    Ok(lists::table
        .filter(lists::domain_id.eq(tenant.0))
        .filter(lists::account_id.eq(owner.0))
        .filter(lists::id.eq(id))
        .select(List::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn count(conn: &mut AsyncPgConnection, tenant: DomainId, owner: AccountId) -> Result<i64, StoreError> {
    Ok(lists::table
        .filter(lists::domain_id.eq(tenant.0))
        .filter(lists::account_id.eq(owner.0))
        .count()
        .get_result(conn)
        .await?)
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    owner: AccountId,
    fields: &ListFields,
) -> Result<List, StoreError> {
    Ok(diesel::insert_into(lists::table)
        .values((
            lists::id.eq(next_id()),
            lists::domain_id.eq(tenant.0),
            lists::account_id.eq(owner.0),
            lists::title.eq(&fields.title),
            lists::replies_policy.eq(&fields.replies_policy),
            lists::exclusive.eq(fields.exclusive),
        ))
        .returning(List::as_returning())
        .get_result(conn)
        .await?)
}

/// Replaces a list's fields; `None` when `owner` has no such list.
pub async fn update(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    owner: AccountId,
    id: i64,
    fields: &ListFields,
) -> Result<Option<List>, StoreError> {
    Ok(diesel::update(
        lists::table
            .filter(lists::domain_id.eq(tenant.0))
            .filter(lists::account_id.eq(owner.0))
            .filter(lists::id.eq(id)),
    )
    .set((
        lists::title.eq(&fields.title),
        lists::replies_policy.eq(&fields.replies_policy),
        lists::exclusive.eq(fields.exclusive),
    ))
    .returning(List::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

/// Deletes one of `owner`'s lists (its members go with it); whether there was one.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    owner: AccountId,
    id: i64,
) -> Result<bool, StoreError> {
    let n = diesel::delete(
        lists::table
            .filter(lists::domain_id.eq(tenant.0))
            .filter(lists::account_id.eq(owner.0))
            .filter(lists::id.eq(id)),
    )
    .execute(conn)
    .await?;
    Ok(n > 0)
}

/// Members of a list (the caller checked it is the viewer's), paged by account id
/// as Mastodon pages them; `None` for the page means all of them.
pub async fn members(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    list: i64,
    page: Option<Page>,
) -> Result<Vec<AccountId>, StoreError> {
    let query = list_accounts::table
        .filter(list_accounts::domain_id.eq(tenant.0))
        .filter(list_accounts::list_id.eq(list))
        .select(list_accounts::account_id)
        .into_boxed();
    let rows: Vec<i64> = match page {
        None => query.order(list_accounts::account_id.asc()).load(conn).await?,
        Some(page) => {
            let query = page_filter!(query, list_accounts::account_id, page);
            finish_page(query.limit(page.limit).load(conn).await?, page)
        }
    };
    Ok(rows.into_iter().map(AccountId).collect())
}

/// The follow (accepted or requested) of `owner` to `target`, which a membership hangs on.
pub async fn follow_of(
    conn: &mut AsyncPgConnection,
    owner: AccountId,
    target: AccountId,
) -> Result<Option<i64>, StoreError> {
    Ok(follows::table
        .filter(follows::account_id.eq(owner.0))
        .filter(follows::target_account_id.eq(target.0))
        .select(follows::id)
        .first(conn)
        .await
        .optional()?)
}

/// Whether `account` is on `list` already.
pub async fn is_member(conn: &mut AsyncPgConnection, list: i64, account: AccountId) -> Result<bool, StoreError> {
    let n: i64 = list_accounts::table
        .filter(list_accounts::list_id.eq(list))
        .filter(list_accounts::account_id.eq(account.0))
        .count()
        .get_result(conn)
        .await?;
    Ok(n > 0)
}

pub async fn add_member(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    list: i64,
    account: AccountId,
    follow: i64,
) -> Result<(), StoreError> {
    diesel::insert_into(list_accounts::table)
        .values((
            list_accounts::id.eq(next_id()),
            list_accounts::domain_id.eq(tenant.0),
            list_accounts::list_id.eq(list),
            list_accounts::account_id.eq(account.0),
            list_accounts::follow_id.eq(follow),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn remove_members(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    list: i64,
    accounts: &[AccountId],
) -> Result<(), StoreError> {
    let ids: Vec<i64> = accounts.iter().map(|a| a.0).collect();
    diesel::delete(
        list_accounts::table
            .filter(list_accounts::domain_id.eq(tenant.0))
            .filter(list_accounts::list_id.eq(list))
            .filter(list_accounts::account_id.eq_any(ids)),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// `owner`'s lists that `member` is on.
pub async fn containing(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    owner: AccountId,
    member: AccountId,
) -> Result<Vec<List>, StoreError> {
    Ok(lists::table
        .inner_join(list_accounts::table)
        .filter(lists::domain_id.eq(tenant.0))
        .filter(lists::account_id.eq(owner.0))
        .filter(list_accounts::account_id.eq(member.0))
        .order(lists::id.asc())
        .select(List::as_select())
        .load(conn)
        .await?)
}

/// SQL: "the author `author` is on none of the viewer's exclusive lists" (home leaves them out).
pub fn not_in_exclusive_list_sql(author: &str, viewer: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM list_accounts xla JOIN lists xl ON xl.id = xla.list_id \
           WHERE xl.account_id = {viewer} AND xl.exclusive AND xla.account_id = {author})"
    )
}

/// SQL for a list's timeline, status `s`: list `list` is the viewer's on the tenant, the
/// author is a member the viewer still follows (their boosts only if the follow shows
/// boosts), and a reply to someone else shows as the list's replies policy says:
/// `followed` (someone the viewer follows), `list` (a member), `none` (only the viewer).
pub fn list_feed_sql(tenant: &str, viewer: &str, list: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM lists l WHERE l.id = {list} AND l.domain_id = {tenant} AND l.account_id = {viewer}) \
         AND EXISTS (SELECT 1 FROM list_accounts la JOIN follows lf ON lf.id = la.follow_id \
             WHERE la.list_id = {list} AND la.account_id = s.account_id AND lf.state = 'accepted' \
               AND (s.reblog_of_id IS NULL OR lf.show_reblogs)) \
         AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id \
             OR s.in_reply_to_account_id = {viewer} \
             OR ((SELECT l2.replies_policy FROM lists l2 WHERE l2.id = {list}) = 'followed' \
                 AND EXISTS (SELECT 1 FROM follows rf WHERE rf.account_id = {viewer} \
                     AND rf.target_account_id = s.in_reply_to_account_id AND rf.state = 'accepted')) \
             OR ((SELECT l3.replies_policy FROM lists l3 WHERE l3.id = {list}) = 'list' \
                 AND EXISTS (SELECT 1 FROM list_accounts rla WHERE rla.list_id = {list} \
                     AND rla.account_id = s.in_reply_to_account_id)))"
    )
}
