//! The worker's queue of video and audio to finish: the `pending` rows of
//! `media_attachments`. A worker claims one row at a time (`FOR UPDATE SKIP
//! LOCKED`, so two nodes never take the same) with a lease: if it dies, the
//! lease runs out and another takes the row again; after [`MAX_ATTEMPTS`]
//! the row is `failed`. Claims span tenants (it is the server's work);
//! finishing names the tenant again.

use crate::error::StoreError;
use crate::ids::{DomainId, MediaId};
use crate::media::{MediaAttachment, Processing, Row};
use crate::schema::media_attachments;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// How long a claim holds a row: longer than the longest ffmpeg run.
pub const LEASE: chrono::TimeDelta = chrono::TimeDelta::minutes(20);
/// Claims before a row is given up.
pub const MAX_ATTEMPTS: i32 = 3;

/// A claimed row: what the worker needs to finish it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: MediaId,
    pub domain_id: DomainId,
    pub file_name: String,
    pub av_meta: Option<String>,
    /// Including this one.
    pub attempts: i32,
}

/// Claims the oldest pending row no live claim holds, if any.
pub async fn claim(conn: &mut AsyncPgConnection) -> Result<Option<Claimed>, StoreError> {
    conn.transaction(async |conn| -> Result<Option<Claimed>, StoreError> {
        let now = Utc::now();
        let id: Option<MediaId> = media_attachments::table
            .filter(media_attachments::processing.eq(Processing::Pending.as_str()))
            .filter(
                media_attachments::processing_locked_until
                    .is_null()
                    .or(media_attachments::processing_locked_until.le(now)),
            )
            .order(media_attachments::id.asc())
            .select(media_attachments::id)
            .limit(1)
            .for_update()
            .skip_locked()
            .first(conn)
            .await
            .optional()?;
        let Some(id) = id else { return Ok(None) };
        let (domain_id, file_name, av_meta, attempts) =
            diesel::update(media_attachments::table.filter(media_attachments::id.eq(id)))
                .set((
                    media_attachments::processing_attempts.eq(media_attachments::processing_attempts + 1),
                    media_attachments::processing_locked_until.eq(now + LEASE),
                ))
                .returning((
                    media_attachments::domain_id,
                    media_attachments::file_name,
                    media_attachments::av_meta,
                    media_attachments::processing_attempts,
                ))
                .get_result::<(DomainId, String, Option<String>, i32)>(conn)
                .await?;
        Ok(Some(Claimed { id, domain_id, file_name, av_meta, attempts }))
    })
    .await
}

/// Marks the pending row `id` of this tenant done, served from `file` (name
/// and content type) when it changed. `None` if the row is gone or not pending.
pub async fn finish(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    id: MediaId,
    file: Option<(&str, &str)>,
) -> Result<Option<MediaAttachment>, StoreError> {
    let target = media_attachments::table
        .filter(media_attachments::domain_id.eq(domain))
        .filter(media_attachments::id.eq(id))
        .filter(media_attachments::processing.eq(Processing::Pending.as_str()));
    let done = (
        media_attachments::processing.eq(Processing::Done.as_str()),
        media_attachments::processing_locked_until.eq(None::<DateTime<Utc>>),
        media_attachments::updated_at.eq(Utc::now()),
    );
    let row: Option<Row> = match file {
        Some((name, content_type)) => {
            diesel::update(target)
                .set((done, media_attachments::file_name.eq(name), media_attachments::content_type.eq(content_type)))
                .returning(Row::as_returning())
                .get_result(conn)
                .await
        }
        None => diesel::update(target).set(done).returning(Row::as_returning()).get_result(conn).await,
    }
    .optional()?;
    row.map(Row::into_attachment).transpose()
}

/// A failed attempt on the pending row `id`: tried again at `retry_at`, or
/// `failed` once it has had [`MAX_ATTEMPTS`].
pub async fn attempt_failed(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    id: MediaId,
    attempts: i32,
    retry_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let target = media_attachments::table
        .filter(media_attachments::domain_id.eq(domain))
        .filter(media_attachments::id.eq(id))
        .filter(media_attachments::processing.eq(Processing::Pending.as_str()));
    if attempts >= MAX_ATTEMPTS {
        diesel::update(target)
            .set((
                media_attachments::processing.eq(Processing::Failed.as_str()),
                media_attachments::processing_locked_until.eq(None::<DateTime<Utc>>),
            ))
            .execute(conn)
            .await?;
    } else {
        diesel::update(target).set(media_attachments::processing_locked_until.eq(retry_at)).execute(conn).await?;
    }
    Ok(())
}
