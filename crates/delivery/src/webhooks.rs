//! The webhook worker: sends the provider webhooks' queued deliveries
//! (`kereru_store::webhooks::queue`) as signed JSON POSTs through the
//! SSRF-guarded [`Fetcher`], as many workers on any nodes as wanted.
//!
//! - Each POST carries the event's stored body and `Kereru-Webhook-Id`,
//!   `Kereru-Webhook-Timestamp` and `Kereru-Webhook-Signature`
//!   (`kereru_core::webhooks::signature`, over `"<timestamp>.<body>"`).
//! - 2xx: done. Any other answer, a timeout or a connection failure: retried
//!   after `retry_base · 2^(attempt−1)` (capped at `retry_max`, drawn from
//!   the upper half), or after `Retry-After` when a 429 or 503 gives one;
//!   the `max_attempts`-th failure gives the row up. A URL the outbound
//!   client refuses (a private address, a bad scheme) is given up at once.
//! - Bounded: `concurrency` POSTs in flight per process, each within the
//!   fetcher's deadline, so a receiver that hangs or fails only delays its
//!   own rows; nothing else waits on webhooks.

use crate::http::{FetchError, Fetcher, Posted};
use kereru_core::webhooks::{ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature};
use kereru_store::Pool;
use kereru_store::webhooks::queue::{self, Claimed};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

/// How the worker behaves (`[provider]` webhook keys in the configuration).
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// POSTs in flight in this process.
    pub concurrency: usize,
    /// How often an idle worker looks for due rows.
    pub poll_interval: Duration,
    /// How long a claimed row is reserved for its worker (over the fetch deadline).
    pub lease: Duration,
    /// First retry delay; doubled per attempt, with jitter.
    pub retry_base: Duration,
    /// Longest delay between two attempts.
    pub retry_max: Duration,
    /// Attempts before a delivery is given up.
    pub max_attempts: u32,
    /// Finished deliveries are deleted this long after they finished (zero: kept).
    pub keep_finished: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            concurrency: 16,
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            retry_base: Duration::from_secs(10),
            retry_max: Duration::from_secs(6 * 60 * 60),
            max_attempts: 12,
            keep_finished: Duration::from_secs(7 * 24 * 60 * 60),
        }
    }
}

impl WebhookSettings {
    /// The delay after failed attempt `attempts`: `retry_base * 2^(attempts-1)`
    /// capped at `retry_max`, drawn from its upper half by `unit` in [0, 1].
    pub fn backoff(&self, attempts: u32, unit: f64) -> Duration {
        let exponent = attempts.saturating_sub(1).min(30);
        let full = self.retry_base.saturating_mul(1u32 << exponent).min(self.retry_max);
        full.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
    }
}

/// Running totals, for logs and tests.
#[derive(Debug, Default)]
pub struct WebhookCounters {
    pub sent: AtomicU64,
    pub retried: AtomicU64,
    pub given_up: AtomicU64,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done(u16),
    Retry { status: Option<u16>, after: Option<Duration>, error: String },
    Final { status: Option<u16>, error: String },
}

/// Classifies a receiver's answer (or the failure to get one).
pub fn classify(result: &Result<Posted, FetchError>) -> Outcome {
    match result {
        Ok(Posted { status, .. }) if (200..300).contains(status) => Outcome::Done(*status),
        Ok(Posted { status, retry_after }) => Outcome::Retry {
            status: Some(*status),
            after: if matches!(status, 429 | 503) { *retry_after } else { None },
            error: format!("the receiver answered {status}"),
        },
        Err(error @ (FetchError::Refused(_) | FetchError::Client(_))) => {
            Outcome::Final { status: None, error: error.to_string() }
        }
        Err(error) => Outcome::Retry { status: None, after: None, error: error.to_string() },
    }
}

pub struct WebhookWorker {
    pool: Pool,
    fetcher: Arc<Fetcher>,
    settings: WebhookSettings,
    permits: Arc<Semaphore>,
    /// Rows being sent: what a stop hands back after the grace.
    in_flight: crate::in_flight::InFlight,
    shutdown_grace: Duration,
    pub counters: Arc<WebhookCounters>,
}

impl WebhookWorker {
    pub fn new(pool: Pool, fetcher: Arc<Fetcher>, settings: WebhookSettings) -> Arc<WebhookWorker> {
        Self::with_shutdown_grace(pool, fetcher, settings, crate::in_flight::DEFAULT_SHUTDOWN_GRACE)
    }

    /// As `new`, waiting at most `shutdown_grace` at a stop for what is in flight.
    pub fn with_shutdown_grace(
        pool: Pool,
        fetcher: Arc<Fetcher>,
        settings: WebhookSettings,
        shutdown_grace: Duration,
    ) -> Arc<WebhookWorker> {
        let permits = Arc::new(Semaphore::new(settings.concurrency.max(1)));
        let in_flight = crate::in_flight::InFlight::default();
        Arc::new(WebhookWorker {
            pool,
            fetcher,
            settings,
            permits,
            in_flight,
            shutdown_grace,
            counters: Arc::default(),
        })
    }

    /// Claims and sends until `stop` resolves, then waits (at most the
    /// shutdown grace, under the lease) for POSTs in flight; unfinished rows
    /// are handed back to the queue at once.
    pub async fn run(self: Arc<Self>, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let mut last_prune = tokio::time::Instant::now();
        loop {
            let got = self.round().await;
            if !self.settings.keep_finished.is_zero() && last_prune.elapsed() > Duration::from_secs(600) {
                last_prune = tokio::time::Instant::now();
                if let Ok(mut conn) = self.pool.get().await
                    && let Err(error) = queue::prune(&mut conn, self.settings.keep_finished).await
                {
                    tracing::warn!("pruning webhook deliveries: {error}");
                }
            }
            if got == 0 {
                tokio::select! {
                    () = &mut stop => break,
                    () = tokio::time::sleep(self.settings.poll_interval) => {}
                }
            } else if tokio::time::timeout(Duration::ZERO, &mut stop).await.is_ok() {
                break;
            }
        }
        let all = u32::try_from(self.settings.concurrency.max(1)).unwrap_or(u32::MAX);
        let drain = crate::in_flight::drain_limit(self.shutdown_grace, self.settings.lease);
        if tokio::time::timeout(drain, self.permits.acquire_many(all)).await.is_err() {
            // What is still in flight goes back to the queue at once (sent again: at least once).
            let ids = self.in_flight.abandon();
            let released = match self.pool.get().await {
                Ok(mut conn) => queue::release(&mut conn, &ids).await.map_err(|e| e.to_string()),
                Err(error) => Err(error.to_string()),
            };
            crate::in_flight::log_hand_back("webhook deliveries", ids.len(), released);
        }
    }

    /// One claim: as many due rows as there are free permits, each sent on a
    /// task of its own. Returns how many were claimed.
    pub async fn round(self: &Arc<Self>) -> usize {
        let Ok(first) = Arc::clone(&self.permits).acquire_owned().await else { return 0 };
        let mut permits = vec![first];
        while let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() {
            permits.push(permit);
        }
        let claimed = match self.pool.get().await {
            Ok(mut conn) => {
                queue::claim(&mut conn, permits.len(), self.settings.lease).await.map_err(|e| e.to_string())
            }
            Err(error) => Err(error.to_string()),
        };
        let rows = match claimed {
            Ok(rows) => rows,
            Err(error) => {
                tracing::warn!("claiming webhook deliveries failed: {error}");
                return 0;
            }
        };
        let got = rows.len();
        for (row, permit) in rows.into_iter().zip(permits.drain(..)) {
            let worker = Arc::clone(self);
            self.in_flight.spawn(row.id, async move {
                worker.send(row).await;
                drop(permit);
            });
        }
        got
    }

    async fn send(&self, row: Claimed) {
        let timestamp = chrono::Utc::now().timestamp();
        let headers = [
            (ID_HEADER, row.event_id.to_string()),
            (TIMESTAMP_HEADER, timestamp.to_string()),
            (SIGNATURE_HEADER, signature(&row.secret, timestamp, row.body.as_bytes())),
        ];
        let body: Arc<str> = Arc::from(row.body.as_str());
        let outcome = classify(&self.fetcher.post_json(&row.url, body, &headers).await);
        if let Err(error) = self.record(&row, &outcome).await {
            // The lease runs out and the row is sent again: at least once.
            tracing::warn!(webhook = row.webhook_id, "recording a webhook delivery failed: {error}");
        }
    }

    async fn record(&self, row: &Claimed, outcome: &Outcome) -> Result<(), kereru_store::StoreError> {
        let mut conn = self.pool.get().await?;
        match outcome {
            Outcome::Done(status) => {
                queue::mark_done(&mut conn, row.id, row.attempts, *status).await?;
                self.counters.sent.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Final { status, error } => {
                queue::mark_failed(&mut conn, row.id, row.attempts, *status, error, Duration::ZERO, true).await?;
                self.counters.given_up.fetch_add(1, Ordering::Relaxed);
                tracing::info!(webhook = row.webhook_id, "webhook delivery given up: {error}");
            }
            Outcome::Retry { status, after, error } => {
                let attempts = u32::try_from(row.attempts).unwrap_or(1);
                let give_up = attempts >= self.settings.max_attempts.max(1);
                let delay = match after {
                    Some(after) => (*after).min(self.settings.retry_max),
                    None => self.settings.backoff(attempts, rand::random::<f64>()),
                };
                queue::mark_failed(&mut conn, row.id, row.attempts, *status, error, delay, give_up).await?;
                if give_up {
                    self.counters.given_up.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(
                        webhook = row.webhook_id,
                        "webhook delivery given up after {attempts} attempts: {error}"
                    );
                } else {
                    self.counters.retried.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(webhook = row.webhook_id, ?delay, "webhook delivery will be retried: {error}");
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified_and_backoff_doubles() {
        let posted = |status, after: Option<u64>| Ok(Posted { status, retry_after: after.map(Duration::from_secs) });
        assert_eq!(classify(&posted(204, None)), Outcome::Done(204));
        assert!(matches!(classify(&posted(500, Some(3))), Outcome::Retry { after: None, .. }));
        assert!(matches!(classify(&posted(429, Some(3))), Outcome::Retry { after: Some(_), .. }));
        assert!(matches!(classify(&posted(404, None)), Outcome::Retry { status: Some(404), .. }));
        assert!(matches!(classify(&Err(FetchError::Timeout)), Outcome::Retry { status: None, .. }));
        assert!(matches!(
            classify(&Err(FetchError::Refused(crate::http::Refusal::Scheme("ftp".into())))),
            Outcome::Final { .. }
        ));
        let settings = WebhookSettings {
            retry_base: Duration::from_secs(10),
            retry_max: Duration::from_secs(60),
            ..WebhookSettings::default()
        };
        assert_eq!(settings.backoff(1, 1.0), Duration::from_secs(10));
        assert_eq!(settings.backoff(2, 1.0), Duration::from_secs(20));
        assert_eq!(settings.backoff(2, 0.0), Duration::from_secs(10));
        assert_eq!(settings.backoff(9, 1.0), Duration::from_secs(60));
    }
}
