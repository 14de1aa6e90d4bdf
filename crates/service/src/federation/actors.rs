//! Remote actors by id: fetched from their origin, checked, cached in
//! `accounts` and refreshed when stale or when their key stops verifying.

use crate::error::ServiceError;
use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kereru_core::activitystreams::{Classified, Object, classify, sanitize_html};
use kereru_core::signatures::Signer;
use kereru_delivery::http::{Fetcher, Url};
use kereru_store::accounts::{self, Account, RemoteActor};
use kereru_store::schema::accounts as accounts_table;

/// How long a fetched actor is used before it is fetched again.
pub const FRESH_HOURS: i64 = 24;

#[derive(Debug, thiserror::Error)]
pub enum ActorError {
    #[error("the actor could not be fetched: {0}")]
    Fetch(String),
    #[error("the document is not an actor: {0}")]
    NotAnActor(String),
    #[error("the actor {id} was served from another origin ({served_from})")]
    WrongOrigin { id: String, served_from: String },
    #[error("the actor has no public key")]
    NoKey,
    #[error("the key {0} does not belong to its actor")]
    KeyNotOwned(String),
    #[error("{0} is an account of this host")]
    Local(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<diesel::result::Error> for ActorError {
    fn from(error: diesel::result::Error) -> Self {
        ActorError::Service(error.into())
    }
}

impl From<kereru_store::StoreError> for ActorError {
    fn from(error: kereru_store::StoreError) -> Self {
        ActorError::Service(error.into())
    }
}

/// The host part of an http(s) URL, lower case.
pub fn host_of(url: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(())?;
    Some(url.host_str()?.trim_end_matches('.').to_ascii_lowercase())
}

/// Same scheme, host and port.
pub fn same_origin(a: &str, b: &str) -> bool {
    match (Url::parse(a), Url::parse(b)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin() && matches!(a.scheme(), "http" | "https"),
        _ => false,
    }
}

/// Reads an actor document served from `served_from`. The handle's host is
/// the id's host (WebFinger lookups override it with the host they asked).
pub fn parse_actor(document: &serde_json::Value, served_from: &Url) -> Result<RemoteActor, ActorError> {
    let actor = match classify(document) {
        Ok(Classified::Actor(actor)) => actor,
        Ok(other) => return Err(ActorError::NotAnActor(format!("{other:?}").chars().take(80).collect())),
        Err(error) => return Err(ActorError::NotAnActor(error.to_string())),
    };
    let id = actor.id.clone().ok_or_else(|| ActorError::NotAnActor("no id".into()))?;
    if !same_origin(&id, served_from.as_str()) {
        return Err(ActorError::WrongOrigin { id, served_from: served_from.to_string() });
    }
    let remote_host = host_of(&id).ok_or_else(|| ActorError::NotAnActor("the id is not an http(s) URL".into()))?;
    let username =
        actor.preferred_username.clone().ok_or_else(|| ActorError::NotAnActor("no preferredUsername".into()))?;
    let key = actor.public_key.as_ref().ok_or(ActorError::NoKey)?;
    // Some servers publish an array of keys; the first RSA one is Mastodon's.
    let key = match key {
        serde_json::Value::Array(keys) => <[serde_json::Value]>::first(keys).ok_or(ActorError::NoKey)?,
        single => single,
    };
    let public_key_pem = key.get("publicKeyPem").and_then(|p| p.as_str()).ok_or(ActorError::NoKey)?.to_string();
    let key_id = key.get("id").and_then(|k| k.as_str()).map(str::to_string);
    if let Some(key_id) = &key_id
        && !same_origin(key_id, &id)
    {
        return Err(ActorError::KeyNotOwned(key_id.clone()));
    }
    let first_url = |value: Option<&serde_json::Value>| -> Option<String> {
        match value? {
            serde_json::Value::String(url) => Some(url.clone()),
            object => object.get("url").and_then(|u| u.as_str()).map(str::to_string),
        }
    };
    let http_only = |url: Option<String>| url.filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    let display_name: String = Object::text(&actor.name).unwrap_or("").chars().take(100).collect();
    Ok(RemoteActor {
        uri: id,
        remote_host,
        username: username.chars().take(100).collect(),
        display_name,
        summary: sanitize_html(Object::text(&actor.summary).unwrap_or("")),
        locked: actor.manually_approves_followers.unwrap_or(false),
        bot: matches!(actor.primary_type(), Some("Service" | "Application")),
        discoverable: actor.extra.get("discoverable").and_then(|d| d.as_bool()).unwrap_or(false),
        public_key_pem,
        key_id,
        url: http_only(actor.url.as_ref().and_then(|u| u.first()).and_then(|r| r.id()).map(str::to_string)),
        inbox_url: http_only(actor.inbox.clone()),
        shared_inbox_url: http_only(
            actor.endpoints.as_ref().and_then(|e| e.get("sharedInbox")).and_then(|s| s.as_str()).map(str::to_string),
        ),
        followers_url: http_only(actor.followers.as_ref().and_then(|f| f.as_str()).map(str::to_string)),
        avatar_remote_url: http_only(first_url(actor.extra.get("icon"))),
        header_remote_url: http_only(first_url(actor.extra.get("image"))),
    })
}

/// Fetches the actor at `url` (signed when `signer` is given) and keeps it.
pub async fn fetch_and_store(
    conn: &mut AsyncPgConnection,
    fetcher: &Fetcher,
    signer: Option<&Signer>,
    url: &str,
) -> Result<Account, ActorError> {
    let actor = fetch(fetcher, signer, url).await?;
    Ok(accounts::upsert_remote(conn, &actor).await?)
}

/// A remote account by actor id, with when it was fetched.
pub async fn cached(
    conn: &mut AsyncPgConnection,
    uri: &str,
) -> Result<Option<(Account, Option<chrono::DateTime<Utc>>)>, ActorError> {
    Ok(accounts_table::table
        .filter(accounts_table::uri.eq(uri))
        .select((Account::as_select(), accounts_table::fetched_at))
        .first(conn)
        .await
        .optional()?)
}

/// The remote account with actor id `uri`: cached while fresh, else fetched.
pub async fn by_uri(
    conn: &mut AsyncPgConnection,
    fetcher: &Fetcher,
    signer: Option<&Signer>,
    uri: &str,
) -> Result<Account, ActorError> {
    if let Some((account, fetched_at)) = cached(conn, uri).await?
        && fetched_at.is_some_and(|at| Utc::now() - at < Duration::hours(FRESH_HOURS))
    {
        return Ok(account);
    }
    fetch_and_store(conn, fetcher, signer, uri).await
}

/// The remote account whose key is `key_id`, if it is cached.
pub async fn by_key_id_cached(conn: &mut AsyncPgConnection, key_id: &str) -> Result<Option<Account>, ActorError> {
    let known: Option<Account> = accounts_table::table
        .filter(accounts_table::key_id.eq(key_id))
        .filter(accounts_table::domain_id.is_null())
        .select(Account::as_select())
        .first(conn)
        .await
        .optional()?;
    if known.is_some() {
        return Ok(known);
    }
    let document_url = key_id.split('#').next().unwrap_or(key_id);
    Ok(cached(conn, document_url).await?.map(|(account, _)| account).filter(|a| a.key_id.as_deref() == Some(key_id)))
}

/// Fetches the actor that `key_id` belongs to: the key id names the actor
/// (`{actor}#main-key`) or a key document with an owner. No database
/// connection is needed (or held) while the remote server answers.
pub async fn fetch_key_owner(
    fetcher: &Fetcher,
    signer: Option<&Signer>,
    key_id: &str,
) -> Result<RemoteActor, ActorError> {
    let document_url = key_id.split('#').next().unwrap_or(key_id);
    let fetched =
        fetcher.get_activity_json(document_url, signer).await.map_err(|e| ActorError::Fetch(e.to_string()))?;
    let actor = match parse_actor(&fetched.body, &fetched.url) {
        Ok(actor) => actor,
        Err(ActorError::NotAnActor(_)) => {
            let owner = fetched.body.get("owner").and_then(|o| o.as_str()).ok_or(ActorError::NoKey)?;
            if !same_origin(owner, key_id) {
                return Err(ActorError::KeyNotOwned(key_id.into()));
            }
            let fetched =
                fetcher.get_activity_json(owner, signer).await.map_err(|e| ActorError::Fetch(e.to_string()))?;
            parse_actor(&fetched.body, &fetched.url)?
        }
        Err(other) => return Err(other),
    };
    if actor.key_id.as_deref() != Some(key_id) {
        return Err(ActorError::KeyNotOwned(key_id.into()));
    }
    Ok(actor)
}

/// Fetches the actor at `url` without touching the database.
pub async fn fetch(fetcher: &Fetcher, signer: Option<&Signer>, url: &str) -> Result<RemoteActor, ActorError> {
    let fetched = fetcher.get_activity_json(url, signer).await.map_err(|e| ActorError::Fetch(e.to_string()))?;
    parse_actor(&fetched.body, &fetched.url)
}
