//! Image work takes memory in hundreds of megabytes at the limits: it runs
//! on blocking threads, only a few at once.

use crate::process::ProcessError;
use std::sync::OnceLock;

async fn processing_permit() -> Result<tokio::sync::SemaphorePermit<'static>, ProcessError> {
    static SLOTS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    let slots = SLOTS.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        tokio::sync::Semaphore::new(cpus.clamp(1, 4))
    });
    slots.acquire().await.map_err(|e| ProcessError::Worker(format!("media processing: {e}")))
}

/// Runs `work` on a blocking thread once a processing slot is free.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ProcessError> + Send + 'static,
) -> Result<T, ProcessError> {
    let _permit = processing_permit().await?;
    tokio::task::spawn_blocking(work).await.map_err(|e| ProcessError::Worker(e.to_string()))?
}
