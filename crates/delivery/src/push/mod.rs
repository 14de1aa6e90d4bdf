//! The Web Push worker: sends the queued pushes (`kereru_store::push::queue`)
//! to their subscriptions' push services through the SSRF-guarded
//! [`Fetcher`], encrypted and VAPID-signed with the tenant's key
//! ([`message`]); as many workers on any nodes as wanted.
//!
//! Answers, as Mastodon's `Web::PushNotificationWorker` takes them: 2xx done;
//! any other 4xx but 408 and 429 means the subscription is invalid or
//! expired (404 and 410 above all): it is deleted, with its queued pushes;
//! 408, 429, 5xx, timeouts and connection failures are retried after
//! `retry_base · 2^(attempt−1)` (capped, jittered) or the `Retry-After` of a
//! 429/503, until `max_attempts`; an endpoint the outbound client refuses
//! (a private address, a bad scheme) is given up at once.

pub mod message;

use crate::http::{FetchError, Fetcher, Posted};
use kereru_core::urls::Scheme;
use kereru_store::push::queue::{self, Claimed};
use kereru_store::{DomainId, Pool, StoreError};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

/// How the worker behaves.
#[derive(Debug, Clone)]
pub struct PushSettings {
    /// The public scheme, for the icon URLs in payloads.
    pub scheme: Scheme,
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
    /// Attempts before a push is given up (Mastodon: the first and 5 retries).
    pub max_attempts: u32,
    /// Finished rows are deleted this long after they finished (zero: kept).
    pub keep_finished: Duration,
}

impl PushSettings {
    pub fn new(scheme: Scheme) -> PushSettings {
        PushSettings {
            scheme,
            concurrency: 16,
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(60),
            retry_base: Duration::from_secs(15),
            retry_max: Duration::from_secs(60 * 60),
            max_attempts: 6,
            keep_finished: Duration::from_secs(24 * 60 * 60),
        }
    }

    /// The delay after failed attempt `attempts`, drawn from the upper half by `unit` in [0, 1].
    pub fn backoff(&self, attempts: u32, unit: f64) -> Duration {
        let exponent = attempts.saturating_sub(1).min(30);
        let full = self.retry_base.saturating_mul(1u32 << exponent).min(self.retry_max);
        full.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
    }
}

/// Running totals, for logs and tests.
#[derive(Debug, Default)]
pub struct PushCounters {
    pub sent: AtomicU64,
    pub retried: AtomicU64,
    pub given_up: AtomicU64,
    pub unsubscribed: AtomicU64,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done(u16),
    /// The push service no longer knows the subscription.
    Gone(u16),
    Retry {
        status: Option<u16>,
        after: Option<Duration>,
        error: String,
    },
    Final {
        status: Option<u16>,
        error: String,
    },
}

/// Classifies a push service's answer (or the failure to get one).
pub fn classify(result: &Result<Posted, FetchError>) -> Outcome {
    match result {
        Ok(Posted { status, .. }) if (200..300).contains(status) => Outcome::Done(*status),
        Ok(Posted { status, .. }) if (400..500).contains(status) && !matches!(status, 408 | 429) => {
            Outcome::Gone(*status)
        }
        Ok(Posted { status, retry_after }) if *status == 408 || *status == 429 || *status >= 500 => Outcome::Retry {
            status: Some(*status),
            after: if matches!(status, 429 | 503) { *retry_after } else { None },
            error: format!("the push service answered {status}"),
        },
        Ok(Posted { status, .. }) => {
            Outcome::Final { status: Some(*status), error: format!("the push service answered {status}") }
        }
        Err(error @ (FetchError::Refused(_) | FetchError::Client(_))) => {
            Outcome::Final { status: None, error: error.to_string() }
        }
        Err(error) => Outcome::Retry { status: None, after: None, error: error.to_string() },
    }
}

pub struct PushWorker {
    pool: Pool,
    fetcher: Arc<Fetcher>,
    settings: PushSettings,
    permits: Arc<Semaphore>,
    /// Rows being sent: what a stop hands back after the grace.
    in_flight: crate::in_flight::InFlight,
    shutdown_grace: Duration,
    pub counters: Arc<PushCounters>,
}

impl PushWorker {
    pub fn new(pool: Pool, fetcher: Arc<Fetcher>, settings: PushSettings) -> Arc<PushWorker> {
        Self::with_shutdown_grace(pool, fetcher, settings, crate::in_flight::DEFAULT_SHUTDOWN_GRACE)
    }

    /// As `new`, waiting at most `shutdown_grace` at a stop for what is in flight.
    pub fn with_shutdown_grace(
        pool: Pool,
        fetcher: Arc<Fetcher>,
        settings: PushSettings,
        shutdown_grace: Duration,
    ) -> Arc<PushWorker> {
        let permits = Arc::new(Semaphore::new(settings.concurrency.max(1)));
        let in_flight = crate::in_flight::InFlight::default();
        Arc::new(PushWorker { pool, fetcher, settings, permits, in_flight, shutdown_grace, counters: Arc::default() })
    }

    /// Claims and sends until `stop` resolves, then waits (at most the
    /// shutdown grace, under the lease) for pushes in flight; unfinished rows
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
                    tracing::warn!("pruning pushes: {error}");
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
            crate::in_flight::log_hand_back("pushes", ids.len(), released);
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
                tracing::warn!("claiming pushes failed: {error}");
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
        let outcome = match self.prepare(&row).await {
            Ok(message) => {
                let result =
                    self.fetcher.post_bytes(&row.endpoint, "application/octet-stream", message.body, &message.headers);
                classify(&result.await)
            }
            Err(outcome) => outcome,
        };
        if let Err(error) = self.record(&row, &outcome).await {
            // The lease runs out and the push is sent again: at least once.
            tracing::warn!(subscription = row.subscription_id, "recording a push failed: {error}");
        }
    }

    /// The encrypted message, or the outcome that makes sending pointless.
    async fn prepare(&self, row: &Claimed) -> Result<message::Message, Outcome> {
        let retry = |error: StoreError| Outcome::Retry { status: None, after: None, error: error.to_string() };
        let mut conn = self.pool.get().await.map_err(|e| retry(e.into()))?;
        let Some(facts) = queue::facts(&mut conn, row).await.map_err(retry)? else {
            return Err(Outcome::Final { status: None, error: "the sender is gone".into() });
        };
        let domain = DomainId(row.domain_id);
        let tenant = kereru_store::domains::get(&mut conn, domain).await.map_err(|e| Outcome::Retry {
            status: None,
            after: None,
            error: e.to_string(),
        })?;
        let recipient_urls = tenant.urls(self.settings.scheme);
        let sender_urls = match facts.from_domain_id {
            Some(id) if id != row.domain_id => kereru_store::domains::get(&mut conn, DomainId(id))
                .await
                .map(|d| d.urls(self.settings.scheme))
                .unwrap_or_else(|_| recipient_urls.clone()),
            _ => recipient_urls.clone(),
        };
        let vapid = kereru_store::push::vapid_key(&mut conn, domain).await.map_err(retry)?;
        drop(conn);
        let subject = match &tenant.owner_email {
            Some(email) if !email.is_empty() => format!("mailto:{email}"),
            _ => recipient_urls.base(),
        };
        let payload = message::payload(row, &facts, &message::icon(&facts, &sender_urls, &recipient_urls));
        message::build(row, &payload, &vapid, &subject, chrono::Utc::now().timestamp())
            .map_err(|e| Outcome::Final { status: None, error: e.to_string() })
    }

    async fn record(&self, row: &Claimed, outcome: &Outcome) -> Result<(), StoreError> {
        let mut conn = self.pool.get().await?;
        match outcome {
            Outcome::Done(status) => {
                queue::mark_done(&mut conn, row.id, row.attempts, *status).await?;
                self.counters.sent.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Gone(status) => {
                // Deleting the subscription deletes its queued pushes, this one too.
                kereru_store::push::delete(&mut conn, row.subscription_id).await?;
                self.counters.unsubscribed.fetch_add(1, Ordering::Relaxed);
                tracing::info!(
                    subscription = row.subscription_id,
                    "push subscription removed: the service answered {status}"
                );
            }
            Outcome::Final { status, error } => {
                queue::mark_failed(&mut conn, row.id, row.attempts, *status, error, Duration::ZERO, true).await?;
                self.counters.given_up.fetch_add(1, Ordering::Relaxed);
                tracing::info!(subscription = row.subscription_id, "push given up: {error}");
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
                        subscription = row.subscription_id,
                        "push given up after {attempts} attempts: {error}"
                    );
                } else {
                    self.counters.retried.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(subscription = row.subscription_id, ?delay, "push will be retried: {error}");
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
    fn answers_are_classified_as_mastodon_takes_them() {
        let posted = |status, after: Option<u64>| Ok(Posted { status, retry_after: after.map(Duration::from_secs) });
        assert_eq!(classify(&posted(201, None)), Outcome::Done(201));
        assert_eq!(classify(&posted(410, None)), Outcome::Gone(410));
        assert_eq!(classify(&posted(404, None)), Outcome::Gone(404));
        assert!(matches!(classify(&posted(429, Some(3))), Outcome::Retry { after: Some(_), .. }));
        assert!(matches!(classify(&posted(408, None)), Outcome::Retry { .. }));
        assert!(matches!(classify(&posted(500, Some(3))), Outcome::Retry { after: None, .. }));
        assert!(matches!(classify(&posted(302, None)), Outcome::Final { .. }));
        assert!(matches!(classify(&Err(FetchError::Timeout)), Outcome::Retry { status: None, .. }));
        let settings = PushSettings::new(Scheme::Https);
        assert_eq!(settings.backoff(1, 1.0), Duration::from_secs(15));
        assert_eq!(settings.backoff(2, 1.0), Duration::from_secs(30));
    }
}
