//! What happened, for streaming: actions return events, which the caller
//! publishes once the transaction has committed.

/// PostgreSQL NOTIFY channel every node's streaming listens on.
pub const CHANNEL: &str = "kereru_events";

/// One event for a streaming timeline or a user's stream.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A status became visible: `tenants` received it; `home_of` are the local
    /// accounts whose home timeline it enters.
    StatusCreated { status_id: i64, tenants: Vec<i64>, home_of: Vec<i64>, public: bool },
    StatusUpdated { status_id: i64, tenants: Vec<i64> },
    StatusDeleted { status_id: i64, tenants: Vec<i64> },
    Notification { account_id: i64, notification_id: i64 },
}
