//! This process's counters, and the queue's figures logged every
//! `stats_interval` (when they changed).

use super::Worker;
use crate::queue;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// Counts of this process's work, for logs, tests and the benchmark.
#[derive(Debug, Default)]
pub struct WorkerCounters {
    pub attempts: AtomicU64,
    pub delivered: AtomicU64,
    pub retried: AtomicU64,
    pub given_up: AtomicU64,
}

impl Worker {
    pub(super) async fn log_stats(self: Arc<Self>) {
        let mut last = None;
        loop {
            tokio::time::sleep(self.settings.stats_interval).await;
            let Ok(mut conn) = self.pool.get().await else { continue };
            match queue::stats(&mut conn, 5).await {
                Ok(stats) if last.as_ref() != Some(&stats.totals) => {
                    tracing::info!(
                        queued = stats.totals.queued,
                        in_flight = stats.totals.in_flight,
                        retrying = stats.totals.retrying,
                        done = stats.totals.done,
                        given_up = stats.totals.given_up,
                        "delivery queue"
                    );
                    for host in &stats.worst_hosts {
                        tracing::info!(
                            host = %host.host,
                            pending = host.pending,
                            retrying = host.retrying,
                            given_up = host.given_up,
                            failures = host.consecutive_failures,
                            "delivery queue: worst host"
                        );
                    }
                    last = Some(stats.totals);
                }
                Ok(_) => {}
                Err(error) => tracing::warn!("queue stats: {error}"),
            }
        }
    }
}
