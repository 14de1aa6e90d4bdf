//! Bounds on the key fetches that inbound signatures cause. Every signed
//! request naming a key Kererū does not know makes it fetch that key from
//! the key's server, so without bounds anyone could use Kererū to send
//! traffic to a third server (one POST, one fetch). Three bounds:
//! - one fetch in flight per key URL: concurrent requests for the same key
//!   wait for that fetch and share its result (single-flight);
//! - a key URL whose fetch failed is not fetched again for a short while
//!   (negative cache), so repeating a bad keyId costs no traffic;
//! - a budget of fetches per key host and minute; past it the request is
//!   refused (429) without a fetch.
//!
//! State is per process: with N nodes, a host may see N times the budget.

use kereru_store::accounts::Account;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyFetchSettings {
    /// Fetches allowed per key host within `window`.
    pub per_host: u32,
    pub window: Duration,
    /// How long a failed key URL is refused without a fetch.
    pub failure_ttl: Duration,
}

impl Default for KeyFetchSettings {
    fn default() -> Self {
        KeyFetchSettings { per_host: 60, window: Duration::from_secs(60), failure_ttl: Duration::from_secs(60) }
    }
}

/// Why a key could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFetchError {
    #[error("too many key fetches from {0}; try again later")]
    OverBudget(String),
    /// The fetch failed (now, or recently: the negative cache).
    #[error("{0}")]
    Failed(String),
    /// The cached key is recent and still does not verify: nothing to fetch.
    #[error("the signature does not verify")]
    Unchanged,
    /// The database failed while storing the key: not the key's fault, not cached.
    #[error("{0}")]
    Store(String),
}

/// Upper bound on remembered hosts and failed URLs; past it, expired entries go first.
const MAX_TRACKED: usize = 50_000;

type Flight = Arc<OnceCell<Result<Account, KeyFetchError>>>;

#[derive(Debug, Default)]
pub struct KeyFetches {
    settings: KeyFetchSettings,
    in_flight: Mutex<HashMap<String, Flight>>,
    failed: Mutex<HashMap<String, (Instant, String)>>,
    budgets: Mutex<HashMap<String, (Instant, u32)>>,
    /// Fetches actually started (for tests and logs).
    started: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl KeyFetches {
    pub fn new(settings: KeyFetchSettings) -> Self {
        KeyFetches { settings, ..KeyFetches::default() }
    }

    /// How many fetches this process has started.
    pub fn started(&self) -> u64 {
        self.started.load(Ordering::Relaxed)
    }

    /// The account behind `url` (a key or actor document): `fetch` runs at
    /// most once at a time per URL, unless the URL failed recently. `fetch`
    /// should look in the database first (it may run just after someone
    /// else's fetch stored what this caller needs) and call
    /// [`KeyFetches::allow`] before it goes to the network.
    pub async fn get<F, Fut>(&self, url: &str, fetch: F) -> Result<Account, KeyFetchError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Account, KeyFetchError>>,
    {
        if let Some(reason) = self.recent_failure(url, Instant::now()) {
            return Err(KeyFetchError::Failed(reason));
        }
        let flight = lock(&self.in_flight).entry(url.to_string()).or_default().clone();
        let result = flight.get_or_init(fetch).await.clone();
        {
            let mut in_flight = lock(&self.in_flight);
            if in_flight.get(url).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
                in_flight.remove(url);
            }
        }
        if let Err(KeyFetchError::Failed(reason)) = &result {
            self.remember_failure(url, reason, Instant::now());
        }
        result
    }

    /// Counts one network fetch against `host`'s budget, or refuses it.
    pub fn allow(&self, host: &str) -> Result<(), KeyFetchError> {
        if !self.take_budget(host, Instant::now()) {
            return Err(KeyFetchError::OverBudget(host.to_string()));
        }
        self.started.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn recent_failure(&self, url: &str, now: Instant) -> Option<String> {
        let failed = lock(&self.failed);
        let (at, reason) = failed.get(url)?;
        (now.duration_since(*at) < self.settings.failure_ttl).then(|| reason.clone())
    }

    fn remember_failure(&self, url: &str, reason: &str, now: Instant) {
        let mut failed = lock(&self.failed);
        if failed.len() >= MAX_TRACKED {
            let ttl = self.settings.failure_ttl;
            failed.retain(|_, (at, _)| now.duration_since(*at) < ttl);
            if failed.len() >= MAX_TRACKED {
                failed.clear();
            }
        }
        failed.insert(url.to_string(), (now, reason.to_string()));
    }

    /// Takes one fetch from `host`'s budget at `now`.
    fn take_budget(&self, host: &str, now: Instant) -> bool {
        let mut budgets = lock(&self.budgets);
        if budgets.len() >= MAX_TRACKED {
            let window = self.settings.window;
            budgets.retain(|_, (start, _)| now.duration_since(*start) < window);
            if budgets.len() >= MAX_TRACKED {
                budgets.clear();
            }
        }
        let entry = budgets.entry(host.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.settings.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.settings.per_host {
            return false;
        }
        entry.1 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hosts_budget_refills_after_its_window() {
        let fetches = KeyFetches::new(KeyFetchSettings {
            per_host: 2,
            window: Duration::from_secs(60),
            failure_ttl: Duration::from_secs(60),
        });
        let start = Instant::now();
        assert!(fetches.take_budget("a.example", start));
        assert!(fetches.take_budget("a.example", start));
        assert!(!fetches.take_budget("a.example", start + Duration::from_secs(59)));
        assert!(fetches.take_budget("b.example", start), "hosts are counted apart");
        assert!(fetches.take_budget("a.example", start + Duration::from_secs(60)));
    }

    #[test]
    fn a_failed_url_is_refused_until_its_failure_expires() {
        let fetches = KeyFetches::new(KeyFetchSettings {
            per_host: 2,
            window: Duration::from_secs(60),
            failure_ttl: Duration::from_millis(50),
        });
        let start = Instant::now();
        fetches.remember_failure("https://a.example/k", "404", start);
        let soon = start + Duration::from_millis(49);
        assert_eq!(fetches.recent_failure("https://a.example/k", soon).as_deref(), Some("404"));
        assert_eq!(fetches.recent_failure("https://a.example/other", soon), None);
        assert_eq!(fetches.recent_failure("https://a.example/k", start + Duration::from_millis(50)), None);
    }
}
