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
    // A blocked server's accounts are neither looked up nor shown.
    if kereru_store::domain_blocks::is_blocked(conn, home.id, host.as_str()).await? {
        return Ok(None);
    }
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
    // The document must come from its own origin, and be the account asked for.
    let mut actor = match crate::federation::actors::parse_actor(&fetched.body, &fetched.url) {
        Ok(actor) => actor,
        Err(error) => {
            tracing::info!(%host, "{actor_url}: {error}");
            return None;
        }
    };
    if !actor.username.eq_ignore_ascii_case(username) {
        tracing::info!(%host, "{actor_url} is {}, not {username}", actor.username);
        return None;
    }
    actor.remote_host = host.to_string();
    Some(actor)
}
