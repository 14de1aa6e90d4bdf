//! Following across servers from the web: where a person's own server takes
//! follows (its OStatus subscribe template, for "follow from your server"),
//! and what a handle or URL names (for the interaction page and search).

use crate::error::ServiceError;
use crate::federation::actors;
use diesel_async::AsyncPgConnection;
use kereru_core::{HostName, Scheme};
use kereru_delivery::http::Fetcher;
use kereru_store::accounts::Account;
use kereru_store::domains::{self, Domain};
use kereru_store::{domain_blocks, lookups, relationships};

/// Why a person's server could not be asked to follow.
#[derive(Debug, thiserror::Error)]
pub enum RemoteFollowError {
    #[error("Enter your address as you@your.server.")]
    BadHandle,
    #[error("{0} could not be reached, or does not know that account.")]
    Unreachable(String),
    #[error("{0} does not say how to follow from there (it has no subscribe link).")]
    NoTemplate(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// `user@host` from what a person typed: `@user@host`, `acct:user@host`, `user@host`.
pub fn parse_handle(text: &str) -> Option<(String, HostName)> {
    let text = text.trim();
    let text = text.strip_prefix("acct:").unwrap_or(text);
    let text = text.strip_prefix('@').unwrap_or(text);
    let (user, host) = text.split_once('@')?;
    let plain = |s: &str| {
        !s.is_empty() && s.len() <= 100 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    };
    if !plain(user) || host.contains(['/', '@', ':', '?', '#']) {
        return None;
    }
    Some((user.to_string(), HostName::parse(host).ok()?))
}

/// The URL the person `handle` follows `target` (an actor id or handle) at
/// on their own server: its WebFinger's subscribe template, filled in. A
/// tenant of this host answers directly; others through the fetcher (which
/// refuses private addresses); blocked servers are not asked.
pub async fn subscribe_url(
    conn: &mut AsyncPgConnection,
    fetcher: &Fetcher,
    home: &Domain,
    scheme: Scheme,
    handle: &str,
    target: &str,
) -> Result<String, RemoteFollowError> {
    let (user, host) = parse_handle(handle).ok_or(RemoteFollowError::BadHandle)?;
    let template = match domains::find_by_host(conn, &host).await {
        Ok(Some(domain)) if domain.is_serving() => {
            format!("{}/authorize_interaction?uri={{uri}}", domain.urls(scheme).base())
        }
        Ok(_) => remote_template(conn, fetcher, home, scheme, &user, &host).await?,
        Err(domains::DomainError::Store(s)) => return Err(ServiceError::Store(s).into()),
        Err(other) => return Err(ServiceError::Invalid(other.to_string()).into()),
    };
    let encoded: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
    Ok(template.replace("{uri}", &encoded))
}

async fn remote_template(
    conn: &mut AsyncPgConnection,
    fetcher: &Fetcher,
    home: &Domain,
    scheme: Scheme,
    user: &str,
    host: &HostName,
) -> Result<String, RemoteFollowError> {
    if domain_blocks::is_blocked(conn, home.id, host.as_str()).await.map_err(ServiceError::from)? {
        return Err(RemoteFollowError::Unreachable(host.to_string()));
    }
    let webfinger = format!("{scheme}://{host}/.well-known/webfinger?resource=acct:{user}@{host}");
    let jrd = match fetcher.get_webfinger(&webfinger).await {
        Ok(fetched) => fetched.body,
        Err(error) => {
            tracing::info!(%host, "remote follow: webfinger for {user}@{host} failed: {error}");
            return Err(RemoteFollowError::Unreachable(host.to_string()));
        }
    };
    let template = jrd["links"].as_array().and_then(|links| {
        links.iter().find_map(|link| {
            (link["rel"] == kereru_core::webfinger::REL_SUBSCRIBE).then(|| link["template"].as_str()).flatten()
        })
    });
    match template {
        // Only a web address with a place for the URI: never `javascript:` or the like.
        Some(t)
            if (t.starts_with("https://") || t.starts_with("http://")) && t.contains("{uri}") && t.len() <= 2000 =>
        {
            Ok(t.to_string())
        }
        _ => Err(RemoteFollowError::NoTemplate(host.to_string())),
    }
}

/// What a handle or URL names, as this tenant sees it.
#[derive(Debug, Clone)]
pub enum Resolved {
    Account(Box<Account>),
    /// A status's id (the caller checks who may see it).
    Status(i64),
}

/// Resolves `query` (`acct:user@host`, `@user@host`, an actor URL or a post
/// URL) for `home`: this host's tenants directly, known things from the
/// store, and other servers' accounts through WebFinger or their actor
/// document (kept, and made known to `home`). Posts of other servers are
/// found only once this host has them. `None` when nothing matches.
pub async fn resolve(
    conn: &mut AsyncPgConnection,
    fetcher: &Fetcher,
    home: &Domain,
    scheme: Scheme,
    query: &str,
) -> Result<Option<Resolved>, ServiceError> {
    let query = query.trim();
    if query.starts_with("https://") || query.starts_with("http://") {
        return resolve_url(conn, fetcher, home, query).await;
    }
    let Some((user, host)) = parse_handle(query) else { return Ok(None) };
    if let Some(account) = crate::resolve::local_handle(conn, home, &user, Some(host.as_str())).await? {
        return Ok(Some(Resolved::Account(Box::new(account))));
    }
    let found = crate::resolve::remote_handle(conn, fetcher, home, scheme, &user, &host).await?;
    Ok(found.map(|a| Resolved::Account(Box::new(a))))
}

async fn resolve_url(
    conn: &mut AsyncPgConnection,
    fetcher: &Fetcher,
    home: &Domain,
    query: &str,
) -> Result<Option<Resolved>, ServiceError> {
    let Ok(url) = url::Url::parse(query) else { return Ok(None) };
    let Some(host) = url.host_str().and_then(|h| HostName::parse(h).ok()) else { return Ok(None) };
    if let Some(id) = lookups::status_by_url(conn, home.id, url.as_str()).await? {
        return Ok(Some(Resolved::Status(id)));
    }
    // An account of a tenant here: `/@name` or `/users/name`.
    if let Ok(Some(domain)) = domains::find_by_host(conn, &host).await {
        let mut segments = url.path_segments().map(|s| s.collect::<Vec<_>>()).unwrap_or_default();
        segments.retain(|s| !s.is_empty());
        let name = match segments.as_slice() {
            [at] if at.starts_with('@') => Some(at.trim_start_matches('@')),
            ["users", name] => Some(*name),
            _ => None,
        };
        let found = match name {
            Some(name) if domain.is_serving() => {
                crate::resolve::local_handle(conn, home, name, Some(domain.account_host.as_str())).await?
            }
            _ => None,
        };
        return Ok(found.map(|a| Resolved::Account(Box::new(a))));
    }
    if domain_blocks::is_blocked(conn, home.id, host.as_str()).await? {
        return Ok(None);
    }
    let account = match lookups::remote_account_by_url(conn, url.as_str()).await? {
        Some(account) => Some(account),
        None => match actors::by_uri(conn, fetcher, None, url.as_str()).await {
            Ok(account) => Some(account),
            Err(actors::ActorError::Service(error)) => return Err(error),
            Err(error) => {
                tracing::info!(%host, "{url}: {error}");
                None
            }
        },
    };
    if let Some(account) = &account {
        relationships::make_known(conn, home.id, &[account.id]).await?;
    }
    Ok(account.map(|a| Resolved::Account(Box::new(a))))
}
