//! Link preview cards: one row per URL (`preview_cards`, fetched or failed,
//! kept as a cache) and each status's first link (`status_cards`), a queue
//! the cards worker claims (`FOR UPDATE SKIP LOCKED`, with a lease). Cards
//! are public pages, not tenant data, and hang off statuses like remote
//! attachments: callers read them only for statuses the reader already sees.

use crate::error::StoreError;
use crate::ids::{StatusId, next_id};
use crate::schema::{preview_cards, status_cards};
use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::collections::HashMap;

/// How long a claim holds a status's row (longer than a fetch may take).
pub const LEASE: TimeDelta = TimeDelta::minutes(5);
/// Claims before a status is left without a card.
pub const MAX_ATTEMPTS: i32 = 3;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = preview_cards)]
pub struct PreviewCard {
    pub id: i64,
    pub url: String,
    /// False for a page that could not be fetched or had nothing to show.
    pub fetched: bool,
    pub card_type: String,
    pub title: String,
    pub description: String,
    pub image_url: Option<String>,
    pub image_description: String,
    pub width: i32,
    pub height: i32,
    pub author_name: String,
    pub author_url: String,
    pub provider_name: String,
    pub provider_url: String,
    pub language: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub fetched_at: DateTime<Utc>,
}

/// What a page said about itself.
#[derive(Debug, Clone, Default, PartialEq, Insertable, AsChangeset)]
#[diesel(table_name = preview_cards)]
pub struct CardFields {
    pub card_type: String,
    pub title: String,
    pub description: String,
    pub image_url: Option<String>,
    pub image_description: String,
    pub width: i32,
    pub height: i32,
    pub author_name: String,
    pub author_url: String,
    pub provider_name: String,
    pub provider_url: String,
    pub language: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
}

/// Queues the card of `status` for its first link `url` (once: a later call does nothing).
pub async fn enqueue(conn: &mut AsyncPgConnection, status: StatusId, url: &str) -> Result<(), StoreError> {
    diesel::insert_into(status_cards::table)
        .values((status_cards::status_id.eq(status), status_cards::url.eq(url)))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// A status whose card is to be fetched, claimed.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub status_id: StatusId,
    pub url: String,
    /// Including this one.
    pub attempts: i32,
}

/// Claims the oldest pending status no live claim holds.
pub async fn claim(conn: &mut AsyncPgConnection) -> Result<Option<Claimed>, StoreError> {
    conn.transaction(async |conn| -> Result<Option<Claimed>, StoreError> {
        let now = Utc::now();
        let found: Option<StatusId> = status_cards::table
            .filter(status_cards::pending.eq(true))
            .filter(status_cards::locked_until.is_null().or(status_cards::locked_until.le(now)))
            .order(status_cards::status_id.asc())
            .select(status_cards::status_id)
            .limit(1)
            .for_update()
            .skip_locked()
            .first(conn)
            .await
            .optional()?;
        let Some(status_id) = found else { return Ok(None) };
        let (url, attempts) = diesel::update(status_cards::table.filter(status_cards::status_id.eq(status_id)))
            .set((status_cards::attempts.eq(status_cards::attempts + 1), status_cards::locked_until.eq(now + LEASE)))
            .returning((status_cards::url, status_cards::attempts))
            .get_result::<(String, i32)>(conn)
            .await?;
        Ok(Some(Claimed { status_id, url, attempts }))
    })
    .await
}

/// The cached card of `url` if it was fetched (or failed) after `since`.
pub async fn cached(
    conn: &mut AsyncPgConnection,
    url: &str,
    since: DateTime<Utc>,
) -> Result<Option<PreviewCard>, StoreError> {
    Ok(preview_cards::table
        .filter(preview_cards::url.eq(url))
        .filter(preview_cards::fetched_at.gt(since))
        .select(PreviewCard::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Stores what was found at `url` (`None`: nothing to show), replacing what was cached.
pub async fn store(
    conn: &mut AsyncPgConnection,
    url: &str,
    fields: Option<&CardFields>,
) -> Result<PreviewCard, StoreError> {
    let empty = CardFields { card_type: "link".into(), ..CardFields::default() };
    let fields = fields.unwrap_or(&empty);
    let fetched = fields != &empty;
    Ok(diesel::insert_into(preview_cards::table)
        .values((
            preview_cards::id.eq(next_id()),
            preview_cards::url.eq(url),
            preview_cards::fetched.eq(fetched),
            fields,
        ))
        .on_conflict(preview_cards::url)
        .do_update()
        .set((preview_cards::fetched.eq(fetched), preview_cards::fetched_at.eq(Utc::now()), fields))
        .returning(PreviewCard::as_returning())
        .get_result(conn)
        .await?)
}

/// Gives `status` its card (or none) and takes it off the queue.
pub async fn settle(conn: &mut AsyncPgConnection, status: StatusId, card: Option<i64>) -> Result<(), StoreError> {
    diesel::update(status_cards::table.filter(status_cards::status_id.eq(status)))
        .set((
            status_cards::card_id.eq(card),
            status_cards::pending.eq(false),
            status_cards::locked_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// A failed attempt: tried again at `retry_at`, or settled without a card after [`MAX_ATTEMPTS`].
pub async fn attempt_failed(
    conn: &mut AsyncPgConnection,
    status: StatusId,
    attempts: i32,
    retry_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    if attempts >= MAX_ATTEMPTS {
        return settle(conn, status, None).await;
    }
    diesel::update(status_cards::table.filter(status_cards::status_id.eq(status)))
        .set(status_cards::locked_until.eq(retry_at))
        .execute(conn)
        .await?;
    Ok(())
}

/// The cards (fetched ones only) of these statuses.
pub async fn for_statuses(
    conn: &mut AsyncPgConnection,
    ids: &[StatusId],
) -> Result<HashMap<StatusId, PreviewCard>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(StatusId, PreviewCard)> = status_cards::table
        .inner_join(preview_cards::table)
        .filter(status_cards::status_id.eq_any(ids))
        .filter(preview_cards::fetched.eq(true))
        .select((status_cards::status_id, PreviewCard::as_select()))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}
