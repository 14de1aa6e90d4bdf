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
//!
//! One module per concern: `settings` (the configuration and the retry
//! arithmetic), `outcome` (what an answer means), `run` (the claim loop),
//! `attempt` (one delivery, and recording its outcome), `caches` (per-host
//! limits, parsed signers, activity bodies), `stats` (counters and the
//! periodic log line) and `prune` (deleting finished rows).

use crate::http::Fetcher;
use kereru_store::Pool;
use std::sync::Arc;
use tokio::sync::Semaphore;

mod attempt;
mod caches;
mod outcome;
mod prune;
mod run;
mod settings;
mod stats;

use caches::{HostSlots, OnceCache};
pub use outcome::{Outcome, classify};
pub use prune::PRUNE_BATCH;
pub use settings::WorkerSettings;
pub use stats::WorkerCounters;

pub use crate::in_flight::DEFAULT_SHUTDOWN_GRACE;

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
    hosts: HostSlots,
    /// Parsed signing keys by (account, key id), each parsed once.
    signers: OnceCache<(i64, String), Arc<kereru_core::signatures::Signer>>,
    bodies: OnceCache<i64, Arc<str>>,
    /// Claimed rows being delivered, by id: what a stop hands back.
    in_flight: crate::in_flight::InFlight,
    /// At a stop, how long deliveries in flight may still finish (bounded
    /// by three quarters of the lease); the rest go back to the queue.
    shutdown_grace: std::time::Duration,
    pub counters: Arc<WorkerCounters>,
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
        Self::with_shutdown_grace(pool, one_shot, keep_alive, settings, DEFAULT_SHUTDOWN_GRACE)
    }

    /// As [`Worker::with_clients`], waiting at most `shutdown_grace` at a stop
    /// for deliveries in flight (`[node] shutdown_seconds`).
    pub fn with_shutdown_grace(
        pool: Pool,
        one_shot: Arc<Fetcher>,
        keep_alive: Arc<Fetcher>,
        settings: WorkerSettings,
        shutdown_grace: std::time::Duration,
    ) -> Arc<Worker> {
        let concurrency = settings.concurrency.max(1);
        Arc::new(Worker {
            pool,
            fetcher: one_shot,
            keep_alive,
            hosts: HostSlots::new(settings.per_host.max(1)),
            settings,
            global: Arc::new(Semaphore::new(concurrency)),
            signers: OnceCache::default(),
            bodies: OnceCache::default(),
            in_flight: crate::in_flight::InFlight::default(),
            shutdown_grace,
            counters: Arc::default(),
        })
    }
}
