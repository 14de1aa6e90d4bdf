//! Finding accounts by handle. Tenants on this host are looked up directly;
//! a handle on a host Kererū does not serve is remote (federation's job).

use crate::error::ServiceError;
use diesel_async::AsyncPgConnection;
use kereru_core::HostName;
use kereru_store::accounts::{self, Account};
use kereru_store::domains::{self, Domain};
use kereru_store::relationships;

/// The account `username@host` (or `username` on `home`), if it is an
/// account of a serving tenant on this host. Makes it known to `home`.
pub async fn local_handle(
    conn: &mut AsyncPgConnection,
    home: &Domain,
    username: &str,
    host: Option<&str>,
) -> Result<Option<Account>, ServiceError> {
    let tenant = match host {
        None => home.clone(),
        Some(host) => {
            let Ok(host) = HostName::parse(host) else { return Ok(None) };
            if host == home.account_host || &host == home.service_host() {
                home.clone()
            } else {
                match domains::find_by_host(conn, &host).await.map_err(|e| match e {
                    domains::DomainError::Store(s) => ServiceError::Store(s),
                    other => ServiceError::Invalid(other.to_string()),
                })? {
                    Some(domain) if domain.is_serving() => domain,
                    _ => return Ok(None),
                }
            }
        }
    };
    let Some(account) = accounts::find_local(conn, tenant.id, username).await? else { return Ok(None) };
    if tenant.id != home.id {
        relationships::make_known(conn, home.id, &[account.id]).await?;
    }
    Ok(Some(account))
}

/// A remote account `username@host` if this tenant already knows it (no fetching).
pub async fn known_remote(
    conn: &mut AsyncPgConnection,
    home: &Domain,
    username: &str,
    host: &HostName,
) -> Result<Option<Account>, ServiceError> {
    let Some((account, _)) = accounts::find_remote(conn, username, host.as_str()).await? else { return Ok(None) };
    Ok(accounts::get_visible(conn, home.id, account.id).await?)
}

/// How long a fetched remote account is used before it is fetched again.
const REMOTE_FRESH_HOURS: i64 = 24;

/// The account `username@host` on another server, found through WebFinger
/// and its actor document (kept, and made known to `home`), or `None` when
/// the server doesn't have it or can't be reached. `scheme` is the public
/// scheme: plain-HTTP development setups look peers up over HTTP too.
pub async fn remote_handle(
    conn: &mut AsyncPgConnection,
    fetcher: &kereru_delivery::http::Fetcher,
    home: &Domain,
    scheme: kereru_core::Scheme,
    username: &str,
    host: &HostName,
) -> Result<Option<Account>, ServiceError> {
    if let Some((account, fetched_at)) = accounts::find_remote(conn, username, host.as_str()).await?
        && fetched_at.is_some_and(|at| chrono::Utc::now() - at < chrono::Duration::hours(REMOTE_FRESH_HOURS))
    {
        relationships::make_known(conn, home.id, &[account.id]).await?;
        return Ok(Some(account));
    }
    let Some(actor) = fetch_remote_actor(fetcher, scheme, username, host).await else { return Ok(None) };
    let account = accounts::upsert_remote(conn, &actor).await?;
    relationships::make_known(conn, home.id, &[account.id]).await?;
    Ok(Some(account))
}

/// WebFinger, then the actor; `None` (logged) for anything missing or inconsistent.
async fn fetch_remote_actor(
    fetcher: &kereru_delivery::http::Fetcher,
    scheme: kereru_core::Scheme,
    username: &str,
    host: &HostName,
) -> Option<accounts::RemoteActor> {
    use kereru_core::activitystreams::{Classified, Object, classify, sanitize_html};
    let webfinger = format!("{scheme}://{host}/.well-known/webfinger?resource=acct:{username}@{host}");
    let jrd = match fetcher.get_webfinger(&webfinger).await {
        Ok(fetched) => fetched.body,
        Err(error) => {
            tracing::info!(%host, "webfinger for {username}@{host} failed: {error}");
            return None;
        }
    };
    let actor_url = jrd["links"].as_array()?.iter().find_map(|link| {
        let media = link["type"].as_str().unwrap_or("");
        let is_ap = media.starts_with("application/activity+json") || media.starts_with("application/ld+json");
        (link["rel"] == "self" && is_ap).then(|| link["href"].as_str()).flatten()
    })?;
    let fetched = match fetcher.get_activity_json(actor_url, None).await {
        Ok(fetched) => fetched,
        Err(error) => {
            tracing::info!(%host, "actor {actor_url} could not be fetched: {error}");
            return None;
        }
    };
    let Ok(Classified::Actor(actor)) = classify(&fetched.body) else {
        tracing::info!(%host, "{actor_url} is not an actor");
        return None;
    };
    // The document must come from its own origin, and be the account asked for.
    let id = actor.id.clone()?;
    let id_host = kereru_delivery::http::Url::parse(&id).ok()?.host_str()?.to_ascii_lowercase();
    if Some(id_host.as_str()) != fetched.url.host_str() {
        tracing::info!(%host, "actor {id} was served from another origin ({})", fetched.url);
        return None;
    }
    let preferred = actor.preferred_username.clone()?;
    if !preferred.eq_ignore_ascii_case(username) {
        tracing::info!(%host, "{actor_url} is {preferred}, not {username}");
        return None;
    }
    let public_key_pem = actor.public_key.as_ref()?.get("publicKeyPem")?.as_str()?.to_string();
    let first_url = |value: &Option<serde_json::Value>| -> Option<String> {
        match value.as_ref()? {
            serde_json::Value::String(url) => Some(url.clone()),
            object => object.get("url").and_then(|u| u.as_str()).map(str::to_string),
        }
    };
    let display_name: String = Object::text(&actor.name).unwrap_or("").chars().take(100).collect();
    Some(accounts::RemoteActor {
        uri: id,
        remote_host: host.to_string(),
        username: preferred.chars().take(100).collect(),
        display_name,
        summary: sanitize_html(Object::text(&actor.summary).unwrap_or("")),
        locked: actor.manually_approves_followers.unwrap_or(false),
        bot: matches!(actor.primary_type(), Some("Service" | "Application")),
        discoverable: actor.extra.get("discoverable").and_then(|d| d.as_bool()).unwrap_or(false),
        public_key_pem,
        url: actor.url.as_ref().and_then(|u| u.first()).and_then(|r| r.id()).map(str::to_string),
        inbox_url: actor.inbox.clone(),
        shared_inbox_url: actor
            .endpoints
            .as_ref()
            .and_then(|e| e.get("sharedInbox"))
            .and_then(|s| s.as_str())
            .map(str::to_string),
        followers_url: actor.followers.as_ref().and_then(|f| f.as_str()).map(str::to_string),
        avatar_remote_url: first_url(&actor.extra.get("icon").cloned()),
        header_remote_url: first_url(&actor.extra.get("image").cloned()),
    })
}
