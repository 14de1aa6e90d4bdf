//! The tasks sending claimed rows, by row id: what a stopping worker waits
//! for (within its grace) and then abandons, handing the rows back to their
//! queue at once instead of leaving them to their leases.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::task::AbortHandle;

/// How long a stopping worker waits for what it has in flight unless told otherwise (`[node] shutdown_seconds`).
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

#[derive(Debug, Default, Clone)]
pub struct InFlight {
    tasks: Arc<Mutex<HashMap<i64, AbortHandle>>>,
}

impl InFlight {
    /// Runs `send` for row `id` on a task of its own, known here until it ends.
    pub fn spawn(&self, id: i64, send: impl std::future::Future<Output = ()> + Send + 'static) {
        let tasks = Arc::clone(&self.tasks);
        // Held across the spawn, so the task's own removal (at its end) comes after the insert.
        let mut known = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        let task = tokio::spawn(async move {
            send.await;
            tasks.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
        });
        known.insert(id, task.abort_handle());
    }

    /// Aborts every task still running; the ids of their rows (to hand back).
    pub fn abandon(&self) -> Vec<i64> {
        let abandoned: Vec<(i64, AbortHandle)> =
            self.tasks.lock().unwrap_or_else(PoisonError::into_inner).drain().collect();
        abandoned
            .into_iter()
            .map(|(id, task)| {
                task.abort();
                id
            })
            .collect()
    }
}

/// How long a stop waits for rows in flight: the grace, but never so long
/// that their leases could run out (handing back the rest must not touch a
/// row another worker claimed since).
pub fn drain_limit(grace: Duration, lease: Duration) -> Duration {
    grace.min(lease.mul_f64(0.75))
}

/// Logs what handing back `count` rows of `what` came to.
pub fn log_hand_back<E: std::fmt::Display>(what: &str, count: usize, result: Result<usize, E>) {
    match result {
        Ok(n) => tracing::info!("stopping: {n} {what} in flight handed back to the queue"),
        Err(error) => {
            tracing::warn!("stopping: handing back {count} {what} failed ({error}); their leases will run out")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn finished_tasks_leave_and_the_rest_are_abandoned() {
        let in_flight = InFlight::default();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
        in_flight.spawn(1, async move {
            let _ = done_tx.send(());
        });
        in_flight.spawn(2, std::future::pending());
        let _ = done_rx.await;
        // The first task removes itself right after it sent.
        for _ in 0..100 {
            if in_flight.tasks.lock().map(|t| t.len()).unwrap_or(0) == 1 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(in_flight.abandon(), vec![2]);
        assert!(in_flight.abandon().is_empty());
        assert_eq!(drain_limit(Duration::from_secs(30), Duration::from_secs(20)), Duration::from_secs(15));
    }
}
