//! One delivery: the host's slot, the sender's signer and the body, the
//! POST, and recording what came of it in the queue.

use super::{Outcome, Worker, classify};
use crate::queue::{self, Claimed};
use kereru_metrics::DeliveryOutcome;
use std::sync::atomic::Ordering;

#[derive(Debug, thiserror::Error)]
pub(super) enum AttemptError {
    #[error("database: {0}")]
    Store(String),
    #[error("the sender's key: {0}")]
    Key(String),
    #[error("the activity is gone")]
    NoActivity,
}

impl Worker {
    pub(super) async fn deliver(&self, row: Claimed, keep_alive: bool) {
        let host = self.hosts.semaphore(&row.host);
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
                kereru_metrics::delivery(DeliveryOutcome::Delivered);
            }
            Outcome::Gone => {
                queue::mark_gone(&mut conn, row).await.map_err(|e| e.to_string())?;
                self.counters.given_up.fetch_add(1, Ordering::Relaxed);
                kereru_metrics::delivery(DeliveryOutcome::Gone);
                tracing::info!(inbox = %row.inbox, "inbox gone (410)");
            }
            Outcome::Final { status, reason } => {
                queue::mark_given_up(&mut conn, row, *status, reason).await.map_err(|e| e.to_string())?;
                self.counters.given_up.fetch_add(1, Ordering::Relaxed);
                kereru_metrics::delivery(DeliveryOutcome::GivenUp);
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
                    kereru_metrics::delivery(DeliveryOutcome::GivenUp);
                    tracing::info!(inbox = %row.inbox, "delivery given up after the retry horizon: {error}");
                } else {
                    self.counters.retried.fetch_add(1, Ordering::Relaxed);
                    kereru_metrics::delivery(DeliveryOutcome::Retried);
                    tracing::debug!(inbox = %row.inbox, ?delay, "delivery will be retried: {error}");
                }
            }
        }
        Ok(())
    }
}
