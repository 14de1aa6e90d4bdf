//! Provider webhooks: registrations (a URL, a secret, the events it wants,
//! enabled or not), events and their deliveries.
//!
//! [`enqueue`] runs inside the caller's transaction (the suspension, the
//! report, the stored certificate): the event is stored once with the exact
//! JSON body every attempt will send (`{"id","type","created_at","data"}`),
//! and one `webhook_deliveries` row is added per enabled webhook that wants
//! its type, so the event exists exactly when the action committed. When no
//! webhook wants it, nothing is written. `kereru_delivery::webhooks` sends
//! the rows (claim with a lease, retry with backoff, give up), see [`queue`].
//! [`events`] builds the payloads of the events Kererū emits.

pub mod events;
pub mod queue;

use crate::error::StoreError;
use crate::ids::next_id;
use crate::schema::webhooks;
use chrono::{DateTime, SecondsFormat, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// A registered webhook (its secret is never read back but to sign).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    /// Event types sent; empty: every event.
    pub events: Vec<String>,
    pub enabled: bool,
    pub description: String,
    pub created_at: DateTime<Utc>,
}

impl Webhook {
    /// Whether this webhook wants events of `event_type`.
    pub fn wants(&self, event_type: &str) -> bool {
        self.enabled && (self.events.is_empty() || self.events.iter().any(|e| e == event_type))
    }
}

/// A webhook to register; checked by the caller (`service::webhooks`).
#[derive(Debug, Clone)]
pub struct NewWebhook<'a> {
    pub url: &'a str,
    pub secret: &'a str,
    pub events: &'a [String],
    pub description: &'a str,
}

pub async fn create(conn: &mut AsyncPgConnection, new: &NewWebhook<'_>) -> Result<Webhook, StoreError> {
    Ok(diesel::insert_into(webhooks::table)
        .values((
            webhooks::id.eq(next_id()),
            webhooks::url.eq(new.url),
            webhooks::secret.eq(new.secret),
            webhooks::events.eq(new.events),
            webhooks::description.eq(new.description),
        ))
        .returning(Webhook::as_returning())
        .get_result(conn)
        .await?)
}

/// Every webhook, oldest first.
pub async fn list(conn: &mut AsyncPgConnection) -> Result<Vec<Webhook>, StoreError> {
    Ok(webhooks::table.order(webhooks::id).select(Webhook::as_select()).load(conn).await?)
}

pub async fn get(conn: &mut AsyncPgConnection, id: i64) -> Result<Option<Webhook>, StoreError> {
    Ok(webhooks::table.find(id).select(Webhook::as_select()).first(conn).await.optional()?)
}

/// Removes webhook `id` with its queued and finished deliveries. False when there was none.
pub async fn delete(conn: &mut AsyncPgConnection, id: i64) -> Result<bool, StoreError> {
    Ok(diesel::delete(webhooks::table.find(id)).execute(conn).await? > 0)
}

/// Turns webhook `id` on or off (off: no new deliveries; queued ones are still sent).
pub async fn set_enabled(conn: &mut AsyncPgConnection, id: i64, enabled: bool) -> Result<Option<Webhook>, StoreError> {
    Ok(diesel::update(webhooks::table.find(id))
        .set(webhooks::enabled.eq(enabled))
        .returning(Webhook::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// What [`enqueue`] stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    /// The event's id (`Kereru-Webhook-Id`), when any webhook wanted it.
    pub event: Option<i64>,
    /// Deliveries queued.
    pub deliveries: usize,
}

/// Stores an event of `event_type` with `data` and queues it for every enabled
/// webhook that wants it. Run it inside the transaction of the action that
/// causes the event. Nothing is written when no webhook wants it.
pub async fn enqueue(
    conn: &mut AsyncPgConnection,
    event_type: &str,
    data: &serde_json::Value,
) -> Result<Enqueued, StoreError> {
    enqueue_for(conn, None, event_type, data).await
}

/// [`enqueue`] to webhook `only` alone, whatever it subscribed to and even if
/// it is disabled (the test event).
pub async fn enqueue_to(
    conn: &mut AsyncPgConnection,
    only: i64,
    event_type: &str,
    data: &serde_json::Value,
) -> Result<Enqueued, StoreError> {
    enqueue_for(conn, Some(only), event_type, data).await
}

async fn enqueue_for(
    conn: &mut AsyncPgConnection,
    only: Option<i64>,
    event_type: &str,
    data: &serde_json::Value,
) -> Result<Enqueued, StoreError> {
    let targets: Vec<i64> = match only {
        Some(id) => webhooks::table.find(id).select(webhooks::id).load(conn).await?,
        None => {
            let all =
                webhooks::table.filter(webhooks::enabled.eq(true)).select(Webhook::as_select()).load(conn).await?;
            all.into_iter().filter(|w| w.wants(event_type)).map(|w| w.id).collect()
        }
    };
    if targets.is_empty() {
        return Ok(Enqueued { event: None, deliveries: 0 });
    }
    let id = next_id();
    let body = event_body(id, event_type, Utc::now(), data);
    diesel::sql_query("INSERT INTO webhook_events (id, event_type, body) VALUES ($1, $2, $3)")
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(event_type)
        .bind::<Text, _>(&body)
        .execute(conn)
        .await?;
    let queued =
        diesel::sql_query("INSERT INTO webhook_deliveries (webhook_id, event_id) SELECT unnest($1::bigint[]), $2")
            .bind::<diesel::sql_types::Array<BigInt>, _>(&targets)
            .bind::<BigInt, _>(id)
            .execute(conn)
            .await?;
    Ok(Enqueued { event: Some(id), deliveries: queued })
}

/// The JSON text POSTed for an event: `{"id","type","created_at","data"}`.
pub fn event_body(id: i64, event_type: &str, at: DateTime<Utc>, data: &serde_json::Value) -> String {
    serde_json::json!({
        "id": id.to_string(),
        "type": event_type,
        "created_at": at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "data": data,
    })
    .to_string()
}
