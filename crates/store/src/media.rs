//! Media attachments: rows describing the files a local account uploaded on
//! its tenant. Every query names the tenant, and those acting for someone
//! name the account too: another account's (or tenant's) media is not found.
//! The files themselves are written by `kereru_media` and served by the web layer.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, MediaId, StatusId, next_id};
use crate::schema::media_attachments;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::collections::HashMap;

/// Mastodon's attachment types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Image,
    Video,
    /// A video without sound.
    Gifv,
    Audio,
}

impl MediaType {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Image => "image",
            MediaType::Video => "video",
            MediaType::Gifv => "gifv",
            MediaType::Audio => "audio",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "image" => Some(MediaType::Image),
            "video" => Some(MediaType::Video),
            "gifv" => Some(MediaType::Gifv),
            "audio" => Some(MediaType::Audio),
            _ => None,
        }
    }

    /// Video or audio (processed by the worker, alone in a status).
    pub fn is_av(self) -> bool {
        !matches!(self, MediaType::Image)
    }
}

/// Where an attachment's file stands: video and audio are `Pending` until
/// the worker has finished them (Mastodon's 206), `Failed` if it gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Processing {
    Pending,
    Done,
    Failed,
}

impl Processing {
    pub fn as_str(self) -> &'static str {
        match self {
            Processing::Pending => "pending",
            Processing::Done => "done",
            Processing::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Processing::Pending),
            "done" => Some(Processing::Done),
            "failed" => Some(Processing::Failed),
            _ => None,
        }
    }
}

pub use kereru_core::media::{Focus, StoredFile};

#[derive(Debug, Clone, PartialEq)]
pub struct MediaAttachment {
    pub id: MediaId,
    pub domain_id: DomainId,
    pub account_id: AccountId,
    pub status_id: Option<StatusId>,
    pub media_type: MediaType,
    pub file: StoredFile,
    pub file_size: i64,
    /// The preview (Mastodon's `small`).
    pub thumbnail: StoredFile,
    pub description: Option<String>,
    pub focus: Option<Focus>,
    pub blurhash: Option<String>,
    pub created_at: DateTime<Utc>,
    pub processing: Processing,
    /// Video and audio: what ffprobe found, as JSON text (`kereru_media::av::Probe`).
    pub av_meta: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = media_attachments)]
pub(crate) struct Row {
    id: MediaId,
    domain_id: DomainId,
    account_id: AccountId,
    status_id: Option<StatusId>,
    media_type: String,
    file_name: String,
    content_type: String,
    file_size: i64,
    width: i32,
    height: i32,
    thumbnail_file_name: String,
    thumbnail_content_type: String,
    thumbnail_width: i32,
    thumbnail_height: i32,
    description: Option<String>,
    focus_x: Option<f64>,
    focus_y: Option<f64>,
    blurhash: Option<String>,
    created_at: DateTime<Utc>,
    processing: String,
    av_meta: Option<String>,
}

fn dimension(value: i32, what: &str, id: MediaId) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("media {id}: {what} {value}")))
}

impl Row {
    pub(crate) fn into_attachment(self) -> Result<MediaAttachment, StoreError> {
        let id = self.id;
        let media_type = MediaType::parse(&self.media_type)
            .ok_or_else(|| StoreError::Corrupt(format!("media {id}: type {:?}", self.media_type)))?;
        let processing = Processing::parse(&self.processing)
            .ok_or_else(|| StoreError::Corrupt(format!("media {id}: processing {:?}", self.processing)))?;
        Ok(MediaAttachment {
            id,
            domain_id: self.domain_id,
            account_id: self.account_id,
            status_id: self.status_id,
            media_type,
            file: StoredFile {
                file_name: self.file_name,
                content_type: self.content_type,
                width: dimension(self.width, "width", id)?,
                height: dimension(self.height, "height", id)?,
            },
            file_size: self.file_size,
            thumbnail: StoredFile {
                file_name: self.thumbnail_file_name,
                content_type: self.thumbnail_content_type,
                width: dimension(self.thumbnail_width, "thumbnail width", id)?,
                height: dimension(self.thumbnail_height, "thumbnail height", id)?,
            },
            description: self.description,
            focus: match (self.focus_x, self.focus_y) {
                (Some(x), Some(y)) => Some(Focus { x, y }),
                _ => None,
            },
            blurhash: self.blurhash,
            created_at: self.created_at,
            processing,
            av_meta: self.av_meta,
        })
    }
}

/// What an upload produced, already processed and written to disk.
#[derive(Debug, Clone)]
pub struct NewMediaAttachment {
    pub media_type: MediaType,
    pub file: StoredFile,
    pub file_size: i64,
    pub thumbnail: StoredFile,
    pub description: Option<String>,
    pub focus: Option<Focus>,
    pub blurhash: Option<String>,
    /// `Pending` for video and audio the worker has yet to finish.
    pub processing: Processing,
    pub av_meta: Option<String>,
    /// Pending and claimed by the uploading request itself (`media_processing::LEASE`).
    pub claimed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// Not this account's media on this tenant (or no such id at all).
    #[error("media attachment {0} was not found")]
    NotFound(MediaId),
    /// Already part of a status.
    #[error("media attachment {0} is already attached to a status")]
    AlreadyAttached(MediaId),
    #[error("a dimension of {0} pixels is out of range")]
    Dimension(u32),
    /// Video or audio the worker has not finished (Mastodon's message).
    #[error("Cannot attach files that have not finished processing. Try again in a moment!")]
    NotProcessed(MediaId),
    /// A video or audio file with other media (Mastodon's message).
    #[error("Cannot attach a video to a post that already contains images")]
    VideoWithOthers,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for MediaError {
    fn from(error: diesel::result::Error) -> Self {
        MediaError::Store(StoreError::Database(error))
    }
}

fn to_i32(value: u32) -> Result<i32, MediaError> {
    i32::try_from(value).map_err(|_| MediaError::Dimension(value))
}

/// Records an uploaded attachment of `account` on this tenant, not attached to anything yet.
pub async fn create(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    new: NewMediaAttachment,
) -> Result<MediaAttachment, MediaError> {
    let id = MediaId(next_id());
    let (width, height) = (to_i32(new.file.width)?, to_i32(new.file.height)?);
    let (thumbnail_width, thumbnail_height) = (to_i32(new.thumbnail.width)?, to_i32(new.thumbnail.height)?);
    let row: Row = conn
        .transaction(async |conn| -> Result<Row, MediaError> {
            // Counted against the plan's media_storage_bytes first (refused past
            // it); deleting the row gives the bytes back (a trigger).
            crate::quotas::reserve_storage(conn, domain, new.file_size).await?;
            Ok(diesel::insert_into(media_attachments::table)
                .values((
                    media_attachments::id.eq(id),
                    media_attachments::domain_id.eq(domain),
                    media_attachments::account_id.eq(account),
                    media_attachments::media_type.eq(new.media_type.as_str()),
                    media_attachments::file_name.eq(&new.file.file_name),
                    media_attachments::content_type.eq(&new.file.content_type),
                    media_attachments::file_size.eq(new.file_size),
                    media_attachments::width.eq(width),
                    media_attachments::height.eq(height),
                    media_attachments::thumbnail_file_name.eq(&new.thumbnail.file_name),
                    media_attachments::thumbnail_content_type.eq(&new.thumbnail.content_type),
                    media_attachments::thumbnail_width.eq(thumbnail_width),
                    media_attachments::thumbnail_height.eq(thumbnail_height),
                    media_attachments::description.eq(&new.description),
                    media_attachments::focus_x.eq(new.focus.map(|f| f.x)),
                    media_attachments::focus_y.eq(new.focus.map(|f| f.y)),
                    media_attachments::blurhash.eq(&new.blurhash),
                    media_attachments::processing.eq(new.processing.as_str()),
                    media_attachments::av_meta.eq(&new.av_meta),
                    media_attachments::processing_attempts.eq(i32::from(new.claimed)),
                    media_attachments::processing_locked_until
                        .eq(new.claimed.then(|| Utc::now() + crate::media_processing::LEASE)),
                ))
                .returning(Row::as_returning())
                .get_result(conn)
                .await?)
        })
        .await?;
    Ok(row.into_attachment()?)
}

/// `account`'s attachment `id` on this tenant, attached or not.
pub async fn get_own(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    id: MediaId,
) -> Result<Option<MediaAttachment>, StoreError> {
    let row: Option<Row> = media_attachments::table
        .filter(media_attachments::domain_id.eq(domain))
        .filter(media_attachments::account_id.eq(account))
        .filter(media_attachments::id.eq(id))
        .select(Row::as_select())
        .first(conn)
        .await
        .optional()?;
    row.map(Row::into_attachment).transpose()
}

/// Changes to an attachment; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct MediaUpdate {
    pub description: Option<Option<String>>,
    pub focus: Option<Option<Focus>>,
    pub thumbnail: Option<(StoredFile, Option<String>)>,
}

#[derive(AsChangeset)]
#[diesel(table_name = media_attachments)]
struct Changes<'a> {
    description: Option<Option<&'a str>>,
    focus_x: Option<Option<f64>>,
    focus_y: Option<Option<f64>>,
    thumbnail_file_name: Option<&'a str>,
    thumbnail_content_type: Option<&'a str>,
    thumbnail_width: Option<i32>,
    thumbnail_height: Option<i32>,
    blurhash: Option<Option<&'a str>>,
    updated_at: DateTime<Utc>,
}

/// Updates `account`'s attachment `id` on this tenant while it is not
/// attached to a status (as Mastodon allows). Returns the attachment as it
/// is now and, when the thumbnail was replaced, the old thumbnail's file name
/// (for the caller to delete); `None` if there is no such unattached media.
pub async fn update_unattached(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    id: MediaId,
    update: &MediaUpdate,
) -> Result<Option<(MediaAttachment, Option<String>)>, MediaError> {
    let thumbnail = update.thumbnail.as_ref();
    let changes = Changes {
        description: update.description.as_ref().map(|d| d.as_deref()),
        focus_x: update.focus.map(|f| f.map(|f| f.x)),
        focus_y: update.focus.map(|f| f.map(|f| f.y)),
        thumbnail_file_name: thumbnail.map(|(t, _)| t.file_name.as_str()),
        thumbnail_content_type: thumbnail.map(|(t, _)| t.content_type.as_str()),
        thumbnail_width: thumbnail.map(|(t, _)| to_i32(t.width)).transpose()?,
        thumbnail_height: thumbnail.map(|(t, _)| to_i32(t.height)).transpose()?,
        blurhash: thumbnail.map(|(_, hash)| hash.as_deref()),
        updated_at: Utc::now(),
    };
    let result = conn
        .transaction(async |conn| -> Result<Option<(MediaAttachment, Option<String>)>, MediaError> {
            let target = media_attachments::table
                .filter(media_attachments::domain_id.eq(domain))
                .filter(media_attachments::account_id.eq(account))
                .filter(media_attachments::id.eq(id))
                .filter(media_attachments::status_id.is_null());
            // Locks the row, so the old thumbnail name read is the one replaced.
            let old_thumbnail: Option<String> =
                target.select(media_attachments::thumbnail_file_name).for_update().first(conn).await.optional()?;
            let Some(old_thumbnail) = old_thumbnail else { return Ok(None) };
            let row: Row = diesel::update(target).set(&changes).returning(Row::as_returning()).get_result(conn).await?;
            let replaced = (row.thumbnail_file_name != old_thumbnail).then_some(old_thumbnail);
            Ok(Some((row.into_attachment()?, replaced)))
        })
        .await?;
    Ok(result)
}

/// Attaches `account`'s media `ids` on this tenant to `status_id`, in the
/// order given (duplicates count once): all of them or, with an error naming
/// the first offending id, none. An id that is not this account's unattached
/// media on this tenant is `NotFound`, or `AlreadyAttached` if it is its
/// media but taken already. Runs in a transaction (a savepoint inside the
/// caller's); concurrent attempts to take the same media: one wins.
pub async fn attach_to_status(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    status_id: StatusId,
    ids: &[MediaId],
) -> Result<Vec<MediaAttachment>, MediaError> {
    let mut unique: Vec<MediaId> = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(id) {
            unique.push(*id);
        }
    }
    conn.transaction(async |conn| -> Result<Vec<MediaAttachment>, MediaError> {
        let mut attached: Vec<MediaAttachment> = Vec::with_capacity(unique.len());
        for (position, id) in unique.iter().enumerate() {
            let position = i16::try_from(position).map_err(|_| MediaError::NotFound(*id))?;
            let row: Option<Row> = diesel::update(
                media_attachments::table
                    .filter(media_attachments::domain_id.eq(domain))
                    .filter(media_attachments::account_id.eq(account))
                    .filter(media_attachments::id.eq(*id))
                    .filter(media_attachments::status_id.is_null())
                    .filter(media_attachments::processing.eq(Processing::Done.as_str())),
            )
            .set((
                media_attachments::status_id.eq(status_id),
                media_attachments::status_position.eq(position),
                media_attachments::updated_at.eq(Utc::now()),
            ))
            .returning(Row::as_returning())
            .get_result(conn)
            .await
            .optional()?;
            match row {
                Some(row) => attached.push(row.into_attachment()?),
                None => {
                    let found: Option<(Option<StatusId>, String)> = media_attachments::table
                        .filter(media_attachments::domain_id.eq(domain))
                        .filter(media_attachments::account_id.eq(account))
                        .filter(media_attachments::id.eq(*id))
                        .select((media_attachments::status_id, media_attachments::processing))
                        .first(conn)
                        .await
                        .optional()?;
                    return Err(match found {
                        None => MediaError::NotFound(*id),
                        Some((Some(_), _)) => MediaError::AlreadyAttached(*id),
                        Some((None, _)) => MediaError::NotProcessed(*id),
                    });
                }
            }
        }
        // As Mastodon: a video or audio file goes alone.
        if attached.len() > 1 && attached.iter().any(|a| a.media_type.is_av()) {
            return Err(MediaError::VideoWithOthers);
        }
        Ok(attached)
    })
    .await
}

/// Frees the media of `status_id` (on this tenant, `account`'s) for another
/// status: delete-and-redraft keeps the files to post again. Returns how many.
pub async fn detach_from_status(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    status_id: StatusId,
) -> Result<usize, StoreError> {
    Ok(diesel::update(
        media_attachments::table
            .filter(media_attachments::domain_id.eq(domain))
            .filter(media_attachments::account_id.eq(account))
            .filter(media_attachments::status_id.eq(status_id)),
    )
    .set((
        media_attachments::status_id.eq(None::<StatusId>),
        media_attachments::status_position.eq(None::<i16>),
        media_attachments::updated_at.eq(Utc::now()),
    ))
    .execute(conn)
    .await?)
}

/// The attachments of these statuses on this tenant, each status's in the
/// order they were attached. Statuses without media are absent from the map.
pub async fn for_statuses(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    status_ids: &[StatusId],
) -> Result<HashMap<StatusId, Vec<MediaAttachment>>, StoreError> {
    let mut grouped: HashMap<StatusId, Vec<MediaAttachment>> = HashMap::new();
    if status_ids.is_empty() {
        return Ok(grouped);
    }
    let rows: Vec<Row> = media_attachments::table
        .filter(media_attachments::domain_id.eq(domain))
        .filter(media_attachments::status_id.eq_any(status_ids))
        .order((
            media_attachments::status_id.asc(),
            media_attachments::status_position.asc(),
            media_attachments::id.asc(),
        ))
        .select(Row::as_select())
        .load(conn)
        .await?;
    for row in rows {
        let attachment = row.into_attachment()?;
        if let Some(status) = attachment.status_id {
            grouped.entry(status).or_default().push(attachment);
        }
    }
    Ok(grouped)
}
