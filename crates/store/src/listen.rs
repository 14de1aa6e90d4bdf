//! One PostgreSQL connection that `LISTEN`s on a few channels, for ever:
//! the certificate notifications (`kereru_acme::notify`) and the streaming
//! event bus (`kereru_web::streaming::Hub`) both run one.
//!
//! diesel-async's pooled connections cannot `LISTEN` (they do not expose
//! notifications), so this is a tokio-postgres connection of its own. It
//! reconnects by itself with bounded back-off and pings the server so that a
//! silently dropped TCP connection is noticed. Whatever is sent while it is
//! disconnected is missed: every (re)connect is announced with
//! [`Notice::Listening`] so that each user can catch up its own way.

use std::future::poll_fn;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio::time::{Instant, timeout};
use tokio_postgres::{AsyncMessage, NoTls};

/// Reconnection waits double from the first to the last, and start over
/// after a connection that lasted [`STABLE_AFTER`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
const STABLE_AFTER: Duration = Duration::from_secs(60);
/// Connecting and `LISTEN` must finish within this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A `SELECT 1` this often, answered within [`CONNECT_TIMEOUT`], shows the
/// connection is alive even when no notification comes.
const PING_EVERY: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("{0}")]
    BadUrl(String),
    #[error("{0:?} is not a channel name (lower-case letters, digits and `_`)")]
    BadChannel(String),
}

/// What the listener tells its user, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Listening (again): anything notified before may have been missed.
    Listening,
    /// The connection ended; the listener reconnects after a back-off.
    Lost,
    /// A notification on one of the channels.
    Notification { channel: String, payload: String },
}

/// A listener's settings; [`Listener::run`] runs it.
#[derive(Debug, Clone)]
pub struct Listener {
    config: tokio_postgres::Config,
    channels: Vec<String>,
    /// Names it in logs, e.g. "streaming listener".
    label: &'static str,
}

/// Why one connection ended.
#[derive(Debug, thiserror::Error)]
enum Ended {
    #[error("{0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the server closed the connection")]
    Closed,
    #[error("the connection task failed: {0}")]
    Driver(String),
    #[error("nobody hears the notices any more")]
    Unheard,
}

impl Listener {
    /// Checks `database_url` and the channel names now, so that a bad one
    /// fails at start-up rather than in a background task. The connection
    /// shows as `application_name` in `pg_stat_activity`.
    pub fn new(
        database_url: &str,
        application_name: &str,
        label: &'static str,
        channels: &[&str],
    ) -> Result<Listener, ListenError> {
        let mut config: tokio_postgres::Config =
            database_url.parse().map_err(|e: tokio_postgres::Error| ListenError::BadUrl(e.to_string()))?;
        config.connect_timeout(CONNECT_TIMEOUT).application_name(application_name);
        let channels = channels
            .iter()
            .map(|channel| {
                let valid = !channel.is_empty()
                    && channel.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if valid { Ok(channel.to_string()) } else { Err(ListenError::BadChannel(channel.to_string())) }
            })
            .collect::<Result<_, _>>()?;
        Ok(Listener { config, channels, label })
    }

    /// Listens for ever (reconnecting with bounded back-off), passing notices
    /// on until the receiver is gone.
    pub async fn run(self, notices: mpsc::Sender<Notice>) {
        let mut backoff = FIRST_BACKOFF;
        loop {
            let started = Instant::now();
            let error = self.listen_once(&notices).await;
            if notices.send(Notice::Lost).await.is_err() {
                return;
            }
            if started.elapsed() >= STABLE_AFTER {
                backoff = FIRST_BACKOFF;
            }
            tracing::warn!("{}: {error}; reconnecting in {backoff:?}", self.label);
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// One connection's life: connect, `LISTEN`, pass notifications on,
    /// check it is alive; returns why it ended.
    async fn listen_once(&self, notices: &mpsc::Sender<Notice>) -> Ended {
        let (client, mut connection) = match timeout(CONNECT_TIMEOUT, self.config.connect(NoTls)).await {
            Ok(Ok(pair)) => pair,
            Ok(Err(error)) => return error.into(),
            Err(_) => return Ended::Timeout(CONNECT_TIMEOUT),
        };
        // The connection does the I/O of the client's queries and brings the
        // notifications; it runs beside this task and ends with the reason.
        let forward = notices.clone();
        let channels = self.channels.clone();
        let mut driver = tokio::spawn(async move {
            loop {
                match poll_fn(|cx| connection.poll_message(cx)).await {
                    Some(Ok(AsyncMessage::Notification(note))) if channels.iter().any(|c| c == note.channel()) => {
                        let notice = Notice::Notification {
                            channel: note.channel().to_string(),
                            payload: note.payload().to_string(),
                        };
                        if forward.send(notice).await.is_err() {
                            return Ended::Unheard;
                        }
                    }
                    // Notices, and notifications for channels not asked for: nothing to do.
                    Some(Ok(_)) => {}
                    Some(Err(error)) => return error.into(),
                    None => return Ended::Closed,
                }
            }
        });
        let _stop_driver = AbortOnDrop(driver.abort_handle());
        let statement: String = self.channels.iter().map(|channel| format!("LISTEN {channel};")).collect();
        match timeout(CONNECT_TIMEOUT, client.batch_execute(&statement)).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return error.into(),
            Err(_) => return Ended::Timeout(CONNECT_TIMEOUT),
        }
        tracing::info!("{}: listening on {}", self.label, self.channels.join(", "));
        if notices.send(Notice::Listening).await.is_err() {
            return Ended::Unheard;
        }
        let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
        loop {
            tokio::select! {
                ended = &mut driver => return ended.unwrap_or_else(|e| Ended::Driver(e.to_string())),
                _ = ping.tick() => match timeout(CONNECT_TIMEOUT, client.simple_query("SELECT 1")).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => return error.into(),
                    Err(_) => return Ended::Timeout(CONNECT_TIMEOUT),
                },
            }
        }
    }
}

struct AbortOnDrop(AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_urls_and_channel_names_are_refused_at_once() {
        let new = |url: &str, channel: &str| Listener::new(url, "kereru-test", "test listener", &[channel]);
        assert!(matches!(new("postgres://localhost:notaport/kereru", "kereru_events"), Err(ListenError::BadUrl(_))));
        for bad in ["", "Kereru", "a;b", "a b", "a\"b"] {
            assert!(matches!(new("postgres://localhost/kereru", bad), Err(ListenError::BadChannel(_))), "{bad:?}");
        }
        assert!(new("postgres://localhost/kereru", "kereru_certificates").is_ok());
    }
}
