//! The worker that finishes pending video and audio: claims a row (see
//! `kereru_store::media_processing`), runs ffmpeg outside any transaction,
//! then records the served file. Started by `kereru serve` beside the other
//! workers ([`run`]); tests call [`round`].

use super::finish_file;
use crate::media::MediaActionError;
use kereru_media::av::Tools;
use kereru_media::{MediaStore, TenantFiles};
use kereru_store::media::MediaAttachment;
use kereru_store::media_processing::{self, Claimed};
use kereru_store::{Pool, StoreError};
use std::path::Path;
use std::time::Duration;

/// How often an idle worker looks for pending rows.
pub const POLL: Duration = Duration::from_secs(2);

/// A failed attempt is tried again after this long, times the attempts so far.
const RETRY_STEP: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// Finishes pending rows whose files are under `media_dir` (the local
/// store) until none is left to claim; how many it took.
pub async fn round(pool: &Pool, media_dir: &Path, tools: &Tools) -> Result<usize, StoreError> {
    match MediaStore::local(media_dir) {
        Ok(store) => round_in(pool, &store, tools).await,
        Err(error) => {
            tracing::warn!("media processing: {error}");
            Ok(0)
        }
    }
}

/// Finishes pending rows whose files are in `store` until none is left to claim; how many it took.
pub async fn round_in(pool: &Pool, store: &MediaStore, tools: &Tools) -> Result<usize, StoreError> {
    let mut taken = 0;
    loop {
        let claimed = {
            let mut conn = pool.get().await?;
            media_processing::claim(&mut conn).await?
        };
        let Some(claimed) = claimed else { return Ok(taken) };
        taken += 1;
        let files = store.tenant(claimed.domain_id.0);
        if let Err(error) = process(pool, &files, tools, claimed).await {
            tracing::warn!("media processing: {error}");
        }
    }
}

/// Finishes the claimed row whose files are in `files` (its tenant's). On
/// failure the row is tried again later, or `failed` after its last attempt.
pub async fn process(
    pool: &Pool,
    files: &TenantFiles,
    tools: &Tools,
    claimed: Claimed,
) -> Result<Option<MediaAttachment>, MediaActionError> {
    match finish_file(tools, files, &claimed.file_name, claimed.av_meta.as_deref()).await {
        Ok(new_file) => {
            let mut conn = pool.get().await.map_err(StoreError::from)?;
            let file = new_file.as_ref().map(|(name, content_type)| (name.as_str(), *content_type));
            let finished = media_processing::finish(&mut conn, claimed.domain_id, claimed.id, file).await;
            drop(conn);
            match (&finished, new_file) {
                // The upload was replaced: it goes.
                (Ok(Some(_)), Some(_)) => files.delete_quietly(&[claimed.file_name]).await,
                // The row is gone (or the write failed): the new file goes.
                (_, Some((name, _))) => files.delete_quietly(&[name]).await,
                _ => {}
            }
            Ok(finished?)
        }
        Err(error) => {
            let retry_at = chrono::Utc::now() + RETRY_STEP * claimed.attempts;
            let mut conn = pool.get().await.map_err(StoreError::from)?;
            media_processing::attempt_failed(&mut conn, claimed.domain_id, claimed.id, claimed.attempts, retry_at)
                .await?;
            Err(error.into())
        }
    }
}

/// Runs rounds until `stop` completes, [`POLL`] apart while there is nothing to do.
pub async fn run(pool: Pool, store: MediaStore, tools: Tools, stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        if let Err(error) = round_in(&pool, &store, &tools).await {
            tracing::warn!("media processing: {error}");
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(POLL) => {}
        }
    }
}
