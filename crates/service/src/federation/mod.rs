//! ActivityPub with other servers: remote actors and their keys
//! ([`actors`], [`verify`]), the inbox's intake ([`receive`]) and the
//! processing of what it accepted ([`inbound`]), and the activities local
//! actions send ([`outbound`]), always through the delivery queue.

pub mod actors;
pub mod inbound;
pub mod instance_actor;
pub mod key_fetches;
pub mod outbound;
pub mod poll_activities;
pub mod quote_activities;
pub mod signing;
pub mod verify;

use kereru_core::Scheme;
use kereru_core::activitystreams::{Classified, classify};
use kereru_core::signatures::RequestParts;
use kereru_delivery::http::Fetcher;
use kereru_store::accounts::Account;
use kereru_store::domains::Domain;
use kereru_store::inbound::{self as intake, NewInbound};
use kereru_store::{Pool, StoreError};
pub use key_fetches::{KeyFetchSettings, KeyFetches};
pub use verify::VerifyError;

/// What federation code needs from the process.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub fetcher: &'a Fetcher,
    /// The scheme of every URL Kererū publishes.
    pub scheme: Scheme,
}

/// Why an inbox refused a POST; nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("the body is not an activity: {0}")]
    NotAnActivity(String),
    #[error("the activity's actor is not the signer")]
    ActorMismatch,
    #[error("the activity's id is not on its actor's server")]
    ForeignId,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the inbox did with a verified activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Stored for processing (`false`: it had been received before).
    Stored { new: bool },
    /// An activity type Kererū does not act on (the type, for the log).
    Ignored(String),
}

/// The inbox: verify who signed `request`, check the activity is theirs,
/// and store it for processing. `inbox_owner` is the local account whose
/// inbox was posted to (`None` for the shared inbox).
pub async fn receive(
    pool: &Pool,
    context: Context<'_>,
    keys: &KeyFetches,
    tenant: &Domain,
    inbox_owner: Option<&Account>,
    request: &RequestParts<'_>,
) -> Result<Received, InboxError> {
    // Cheap refusals first: no signature at all, then a body that is not an activity.
    if !request.has_header("signature")
        && !request.has_header("signature-input")
        && !request.has_header("authorization")
    {
        return Err(VerifyError::Unsigned.into());
    }
    let document: serde_json::Value =
        serde_json::from_slice(request.body).map_err(|e| InboxError::NotJson(e.to_string()))?;
    let classified = classify(&document).map_err(|e| InboxError::NotAnActivity(e.to_string()))?;
    let signer = {
        let mut conn = pool.get().await.map_err(StoreError::from)?;
        signing::tenant_signer(&mut conn, tenant, context.scheme).await.ok().flatten()
    };
    let account = verify::signer_of(pool, context.fetcher, keys, signer.as_ref(), tenant, request).await?;
    let activity = match classified {
        Classified::Activity { activity, .. } => activity,
        Classified::Ignored { type_name, .. } => {
            // An activity type Kererū does not know still has to be the signer's.
            let Some(actor) = document.get("actor") else {
                return Err(InboxError::NotAnActivity(format!("a {type_name} is not an activity")));
            };
            if actor_id_of(actor) != account.uri.as_deref() {
                return Err(InboxError::ActorMismatch);
            }
            return Ok(Received::Ignored(type_name));
        }
        other => return Err(InboxError::NotAnActivity(format!("{} is not an activity", kind_name(&other)))),
    };
    let actor_uri = account.uri.as_deref().unwrap_or_default();
    if activity.actor_id() != Some(actor_uri) {
        return Err(InboxError::ActorMismatch);
    }
    let activity_uri = match activity.id.as_deref() {
        Some(id) if actors::same_origin(id, actor_uri) => id.to_string(),
        Some(_) => return Err(InboxError::ForeignId),
        // Some servers send transient activities without ids: name them by their content.
        None => format!("{actor_uri}#sha256-{}", hex_sha256(request.body)),
    };
    let body = String::from_utf8_lossy(request.body);
    let mut conn = pool.get().await.map_err(StoreError::from)?;
    let new = intake::store(
        &mut conn,
        &NewInbound {
            tenant: tenant.id,
            inbox_account: inbox_owner.map(|a| a.id),
            activity_uri: &activity_uri,
            actor_uri,
            body: &body,
        },
    )
    .await?;
    Ok(Received::Stored { new })
}

/// The id an `actor` value names: a string, an object's `id`, or the one
/// element of a list (a list of several names no single signer).
fn actor_id_of(actor: &serde_json::Value) -> Option<&str> {
    match actor {
        serde_json::Value::String(id) => Some(id),
        serde_json::Value::Object(object) => object.get("id").and_then(|id| id.as_str()),
        serde_json::Value::Array(list) if list.len() == 1 => actor_id_of(&list[0]),
        _ => None,
    }
}

fn kind_name(classified: &Classified) -> &'static str {
    match classified {
        Classified::Status(_) => "a status",
        Classified::Actor(_) => "an actor",
        Classified::Collection(_) => "a collection",
        Classified::Tombstone(_) => "a tombstone",
        Classified::Activity { .. } | Classified::Ignored { .. } => "this",
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}
