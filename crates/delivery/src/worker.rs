//! The delivery worker: claims due rows from the [`crate::queue`] and sends
//! them, as many processes and nodes as wanted sharing one queue.
//!
//! - Bounded: at most [`WorkerSettings::concurrency`] deliveries in flight
//!   per process (a semaphore; rows are only claimed for free permits) and
//!   at most [`WorkerSettings::per_host`] per remote host (counted in the
//!   claim across all workers, and by a semaphore per host here).
//! - Each sender's key is parsed once and its `Signer` cached; signatures
//!   are made on blocking threads (`Fetcher::post_activity`).
//! - Answers: 2xx done; 410 gone; 429 and 503 retried after `Retry-After`
//!   when given; 5xx, 408, timeouts and connection failures retried with
//!   exponential backoff and jitter and counted against the host; other
//!   4xx, redirects (not followed for deliveries) and refused addresses
//!   are final.

use crate::http::{FetchError, Fetcher, Posted};
use crate::queue::{self, Claimed};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kereru_core::signatures::Signer;
use kereru_store::Pool;
use kereru_store::schema::accounts;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OnceCell, Semaphore};

/// How a worker behaves; `[delivery]` in the configuration.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Deliveries in flight in this process.
    pub concurrency: usize,
    /// Deliveries in flight per remote host.
    pub per_host: usize,
    /// Rows claimed per query at most.
    pub batch: usize,
    /// How often an idle worker looks for due rows.
    pub poll_interval: Duration,
    /// How long a claimed row is reserved for its worker; a worker that
    /// dies holds its rows this long. Must exceed the request timeout.
    pub lease: Duration,
    /// First retry delay; doubled per attempt, with jitter.
    pub retry_base: Duration,
    /// Longest delay between two attempts.
    pub retry_max: Duration,
    /// After this long since a row was queued, it is given up.
    pub horizon: Duration,
    /// Consecutive failures after which a host is marked unavailable.
    pub host_failure_threshold: u32,
    /// How often the worker logs the queue's figures (zero: never).
    pub stats_interval: Duration,
    /// Finished deliveries (done or given up), and activities with none
    /// left, are deleted this long after they finished (zero: kept for ever).
    pub keep_finished: Duration,
    /// How often the worker prunes them.
    pub prune_interval: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            concurrency: 256,
            per_host: 8,
            batch: 256,
            poll_interval: Duration::from_millis(1000),
            lease: Duration::from_secs(120),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(6 * 60 * 60),
            horizon: Duration::from_secs(7 * 24 * 60 * 60),
            host_failure_threshold: 10,
            stats_interval: Duration::from_secs(60),
            keep_finished: Duration::from_secs(48 * 60 * 60),
            prune_interval: Duration::from_secs(600),
        }
    }
}

impl WorkerSettings {
    /// The delay before attempt `attempts + 1`: `retry_base * 2^(attempts-1)`
    /// capped at `retry_max`, then drawn uniformly from its upper half.
    pub fn backoff(&self, attempts: u32, unit: f64) -> Duration {
        let exponent = attempts.saturating_sub(1).min(30);
        let full = self.retry_base.saturating_mul(1u32 << exponent).min(self.retry_max);
        full.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
    }

    /// How long a host stays unavailable once it passed the threshold by
    /// `over` failures: the backoff for that many attempts, at least the base.
    fn host_pause(&self, over: u32) -> Duration {
        let exponent = over.min(30);
        self.retry_base.saturating_mul(1u32 << exponent).min(self.retry_max)
    }
}

/// What the worker made of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done(u16),
    Gone,
    Final { status: Option<u16>, reason: String },
    Retry { status: Option<u16>, after: Option<Duration>, error: String, host_failure: bool },
}

/// Classifies an inbox's answer (or the failure to get one).
pub fn classify(result: &Result<Posted, FetchError>) -> Outcome {
    match result {
        Ok(Posted { status, retry_after }) => {
            let status = *status;
            match status {
                200..=299 => Outcome::Done(status),
                410 => Outcome::Gone,
                429 => Outcome::Retry {
                    status: Some(status),
                    after: *retry_after,
                    error: "429 Too Many Requests".into(),
                    host_failure: false,
                },
                503 => Outcome::Retry {
                    status: Some(status),
                    after: *retry_after,
                    error: "503 Service Unavailable".into(),
                    host_failure: true,
                },
                408 | 500..=599 => Outcome::Retry {
                    status: Some(status),
                    after: None,
                    error: format!("the inbox answered {status}"),
                    host_failure: true,
                },
                300..=399 => Outcome::Final {
                    status: Some(status),
                    reason: format!("the inbox answered {status}; redirects are not followed for deliveries"),
                },
                400..=499 => Outcome::Final { status: Some(status), reason: format!("the inbox answered {status}") },
                _ => Outcome::Retry {
                    status: Some(status),
                    after: None,
                    error: format!("unexpected status {status}"),
                    host_failure: true,
                },
            }
        }
        Err(FetchError::Refused(refusal)) => Outcome::Final { status: None, reason: format!("refused: {refusal}") },
        Err(FetchError::Sign(error)) => Outcome::Final { status: None, reason: format!("cannot sign: {error}") },
        Err(error) => Outcome::Retry { status: None, after: None, error: error.to_string(), host_failure: true },
    }
}

/// Counts of this process's work, for logs, tests and the benchmark.
#[derive(Debug, Default)]
pub struct WorkerCounters {
    pub attempts: AtomicU64,
    pub delivered: AtomicU64,
    pub retried: AtomicU64,
    pub given_up: AtomicU64,
}

/// One process's delivery worker. Build it once, `run` it on the runtime.
pub struct Worker {
    pool: Pool,
    /// For a host with one delivery at hand: no idle connection is kept,
    /// so a fan-out to many hosts holds nothing per host once it is done.
    fetcher: Arc<Fetcher>,
    /// For a host with several deliveries at hand (in one claim, or one in
    /// flight already): connections are kept alive between them.
    keep_alive: Arc<Fetcher>,
    settings: WorkerSettings,
    global: Arc<Semaphore>,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    signers: Mutex<SignerCache>,
    bodies: Mutex<HashMap<i64, Arc<OnceCell<Arc<str>>>>>,
    pub counters: Arc<WorkerCounters>,
}

/// Parsed signing keys by (account, key id), each parsed once.
type SignerCache = HashMap<(i64, String), Arc<OnceCell<Arc<Signer>>>>;

/// Rows deleted per pruning statement.
pub const PRUNE_BATCH: i64 = 1000;

/// Cached bodies and signers kept before the caches are emptied.
const CACHE_LIMIT: usize = 4096;

#[derive(Debug, thiserror::Error)]
enum AttemptError {
    #[error("database: {0}")]
    Store(String),
    #[error("the sender's key: {0}")]
    Key(String),
    #[error("the activity is gone")]
    NoActivity,
}

impl Worker {
    /// A worker sending everything with one client.
    pub fn new(pool: Pool, fetcher: Arc<Fetcher>, settings: WorkerSettings) -> Arc<Worker> {
        Self::with_clients(pool, Arc::clone(&fetcher), fetcher, settings)
    }

    /// A worker with a client that keeps no idle connections (`one_shot`)
    /// for hosts with a single delivery, and a pooled one (`keep_alive`) for
    /// hosts with several at hand.
    pub fn with_clients(
        pool: Pool,
        one_shot: Arc<Fetcher>,
        keep_alive: Arc<Fetcher>,
        settings: WorkerSettings,
    ) -> Arc<Worker> {
        let concurrency = settings.concurrency.max(1);
        Arc::new(Worker {
            pool,
            fetcher: one_shot,
            keep_alive,
            settings,
            global: Arc::new(Semaphore::new(concurrency)),
            hosts: Mutex::new(HashMap::new()),
            signers: Mutex::new(HashMap::new()),
            bodies: Mutex::new(HashMap::new()),
            counters: Arc::default(),
        })
    }

    /// Claims and delivers until `stop` resolves, then waits (at most the
    /// lease) for deliveries in flight. Rows it could not finish are left
    /// to their leases and delivered again by whoever claims them next.
    pub async fn run(self: Arc<Self>, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let stats_task = (!self.settings.stats_interval.is_zero()).then(|| tokio::spawn(Arc::clone(&self).log_stats()));
        let prune_task = (!self.settings.keep_finished.is_zero() && !self.settings.prune_interval.is_zero())
            .then(|| tokio::spawn(Arc::clone(&self).prune_finished()));
        loop {
            let first = tokio::select! {
                () = &mut stop => break,
                permit = Arc::clone(&self.global).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
            };
            let mut permits = vec![first];
            while permits.len() < self.settings.batch.max(1) {
                match Arc::clone(&self.global).try_acquire_owned() {
                    Ok(permit) => permits.push(permit),
                    Err(_) => break,
                }
            }
            let wanted = permits.len();
            let claimed = match self.pool.get().await {
                Ok(mut conn) => queue::claim(&mut conn, wanted, self.settings.per_host.max(1), self.settings.lease)
                    .await
                    .map_err(|e| e.to_string()),
                Err(error) => Err(error.to_string()),
            };
            let got = match claimed {
                Ok(rows) => {
                    let got = rows.len();
                    let mut per_host: HashMap<&str, usize> = HashMap::new();
                    for row in &rows {
                        *per_host.entry(row.host.as_str()).or_default() += 1;
                    }
                    let busy: Vec<bool> =
                        rows.iter().map(|row| per_host[row.host.as_str()] > 1 || self.in_flight(&row.host)).collect();
                    for ((row, permit), keep_alive) in rows.into_iter().zip(permits.drain(..)).zip(busy) {
                        let worker = Arc::clone(&self);
                        tokio::spawn(async move {
                            worker.deliver(row, keep_alive).await;
                            drop(permit);
                        });
                    }
                    got
                }
                Err(error) => {
                    tracing::warn!("claiming deliveries failed: {error}");
                    0
                }
            };
            drop(permits);
            if got < wanted {
                tokio::select! {
                    () = &mut stop => break,
                    () = tokio::time::sleep(self.settings.poll_interval) => {}
                }
            }
        }
        for task in [stats_task, prune_task].into_iter().flatten() {
            task.abort();
        }
        let all = u32::try_from(self.settings.concurrency.max(1)).unwrap_or(u32::MAX);
        if tokio::time::timeout(self.settings.lease, self.global.acquire_many(all)).await.is_err() {
            tracing::warn!(
                "deliveries still in flight at shutdown; their leases will run out and they will be sent again"
            );
        }
    }

    async fn log_stats(self: Arc<Self>) {
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

    /// Every `prune_interval`, deletes finished rows older than
    /// `keep_finished`, a batch per statement until a batch comes back short.
    async fn prune_finished(self: Arc<Self>) {
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
            if total != queue::Pruned::default() {
                tracing::info!(
                    deliveries = total.deliveries,
                    activities = total.activities,
                    "delivery queue: finished rows pruned"
                );
            }
        }
    }

    /// Whether a delivery to `host` is in flight or waiting right now.
    fn in_flight(&self, host: &str) -> bool {
        let hosts = self.hosts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        hosts.get(host).is_some_and(|semaphore| Arc::strong_count(semaphore) > 1)
    }

    fn host_semaphore(&self, host: &str) -> Arc<Semaphore> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if hosts.len() > CACHE_LIMIT {
            // Forget idle hosts (no one holds or waits on their semaphore).
            hosts.retain(|_, semaphore| Arc::strong_count(semaphore) > 1);
        }
        Arc::clone(
            hosts.entry(host.to_string()).or_insert_with(|| Arc::new(Semaphore::new(self.settings.per_host.max(1)))),
        )
    }

    async fn signer(&self, account: i64, key_id: &str) -> Result<Arc<Signer>, AttemptError> {
        let cell = {
            let mut signers = self.signers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if signers.len() > CACHE_LIMIT {
                signers.clear();
            }
            Arc::clone(signers.entry((account, key_id.to_string())).or_default())
        };
        let signer = cell
            .get_or_try_init(|| async {
                let mut conn = self.pool.get().await.map_err(|e| AttemptError::Store(e.to_string()))?;
                // Only local accounts have a private key (remote ones are NULL).
                let der: Option<Vec<u8>> = accounts::table
                    .find(account)
                    .select(accounts::private_key_pkcs8)
                    .first(&mut conn)
                    .await
                    .map_err(|e| AttemptError::Store(e.to_string()))?;
                let der = der.ok_or_else(|| AttemptError::Key(format!("account {account} has no private key")))?;
                let key_id = key_id.to_string();
                let signer = tokio::task::spawn_blocking(move || Signer::from_rsa_pkcs8_der(key_id, &der))
                    .await
                    .map_err(|e| AttemptError::Key(e.to_string()))?
                    .map_err(|e| AttemptError::Key(e.to_string()))?;
                Ok::<_, AttemptError>(Arc::new(signer))
            })
            .await?;
        Ok(Arc::clone(signer))
    }

    async fn body(&self, activity: i64) -> Result<Arc<str>, AttemptError> {
        let cell = {
            let mut bodies = self.bodies.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if bodies.len() > CACHE_LIMIT {
                bodies.clear();
            }
            Arc::clone(bodies.entry(activity).or_default())
        };
        let body = cell
            .get_or_try_init(|| async {
                let mut conn = self.pool.get().await.map_err(|e| AttemptError::Store(e.to_string()))?;
                let found =
                    queue::bodies(&mut conn, &[activity]).await.map_err(|e| AttemptError::Store(e.to_string()))?;
                let (_, body) = found.into_iter().next().ok_or(AttemptError::NoActivity)?;
                Ok::<_, AttemptError>(Arc::<str>::from(body))
            })
            .await?;
        Ok(Arc::clone(body))
    }

    async fn deliver(&self, row: Claimed, keep_alive: bool) {
        let host = self.host_semaphore(&row.host);
        let Ok(_host_permit) = host.acquire().await else { return };
        self.counters.attempts.fetch_add(1, Ordering::Relaxed);
        let prepared = async {
            Ok::<_, AttemptError>((self.signer(row.account_id, &row.key_id).await?, self.body(row.activity_id).await?))
        }
        .await;
        let outcome = match prepared {
            Ok((signer, body)) => {
                let client = if keep_alive { &self.keep_alive } else { &self.fetcher };
                classify(&client.post_activity(&row.inbox, body, signer).await)
            }
            // Our own trouble (the database, a key that does not parse):
            // retried, not counted against the remote host.
            Err(AttemptError::Key(error)) => {
                Outcome::Final { status: None, reason: format!("the sender's key: {error}") }
            }
            Err(AttemptError::NoActivity) => Outcome::Final { status: None, reason: "the activity is gone".into() },
            Err(error) => Outcome::Retry { status: None, after: None, error: error.to_string(), host_failure: false },
        };
        if let Err(error) = self.record(&row, &outcome).await {
            // The lease runs out and the row is sent again: at least once.
            tracing::warn!(inbox = %row.inbox, "recording a delivery failed: {error}");
        }
    }

    async fn record(&self, row: &Claimed, outcome: &Outcome) -> Result<(), String> {
        let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
        let settings = &self.settings;
        match outcome {
            Outcome::Done(status) => {
                if queue::mark_done(&mut conn, row, *status).await.map_err(|e| e.to_string())? {
                    tracing::info!(host = %row.host, "host answering again; its deliveries resume");
                }
                self.counters.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Gone => {
                queue::mark_gone(&mut conn, row).await.map_err(|e| e.to_string())?;
                self.counters.given_up.fetch_add(1, Ordering::Relaxed);
                tracing::info!(inbox = %row.inbox, "inbox gone (410)");
            }
            Outcome::Final { status, reason } => {
                queue::mark_given_up(&mut conn, row, *status, reason).await.map_err(|e| e.to_string())?;
                self.counters.given_up.fetch_add(1, Ordering::Relaxed);
                tracing::info!(inbox = %row.inbox, "delivery given up: {reason}");
            }
            Outcome::Retry { status, after, error, host_failure } => {
                let attempts = u32::try_from(row.attempts).unwrap_or(1);
                let delay = match after {
                    Some(after) => (*after).min(settings.horizon),
                    None => settings.backoff(attempts, rand::random::<f64>()),
                };
                let given_up = queue::mark_retry(
                    &mut conn,
                    row,
                    delay,
                    *status,
                    error,
                    *host_failure,
                    settings.horizon,
                    settings.host_failure_threshold.max(1),
                    |over| settings.host_pause(over),
                )
                .await
                .map_err(|e| e.to_string())?;
                if given_up {
                    self.counters.given_up.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(inbox = %row.inbox, "delivery given up after the retry horizon: {error}");
                } else {
                    self.counters.retried.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(inbox = %row.inbox, ?delay, "delivery will be retried: {error}");
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posted(status: u16, retry_after: Option<u64>) -> Result<Posted, FetchError> {
        Ok(Posted { status, retry_after: retry_after.map(Duration::from_secs) })
    }

    #[test]
    fn answers_are_classified() {
        assert_eq!(classify(&posted(202, None)), Outcome::Done(202));
        assert_eq!(classify(&posted(410, None)), Outcome::Gone);
        assert!(matches!(classify(&posted(404, None)), Outcome::Final { status: Some(404), .. }));
        assert!(matches!(classify(&posted(401, None)), Outcome::Final { .. }));
        assert!(matches!(classify(&posted(302, None)), Outcome::Final { .. }));
        assert!(matches!(
            classify(&posted(429, Some(7))),
            Outcome::Retry { after: Some(d), host_failure: false, .. } if d == Duration::from_secs(7)
        ));
        assert!(matches!(classify(&posted(503, Some(9))), Outcome::Retry { after: Some(_), host_failure: true, .. }));
        assert!(matches!(classify(&posted(500, Some(9))), Outcome::Retry { after: None, host_failure: true, .. }));
        assert!(matches!(classify(&Err(FetchError::Timeout)), Outcome::Retry { host_failure: true, .. }));
        assert!(matches!(classify(&Err(FetchError::Connect("refused".into()))), Outcome::Retry { .. }));
        assert!(matches!(
            classify(&Err(FetchError::Refused(crate::http::Refusal::Scheme("ftp".into())))),
            Outcome::Final { .. }
        ));
    }

    #[test]
    fn backoff_doubles_within_bounds_with_jitter() {
        let settings = WorkerSettings {
            retry_base: Duration::from_secs(10),
            retry_max: Duration::from_secs(100),
            ..WorkerSettings::default()
        };
        assert_eq!(settings.backoff(1, 1.0), Duration::from_secs(10));
        assert_eq!(settings.backoff(1, 0.0), Duration::from_secs(5));
        assert_eq!(settings.backoff(2, 1.0), Duration::from_secs(20));
        assert_eq!(settings.backoff(3, 1.0), Duration::from_secs(40));
        assert_eq!(settings.backoff(5, 1.0), Duration::from_secs(100), "capped");
        assert_eq!(settings.backoff(500, 0.0), Duration::from_secs(50), "no overflow");
        assert_eq!(settings.host_pause(0), Duration::from_secs(10));
        assert_eq!(settings.host_pause(40), Duration::from_secs(100));
    }
}
