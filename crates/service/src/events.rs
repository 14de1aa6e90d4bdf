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
    StatusCreated {
        status_id: i64,
        tenants: Vec<i64>,
        home_of: Vec<i64>,
        public: bool,
        /// `home_of` was too long to send: every account on `tenants` may be concerned.
        #[serde(default)]
        home_of_all: bool,
    },
    StatusUpdated {
        status_id: i64,
        tenants: Vec<i64>,
    },
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
        #[serde(default)]
        home_of_all: bool,
    },
    Notification {
        account_id: i64,
        notification_id: i64,
    },
    /// A conversation of `account_id` changed: its `direct` streams hear of it.
    Conversation {
        account_id: i64,
        conversation_id: i64,
    },
    /// An announcement of `tenant` was published or edited while published:
    /// every `user` stream there hears of it (`announcement`).
    Announcement {
        tenant: i64,
        announcement_id: i64,
    },
    /// Someone reacted to (or took back a reaction to) an announcement of
    /// `tenant`: `count` is how many now have (`announcement.reaction`).
    AnnouncementReaction {
        tenant: i64,
        announcement_id: i64,
        name: String,
        count: i64,
    },
    /// An announcement of `tenant` was withdrawn or deleted (`announcement.delete`).
    AnnouncementDeleted {
        tenant: i64,
        announcement_id: i64,
    },
}

/// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
pub const MAX_PAYLOAD: usize = 7900;

impl Event {
    /// The JSON to NOTIFY. A popular author's follower list would not fit:
    /// then the list is dropped for "everyone on these tenants", and each
    /// stream's own timeline check decides (more queries, nothing lost).
    pub fn to_payload(&self) -> Result<String, serde_json::Error> {
        let payload = serde_json::to_string(self)?;
        if payload.len() <= MAX_PAYLOAD {
            return Ok(payload);
        }
        let mut compact = self.clone();
        match &mut compact {
            Event::StatusCreated { home_of, home_of_all, .. } | Event::StatusDeleted { home_of, home_of_all, .. } => {
                home_of.clear();
                *home_of_all = true;
            }
            _ => {}
        }
        serde_json::to_string(&compact)
    }
}

/// Sends events to every node's streams (PostgreSQL NOTIFY). Call after
/// the transaction that caused them committed; failures are logged only.
pub async fn publish(conn: &mut diesel_async::AsyncPgConnection, events: &[Event]) {
    use diesel_async::RunQueryDsl;
    for event in events {
        let payload = match event.to_payload() {
            Ok(payload) => payload,
            Err(error) => {
                tracing::warn!("cannot encode event: {error}");
                continue;
            }
        };
        let sent = diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<diesel::sql_types::Text, _>(CHANNEL)
            .bind::<diesel::sql_types::Text, _>(payload)
            .execute(conn)
            .await;
        if let Err(error) = sent {
            tracing::warn!("cannot publish an event: {error}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_json_and_deletes_from_older_nodes_still_parse() {
        let event =
            Event::StatusDeleted { status_id: 7, tenants: vec![1], public: true, home_of: vec![3], home_of_all: false };
        let json = serde_json::to_value(&event).unwrap_or_default();
        assert_eq!(json["event"], "status_deleted");
        assert_eq!(serde_json::from_value::<Event>(json).ok(), Some(event));
        let old: Result<Event, _> = serde_json::from_str(r#"{"event":"status_deleted","status_id":7,"tenants":[1]}"#);
        assert_eq!(
            old.ok(),
            Some(Event::StatusDeleted {
                status_id: 7,
                tenants: vec![1],
                public: false,
                home_of: vec![],
                home_of_all: false
            })
        );
    }

    #[test]
    fn a_follower_list_too_long_for_notify_becomes_everyone() {
        let followers: Vec<i64> = (0..5000).map(|n| 7_000_000_000_000_000 + n).collect();
        let event = Event::StatusCreated {
            status_id: 1,
            tenants: vec![1, 2],
            home_of: followers,
            public: true,
            home_of_all: false,
        };
        let payload = event.to_payload().unwrap();
        assert!(payload.len() <= MAX_PAYLOAD, "{}", payload.len());
        let back: Event = serde_json::from_str(&payload).unwrap();
        assert!(
            matches!(back, Event::StatusCreated { home_of_all: true, ref home_of, ref tenants, .. } if home_of.is_empty() && tenants == &vec![1, 2])
        );
        let small = Event::StatusCreated {
            status_id: 1,
            tenants: vec![1],
            home_of: vec![5],
            public: false,
            home_of_all: false,
        };
        assert_eq!(serde_json::from_str::<Event>(&small.to_payload().unwrap()).unwrap(), small);
    }
}
