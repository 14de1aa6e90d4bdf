//! The outbox's worker: claims due mails, sends them, records the outcome.
//! It wakes when a mail is queued (PostgreSQL NOTIFY on
//! [`kereru_store::mail_outbox::CHANNEL`], heard through the shared
//! [`kereru_store::listen::Listener`]) and every poll interval, which also
//! brings retries due and covers notifications missed while reconnecting.
//! Any number of workers, on any number of nodes, can run on one database.

use crate::message::{self, MessageError};
use crate::settings::WorkerSettings;
use crate::transport::Transport;
use kereru_store::Pool;
use kereru_store::listen::{ListenError, Listener};
use kereru_store::mail_outbox::{self, ClaimedMail, Failed};
use lettre::message::Mailbox;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{Notify, mpsc};

/// How the listener's connection shows in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "kereru-mail";

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("bad database URL for the mail listener: {0}")]
    BadUrl(String),
    #[error("mail.from: {0}")]
    From(MessageError),
}

/// The listener the worker wakes by, checked now so a bad URL fails at start-up.
pub fn listener(database_url: &str) -> Result<Listener, WorkerError> {
    Listener::new(database_url, APPLICATION_NAME, "mail listener", &[mail_outbox::CHANNEL]).map_err(|error| match error
    {
        ListenError::BadUrl(detail) => WorkerError::BadUrl(detail),
        // The channel is a constant: a bug, reported as clearly as a bad URL would be.
        ListenError::BadChannel(_) => WorkerError::BadUrl(error.to_string()),
    })
}

/// What a worker sends with.
#[derive(Debug, Clone)]
pub struct Mailer {
    pub transport: Transport,
    /// The configured From; `None`: each tenant's own.
    pub from: Option<Mailbox>,
}

impl Mailer {
    /// The mailer `settings` ask for, checked now (From header, credentials).
    pub fn new(settings: &crate::MailSettings) -> Result<Mailer, crate::MailError> {
        let from = match settings.from.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
            Some(from) => Some(message::parse_from(from).map_err(WorkerError::From)?),
            None => None,
        };
        Ok(Mailer { transport: Transport::new(settings)?, from })
    }
}

/// Drains the outbox until `shutdown` resolves. A mail being sent when it
/// does is finished first (each send is bounded by the SMTP timeout).
pub async fn run(
    pool: Pool,
    listener: Listener,
    mailer: Mailer,
    settings: WorkerSettings,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    // Notices are folded into one wake-up flag as they come, so the listener
    // never waits on a worker busy sending (its connection would stall).
    let wake = Arc::new(Notify::new());
    let (notices, mut heard) = mpsc::channel(16);
    let _listening = AbortOnDrop(tokio::spawn(listener.run(notices)).abort_handle());
    let _folding = AbortOnDrop(
        tokio::spawn({
            let wake = Arc::clone(&wake);
            async move {
                // Any notice — a mail queued, or (re)listening after a gap — is a reason to look.
                while heard.recv().await.is_some() {
                    wake.notify_one();
                }
            }
        })
        .abort_handle(),
    );
    loop {
        // Drain: claim full batches until the outbox has nothing due.
        loop {
            if stop_requested(&mut shutdown).await {
                return;
            }
            match drain_once(&pool, &mailer, &settings, &mut shutdown).await {
                Ok(claimed) if claimed >= settings.batch.max(1) => continue,
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!("mail outbox: {error}");
                    break;
                }
            }
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = wake.notified() => {}
            () = tokio::time::sleep(settings.poll_interval) => {}
        }
    }
}

/// Ends a background task when the worker ends, however it ends.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Whether `shutdown` has resolved, without waiting for it.
async fn stop_requested(shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>) -> bool {
    tokio::select! {
        biased;
        () = shutdown.as_mut() => true,
        () = std::future::ready(()) => false,
    }
}

/// Claims one batch and sends it; returns how many were claimed.
async fn drain_once(
    pool: &Pool,
    mailer: &Mailer,
    settings: &WorkerSettings,
    shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
) -> Result<usize, String> {
    let claimed = {
        let mut conn = pool.get().await.map_err(|e| e.to_string())?;
        mail_outbox::claim_due(&mut conn, settings.batch.max(1), settings.lease).await.map_err(|e| e.to_string())?
    };
    let count = claimed.len();
    for mail in claimed {
        // Mails claimed but not sent come back when their lease runs out.
        if stop_requested(shutdown).await {
            break;
        }
        send_one(pool, mailer, settings, mail).await;
    }
    Ok(count)
}

/// Sends one claimed mail and records how it went.
async fn send_one(pool: &Pool, mailer: &Mailer, settings: &WorkerSettings, mail: ClaimedMail) {
    let outcome = match message::build(&mail, mailer.from.as_ref()) {
        Ok(built) => {
            let name = format!("{}-{}", mail.created_at.format("%Y%m%dT%H%M%SZ"), mail.id);
            mailer.transport.send(&built, &name).await.map_err(|e| (e.is_permanent(), e.to_string()))
        }
        Err(error) => Err((true, error.to_string())),
    };
    let recorded = match pool.get().await {
        Ok(mut conn) => match &outcome {
            Ok(()) => mail_outbox::mark_sent(&mut conn, mail.id, mail.attempts).await.map(|_| ()),
            Err((permanent, error)) => {
                let last = if *permanent { mail.attempts } else { settings.max_attempts };
                let backoff = settings.backoff(mail.attempts);
                mail_outbox::mark_failed(&mut conn, mail.id, mail.attempts, error, backoff, last).await.map(|failed| {
                    match failed {
                        Failed::Retry => {
                            tracing::warn!(
                                "mail {} to {} failed (attempt {}): {error}; retrying in {backoff:?}",
                                mail.id,
                                mail.to_address,
                                mail.attempts
                            );
                        }
                        Failed::GaveUp => {
                            tracing::error!(
                                "mail {} to {} given up after {} attempts: {error}",
                                mail.id,
                                mail.to_address,
                                mail.attempts
                            );
                        }
                        Failed::Stale => {}
                    }
                })
            }
        },
        Err(error) => {
            tracing::warn!("mail {}: cannot record the outcome ({error}); it is sent again after its lease", mail.id);
            return;
        }
    };
    match (recorded, outcome) {
        (Err(error), _) => tracing::warn!("mail {}: cannot record the outcome: {error}", mail.id),
        (Ok(()), Ok(())) => tracing::info!("mail {} to {} sent", mail.id, mail.to_address),
        (Ok(()), Err(_)) => {}
    }
}
