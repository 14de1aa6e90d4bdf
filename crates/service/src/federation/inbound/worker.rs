//! The processor of accepted activities: claims due rows, processes each
//! in a transaction that also marks it finished (so an effect and its
//! "done" commit together), retries what may pass with back-off, and
//! publishes the resulting events. Activities of one actor are processed
//! in order; different actors' concurrently.

use super::{Outcome, ProcessError, process};
use crate::events;
use crate::federation::Context;
use diesel_async::AsyncConnection;
use kereru_core::Scheme;
use kereru_delivery::http::Fetcher;
use kereru_store::Pool;
use kereru_store::inbound::{self, Finished, Inbound};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

const PRUNE_EVERY: Duration = Duration::from_secs(600);
const PRUNE_BATCH: i64 = 1000;

#[derive(Debug, Clone)]
pub struct InboundSettings {
    /// Rows claimed per round.
    pub batch: i64,
    /// Actors processed at once.
    pub concurrency: usize,
    /// How long a claimed row is kept from other processors.
    pub lease_seconds: i32,
    /// Attempts before an activity that keeps failing is given up.
    pub max_attempts: i32,
    /// How often an idle processor looks for work another node stored.
    pub poll: Duration,
    /// Finished activities are deleted this long after processing (0: kept).
    pub keep_finished_hours: i32,
    /// At a stop, how long activities being processed may still finish
    /// (bounded by three quarters of the lease); the rest go back to the queue.
    pub shutdown_grace: Duration,
}

impl Default for InboundSettings {
    fn default() -> Self {
        InboundSettings {
            batch: 64,
            concurrency: 8,
            lease_seconds: 120,
            max_attempts: 8,
            poll: Duration::from_millis(250),
            keep_finished_hours: 48,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Default)]
pub struct InboundCounters {
    pub done: AtomicU64,
    pub ignored: AtomicU64,
    pub retried: AtomicU64,
    pub failed: AtomicU64,
}

pub struct InboundWorker {
    pool: Pool,
    fetcher: Arc<Fetcher>,
    scheme: Scheme,
    settings: InboundSettings,
    /// Rung by this process's inbox after it stores an activity.
    pub wake: Arc<Notify>,
    pub counters: InboundCounters,
    /// Set once a stop was asked for: no further claimed row is started.
    stopping: AtomicBool,
    /// Claimed rows not finished yet: what a stop hands back.
    unfinished: std::sync::Mutex<std::collections::BTreeSet<i64>>,
}

impl InboundWorker {
    pub fn new(pool: Pool, fetcher: Arc<Fetcher>, scheme: Scheme, settings: InboundSettings) -> Arc<Self> {
        Arc::new(InboundWorker {
            pool,
            fetcher,
            scheme,
            settings,
            wake: Arc::new(Notify::new()),
            counters: InboundCounters::default(),
            stopping: AtomicBool::new(false),
            unfinished: std::sync::Mutex::default(),
        })
    }

    /// Processes until `stop` resolves.
    pub async fn run(self: Arc<Self>, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let mut next_prune = tokio::time::Instant::now();
        loop {
            if self.settings.keep_finished_hours > 0 && tokio::time::Instant::now() >= next_prune {
                self.prune().await;
                next_prune = tokio::time::Instant::now() + PRUNE_EVERY;
            }
            let round = self.round();
            tokio::pin!(round);
            let result = tokio::select! {
                result = &mut round => result,
                () = &mut stop => {
                    // Rows being processed get the grace; rows not started are not started.
                    self.stopping.store(true, Ordering::SeqCst);
                    let _ = tokio::time::timeout(self.drain_limit(), &mut round).await;
                    return self.hand_back().await;
                }
            };
            let claimed = match result {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::warn!("inbound processing: {error}");
                    0
                }
            };
            if claimed as i64 >= self.settings.batch {
                continue;
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.settings.poll) => {}
            }
        }
    }

    /// How long a stop waits for rows being processed: the grace, but never
    /// so long that their leases could run out (another node may then hold them).
    fn drain_limit(&self) -> Duration {
        let lease = Duration::from_secs(u64::try_from(self.settings.lease_seconds).unwrap_or(0));
        kereru_delivery::in_flight::drain_limit(self.settings.shutdown_grace, lease)
    }

    /// At a stop: what this processor claimed and did not finish is due
    /// again at once, for any node (processing is transactional, so an
    /// abandoned row left no effect behind).
    async fn hand_back(&self) {
        let ids: Vec<i64> =
            std::mem::take(&mut *self.unfinished.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
                .into_iter()
                .collect();
        if ids.is_empty() {
            return;
        }
        let released = match self.pool.get().await {
            Ok(mut conn) => inbound::release(&mut conn, &ids).await.map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        };
        match released {
            Ok(n) => tracing::info!("stopping: {n} inbound activities handed back to the queue"),
            Err(error) => tracing::warn!(
                "stopping: handing back {} inbound activities failed ({error}); their leases will run out",
                ids.len()
            ),
        }
    }

    /// Deletes old finished activities, a batch at a time (the ids stay unique
    /// only while kept: a redelivery after that is processed again, harmlessly).
    async fn prune(&self) {
        let Ok(mut conn) = self.pool.get().await else { return };
        loop {
            match inbound::prune(&mut conn, self.settings.keep_finished_hours, PRUNE_BATCH).await {
                Ok(deleted) if deleted as i64 == PRUNE_BATCH => continue,
                Ok(_) => return,
                Err(error) => return tracing::warn!("pruning inbound activities: {error}"),
            }
        }
    }

    /// One round: claims due rows and processes them; how many it claimed.
    pub async fn round(self: &Arc<Self>) -> Result<usize, kereru_store::StoreError> {
        let rows = {
            let mut conn = self.pool.get().await?;
            inbound::claim(&mut conn, self.settings.batch, self.settings.lease_seconds).await?
        };
        let claimed = rows.len();
        self.unfinished.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend(rows.iter().map(|row| row.id));
        let mut by_actor: BTreeMap<String, Vec<Inbound>> = BTreeMap::new();
        for row in rows {
            by_actor.entry(row.actor_uri.clone()).or_default().push(row);
        }
        let limit = Arc::new(tokio::sync::Semaphore::new(self.settings.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for (_, rows) in by_actor {
            let worker = Arc::clone(self);
            let limit = Arc::clone(&limit);
            tasks.spawn(async move {
                let Ok(_permit) = limit.acquire_owned().await else { return };
                for row in rows {
                    if worker.stopping.load(Ordering::SeqCst) {
                        return;
                    }
                    worker.handle(&row).await;
                    worker.unfinished.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&row.id);
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        Ok(claimed)
    }

    async fn handle(&self, row: &Inbound) {
        let mut conn = match self.pool.get().await {
            Ok(conn) => conn,
            // The lease runs out and the row comes back.
            Err(error) => return tracing::warn!("inbound {}: no connection: {error}", row.id),
        };
        let context = Context { fetcher: &self.fetcher, scheme: self.scheme };
        let result = conn
            .transaction(async |conn| -> Result<super::Processed, ProcessError> {
                let processed = process(conn, context, row).await?;
                let (how, text) = match &processed.outcome {
                    Outcome::Done(what) => (Finished::Done, what.as_str()),
                    Outcome::Ignored(why) => (Finished::Ignored, why.as_str()),
                };
                inbound::finish(conn, row.id, how, text).await?;
                Ok(processed)
            })
            .await;
        let outcome = match result {
            Ok(processed) => {
                tracing::debug!(activity = %row.activity_uri, "processed: {:?}", processed.outcome);
                let counter = match &processed.outcome {
                    Outcome::Done(_) => &self.counters.done,
                    Outcome::Ignored(why) => {
                        tracing::debug!(activity = %row.activity_uri, "ignored: {why}");
                        &self.counters.ignored
                    }
                };
                counter.fetch_add(1, Ordering::Relaxed);
                kereru_metrics::inbound_processed(lag(row));
                events::publish(&mut conn, &processed.events).await;
                Ok(())
            }
            Err(ProcessError::Invalid(reason)) => {
                tracing::info!(activity = %row.activity_uri, "refused: {reason}");
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                kereru_metrics::inbound_processed(lag(row));
                inbound::finish(&mut conn, row.id, Finished::Failed, &reason).await
            }
            Err(ProcessError::Retry(reason)) if row.attempts >= self.settings.max_attempts => {
                tracing::warn!(activity = %row.activity_uri, "given up after {} attempts: {reason}", row.attempts);
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                inbound::finish(&mut conn, row.id, Finished::Failed, &reason).await
            }
            Err(ProcessError::Retry(reason)) => {
                let delay = 10i32.saturating_mul(1 << row.attempts.clamp(0, 11)).min(6 * 3600);
                tracing::info!(activity = %row.activity_uri, "retrying in {delay} s: {reason}");
                self.counters.retried.fetch_add(1, Ordering::Relaxed);
                inbound::retry_later(&mut conn, row.id, delay, &reason).await
            }
        };
        if let Err(error) = outcome {
            tracing::warn!("inbound {}: {error}", row.id);
        }
    }
}

/// How long `row` waited between its inbox and its processing.
fn lag(row: &Inbound) -> std::time::Duration {
    (chrono::Utc::now() - row.received_at).to_std().unwrap_or_default()
}
