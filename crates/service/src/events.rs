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
    /// A status is gone. The row is, too, so who may hear of it is decided
    /// here: public streams if it was `public`, and the streams of `home_of`
    /// (its author, followers unless it was direct, and those it mentioned).
    /// Both default to nobody for events from nodes that don't send them yet.
    StatusDeleted {
        status_id: i64,
        tenants: Vec<i64>,
        #[serde(default)]
        public: bool,
        #[serde(default)]
        home_of: Vec<i64>,
    },
    Notification { account_id: i64, notification_id: i64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_json_and_deletes_from_older_nodes_still_parse() {
        let event = Event::StatusDeleted { status_id: 7, tenants: vec![1], public: true, home_of: vec![3] };
        let json = serde_json::to_value(&event).unwrap_or_default();
        assert_eq!(json["event"], "status_deleted");
        assert_eq!(serde_json::from_value::<Event>(json).ok(), Some(event));
        let old: Result<Event, _> = serde_json::from_str(r#"{"event":"status_deleted","status_id":7,"tenants":[1]}"#);
        assert_eq!(old.ok(), Some(Event::StatusDeleted { status_id: 7, tenants: vec![1], public: false, home_of: vec![] }));
    }
}
