//! This process's end of the event bus: one PostgreSQL connection that
//! `LISTEN`s on [`CHANNEL`] and hands every event to the streams connected
//! here, through a broadcast channel.
//!
//! Events are published with `pg_notify` by whichever node acted
//! ([`crate::AppState::publish`]), so a stream on any node hears of an action
//! on any other. The listener reconnects by itself with bounded backoff;
//! what is published while it is disconnected is missed (as with Mastodon's
//! Redis, streams are live, not durable: clients reload timelines over REST).

use kereru_service::Event;
use kereru_service::events::CHANNEL;
use std::future::poll_fn;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use tokio::task::AbortHandle;
use tokio::time::{Instant, timeout};
use tokio_postgres::{AsyncMessage, NoTls};

/// How many events a slow stream may fall behind before it misses some.
const CAPACITY: usize = 1024;
/// Reconnection waits double from the first to the last, and start over
/// after a connection that lasted [`STABLE_AFTER`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
const STABLE_AFTER: Duration = Duration::from_secs(60);
/// Connecting and `LISTEN` must finish within this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A `SELECT 1` this often, answered within [`CONNECT_TIMEOUT`], shows the
/// connection is alive even when no event comes (a silently dropped TCP
/// connection would otherwise go unnoticed for hours).
const PING_EVERY: Duration = Duration::from_secs(30);
/// How the listener's connection shows in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "kereru-streaming";
/// The SSE comment heartbeat that keeps proxies from closing idle streams.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("the streaming listener needs a Tokio runtime to run on")]
    NoRuntime,
    #[error("bad database URL for the streaming listener: {0}")]
    BadUrl(String),
}

#[derive(Debug, thiserror::Error)]
enum ListenError {
    #[error("{0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the server closed the connection")]
    Closed,
    #[error("the connection task failed: {0}")]
    Driver(String),
}

/// The broadcast hub streams subscribe to. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    sender: broadcast::Sender<Arc<Event>>,
    listening: watch::Receiver<bool>,
    /// Set once, on shutdown: every stream ends.
    closing: watch::Sender<bool>,
    heartbeat: Duration,
    listener: Option<AbortHandle>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(listener) = &self.listener {
            listener.abort();
        }
    }
}

impl Hub {
    /// Starts this process's listener on the database at `database_url` (a
    /// task on the current Tokio runtime, stopped when the last clone of the
    /// hub is dropped). SSE streams send a comment every `heartbeat`.
    pub fn listen(database_url: &str, heartbeat: Duration) -> Result<Hub, HubError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| HubError::NoRuntime)?;
        let mut config: tokio_postgres::Config =
            database_url.parse().map_err(|e: tokio_postgres::Error| HubError::BadUrl(e.to_string()))?;
        config.connect_timeout(CONNECT_TIMEOUT).application_name(APPLICATION_NAME);
        let (sender, _) = broadcast::channel(CAPACITY);
        let (status, listening) = watch::channel(false);
        let task = runtime.spawn(run(config, sender.clone(), status));
        let listener = Some(task.abort_handle());
        let closing = watch::Sender::new(false);
        Ok(Hub { inner: Arc::new(Inner { sender, listening, closing, heartbeat, listener }) })
    }

    /// A hub with no listener: its streams hear nothing. For processes that
    /// serve no streams.
    pub fn detached() -> Hub {
        let (sender, _) = broadcast::channel(1);
        let (_, listening) = watch::channel(false);
        let closing = watch::Sender::new(false);
        Hub { inner: Arc::new(Inner { sender, listening, closing, heartbeat: HEARTBEAT, listener: None }) }
    }

    pub fn heartbeat(&self) -> Duration {
        self.inner.heartbeat
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.inner.sender.subscribe()
    }

    /// Ends every stream and stops listening: for shutdown, so that a
    /// graceful stop need not wait for clients that never hang up.
    pub fn close(&self) {
        self.inner.closing.send_replace(true);
        if let Some(listener) = &self.inner.listener {
            listener.abort();
        }
    }

    /// Resolves once [`Hub::close`] was called (at once if it was already).
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closing = self.inner.closing.subscribe();
        async move {
            // An error means the hub is gone, which is closed too.
            let _ = closing.wait_for(|closed| *closed).await;
        }
    }

    /// Whether the listener is connected and listening now.
    pub fn is_listening(&self) -> bool {
        *self.inner.listening.borrow()
    }

    /// Waits until the listener is listening, at most `limit`; whether it is.
    /// Events published before that are not heard here.
    pub async fn wait_listening(&self, limit: Duration) -> bool {
        self.wait_for_state(true, limit).await
    }

    /// Waits until the listener is (or is not) listening, at most `limit`;
    /// whether it got there.
    pub async fn wait_for_state(&self, listening: bool, limit: Duration) -> bool {
        let mut state = self.inner.listening.clone();
        matches!(timeout(limit, state.wait_for(|up| *up == listening)).await, Ok(Ok(_)))
    }
}

/// Connects, listens until the connection fails, waits, and again, for ever.
async fn run(config: tokio_postgres::Config, sender: broadcast::Sender<Arc<Event>>, status: watch::Sender<bool>) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        let started = Instant::now();
        let error = listen_once(&config, &sender, &status).await;
        status.send_replace(false);
        if started.elapsed() >= STABLE_AFTER {
            backoff = FIRST_BACKOFF;
        }
        tracing::warn!("streaming listener: {error}; reconnecting in {backoff:?}");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection's life: connect, `LISTEN`, pass events on, check it is
/// alive; returns why it ended.
async fn listen_once(
    config: &tokio_postgres::Config,
    sender: &broadcast::Sender<Arc<Event>>,
    status: &watch::Sender<bool>,
) -> ListenError {
    let (client, mut connection) = match timeout(CONNECT_TIMEOUT, config.connect(NoTls)).await {
        Ok(Ok(pair)) => pair,
        Ok(Err(error)) => return error.into(),
        Err(_) => return ListenError::Timeout(CONNECT_TIMEOUT),
    };
    // The connection does the I/O of the client's queries and brings the
    // notifications; it runs beside this task and ends with the reason.
    let events = sender.clone();
    let mut driver = tokio::spawn(async move {
        loop {
            match poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(note))) => {
                    if note.channel() == CHANNEL {
                        dispatch(&events, note.payload());
                    }
                }
                // Notices: nothing to do.
                Some(Ok(_)) => {}
                Some(Err(error)) => return ListenError::from(error),
                None => return ListenError::Closed,
            }
        }
    });
    let _stop_driver = AbortOnDrop(driver.abort_handle());
    let statement = format!("LISTEN {CHANNEL}");
    match timeout(CONNECT_TIMEOUT, client.batch_execute(&statement)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return error.into(),
        Err(_) => return ListenError::Timeout(CONNECT_TIMEOUT),
    }
    status.send_replace(true);
    tracing::info!("streaming listener: listening on {CHANNEL}");
    let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    loop {
        tokio::select! {
            ended = &mut driver => return ended.unwrap_or_else(|e| ListenError::Driver(e.to_string())),
            _ = ping.tick() => match timeout(CONNECT_TIMEOUT, client.simple_query("SELECT 1")).await {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => return error.into(),
                Err(_) => return ListenError::Timeout(CONNECT_TIMEOUT),
            },
        }
    }
}

/// Decodes one notification and passes it on; a malformed one is logged and dropped.
fn dispatch(sender: &broadcast::Sender<Arc<Event>>, payload: &str) {
    match serde_json::from_str::<Event>(payload) {
        // An error only means no stream is connected here now.
        Ok(event) => drop(sender.send(Arc::new(event))),
        Err(error) => tracing::warn!("streaming listener: dropping a malformed event ({error}): {payload:.200}"),
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

    #[tokio::test]
    async fn well_formed_events_are_passed_on_and_malformed_ones_dropped() {
        let (sender, mut receiver) = broadcast::channel(8);
        dispatch(&sender, "not json");
        dispatch(&sender, r#"{"event":"no_such_event"}"#);
        dispatch(&sender, r#"{"event":"notification","account_id":1}"#);
        dispatch(&sender, r#"{"event":"notification","account_id":1,"notification_id":2}"#);
        let first = receiver.try_recv().map(|e| (*e).clone()).ok();
        assert_eq!(first, Some(Event::Notification { account_id: 1, notification_id: 2 }));
        assert!(receiver.try_recv().is_err(), "only the well-formed event is passed on");
    }

    #[tokio::test]
    async fn a_bad_url_is_refused_and_a_detached_hub_never_listens() {
        assert!(matches!(Hub::listen("postgres://localhost:notaport/kereru", HEARTBEAT), Err(HubError::BadUrl(_))));
        let hub = Hub::detached();
        assert!(!hub.wait_listening(Duration::from_millis(10)).await);
    }

    #[tokio::test]
    async fn closing_ends_waiters_now_and_later() {
        let hub = Hub::detached();
        let waiting = tokio::spawn(hub.closed());
        assert!(timeout(Duration::from_millis(20), hub.closed()).await.is_err(), "not closed yet");
        hub.close();
        assert!(timeout(Duration::from_secs(5), waiting).await.is_ok());
        assert!(timeout(Duration::from_secs(5), hub.clone().closed()).await.is_ok(), "already closed");
    }
}
