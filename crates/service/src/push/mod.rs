//! Web Push subscriptions (`/api/v1/push/subscription`): one per access
//! token, as Mastodon keeps them. Checked input, then one store write.
//! Pushes themselves are queued with each notification
//! (`kereru_store::push::queue::enqueue`) and sent by
//! `kereru_delivery::push::PushWorker`.

use crate::Actor;
use crate::error::ServiceError;
use diesel_async::AsyncPgConnection;
use kereru_core::webpush;
use kereru_store::DomainId;
use kereru_store::push::{self, NewSubscription, Subscription};
use std::collections::BTreeMap;

/// Mastodon's notification types a subscription can ask alerts for, in the
/// order Mastodon renders them.
pub const ALERT_TYPES: &[&str] = &[
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "admin.sign_up",
    "admin.report",
    "quote",
    "quoted_update",
];

/// The policies Mastodon knows: whose notifications are pushed.
pub const POLICIES: &[&str] = &["all", "followed", "follower", "none"];

/// Longest endpoint accepted.
const MAX_ENDPOINT: usize = 2048;

/// Alerts and policy (`data[...]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Data {
    /// Type -> pushed, as the client gave them (unknown types dropped).
    pub alerts: BTreeMap<String, bool>,
    /// None: `all`.
    pub policy: Option<String>,
}

/// A new subscription (`subscription[...]` and `data[...]`).
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub standard: bool,
    pub data: Data,
}

fn invalid(message: &str) -> ServiceError {
    ServiceError::Invalid(format!("Validation failed: {message}"))
}

/// The alerts as stored: a JSON object of known types, in Mastodon's order.
fn alerts_json(alerts: &BTreeMap<String, bool>) -> String {
    let mut object = serde_json::Map::new();
    for kind in ALERT_TYPES {
        if let Some(on) = alerts.get(*kind) {
            object.insert((*kind).to_string(), serde_json::Value::Bool(*on));
        }
    }
    serde_json::Value::Object(object).to_string()
}

fn policy_of(data: &Data) -> Result<&str, ServiceError> {
    let policy = data.policy.as_deref().unwrap_or("all");
    POLICIES.iter().find(|p| **p == policy).copied().ok_or_else(|| invalid("Policy is not included in the list"))
}

/// The stored alerts, for rendering: known types only, in Mastodon's order.
pub fn alerts_of(subscription: &Subscription) -> Vec<(&'static str, bool)> {
    let stored: BTreeMap<String, bool> = serde_json::from_str(&subscription.alerts).unwrap_or_default();
    ALERT_TYPES.iter().filter_map(|kind| stored.get(*kind).map(|on| (*kind, *on))).collect()
}

/// Subscribes the token (`token_id`, whose text is `access_token`): any
/// subscription it had is replaced, as Mastodon does.
pub async fn subscribe(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    token_id: i64,
    access_token: &str,
    request: NewRequest,
) -> Result<Subscription, ServiceError> {
    let endpoint = request.endpoint.trim();
    if endpoint.len() > MAX_ENDPOINT || !kereru_core::activitypub::is_http_url(endpoint) {
        return Err(invalid("Endpoint is not a valid URL"));
    }
    let p256dh = webpush::decode_key(&request.p256dh).ok_or_else(|| invalid("Key p256dh is not valid"))?;
    let auth = webpush::decode_key(&request.auth).ok_or_else(|| invalid("Key auth is not valid"))?;
    webpush::check_receiver(&p256dh, &auth).map_err(|e| match e {
        webpush::PushCryptoError::BadAuthSecret => invalid("Key auth is not valid"),
        _ => invalid("Key p256dh is not valid"),
    })?;
    let policy = policy_of(&request.data)?;
    let alerts = alerts_json(&request.data.alerts);
    // Make the tenant's VAPID key now, so the answer's server_key is the one pushes are signed with.
    push::vapid_key(conn, actor.tenant.id).await?;
    let subscription = push::replace(
        conn,
        &NewSubscription {
            domain: actor.tenant.id,
            account: actor.account.id,
            token_id,
            access_token,
            endpoint,
            key_p256dh: &p256dh,
            key_auth: &auth,
            alerts: &alerts,
            policy,
            standard: request.standard,
        },
    )
    .await?;
    Ok(subscription)
}

/// Replaces the alerts and policy of the token's subscription (Mastodon's
/// PUT replaces `data` whole). NotFound when the token has none.
pub async fn update(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    token_id: i64,
    data: Data,
) -> Result<Subscription, ServiceError> {
    let policy = policy_of(&data)?;
    push::update_data(conn, domain, token_id, &alerts_json(&data.alerts), policy).await?.ok_or(ServiceError::NotFound)
}

/// Removes the token's subscription; NotFound when it has none.
pub async fn unsubscribe(conn: &mut AsyncPgConnection, domain: DomainId, token_id: i64) -> Result<(), ServiceError> {
    if push::delete_of_token(conn, domain, token_id).await? { Ok(()) } else { Err(ServiceError::NotFound) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_alert_types_and_policies_are_kept() {
        let mut alerts = BTreeMap::new();
        alerts.insert("update".to_string(), true);
        alerts.insert("mention".to_string(), false);
        alerts.insert("admin.sign_up".to_string(), true);
        alerts.insert("nonsense".to_string(), true);
        let stored: serde_json::Value = serde_json::from_str(&alerts_json(&alerts)).unwrap();
        assert_eq!(stored, serde_json::json!({"mention": false, "update": true, "admin.sign_up": true}));
        assert!(policy_of(&Data { policy: Some("everyone".into()), ..Data::default() }).is_err());
        assert_eq!(policy_of(&Data::default()).unwrap(), "all");
    }
}
