//! Media attachments: an upload processed ([`kereru_media`]), stored under
//! the tenant's prefix and recorded; a description, focus or thumbnail
//! changed; a profile image stored. Images are processed before any
//! database connection is taken, and files a failed action wrote are
//! removed again.

use crate::media_av::{AvOptions, Finish};
use kereru_core::media::{Focus, StoredFile};
use kereru_media::{ProcessError, ProfileImage, TenantFiles};
use kereru_store::media::{self, MediaAttachment, MediaError, MediaType, MediaUpdate, NewMediaAttachment, Processing};
use kereru_store::media_processing::Claimed;
use kereru_store::{AccountId, DomainId, MediaId, Pool, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum MediaActionError {
    /// Not this account's unattached media on this tenant.
    #[error("Record not found")]
    NotFound,
    #[error(transparent)]
    Image(#[from] ProcessError),
    /// An image or thumbnail over `kereru_media::IMAGE_SIZE_LIMIT` (the
    /// upload's limit is the larger one of video).
    #[error("the {0} is larger than the image size limit")]
    ImageTooLarge(&'static str),
    #[error(transparent)]
    Av(#[from] kereru_media::av::AvError),
    #[error(transparent)]
    Attachment(#[from] MediaError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl MediaActionError {
    /// The plan's quota (media storage) that refused the upload, if that is what happened.
    pub fn quota(&self) -> Option<&kereru_store::quotas::QuotaExceeded> {
        match self {
            MediaActionError::Attachment(MediaError::Store(error)) | MediaActionError::Store(error) => error.quota(),
            _ => None,
        }
    }
}

/// What a client uploads: the file, maybe its own preview, and what it says about them.
#[derive(Debug)]
pub struct Upload<B> {
    pub file: B,
    pub thumbnail: Option<B>,
    pub description: Option<String>,
    pub focus: Option<Focus>,
}

/// Changes to an unattached attachment; `None` leaves a value as it is.
#[derive(Debug)]
pub struct Change<B> {
    /// `Some(None)` clears the description.
    pub description: Option<Option<String>>,
    pub focus: Option<Focus>,
    pub thumbnail: Option<B>,
}

/// An upload processed and stored under its tenant's prefix, not yet recorded.
pub struct Prepared {
    pub attachment: NewMediaAttachment,
    /// The files written, to remove again if recording fails.
    pub files: Vec<String>,
}

/// Processes an upload and stores its files in `files`; no database work.
pub async fn prepare<B: AsRef<[u8]> + Send + 'static>(
    files: TenantFiles,
    upload: Upload<B>,
) -> Result<Prepared, MediaActionError> {
    let Upload { file, thumbnail, description, focus } = upload;
    if file.as_ref().len() as u64 > kereru_media::IMAGE_SIZE_LIMIT {
        return Err(MediaActionError::ImageTooLarge("file"));
    }
    if thumbnail.as_ref().is_some_and(|t| t.as_ref().len() as u64 > kereru_media::IMAGE_SIZE_LIMIT) {
        return Err(MediaActionError::ImageTooLarge("thumbnail"));
    }
    let (original, small, blurhash) = kereru_media::blocking(move || {
        let processed = kereru_media::process_file(file.as_ref())?;
        let (small, blurhash) = match thumbnail {
            Some(bytes) => kereru_media::process_thumbnail(bytes.as_ref())?,
            None => (processed.small, processed.blurhash),
        };
        Ok((processed.original, small, blurhash))
    })
    .await?;
    let file_size = original.bytes.len() as i64;
    let stored = files.store_new(original).await.map_err(ProcessError::from)?;
    let stored_small = match files.store_new(small).await {
        Ok(small) => small,
        Err(error) => {
            files.delete_quietly(std::slice::from_ref(&stored.file_name)).await;
            return Err(ProcessError::from(error).into());
        }
    };
    let files = vec![stored.file_name.clone(), stored_small.file_name.clone()];
    let attachment = NewMediaAttachment {
        media_type: MediaType::Image,
        file: stored,
        file_size,
        thumbnail: stored_small,
        description,
        focus,
        blurhash,
        processing: kereru_store::media::Processing::Done,
        av_meta: None,
        claimed: false,
    };
    Ok(Prepared { attachment, files })
}

/// Processes and stores an upload of `account` on `tenant`, whose files go
/// to `files`: an image at once; video and audio (told by their bytes) checked
/// and recorded `pending`, then finished now or by the worker as `av` says.
pub async fn upload<B: AsRef<[u8]> + Send + 'static>(
    pool: &Pool,
    files: TenantFiles,
    tenant: DomainId,
    account: AccountId,
    upload: Upload<B>,
    av: AvOptions<'_>,
) -> Result<MediaAttachment, MediaActionError> {
    let container = match kereru_media::format::sniff(upload.file.as_ref()) {
        Some(_) => None,
        None => kereru_media::av::container::sniff(upload.file.as_ref()),
    };
    let prepared = match container {
        Some(container) => {
            let Upload { file, thumbnail, description, focus } = upload;
            if thumbnail.as_ref().is_some_and(|t| t.as_ref().len() as u64 > kereru_media::IMAGE_SIZE_LIMIT) {
                return Err(MediaActionError::ImageTooLarge("thumbnail"));
            }
            crate::media_av::prepare(files.clone(), av, container, file, thumbnail, description, focus).await?
        }
        None => prepare(files.clone(), upload).await?,
    };
    let created = record_upload(pool, &files, tenant, account, prepared).await?;
    match (av.finish, av.tools) {
        (Finish::Now, Some(tools)) if created.processing == Processing::Pending => {
            let claimed = Claimed {
                id: created.id,
                domain_id: tenant,
                file_name: created.file.file_name.clone(),
                av_meta: created.av_meta.clone(),
                // Its only attempt: a failure here is final.
                attempts: kereru_store::media_processing::MAX_ATTEMPTS,
            };
            crate::media_av::worker::process(pool, &files, tools, claimed).await?.ok_or(MediaActionError::NotFound)
        }
        _ => Ok(created),
    }
}

/// Records a prepared upload; its files are removed if that fails.
async fn record_upload(
    pool: &Pool,
    stored: &TenantFiles,
    tenant: DomainId,
    account: AccountId,
    prepared: Prepared,
) -> Result<MediaAttachment, MediaActionError> {
    let Prepared { attachment, files } = prepared;
    let created = match pool.get().await {
        Ok(mut conn) => {
            let created = media::create(&mut conn, tenant, account, attachment).await.map_err(MediaActionError::from);
            crate::quota_notice::after(&mut conn, tenant, created).await
        }
        Err(error) => Err(StoreError::from(error).into()),
    };
    if created.is_err() {
        stored.delete_quietly(&files).await;
    }
    created
}

/// `account`'s media `id` on `tenant`, while no status has it (as Mastodon finds it).
pub async fn unattached(
    pool: &Pool,
    tenant: DomainId,
    account: AccountId,
    id: MediaId,
) -> Result<MediaAttachment, MediaActionError> {
    let mut conn = pool.get().await.map_err(StoreError::from)?;
    media::get_own(&mut conn, tenant, account, id)
        .await?
        .filter(|attachment| attachment.status_id.is_none())
        .ok_or(MediaActionError::NotFound)
}

/// Changes `account`'s unattached media `id`; a new thumbnail replaces the
/// old one, whose file is removed.
pub async fn update<B: AsRef<[u8]> + Send + 'static>(
    pool: &Pool,
    files: TenantFiles,
    tenant: DomainId,
    account: AccountId,
    id: MediaId,
    change: Change<B>,
) -> Result<MediaAttachment, MediaActionError> {
    let new_thumbnail: Option<(StoredFile, Option<String>)> = match change.thumbnail {
        Some(bytes) => {
            let (small, blurhash) =
                kereru_media::blocking(move || kereru_media::process_thumbnail(bytes.as_ref())).await?;
            Some((files.store_new(small).await.map_err(ProcessError::from)?, blurhash))
        }
        None => None,
    };
    let new_name = new_thumbnail.as_ref().map(|(file, _)| file.file_name.clone());
    let update =
        MediaUpdate { description: change.description, focus: change.focus.map(Some), thumbnail: new_thumbnail };
    let updated = match pool.get().await {
        Ok(mut conn) => media::update_unattached(&mut conn, tenant, account, id, &update)
            .await
            .map_err(MediaActionError::from)
            .and_then(|found| found.ok_or(MediaActionError::NotFound)),
        Err(error) => Err(StoreError::from(error).into()),
    };
    match updated {
        Ok((attachment, replaced)) => {
            if let Some(old) = replaced {
                files.delete_quietly(&[old]).await;
            }
            Ok(attachment)
        }
        Err(error) => {
            if let Some(name) = new_name {
                files.delete_quietly(&[name]).await;
            }
            Err(error)
        }
    }
}

/// A profile image stored under its tenant's prefix.
#[derive(Debug, Clone)]
pub struct StoredProfileImage {
    pub file_name: String,
    /// Its size on disk, which counts against the tenant's media storage.
    pub bytes: i64,
}

/// Processes and stores a profile image in `files` (its tenant's); returns its file name and size.
pub async fn store_profile_image<B: AsRef<[u8]> + Send + 'static>(
    files: TenantFiles,
    bytes: B,
    kind: ProfileImage,
) -> Result<StoredProfileImage, ProcessError> {
    let encoded = kereru_media::blocking(move || kereru_media::process_profile_image(bytes.as_ref(), kind)).await?;
    let size = i64::try_from(encoded.bytes.len()).unwrap_or(i64::MAX);
    let stored = files.store_new(encoded).await?;
    Ok(StoredProfileImage { file_name: stored.file_name, bytes: size })
}
