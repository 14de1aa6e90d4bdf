//! This process's end of the event bus: one PostgreSQL connection (a
//! [`kereru_store::listen::Listener`]) that `LISTEN`s on [`CHANNEL`] and hands every event to the streams connected
//! here, through a broadcast channel.
//!
//! Events are published with `pg_notify` by whichever node acted
//! ([`crate::AppState::publish`]), so a stream on any node hears of an action
//! on any other. The listener reconnects by itself with bounded backoff;
//! what is published while it is disconnected is missed (as with Mastodon's
//! Redis, streams are live, not durable: clients reload timelines over REST).

use kereru_service::Event;
use kereru_service::events::CHANNEL;
use kereru_store::listen::{ListenError, Listener, Notice};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::AbortHandle;
use tokio::time::timeout;

/// How many events a slow stream may fall behind before it misses some.
const CAPACITY: usize = 1024;
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
        let listener = Listener::new(database_url, APPLICATION_NAME, "streaming listener", &[CHANNEL]).map_err(
            |error| match error {
                ListenError::BadUrl(detail) => HubError::BadUrl(detail),
                // The channel is a constant: a bug, reported as clearly as a bad URL would be.
                ListenError::BadChannel(_) => HubError::BadUrl(error.to_string()),
            },
        )?;
        let (sender, _) = broadcast::channel(CAPACITY);
        let (status, listening) = watch::channel(false);
        let task = runtime.spawn(run(listener, sender.clone(), status));
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

/// Runs the listener for ever, passing its events to the streams and its
/// state to [`Hub::is_listening`].
async fn run(listener: Listener, sender: broadcast::Sender<Arc<Event>>, status: watch::Sender<bool>) {
    let (notices, mut heard) = mpsc::channel(CAPACITY);
    let forward = async move {
        while let Some(notice) = heard.recv().await {
            match notice {
                Notice::Listening => {
                    status.send_replace(true);
                }
                Notice::Lost => {
                    status.send_replace(false);
                }
                Notice::Notification { payload, .. } => dispatch(&sender, &payload),
            }
        }
    };
    tokio::join!(listener.run(notices), forward);
}

/// Decodes one notification and passes it on; a malformed one is logged and dropped.
fn dispatch(sender: &broadcast::Sender<Arc<Event>>, payload: &str) {
    match serde_json::from_str::<Event>(payload) {
        // An error only means no stream is connected here now.
        Ok(event) => drop(sender.send(Arc::new(event))),
        Err(error) => tracing::warn!("streaming listener: dropping a malformed event ({error}): {payload:.200}"),
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
