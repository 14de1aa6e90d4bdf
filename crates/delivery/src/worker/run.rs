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
        let drain = crate::in_flight::drain_limit(self.shutdown_grace, self.settings.lease);
        if tokio::time::timeout(drain, self.global.acquire_many(all)).await.is_err() {
            self.hand_back().await;
        }
    }

    /// Spawns one delivery, known in `in_flight` until it is recorded.
    fn spawn_delivery(self: &Arc<Self>, row: Claimed, permit: tokio::sync::OwnedSemaphorePermit, keep_alive: bool) {
        let worker = Arc::clone(self);
        self.in_flight.spawn(row.id, async move {
            worker.deliver(row, keep_alive).await;
            drop(permit);
        });
    }

    /// At a stop, after the grace: deliveries still in flight are abandoned
    /// and their rows handed back to the queue at once (a request already
    /// sent may then be sent again: at least once).
    async fn hand_back(&self) {
        let ids = self.in_flight.abandon();
        let released = match self.pool.get().await {
            Ok(mut conn) => queue::release(&mut conn, &ids).await.map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        };
        crate::in_flight::log_hand_back("deliveries", ids.len(), released);
    }
}
