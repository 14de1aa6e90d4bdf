//! A person blocks a whole server, as Mastodon's `/api/v1/domain_blocks`:
//! its posts and notifications leave their timelines (the feed queries read
//! the block), and their followers on it are removed, each told with a
//! `Reject{Follow}` so the remote side agrees.

use crate::Actor;
use crate::error::ServiceError;
use crate::federation::outbound;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_core::HostName;
use kereru_store::{account_domain_blocks, accounts, notifications, relationships};

/// The host as Mastodon normalizes a typed domain: a URL's host or the bare name, canonical.
pub fn normalize(input: &str) -> Result<HostName, ServiceError> {
    let trimmed = input.trim();
    let without_scheme = trimmed.split_once("://").map_or(trimmed, |(_, rest)| rest);
    let host = without_scheme.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next().unwrap_or("");
    HostName::parse(host).map_err(|_| ServiceError::Invalid("Validation failed: Domain is invalid".into()))
}

/// Blocks `domain` for the actor and removes their followers there, in one transaction.
pub async fn block(conn: &mut AsyncPgConnection, actor: &Actor<'_>, domain: &str) -> Result<HostName, ServiceError> {
    let host = normalize(domain)?;
    if host == actor.tenant.account_host || Some(&host) == actor.tenant.service_host.as_ref() {
        return Err(ServiceError::Invalid("Validation failed: Domain can't be your own server".into()));
    }
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        account_domain_blocks::add(conn, actor.account.id, host.as_str()).await?;
        for follower_id in account_domain_blocks::followers_on(conn, actor.account.id, host.as_str()).await? {
            let Some(follower) = accounts::get_unchecked(conn, follower_id).await? else { continue };
            let uri = relationships::follow_uri(conn, follower.id, actor.account.id).await?;
            outbound::answer_follow(conn, actor.scheme, actor.account, &follower, uri.as_deref(), false).await?;
            relationships::remove_follow(conn, follower.id, actor.account.id).await?;
            notifications::withdraw(conn, actor.account.id, follower.id, "follow_request", None).await?;
        }
        Ok(())
    })
    .await?;
    Ok(host)
}

/// Lifts the actor's block of `domain` (nothing if there was none, as Mastodon).
pub async fn unblock(conn: &mut AsyncPgConnection, actor: &Actor<'_>, domain: &str) -> Result<(), ServiceError> {
    let host = normalize(domain)?;
    account_domain_blocks::remove(conn, actor.account.id, host.as_str()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn typed_domains_are_normalized() {
        assert_eq!(normalize(" Example.COM ").map(|h| h.to_string()).ok(), Some("example.com".into()));
        assert_eq!(normalize("https://example.com/@x").map(|h| h.to_string()).ok(), Some("example.com".into()));
        assert_eq!(normalize("example.com:443").map(|h| h.to_string()).ok(), Some("example.com".into()));
        assert!(normalize("").is_err());
        assert!(normalize("not a host").is_err());
    }
}
