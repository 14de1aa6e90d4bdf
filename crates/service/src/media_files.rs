//! Removing files from the media store once nothing names them: the queue
//! the database fills (`kereru_store::media_files`: a status, an account or a
//! tenant deleted, an avatar replaced) and the sweep of uploads never attached
//! after a day (scheduled statuses' reservations excepted). Started by
//! `kereru serve` ([`run`]); tests call [`round`]. A row is forgotten only
//! after its file is gone, so a crash means the file is removed again.

use kereru_media::MediaStore;
use kereru_store::{Pool, StoreError, media_files};
use std::time::Duration;

/// How often an idle worker looks for work.
pub const POLL: Duration = Duration::from_secs(30);
/// Rows taken per claim (and uploads swept per statement).
const BATCH: i64 = 100;

/// What a round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Attachments never attached that were deleted.
    pub swept: usize,
    /// Files removed from the store.
    pub removed: usize,
}

/// Sweeps old unattached uploads, then removes every due queued file.
pub async fn round(pool: &Pool, store: &MediaStore) -> Result<Round, StoreError> {
    let mut done = Round::default();
    let before = chrono::Utc::now() - media_files::UNATTACHED_FOR;
    loop {
        let mut conn = pool.get().await?;
        let swept = media_files::sweep_unattached(&mut conn, before, BATCH).await?;
        done.swept += swept;
        if swept < BATCH as usize {
            break;
        }
    }
    loop {
        let claimed = {
            let mut conn = pool.get().await?;
            media_files::claim(&mut conn, BATCH).await?
        };
        if claimed.is_empty() {
            return Ok(done);
        }
        let mut removed = Vec::with_capacity(claimed.len());
        for removal in &claimed {
            match store.delete(removal.domain_id, &removal.file_name).await {
                Ok(()) => removed.push(removal.id),
                // Left claimed: tried again once its lease is over.
                Err(error) => {
                    tracing::warn!("removing media file {}/{}: {error}", removal.domain_id, removal.file_name)
                }
            }
        }
        done.removed += removed.len();
        let mut conn = pool.get().await?;
        media_files::done(&mut conn, &removed).await?;
        if removed.is_empty() {
            // Every one failed (the store is unreachable): wait for the next round.
            return Ok(done);
        }
    }
}

/// Runs rounds until `stop` completes, [`POLL`] apart.
pub async fn run(pool: Pool, store: MediaStore, stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        match round(&pool, &store).await {
            Ok(Round { swept, removed }) if swept + removed > 0 => {
                tracing::info!("media files: {swept} unattached uploads swept, {removed} files removed");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!("media file removal: {error}"),
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(POLL) => {}
        }
    }
}
