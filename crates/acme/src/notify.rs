//! New certificates reach every node at once: [`db::save_certificate`]
//! sends `NOTIFY kereru_certificates, '<host>'` in the transaction that
//! stores one, and each node keeps one PostgreSQL connection (tokio-postgres:
//! diesel-async's pooled connections cannot `LISTEN`) listening on that
//! channel. The sync loop's polling stays as the fallback: a notification
//! sent while the listener was reconnecting is missed, so every (re)connect
//! is followed by a full sync round.
//!
//! [`db::save_certificate`]: crate::db::save_certificate

use std::future::poll_fn;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout};
use tokio_postgres::{AsyncMessage, NoTls};

/// The channel new certificates are announced on; the payload is the host.
pub const CHANNEL: &str = "kereru_certificates";
/// How the listener's connection shows in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "kereru-certificates";

const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
const STABLE_AFTER: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A `SELECT 1` this often shows the connection is still alive.
const PING_EVERY: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("bad database URL for the certificate listener: {0}")]
    BadUrl(String),
}

/// What the listener tells the sync loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Listening (again): anything announced before may have been missed.
    Listening,
    /// A certificate for this host was stored.
    Stored(String),
}

/// The connection settings for `database_url`, checked now so that a bad URL
/// fails at start-up rather than in a background task.
pub fn config(database_url: &str) -> Result<tokio_postgres::Config, NotifyError> {
    let mut config: tokio_postgres::Config =
        database_url.parse().map_err(|e: tokio_postgres::Error| NotifyError::BadUrl(e.to_string()))?;
    config.application_name(APPLICATION_NAME);
    Ok(config)
}

/// Listens for ever (reconnecting with bounded back-off), passing notices on
/// until the receiver is gone.
pub async fn listen(config: tokio_postgres::Config, notices: mpsc::Sender<Notice>) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        let started = Instant::now();
        let error = listen_once(&config, &notices).await;
        if notices.is_closed() {
            return;
        }
        if started.elapsed() >= STABLE_AFTER {
            backoff = FIRST_BACKOFF;
        }
        tracing::warn!("certificate listener: {error}; reconnecting in {backoff:?}");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn listen_once(config: &tokio_postgres::Config, notices: &mpsc::Sender<Notice>) -> String {
    let (client, mut connection) = match timeout(CONNECT_TIMEOUT, config.connect(NoTls)).await {
        Ok(Ok(pair)) => pair,
        Ok(Err(error)) => return error.to_string(),
        Err(_) => return format!("no connection within {CONNECT_TIMEOUT:?}"),
    };
    let forward = notices.clone();
    let driver = tokio::spawn(async move {
        loop {
            match poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(note))) if note.channel() == CHANNEL => {
                    if forward.send(Notice::Stored(note.payload().to_string())).await.is_err() {
                        return "the sync loop is gone".to_string();
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => return error.to_string(),
                None => return "the connection closed".to_string(),
            }
        }
    });
    let stop_driver = driver.abort_handle();
    let ended = async {
        match timeout(CONNECT_TIMEOUT, client.batch_execute(&format!("LISTEN {CHANNEL}"))).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return error.to_string(),
            Err(_) => return format!("LISTEN not answered within {CONNECT_TIMEOUT:?}"),
        }
        tracing::debug!("certificate listener: listening on {CHANNEL}");
        if notices.send(Notice::Listening).await.is_err() {
            return "the sync loop is gone".to_string();
        }
        let mut driver = driver;
        let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
        loop {
            tokio::select! {
                ended = &mut driver => return ended.unwrap_or_else(|e| e.to_string()),
                _ = ping.tick() => match timeout(CONNECT_TIMEOUT, client.simple_query("SELECT 1")).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => return error.to_string(),
                    Err(_) => return format!("no answer to a ping within {CONNECT_TIMEOUT:?}"),
                },
            }
        }
    }
    .await;
    stop_driver.abort();
    ended
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_url_is_refused_at_once() {
        assert!(matches!(config("postgres://localhost:notaport/kereru"), Err(NotifyError::BadUrl(_))));
        assert!(config("postgres://localhost/kereru").is_ok());
    }
}
