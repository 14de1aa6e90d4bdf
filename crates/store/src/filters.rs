//! A person's content filters (Mastodon's filters v2, which v1 is built on):
//! a filter has a title, contexts, an action, an optional expiry, keywords
//! and statuses. Every function names the owning account, so one person can
//! never read or change another's filters.

use crate::error::StoreError;
use crate::ids::{AccountId, StatusId, next_id};
use crate::schema::{filter_keywords, filter_statuses, filters};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = filters)]
pub struct FilterRow {
    pub id: i64,
    pub account_id: i64,
    pub title: String,
    pub context: Vec<String>,
    pub filter_action: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = filter_keywords)]
pub struct Keyword {
    pub id: i64,
    pub filter_id: i64,
    pub keyword: String,
    pub whole_word: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = filter_statuses)]
pub struct FilterStatus {
    pub id: i64,
    pub filter_id: i64,
    pub status_id: StatusId,
}

/// A filter with its keywords and statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub row: FilterRow,
    pub keywords: Vec<Keyword>,
    pub statuses: Vec<FilterStatus>,
}

/// What a filter is made of (new or replacing the old values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterFields {
    pub title: String,
    pub context: Vec<String>,
    pub action: String,
    pub expires_at: Option<DateTime<Utc>>,
}

async fn assemble(conn: &mut AsyncPgConnection, rows: Vec<FilterRow>) -> Result<Vec<Filter>, StoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let keywords: Vec<Keyword> = filter_keywords::table
        .filter(filter_keywords::filter_id.eq_any(&ids))
        .order(filter_keywords::id.asc())
        .select(Keyword::as_select())
        .load(conn)
        .await?;
    let statuses: Vec<FilterStatus> = filter_statuses::table
        .filter(filter_statuses::filter_id.eq_any(&ids))
        .order(filter_statuses::id.asc())
        .select(FilterStatus::as_select())
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| Filter {
            keywords: keywords.iter().filter(|k| k.filter_id == row.id).cloned().collect(),
            statuses: statuses.iter().filter(|s| s.filter_id == row.id).cloned().collect(),
            row,
        })
        .collect())
}

/// All of `account`'s filters, expired ones too, oldest first.
pub async fn list(conn: &mut AsyncPgConnection, account: AccountId) -> Result<Vec<Filter>, StoreError> {
    let rows = filters::table
        .filter(filters::account_id.eq(account.0))
        .order(filters::id.asc())
        .select(FilterRow::as_select())
        .load(conn)
        .await?;
    assemble(conn, rows).await
}

/// `account`'s unexpired filters that apply in `context`.
pub async fn active(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    context: &str,
) -> Result<Vec<Filter>, StoreError> {
    let rows = filters::table
        .filter(filters::account_id.eq(account.0))
        .filter(filters::context.contains(vec![context.to_string()]))
        .filter(filters::expires_at.is_null().or(filters::expires_at.gt(diesel::dsl::now)))
        .order(filters::id.asc())
        .select(FilterRow::as_select())
        .load(conn)
        .await?;
    assemble(conn, rows).await
}

/// One of `account`'s filters.
pub async fn get(conn: &mut AsyncPgConnection, account: AccountId, id: i64) -> Result<Option<Filter>, StoreError> {
    let rows = filters::table
        .filter(filters::account_id.eq(account.0))
        .filter(filters::id.eq(id))
        .select(FilterRow::as_select())
        .load(conn)
        .await?;
    Ok(assemble(conn, rows).await?.into_iter().next())
}

/// Creates a filter with its keywords (keyword, whole word).
pub async fn create(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    fields: &FilterFields,
    keywords: &[(String, bool)],
) -> Result<i64, StoreError> {
    let id = next_id();
    diesel::insert_into(filters::table)
        .values((
            filters::id.eq(id),
            filters::account_id.eq(account.0),
            filters::title.eq(&fields.title),
            filters::context.eq(&fields.context),
            filters::filter_action.eq(&fields.action),
            filters::expires_at.eq(fields.expires_at),
        ))
        .execute(conn)
        .await?;
    for (keyword, whole_word) in keywords {
        add_keyword(conn, id, keyword, *whole_word).await?;
    }
    Ok(id)
}

/// Replaces a filter's fields; whether it is `account`'s.
pub async fn update(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    id: i64,
    fields: &FilterFields,
) -> Result<bool, StoreError> {
    let n = diesel::update(filters::table.filter(filters::account_id.eq(account.0)).filter(filters::id.eq(id)))
        .set((
            filters::title.eq(&fields.title),
            filters::context.eq(&fields.context),
            filters::filter_action.eq(&fields.action),
            filters::expires_at.eq(fields.expires_at),
            filters::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(n > 0)
}

/// Deletes a filter (its keywords and statuses go with it); whether it was `account`'s.
pub async fn delete(conn: &mut AsyncPgConnection, account: AccountId, id: i64) -> Result<bool, StoreError> {
    let n = diesel::delete(filters::table.filter(filters::account_id.eq(account.0)).filter(filters::id.eq(id)))
        .execute(conn)
        .await?;
    Ok(n > 0)
}

/// Adds a keyword to a filter the caller checked is theirs.
pub async fn add_keyword(
    conn: &mut AsyncPgConnection,
    filter: i64,
    keyword: &str,
    whole_word: bool,
) -> Result<Keyword, StoreError> {
    Ok(diesel::insert_into(filter_keywords::table)
        .values((
            filter_keywords::id.eq(next_id()),
            filter_keywords::filter_id.eq(filter),
            filter_keywords::keyword.eq(keyword),
            filter_keywords::whole_word.eq(whole_word),
        ))
        .returning(Keyword::as_returning())
        .get_result(conn)
        .await?)
}

/// A keyword of one of `account`'s filters.
pub async fn keyword(conn: &mut AsyncPgConnection, account: AccountId, id: i64) -> Result<Option<Keyword>, StoreError> {
    Ok(filter_keywords::table
        .inner_join(filters::table)
        .filter(filters::account_id.eq(account.0))
        .filter(filter_keywords::id.eq(id))
        .select(Keyword::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The ids of `account`'s filters: every write to a filter's parts names its owner.
fn filters_of(account: AccountId) -> filters::BoxedQuery<'static, diesel::pg::Pg, diesel::sql_types::BigInt> {
    filters::table.filter(filters::account_id.eq(account.0)).select(filters::id).into_boxed()
}

/// Changes keyword `id` of one of `account`'s filters (an error when there is none).
pub async fn update_keyword(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    id: i64,
    keyword: &str,
    whole_word: bool,
) -> Result<Keyword, StoreError> {
    Ok(diesel::update(
        filter_keywords::table
            .filter(filter_keywords::id.eq(id))
            .filter(filter_keywords::filter_id.eq_any(filters_of(account))),
    )
    .set((filter_keywords::keyword.eq(keyword), filter_keywords::whole_word.eq(whole_word)))
    .returning(Keyword::as_returning())
    .get_result(conn)
    .await?)
}

/// Removes keyword `id` of one of `account`'s filters (nothing when there is none).
pub async fn delete_keyword(conn: &mut AsyncPgConnection, account: AccountId, id: i64) -> Result<(), StoreError> {
    diesel::delete(
        filter_keywords::table
            .filter(filter_keywords::id.eq(id))
            .filter(filter_keywords::filter_id.eq_any(filters_of(account))),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces all of a filter's keywords (the web form edits them as one list).
pub async fn replace_keywords(
    conn: &mut AsyncPgConnection,
    filter: i64,
    keywords: &[(String, bool)],
) -> Result<(), StoreError> {
    diesel::delete(filter_keywords::table.filter(filter_keywords::filter_id.eq(filter))).execute(conn).await?;
    for (keyword, whole_word) in keywords {
        add_keyword(conn, filter, keyword, *whole_word).await?;
    }
    Ok(())
}

/// Adds a status to a filter the caller checked is theirs.
pub async fn add_status(
    conn: &mut AsyncPgConnection,
    filter: i64,
    status: StatusId,
) -> Result<FilterStatus, StoreError> {
    Ok(diesel::insert_into(filter_statuses::table)
        .values((
            filter_statuses::id.eq(next_id()),
            filter_statuses::filter_id.eq(filter),
            filter_statuses::status_id.eq(status),
        ))
        .on_conflict((filter_statuses::filter_id, filter_statuses::status_id))
        .do_update()
        .set(filter_statuses::filter_id.eq(filter))
        .returning(FilterStatus::as_returning())
        .get_result(conn)
        .await?)
}

/// A status entry of one of `account`'s filters.
pub async fn status_entry(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    id: i64,
) -> Result<Option<FilterStatus>, StoreError> {
    Ok(filter_statuses::table
        .inner_join(filters::table)
        .filter(filters::account_id.eq(account.0))
        .filter(filter_statuses::id.eq(id))
        .select(FilterStatus::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Removes status entry `id` of one of `account`'s filters (nothing when there is none).
pub async fn delete_status_entry(conn: &mut AsyncPgConnection, account: AccountId, id: i64) -> Result<(), StoreError> {
    diesel::delete(
        filter_statuses::table
            .filter(filter_statuses::id.eq(id))
            .filter(filter_statuses::filter_id.eq_any(filters_of(account))),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Every keyword of `account`'s filters with its filter (Mastodon's v1 filters are keywords).
pub async fn keywords_of(
    conn: &mut AsyncPgConnection,
    account: AccountId,
) -> Result<Vec<(Keyword, FilterRow)>, StoreError> {
    Ok(filter_keywords::table
        .inner_join(filters::table)
        .filter(filters::account_id.eq(account.0))
        .order(filter_keywords::id.asc())
        .select((Keyword::as_select(), FilterRow::as_select()))
        .load(conn)
        .await?)
}
