//! The claim loop: claims as many due rows as there are free permits and
//! spawns a delivery for each, until told to stop.

use super::Worker;
use crate::queue::{self, Claimed};
use std::collections::HashMap;
use std::sync::Arc;

impl Worker {
    /// Claims and delivers until `stop` resolves, then waits (at most the
    /// shutdown grace, less than the lease) for deliveries in flight. Rows it
    /// could not finish are handed back to the queue at once, for whoever
    /// claims next; a crashed worker's rows wait out their leases instead.
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
                Ok(mut conn) => {
                    let claimed =
                        queue::claim(&mut conn, wanted, self.settings.per_host.max(1), self.settings.lease).await;
                    // Each tenant's deliveries, counted once per claim for its usage (best effort).
                    if let Ok(rows) = &claimed {
                        let activities: Vec<i64> = rows.iter().map(|row| row.activity_id).collect();
                        if let Err(error) = kereru_store::usage::count_deliveries(&mut conn, &activities).await {
                            tracing::warn!("counting deliveries for usage failed: {error}");
                        }
                    }
                    claimed.map_err(|e| e.to_string())
                }
                Err(error) => Err(error.to_string()),
            };
            let got = match claimed {
                Ok(rows) => {
                    let got = rows.len();
                    let mut per_host: HashMap<&str, usize> = HashMap::new();
                    for row in &rows {
                        *per_host.entry(row.host.as_str()).or_default() += 1;
                    }
                    let busy: Vec<bool> = rows
                        .iter()
                        .map(|row| per_host[row.host.as_str()] > 1 || self.hosts.in_flight(&row.host))
                        .collect();
                    for ((row, permit), keep_alive) in rows.into_iter().zip(permits.drain(..)).zip(busy) {
                        self.spawn_delivery(row, permit, keep_alive);
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
        if tokio::time::timeout(self.drain_limit(), self.global.acquire_many(all)).await.is_err() {
            self.hand_back().await;
        }
    }

    /// How long a stop waits for deliveries in flight: the grace, but never
    /// so long that their leases could run out (so handing back the rest
    /// cannot touch a row another worker claimed since).
    fn drain_limit(&self) -> std::time::Duration {
        self.shutdown_grace.min(self.settings.lease.mul_f64(0.75))
    }

    /// Spawns one delivery, known in `in_flight` until it is recorded.
    fn spawn_delivery(self: &Arc<Self>, row: Claimed, permit: tokio::sync::OwnedSemaphorePermit, keep_alive: bool) {
        let id = row.id;
        let worker = Arc::clone(self);
        // Held across the spawn, so the task's own removal (at its end) comes after the insert.
        let mut in_flight = self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let task = tokio::spawn(async move {
            worker.deliver(row, keep_alive).await;
            worker.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&id);
            drop(permit);
        });
        in_flight.insert(id, task.abort_handle());
    }

    /// At a stop, after the grace: deliveries still in flight are abandoned
    /// and their rows handed back to the queue at once (a request already
    /// sent may then be sent again: at least once).
    async fn hand_back(&self) {
        let abandoned: Vec<(i64, tokio::task::AbortHandle)> =
            self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner).drain().collect();
        for (_, task) in &abandoned {
            task.abort();
        }
        let ids: Vec<i64> = abandoned.into_iter().map(|(id, _)| id).collect();
        let released = match self.pool.get().await {
            Ok(mut conn) => queue::release(&mut conn, &ids).await.map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        };
        match released {
            Ok(n) => tracing::info!("stopping: {n} deliveries in flight handed back to the queue"),
            Err(error) => tracing::warn!(
                "stopping: handing back {} deliveries failed ({error}); their leases will run out",
                ids.len()
            ),
        }
    }
}
