//! Posting from the web interface: a status and its images in one form.
//! The images are processed and written before a connection is taken; the
//! attachments and the status are then recorded in one transaction (the
//! status's outbound activities queued inside it), and the files are removed
//! again if anything fails, so a refused post leaves nothing behind.

use crate::media::{MediaActionError, Prepared, Upload, prepare};
use crate::statuses::{self, MAX_MEDIA, NewPost};
use crate::{Actor, Event, ServiceError};
use diesel_async::AsyncConnection;
use kereru_media::TenantFiles;
use kereru_store::statuses::Status;
use kereru_store::{Pool, StoreError, media};

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error(transparent)]
    Media(#[from] MediaActionError),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl ComposeError {
    /// The plan's quota (posts per day, media storage) that refused the post, if that is what happened.
    pub fn quota(&self) -> Option<&kereru_store::quotas::QuotaExceeded> {
        match self {
            ComposeError::Media(error) => error.quota(),
            ComposeError::Service(error) => error.quota(),
        }
    }
}

impl From<diesel::result::Error> for ComposeError {
    fn from(error: diesel::result::Error) -> Self {
        ComposeError::Service(error.into())
    }
}

impl From<StoreError> for ComposeError {
    fn from(error: StoreError) -> Self {
        ComposeError::Service(error.into())
    }
}

/// Posts `new` with `images` (file bytes and alt text) attached, in the order given.
pub async fn post_with_images<B: AsRef<[u8]> + Send + 'static>(
    pool: &Pool,
    files: TenantFiles,
    actor: &Actor<'_>,
    mut new: NewPost,
    images: Vec<(B, Option<String>)>,
) -> Result<(Status, Vec<Event>), ComposeError> {
    if images.len() + new.media_ids.len() > MAX_MEDIA {
        return Err(ServiceError::Invalid(format!("You can attach at most {MAX_MEDIA} images")).into());
    }
    let mut prepared: Vec<Prepared> = Vec::new();
    for (file, description) in images {
        match prepare(files.clone(), Upload { file, thumbnail: None, description, focus: None }).await {
            Ok(one) => prepared.push(one),
            Err(error) => {
                let written: Vec<String> = prepared.into_iter().flat_map(|p| p.files).collect();
                files.delete_quietly(&written).await;
                return Err(error.into());
            }
        }
    }
    let written: Vec<String> = prepared.iter().flat_map(|p| p.files.clone()).collect();
    let result = record(pool, actor, &mut new, prepared).await;
    if result.is_err() {
        files.delete_quietly(&written).await;
    }
    result
}

async fn record(
    pool: &Pool,
    actor: &Actor<'_>,
    new: &mut NewPost,
    prepared: Vec<Prepared>,
) -> Result<(Status, Vec<Event>), ComposeError> {
    let mut conn = pool.get().await.map_err(StoreError::from)?;
    let tenant = actor.tenant.id;
    let account = actor.account.id;
    let new = std::mem::take(new);
    let result = conn
        .transaction(async |conn| -> Result<(Status, Vec<Event>), ComposeError> {
            let mut post = new;
            for one in prepared {
                let attachment =
                    media::create(conn, tenant, account, one.attachment).await.map_err(MediaActionError::from)?;
                post.media_ids.push(attachment.id);
            }
            Ok(statuses::post(conn, actor, post).await?)
        })
        .await;
    crate::quota_notice::after(&mut conn, tenant, result).await
}
