//! Scheduled statuses: a person's posts waiting for their time, and the media
//! each one reserves. Every read names the tenant and the account; the
//! scheduler alone claims due rows across tenants (`FOR UPDATE SKIP LOCKED`,
//! so two nodes never take the same row).

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, MediaId, next_id};
use crate::page::Page;
use crate::relationships::page_filter;
use crate::schema::{media_attachments, scheduled_status_media, scheduled_statuses};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = scheduled_statuses)]
pub struct ScheduledStatus {
    pub id: i64,
    pub domain_id: DomainId,
    pub account_id: AccountId,
    pub scheduled_at: DateTime<Utc>,
    /// The post's parameters, a JSON object (the service layer reads and writes it).
    pub params: String,
    pub created_at: DateTime<Utc>,
}

/// Why media could not be reserved for a scheduled status.
#[derive(Debug, thiserror::Error)]
pub enum ReserveError {
    /// Not the account's unattached media on this tenant, or reserved already.
    #[error("Media {0} not found or already attached to another post")]
    Unavailable(MediaId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for ReserveError {
    fn from(error: diesel::result::Error) -> Self {
        ReserveError::Store(error.into())
    }
}

/// Inserts a scheduled status and reserves its media (in the order given),
/// in the caller's transaction. Each attachment must be the account's, on
/// this tenant, attached to no status: its row is locked while checked, so
/// a post taking it at the same moment either waits and then sees the
/// reservation, or wins and this refuses.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    scheduled_at: DateTime<Utc>,
    params: &str,
    media: &[MediaId],
) -> Result<ScheduledStatus, ReserveError> {
    let row: ScheduledStatus = diesel::insert_into(scheduled_statuses::table)
        .values((
            scheduled_statuses::id.eq(next_id()),
            scheduled_statuses::domain_id.eq(domain),
            scheduled_statuses::account_id.eq(account),
            scheduled_statuses::scheduled_at.eq(scheduled_at),
            scheduled_statuses::params.eq(params),
        ))
        .returning(ScheduledStatus::as_returning())
        .get_result(conn)
        .await?;
    let mut seen: Vec<MediaId> = Vec::new();
    for id in media {
        if seen.contains(id) {
            continue;
        }
        let free: Option<MediaId> = media_attachments::table
            .filter(media_attachments::domain_id.eq(domain))
            .filter(media_attachments::account_id.eq(account))
            .filter(media_attachments::id.eq(*id))
            .filter(media_attachments::status_id.is_null())
            .select(media_attachments::id)
            .for_update()
            .first(conn)
            .await
            .optional()?;
        if free.is_none() {
            return Err(ReserveError::Unavailable(*id));
        }
        let position = i16::try_from(seen.len()).map_err(|_| ReserveError::Unavailable(*id))?;
        let inserted = diesel::insert_into(scheduled_status_media::table)
            .values((
                scheduled_status_media::media_id.eq(*id),
                scheduled_status_media::scheduled_status_id.eq(row.id),
                scheduled_status_media::domain_id.eq(domain),
                scheduled_status_media::position.eq(position),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        if inserted == 0 {
            return Err(ReserveError::Unavailable(*id));
        }
        seen.push(*id);
    }
    Ok(row)
}

/// The account's scheduled statuses on this tenant, newest id first, a page at a time.
pub async fn list(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    page: Page,
) -> Result<Vec<ScheduledStatus>, StoreError> {
    let query = scheduled_statuses::table
        .filter(scheduled_statuses::domain_id.eq(domain))
        .filter(scheduled_statuses::account_id.eq(account))
        .select(ScheduledStatus::as_select())
        .into_boxed();
    let query = page_filter!(query, scheduled_statuses::id, page);
    let mut rows: Vec<ScheduledStatus> = query.limit(page.limit).load(conn).await?;
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

/// The account's scheduled status `id` on this tenant.
pub async fn get(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    id: i64,
) -> Result<Option<ScheduledStatus>, StoreError> {
    Ok(scheduled_statuses::table
        .filter(scheduled_statuses::domain_id.eq(domain))
        .filter(scheduled_statuses::account_id.eq(account))
        .filter(scheduled_statuses::id.eq(id))
        .select(ScheduledStatus::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Moves the account's scheduled status `id` to `at`; `None` if there is none.
pub async fn reschedule(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    id: i64,
    at: DateTime<Utc>,
) -> Result<Option<ScheduledStatus>, StoreError> {
    Ok(diesel::update(
        scheduled_statuses::table
            .filter(scheduled_statuses::domain_id.eq(domain))
            .filter(scheduled_statuses::account_id.eq(account))
            .filter(scheduled_statuses::id.eq(id)),
    )
    .set(scheduled_statuses::scheduled_at.eq(at))
    .returning(ScheduledStatus::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

/// Deletes the account's scheduled status `id` (its media are free again); whether there was one.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    id: i64,
) -> Result<bool, StoreError> {
    let deleted = diesel::delete(
        scheduled_statuses::table
            .filter(scheduled_statuses::domain_id.eq(domain))
            .filter(scheduled_statuses::account_id.eq(account))
            .filter(scheduled_statuses::id.eq(id)),
    )
    .execute(conn)
    .await?;
    Ok(deleted > 0)
}

/// The media each of these scheduled statuses reserves, in order.
pub async fn media_of(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<MediaId>>, StoreError> {
    let rows: Vec<(i64, MediaId)> = scheduled_status_media::table
        .filter(scheduled_status_media::domain_id.eq(domain))
        .filter(scheduled_status_media::scheduled_status_id.eq_any(ids))
        .order((scheduled_status_media::scheduled_status_id, scheduled_status_media::position))
        .select((scheduled_status_media::scheduled_status_id, scheduled_status_media::media_id))
        .load(conn)
        .await?;
    let mut out: HashMap<i64, Vec<MediaId>> = HashMap::new();
    for (status, media) in rows {
        out.entry(status).or_default().push(media);
    }
    Ok(out)
}

/// The first of `media` that a scheduled status reserves, if any.
pub async fn first_reserved(conn: &mut AsyncPgConnection, media: &[MediaId]) -> Result<Option<MediaId>, StoreError> {
    Ok(scheduled_status_media::table
        .filter(scheduled_status_media::media_id.eq_any(media))
        .select(scheduled_status_media::media_id)
        .first(conn)
        .await
        .optional()?)
}

/// How many statuses the account has scheduled, in all and on `at`'s day (UTC).
pub async fn counts(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    at: DateTime<Utc>,
) -> Result<(i64, i64), StoreError> {
    let total: i64 =
        scheduled_statuses::table.filter(scheduled_statuses::account_id.eq(account)).count().get_result(conn).await?;
    let day_start = at.date_naive().and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or(at);
    let day_end = day_start + chrono::Duration::days(1);
    let on_day: i64 = scheduled_statuses::table
        .filter(scheduled_statuses::account_id.eq(account))
        .filter(scheduled_statuses::scheduled_at.ge(day_start))
        .filter(scheduled_statuses::scheduled_at.lt(day_end))
        .count()
        .get_result(conn)
        .await?;
    Ok((total, on_day))
}

/// Claims the earliest due scheduled status of any tenant, locked until the
/// caller's transaction ends; rows other workers hold are skipped.
pub async fn claim_due(conn: &mut AsyncPgConnection) -> Result<Option<ScheduledStatus>, StoreError> {
    Ok(scheduled_statuses::table
        .filter(scheduled_statuses::scheduled_at.le(diesel::dsl::now))
        .order(scheduled_statuses::scheduled_at)
        .select(ScheduledStatus::as_select())
        .for_update()
        .skip_locked()
        .first(conn)
        .await
        .optional()?)
}

/// Removes a claimed scheduled status and its reservations; returns the media it reserved, in order.
pub async fn take(conn: &mut AsyncPgConnection, row: &ScheduledStatus) -> Result<Vec<MediaId>, StoreError> {
    let media = media_of(conn, row.domain_id, &[row.id]).await?.remove(&row.id).unwrap_or_default();
    diesel::delete(scheduled_statuses::table.find(row.id)).execute(conn).await?;
    Ok(media)
}
