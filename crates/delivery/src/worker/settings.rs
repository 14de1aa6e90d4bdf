//! How a worker behaves (`[delivery]` in the configuration) and the retry
//! arithmetic that follows from it.

use std::time::Duration;

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
    pub(super) fn host_pause(&self, over: u32) -> Duration {
        let exponent = over.min(30);
        self.retry_base.saturating_mul(1u32 << exponent).min(self.retry_max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
