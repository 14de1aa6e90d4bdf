//! Quote posts (Mastodon 4.5): whether a post may quote another
//! ([`decide`], inside the posting transaction), the quoted author taking a
//! quote back ([`revoke`]) and changing who may quote ([`set_policy`]).
//!
//! A local status's policy is decided here; a remote status's policy is not
//! known: its server decides through FEP-044f's QuoteRequest
//! (`federation::quote_activities`), and the quote stays `pending` until
//! it answers.

use crate::Actor;
use crate::error::ServiceError;
use crate::events::Event;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_core::quotes::{Approval, Quoted};
use kereru_store::accounts;
use kereru_store::ids::{AccountId, StatusId};
use kereru_store::quotes::{self, QuotePolicy, QuoteState};
use kereru_store::statuses::{self, Status, Visibility};
use kereru_store::{DomainId, notifications};

/// The policy in force for `status` (`policy` as stored): a local status
/// without one is `public`, Mastodon's default.
pub fn quoted_facts(status: &Status, policy: Option<QuotePolicy>) -> Quoted {
    let policy = policy.or(status.domain_id.map(|_| QuotePolicy::Public));
    Quoted { policy, open: matches!(status.visibility(), Visibility::Public | Visibility::Unlisted) }
}

/// A status `author` on `tenant` wants to quote, with the state its quote
/// will have. The quoted status must be one they can see (else 404); a
/// policy that denies them is 403, as Mastodon's `NotPermittedError`.
pub async fn decide(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    author: AccountId,
    quoted: StatusId,
) -> Result<(Status, QuoteState), ServiceError> {
    let seen = statuses::visible_one(conn, tenant, Some(author), quoted).await?.ok_or(ServiceError::NotFound)?;
    // A boost is quoted as what it boosts.
    let quoted = match seen.reblog_of_id {
        Some(original) => statuses::get_unchecked(conn, original).await?.ok_or(ServiceError::NotFound)?,
        None => seen,
    };
    let policy = quotes::policies(conn, &[quoted.id]).await?.remove(&quoted.id);
    let follows = quotes::followed_among(conn, author, &[quoted.account_id]).await?.contains(&quoted.account_id);
    let state = match quoted_facts(&quoted, policy).approval(quoted.account_id == author, follows) {
        Approval::Automatic => QuoteState::Accepted,
        Approval::Unknown => QuoteState::Pending,
        Approval::Denied => return Err(ServiceError::Forbidden("This post cannot be quoted".into())),
    };
    Ok((quoted, state))
}

/// Records `status`'s quote of `quoted` and notifies a local quoted author
/// of an accepted quote; inside the posting transaction. Returns the
/// notification's event, if one was made.
pub async fn record(
    conn: &mut AsyncPgConnection,
    status: &Status,
    quoted: &Status,
    state: QuoteState,
) -> Result<Option<Event>, ServiceError> {
    quotes::record(conn, status.id, quoted.id, &quoted.uri, state).await?;
    if state != QuoteState::Accepted {
        return Ok(None);
    }
    notify_quoted(conn, status, quoted).await
}

/// Notifies a local quoted author of `status`'s accepted quote of `quoted`.
pub async fn notify_quoted(
    conn: &mut AsyncPgConnection,
    status: &Status,
    quoted: &Status,
) -> Result<Option<Event>, ServiceError> {
    // A local author hears of it only if they may see the quoting post (a followers-only one may not be theirs to see).
    let Some(author_tenant) = accounts::get_unchecked(conn, quoted.account_id).await?.and_then(|a| a.domain_id) else {
        return Ok(None);
    };
    if statuses::visible_one(conn, author_tenant, Some(quoted.account_id), status.id).await?.is_none() {
        return Ok(None);
    }
    let made = notifications::notify(conn, quoted.account_id, status.account_id, "quote", Some(status.id)).await?;
    Ok(made.map(|n| Event::Notification { account_id: n.account_id.0, notification_id: n.id.0 }))
}

/// The quoted author takes back their approval of `quoting`'s quote of
/// their `quoted` status. Returns the quoting status.
pub async fn revoke(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    quoted: StatusId,
    quoting: StatusId,
) -> Result<Status, ServiceError> {
    conn.transaction(async |conn| -> Result<Status, ServiceError> {
        let own = statuses::get_unchecked(conn, quoted).await?;
        if own.is_none_or(|s| s.account_id != actor.account.id) {
            return Err(ServiceError::NotFound);
        }
        // What the author may not see, they can't name: 404 as for any unknown id.
        let quoting_status = statuses::visible_one(conn, actor.tenant.id, Some(actor.account.id), quoting)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if !quotes::set_state(conn, quoting, quoted, QuoteState::Revoked).await? {
            return Err(ServiceError::NotFound);
        }
        // A remote post we authorized: its server hears the authorization is gone.
        if !quoting_status.is_local()
            && let (_, Some(authorization)) = kereru_store::quote_links::of_status(conn, quoting).await?
            && let Some(own) = statuses::get_unchecked(conn, quoted).await?
        {
            crate::federation::quote_activities::revoked(conn, actor.scheme, &own, &quoting_status, &authorization)
                .await?;
        }
        Ok(quoting_status)
    })
    .await
}

/// Sets who may quote the actor's own status `id`; returns the status.
pub async fn set_policy(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: StatusId,
    policy: QuotePolicy,
) -> Result<Status, ServiceError> {
    conn.transaction(async |conn| -> Result<Status, ServiceError> {
        let status = statuses::get_unchecked(conn, id).await?.ok_or(ServiceError::NotFound)?;
        if status.account_id != actor.account.id || status.reblog_of_id.is_some() {
            return Err(ServiceError::NotFound);
        }
        quotes::set_policy(conn, id, policy).await?;
        Ok(status)
    })
    .await
}
