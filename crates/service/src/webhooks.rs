//! Provider webhooks, the provider's acts: register a URL (its secret made
//! here and shown once), remove it, turn it on or off, send it a test event.
//! The command line (`kereru provider webhook ...`) and the provider API
//! (`/api/provider/v1/webhooks`) call these; each is one transaction with a
//! host-wide audit row. Events themselves are queued by
//! `kereru_store::webhooks::events` in the transactions that cause them.

use crate::ServiceError;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_core::webhooks::{EVENTS, TEST_EVENT, is_event, new_secret};
use kereru_store::admin_actions::{self, NewAdminAction};
use kereru_store::webhooks::{self, NewWebhook, Webhook};

/// Longest webhook URL accepted.
pub const MAX_URL_LENGTH: usize = 2048;
/// Longest description accepted.
pub const MAX_DESCRIPTION: usize = 200;

/// A webhook to register, as the provider gave it.
#[derive(Debug, Clone, Default)]
pub struct WebhookInput {
    pub url: String,
    /// Event types; empty: every event.
    pub events: Vec<String>,
    pub description: String,
}

/// A webhook just registered, with its secret (shown this once).
#[derive(Debug, Clone)]
pub struct Registered {
    pub webhook: Webhook,
    pub secret: String,
}

/// The checked URL: http or https, a host, no credentials, not too long.
pub fn check_url(raw: &str) -> Result<String, ServiceError> {
    let raw = raw.trim();
    let invalid = |why: &str| ServiceError::Invalid(format!("url {why}"));
    if raw.len() > MAX_URL_LENGTH {
        return Err(invalid(&format!("is longer than {MAX_URL_LENGTH} characters")));
    }
    let url = url::Url::parse(raw).map_err(|e| invalid(&format!("is not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not carry credentials"));
    }
    Ok(url.to_string())
}

/// The checked event filter: known names, each once, in the order of [`EVENTS`].
pub fn check_events(events: &[String]) -> Result<Vec<String>, ServiceError> {
    if let Some(unknown) = events.iter().map(|e| e.trim()).find(|e| !is_event(e)) {
        return Err(ServiceError::Invalid(format!(
            "events: `{unknown}` is not an event (known: {})",
            EVENTS.join(", ")
        )));
    }
    Ok(EVENTS.iter().filter(|e| events.iter().any(|x| x.trim() == **e)).map(|e| e.to_string()).collect())
}

async fn audit(
    conn: &mut AsyncPgConnection,
    by: &str,
    action: &str,
    webhook: &Webhook,
    detail: &str,
) -> Result<(), ServiceError> {
    admin_actions::record(
        conn,
        &NewAdminAction {
            tenant: None,
            actor: None,
            actor_label: by,
            action,
            target_type: "webhook",
            target_id: Some(webhook.id),
            target_label: &webhook.url,
            detail,
        },
    )
    .await?;
    Ok(())
}

/// Registers a webhook; `by` names who did (`command line`, `provider key NAME`).
pub async fn create(conn: &mut AsyncPgConnection, by: &str, input: &WebhookInput) -> Result<Registered, ServiceError> {
    let url = check_url(&input.url)?;
    let events = check_events(&input.events)?;
    let description = input.description.trim().to_string();
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(ServiceError::Invalid(format!("description is longer than {MAX_DESCRIPTION} characters")));
    }
    let secret = new_secret();
    let by = by.to_string();
    conn.transaction(async |conn| -> Result<Registered, ServiceError> {
        let new = NewWebhook { url: &url, secret: &secret, events: &events, description: &description };
        let webhook = webhooks::create(conn, &new).await?;
        let detail = if events.is_empty() { "every event".to_string() } else { events.join(", ") };
        audit(conn, &by, "create_webhook", &webhook, &detail).await?;
        Ok(Registered { webhook, secret: secret.clone() })
    })
    .await
}

/// Removes webhook `id` with its deliveries, queued or not.
pub async fn remove(conn: &mut AsyncPgConnection, by: &str, id: i64) -> Result<Webhook, ServiceError> {
    let by = by.to_string();
    conn.transaction(async |conn| -> Result<Webhook, ServiceError> {
        let webhook = webhooks::get(conn, id).await?.ok_or(ServiceError::NotFound)?;
        audit(conn, &by, "remove_webhook", &webhook, "").await?;
        webhooks::delete(conn, id).await?;
        Ok(webhook)
    })
    .await
}

/// Turns webhook `id` on or off.
pub async fn set_enabled(
    conn: &mut AsyncPgConnection,
    by: &str,
    id: i64,
    enabled: bool,
) -> Result<Webhook, ServiceError> {
    let by = by.to_string();
    conn.transaction(async |conn| -> Result<Webhook, ServiceError> {
        let webhook = webhooks::set_enabled(conn, id, enabled).await?.ok_or(ServiceError::NotFound)?;
        let action = if enabled { "enable_webhook" } else { "disable_webhook" };
        audit(conn, &by, action, &webhook, "").await?;
        Ok(webhook)
    })
    .await
}

/// Queues a `webhook.test` event to webhook `id` alone; returns the event's id.
pub async fn test(conn: &mut AsyncPgConnection, id: i64) -> Result<i64, ServiceError> {
    conn.transaction(async |conn| -> Result<i64, ServiceError> {
        let webhook = webhooks::get(conn, id).await?.ok_or(ServiceError::NotFound)?;
        let data = serde_json::json!({ "webhook_id": webhook.id.to_string(), "url": webhook.url });
        let queued = webhooks::enqueue_to(conn, id, TEST_EVENT, &data).await?;
        queued.event.ok_or(ServiceError::NotFound)
    })
    .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn urls_and_events_are_checked() {
        assert_eq!(check_url(" https://shop.example/hooks#x ").unwrap(), "https://shop.example/hooks#x");
        assert!(check_url("ftp://shop.example/").is_err());
        assert!(check_url("https://u:p@shop.example/").is_err());
        assert!(check_url("not a url").is_err());
        let events = check_events(&["report.created".into(), "tenant.suspended".into(), "report.created".into()]);
        assert_eq!(events.unwrap(), ["tenant.suspended", "report.created"]);
        assert!(check_events(&["tenant.eaten".into()]).is_err());
        assert!(check_events(&[]).unwrap().is_empty());
    }
}
