//! Trends of one tenant, computed at read time from what it received lately:
//! hashtags by how many accounts used them, statuses by their favourites and
//! boosts, links by how many accounts shared them. Only public, original,
//! non-sensitive statuses count, and none by accounts this tenant suspended,
//! silenced or marked sensitive, or from servers it silenced.
//!
//! Bounded: the window is a range of `status_receipts`' primary key (ids are
//! time-ordered), capped at [`SCAN_LIMIT`] of the newest rows.

use crate::error::StoreError;
use crate::ids::{DomainId, StatusId};
use crate::schema::tenant_trends;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// Days of activity that make hashtag and link trends (and their history).
pub const TAG_DAYS: i64 = 7;
/// Days of activity that make status trends: a status trends while it is new.
pub const STATUS_DAYS: i64 = 2;
/// Fewest distinct accounts for a hashtag or link to trend (one person alone does not make a trend).
pub const MIN_ACCOUNTS: i64 = 2;
/// Fewest favourites and boosts for a status to trend.
pub const MIN_INTERACTIONS: i64 = 1;
/// At most this many of the newest statuses in the window are looked at.
pub const SCAN_LIMIT: i64 = 50_000;

/// Whether `tenant` shows trends (no row: yes, as Mastodon's default).
pub async fn enabled(conn: &mut AsyncPgConnection, tenant: DomainId) -> Result<bool, StoreError> {
    let found: Option<bool> = tenant_trends::table
        .filter(tenant_trends::domain_id.eq(tenant.0))
        .select(tenant_trends::enabled)
        .first(conn)
        .await
        .optional()?;
    Ok(found.unwrap_or(true))
}

pub async fn set_enabled(conn: &mut AsyncPgConnection, tenant: DomainId, enabled: bool) -> Result<(), StoreError> {
    diesel::insert_into(tenant_trends::table)
        .values((tenant_trends::domain_id.eq(tenant.0), tenant_trends::enabled.eq(enabled)))
        .on_conflict(tenant_trends::domain_id)
        .do_update()
        .set((tenant_trends::enabled.eq(enabled), tenant_trends::updated_at.eq(diesel::dsl::now)))
        .execute(conn)
        .await?;
    Ok(())
}

/// The smallest id made `days` ago: ids carry their creation time in milliseconds above 16 bits.
fn floor_id(days: i64) -> i64 {
    let ms = (Utc::now() - chrono::Duration::days(days)).timestamp_millis().max(0);
    ms << 16
}

/// `recent`: the newest statuses `$1` received since id `$2`, at most [`SCAN_LIMIT`].
fn recent_sql() -> String {
    format!(
        "recent AS (SELECT r.status_id FROM status_receipts r WHERE r.domain_id = $1 AND r.status_id >= $2 \
           ORDER BY r.status_id DESC LIMIT {SCAN_LIMIT})"
    )
}

/// The conditions on status `s` (and its author `a`) for counting in trends on tenant `$1`.
fn eligible_sql() -> String {
    format!(
        "s.visibility = 'public' AND s.reblog_of_id IS NULL AND NOT s.sensitive \
         AND {} AND {} AND {} \
         AND NOT EXISTS (SELECT 1 FROM account_moderation tm WHERE tm.domain_id = $1 \
             AND tm.account_id = s.account_id AND tm.sensitized_at IS NOT NULL)",
        crate::moderation::not_suspended_sql("s.account_id", "$1"),
        // With no viewer, nobody is exempt: silenced accounts and servers stay out.
        crate::moderation::not_silenced_sql("s.account_id", "$1", "NULL"),
        crate::domain_blocks::not_silenced_sql("s", "$1", "NULL"),
    )
}

#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
struct Named {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Trending hashtags (lower-case names), most accounts first.
pub async fn tags(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    limit: i64,
    offset: i64,
) -> Result<Vec<String>, StoreError> {
    let sql = format!(
        "WITH {} SELECT st.name FROM recent JOIN statuses s ON s.id = recent.status_id \
           JOIN status_tags st ON st.status_id = s.id \
         WHERE {} GROUP BY st.name HAVING count(DISTINCT s.account_id) >= {MIN_ACCOUNTS} \
         ORDER BY count(DISTINCT s.account_id) DESC, count(*) DESC, st.name ASC LIMIT $3 OFFSET $4",
        recent_sql(),
        eligible_sql()
    );
    let rows: Vec<Named> = diesel::sql_query(sql)
        .bind::<BigInt, _>(tenant.0)
        .bind::<BigInt, _>(floor_id(TAG_DAYS))
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
struct Scored {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Trending statuses (ids), most favourites and boosts first. Replies, posts
/// behind a content warning and authors who are not discoverable stay out, as
/// in Mastodon; the caller still reads each through `statuses::visible`.
pub async fn statuses(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    limit: i64,
    offset: i64,
) -> Result<Vec<StatusId>, StoreError> {
    let sql = format!(
        "WITH {}, scored AS (SELECT s.id, \
             (SELECT count(*) FROM favourites f WHERE f.status_id = s.id) \
             + (SELECT count(*) FROM statuses b WHERE b.reblog_of_id = s.id) AS score \
           FROM recent JOIN statuses s ON s.id = recent.status_id JOIN accounts a ON a.id = s.account_id \
           WHERE {} AND s.in_reply_to_id IS NULL AND s.spoiler_text = '' AND a.discoverable) \
         SELECT id FROM scored WHERE score >= {MIN_INTERACTIONS} ORDER BY score DESC, id DESC LIMIT $3 OFFSET $4",
        recent_sql(),
        eligible_sql()
    );
    let rows: Vec<Scored> = diesel::sql_query(sql)
        .bind::<BigInt, _>(tenant.0)
        .bind::<BigInt, _>(floor_id(STATUS_DAYS))
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|r| StatusId(r.id)).collect())
}

/// Trending links (`preview_cards` ids), most accounts first.
pub async fn links(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    limit: i64,
    offset: i64,
) -> Result<Vec<i64>, StoreError> {
    let sql = format!(
        "WITH {} SELECT pc.id FROM recent JOIN statuses s ON s.id = recent.status_id \
           JOIN status_cards sc ON sc.status_id = s.id JOIN preview_cards pc ON pc.id = sc.card_id \
         WHERE {} AND pc.fetched GROUP BY pc.id HAVING count(DISTINCT s.account_id) >= {MIN_ACCOUNTS} \
         ORDER BY count(DISTINCT s.account_id) DESC, count(*) DESC, pc.id DESC LIMIT $3 OFFSET $4",
        recent_sql(),
        eligible_sql()
    );
    let rows: Vec<Scored> = diesel::sql_query(sql)
        .bind::<BigInt, _>(tenant.0)
        .bind::<BigInt, _>(floor_id(TAG_DAYS))
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// One day of a link's sharing, for its `history`.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct LinkDay {
    #[diesel(sql_type = BigInt)]
    pub card_id: i64,
    #[diesel(sql_type = Timestamptz)]
    pub day: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub uses: i64,
    #[diesel(sql_type = BigInt)]
    pub accounts: i64,
}

/// Shares of these cards per UTC day over the trend window (days with none left out).
pub async fn link_history(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    cards: &[i64],
) -> Result<Vec<LinkDay>, StoreError> {
    if cards.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "WITH {} SELECT sc.card_id, date_trunc('day', s.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day, \
           count(*) AS uses, count(DISTINCT s.account_id) AS accounts \
         FROM recent JOIN statuses s ON s.id = recent.status_id JOIN status_cards sc ON sc.status_id = s.id \
         WHERE {} AND sc.card_id = ANY($3) GROUP BY 1, 2",
        recent_sql(),
        eligible_sql()
    );
    Ok(diesel::sql_query(sql)
        .bind::<BigInt, _>(tenant.0)
        .bind::<BigInt, _>(floor_id(TAG_DAYS))
        .bind::<Array<BigInt>, _>(cards)
        .load(conn)
        .await?)
}

/// The fetched cards with these ids, in no order.
pub async fn cards(conn: &mut AsyncPgConnection, ids: &[i64]) -> Result<Vec<crate::cards::PreviewCard>, StoreError> {
    use crate::schema::preview_cards;
    Ok(preview_cards::table
        .filter(preview_cards::id.eq_any(ids))
        .select(crate::cards::PreviewCard::as_select())
        .load(conn)
        .await?)
}
