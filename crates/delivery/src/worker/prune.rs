//! Deleting finished deliveries, and activities with none left, once they
//! are older than `keep_finished`.

use super::Worker;
use crate::queue;
use std::sync::Arc;

/// Rows deleted per pruning statement.
pub const PRUNE_BATCH: i64 = 1000;

impl Worker {
    /// Every `prune_interval`, deletes finished rows older than
    /// `keep_finished`, a batch per statement until a batch comes back short.
    pub(super) async fn prune_finished(self: Arc<Self>) {
        loop {
            tokio::time::sleep(self.settings.prune_interval).await;
            let mut total = queue::Pruned::default();
            loop {
                let pruned = match self.pool.get().await {
                    Ok(mut conn) => queue::prune(&mut conn, self.settings.keep_finished, PRUNE_BATCH).await,
                    Err(error) => {
                        tracing::warn!("pruning the delivery queue: {error}");
                        break;
                    }
                };
                match pruned {
                    Ok(pruned) => {
                        total.deliveries += pruned.deliveries;
                        total.activities += pruned.activities;
                        let batch = PRUNE_BATCH as u64;
                        if pruned.deliveries < batch && pruned.activities < batch {
                            break;
                        }
                        // Let other work at the database between batches.
                        tokio::task::yield_now().await;
                    }
                    Err(error) => {
                        tracing::warn!("pruning the delivery queue: {error}");
                        break;
                    }
                }
            }
            // The tenants' usage counters past any window read (one bounded batch a round).
            if let Ok(mut conn) = self.pool.get().await
                && let Err(error) = kereru_store::usage::prune(&mut conn).await
            {
                tracing::warn!("pruning usage counters: {error}");
            }
            if total != queue::Pruned::default() {
                tracing::info!(
                    deliveries = total.deliveries,
                    activities = total.activities,
                    "delivery queue: finished rows pruned"
                );
            }
        }
    }
}
