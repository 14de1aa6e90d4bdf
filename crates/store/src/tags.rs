//! Hashtags as things people act on: followed tags (their public posts enter
//! the follower's home) and featured tags (shown on a profile). Statuses name
//! their tags in `status_tags`; the `tags` table gives a name the id
//! Mastodon's entities carry. Rows of people name their tenant.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, StatusId, next_id};
use crate::page::Page;
use crate::relationships::{finish_page, page_filter};
use crate::schema::{featured_tags, tag_follows, tags};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::HashMap;

/// How many tags one person may feature (Mastodon's limit).
pub const MAX_FEATURED: i64 = 10;

/// The id of tag `name` (lower case), created if new.
pub async fn ensure(conn: &mut AsyncPgConnection, name: &str) -> Result<i64, StoreError> {
    diesel::insert_into(tags::table)
        .values((tags::id.eq(next_id()), tags::name.eq(name)))
        .on_conflict(tags::name)
        .do_nothing()
        .execute(conn)
        .await?;
    Ok(tags::table.filter(tags::name.eq(name)).select(tags::id).first(conn).await?)
}

/// What a viewer has done with a tag, for the Tag entity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagState {
    /// `None` for a tag nobody followed or featured yet.
    pub id: Option<i64>,
    pub following: bool,
    pub featuring: bool,
}

/// The state of each of `names` for `viewer` (none: ids only).
pub async fn states(
    conn: &mut AsyncPgConnection,
    viewer: Option<AccountId>,
    names: &[String],
) -> Result<HashMap<String, TagState>, StoreError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        following: bool,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        featuring: bool,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT t.id, t.name, \
           EXISTS (SELECT 1 FROM tag_follows f WHERE f.tag_id = t.id AND f.account_id = $2) AS following, \
           EXISTS (SELECT 1 FROM featured_tags ft WHERE ft.tag_id = t.id AND ft.account_id = $2) AS featuring \
         FROM tags t WHERE t.name = ANY($1)",
    )
    .bind::<Array<Text>, _>(names)
    .bind::<Nullable<BigInt>, _>(viewer.map(|v| v.0))
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.name, TagState { id: Some(r.id), following: r.following, featuring: r.featuring }))
        .collect())
}

pub async fn follow(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    tag: i64,
) -> Result<(), StoreError> {
    diesel::insert_into(tag_follows::table)
        .values((
            tag_follows::id.eq(next_id()),
            tag_follows::domain_id.eq(tenant.0),
            tag_follows::account_id.eq(account.0),
            tag_follows::tag_id.eq(tag),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn unfollow(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    name: &str,
) -> Result<(), StoreError> {
    let tag = tags::table.filter(tags::name.eq(name)).select(tags::id);
    diesel::delete(
        tag_follows::table
            .filter(tag_follows::domain_id.eq(tenant.0))
            .filter(tag_follows::account_id.eq(account.0))
            .filter(tag_follows::tag_id.eq_any(tag)),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Tags `account` follows as (follow id, tag name), newest first, paged by the follow's id.
pub async fn followed(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    page: Page,
) -> Result<Vec<(i64, String)>, StoreError> {
    let query = tag_follows::table
        .inner_join(tags::table)
        .filter(tag_follows::domain_id.eq(tenant.0))
        .filter(tag_follows::account_id.eq(account.0))
        .select((tag_follows::id, tags::name))
        .into_boxed();
    let query = page_filter!(query, tag_follows::id, page);
    Ok(finish_page(query.limit(page.limit).load(conn).await?, page))
}

/// Local accounts on `tenants` following any tag of `status`: whose home a public post enters.
pub async fn followers_of_status(
    conn: &mut AsyncPgConnection,
    tenants: &[i64],
    status: StatusId,
) -> Result<Vec<i64>, StoreError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        account_id: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT DISTINCT f.account_id FROM tag_follows f \
           JOIN tags t ON t.id = f.tag_id JOIN status_tags st ON st.name = t.name \
         WHERE st.status_id = $1 AND f.domain_id = ANY($2)",
    )
    .bind::<BigInt, _>(status.0)
    .bind::<Array<BigInt>, _>(tenants)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.account_id).collect())
}

/// A featured tag with the figures the FeaturedTag entity shows.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Featured {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    /// The owner's public and unlisted statuses with the tag.
    #[diesel(sql_type = BigInt)]
    pub statuses_count: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_status_at: Option<DateTime<Utc>>,
}

/// `account`'s featured tags on `tenant` (one of them with `only`), oldest first.
pub async fn featured(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    only: Option<i64>,
) -> Result<Vec<Featured>, StoreError> {
    Ok(diesel::sql_query(
        "SELECT ft.id, t.name, \
           (SELECT count(*) FROM statuses s JOIN status_tags st ON st.status_id = s.id \
              WHERE s.account_id = ft.account_id AND st.name = t.name \
                AND s.visibility IN ('public', 'unlisted') AND s.reblog_of_id IS NULL) AS statuses_count, \
           (SELECT max(s.created_at) FROM statuses s JOIN status_tags st ON st.status_id = s.id \
              WHERE s.account_id = ft.account_id AND st.name = t.name \
                AND s.visibility IN ('public', 'unlisted') AND s.reblog_of_id IS NULL) AS last_status_at \
         FROM featured_tags ft JOIN tags t ON t.id = ft.tag_id \
         WHERE ft.domain_id = $1 AND ft.account_id = $2 AND ($3::BIGINT IS NULL OR ft.id = $3) \
         ORDER BY ft.id ASC",
    )
    .bind::<BigInt, _>(tenant.0)
    .bind::<BigInt, _>(account.0)
    .bind::<Nullable<BigInt>, _>(only)
    .load(conn)
    .await?)
}

pub async fn featured_count(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
) -> Result<i64, StoreError> {
    Ok(featured_tags::table
        .filter(featured_tags::domain_id.eq(tenant.0))
        .filter(featured_tags::account_id.eq(account.0))
        .count()
        .get_result(conn)
        .await?)
}

/// Features a tag; the new row's id, or `None` when it was featured already.
pub async fn feature(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    tag: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(diesel::insert_into(featured_tags::table)
        .values((
            featured_tags::id.eq(next_id()),
            featured_tags::domain_id.eq(tenant.0),
            featured_tags::account_id.eq(account.0),
            featured_tags::tag_id.eq(tag),
        ))
        .on_conflict_do_nothing()
        .returning(featured_tags::id)
        .get_result(conn)
        .await
        .optional()?)
}

/// Removes one of `account`'s featured tags, by the row's id or by the tag's name; whether one went.
pub async fn unfeature(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    which: Unfeature<'_>,
) -> Result<bool, StoreError> {
    let mine = featured_tags::table
        .filter(featured_tags::domain_id.eq(tenant.0))
        .filter(featured_tags::account_id.eq(account.0));
    let n = match which {
        Unfeature::Id(id) => diesel::delete(mine.filter(featured_tags::id.eq(id))).execute(conn).await?,
        Unfeature::Name(name) => {
            let tag = tags::table.filter(tags::name.eq(name)).select(tags::id);
            diesel::delete(mine.filter(featured_tags::tag_id.eq_any(tag))).execute(conn).await?
        }
    };
    Ok(n > 0)
}

#[derive(Debug, Clone, Copy)]
pub enum Unfeature<'a> {
    Id(i64),
    Name(&'a str),
}

/// The tags `account` used most in their last 1000 statuses and does not feature yet, most used first.
pub async fn suggestions(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT st.name FROM status_tags st \
           JOIN (SELECT s.id FROM statuses s WHERE s.account_id = $2 AND s.domain_id = $1 \
                   AND s.reblog_of_id IS NULL ORDER BY s.id DESC LIMIT 1000) recent ON recent.id = st.status_id \
         WHERE NOT EXISTS (SELECT 1 FROM featured_tags ft JOIN tags t ON t.id = ft.tag_id \
                           WHERE ft.account_id = $2 AND t.name = st.name) \
         GROUP BY st.name ORDER BY count(*) DESC, st.name ASC LIMIT $3",
    )
    .bind::<BigInt, _>(tenant.0)
    .bind::<BigInt, _>(account.0)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

/// One day of a tag's use on a tenant, for the Tag entity's `history`.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Day {
    #[diesel(sql_type = Timestamptz)]
    pub day: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub uses: i64,
    #[diesel(sql_type = BigInt)]
    pub accounts: i64,
}

/// Uses of tag `name` in public statuses `tenant` received, per UTC day, over the last week (days with none left out).
pub async fn history(conn: &mut AsyncPgConnection, tenant: DomainId, name: &str) -> Result<Vec<Day>, StoreError> {
    Ok(diesel::sql_query(
        "SELECT date_trunc('day', s.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day, \
           count(*) AS uses, count(DISTINCT s.account_id) AS accounts \
         FROM status_tags st JOIN statuses s ON s.id = st.status_id \
         WHERE st.name = $2 AND s.visibility = 'public' AND s.reblog_of_id IS NULL \
           AND s.created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '6 days' \
           AND EXISTS (SELECT 1 FROM status_receipts r WHERE r.domain_id = $1 AND r.status_id = s.id) \
         GROUP BY 1",
    )
    .bind::<BigInt, _>(tenant.0)
    .bind::<Text, _>(name)
    .load(conn)
    .await?)
}
