//! The FEP-044f activities local actions send about quotes, as Mastodon 4.5
//! sends them: a QuoteRequest when a local post quotes another server's, the
//! Accept (with the QuoteAuthorization we serve) or Reject of another
//! server's request, the Update that shows an accepted quote to others, and
//! the Delete of an authorization taken back. Queued in the caller's
//! transaction, as every outbound activity.

use super::outbound::{self, ActorIds, personal_inbox_of, send};
use crate::error::ServiceError;
use diesel_async::AsyncPgConnection;
use kereru_core::Scheme;
use kereru_core::activitypub::{self as ap, quotes as fep};
use kereru_store::accounts::{self, Account};
use kereru_store::quote_links;
use kereru_store::statuses::Status;

/// Where we serve the authorization for `quoting`'s quote of a status of
/// the local actor `quoted_actor`.
pub fn authorization_url(quoted_actor: &str, quoting: &Status) -> String {
    format!("{quoted_actor}/quote_authorizations/{}", quoting.id)
}

async fn author_of(conn: &mut AsyncPgConnection, status: &Status) -> Result<Account, ServiceError> {
    accounts::get_unchecked(conn, status.account_id).await?.ok_or(ServiceError::NotFound)
}

/// A local `status` quoting another server's `quoted`: asks its author's
/// server, keeping the request's id to match the answer.
pub async fn request(
    conn: &mut AsyncPgConnection,
    scheme: Scheme,
    status: &Status,
    quoted: &Status,
) -> Result<(), ServiceError> {
    let quoted_author = author_of(conn, quoted).await?;
    let Some(inbox) = personal_inbox_of(&quoted_author) else { return Ok(()) };
    let mut ids = ActorIds::new(scheme);
    let quoted_actor = ids.actor(conn, &quoted_author).await?;
    let (note, _) = outbound::note_of(conn, scheme, status).await?;
    let actor = note["attributedTo"].as_str().unwrap_or_default().to_string();
    let id = format!("{actor}/quote_requests/{}", status.id);
    quote_links::set_request(conn, status.id, &id).await?;
    let activity = fep::quote_request(&id, &actor, &quoted.uri, &quoted_actor, note);
    send(conn, status.account_id, &activity, &[inbox]).await
}

/// Answers `quoter`'s QuoteRequest `request_id` for their `quoting` post
/// quoting local `quoted`: Accept with the authorization we serve, or Reject.
/// Returns the authorization's id when accepted.
pub async fn answer(
    conn: &mut AsyncPgConnection,
    scheme: Scheme,
    quoted: &Status,
    quoting: &Status,
    quoter: &Account,
    request_id: &str,
    accept: bool,
) -> Result<Option<String>, ServiceError> {
    let quoted_author = author_of(conn, quoted).await?;
    let mut ids = ActorIds::new(scheme);
    let actor = ids.actor(conn, &quoted_author).await?;
    let quoter_actor = ids.actor(conn, quoter).await?;
    let request = fep::quote_request_ref(request_id, &quoter_actor, &quoted.uri, &quoting.uri);
    let authorization = authorization_url(&actor, quoting);
    let activity = if accept {
        let id = format!("{actor}#accepts/quote_requests/{}", quoting.id);
        fep::accept_quote(&id, &actor, &quoter_actor, request, &authorization)
    } else {
        let id = format!("{actor}#rejects/quote_requests/{}", quoting.id);
        fep::reject_quote(&id, &actor, &quoter_actor, request)
    };
    if let Some(inbox) = personal_inbox_of(quoter) {
        send(conn, quoted_author.id, &activity, &[inbox]).await?;
    }
    Ok(accept.then_some(authorization))
}

/// A local `status` whose quote was just accepted goes out again as an
/// Update, its Note now carrying the `quoteAuthorization` (as Mastodon does).
pub async fn accepted(conn: &mut AsyncPgConnection, scheme: Scheme, status: &Status) -> Result<(), ServiceError> {
    let (note, mentioned) = outbound::note_of(conn, scheme, status).await?;
    let inboxes = outbound::status_inboxes(conn, status, &mentioned).await?;
    let actor = note["attributedTo"].as_str().unwrap_or_default().to_string();
    let stamp = chrono::Utc::now().timestamp_millis();
    let activity = ap::update(&format!("{}#updates/quote-{stamp}", status.uri), &actor, note);
    send(conn, status.account_id, &activity, &inboxes).await
}

/// The local author of `quoted` took back `authorization` of another
/// server's `quoting` post: Delete of the authorization to its author.
pub async fn revoked(
    conn: &mut AsyncPgConnection,
    scheme: Scheme,
    quoted: &Status,
    quoting: &Status,
    authorization: &str,
) -> Result<(), ServiceError> {
    let quoted_author = author_of(conn, quoted).await?;
    let quoter = author_of(conn, quoting).await?;
    let Some(inbox) = personal_inbox_of(&quoter) else { return Ok(()) };
    let mut ids = ActorIds::new(scheme);
    let actor = ids.actor(conn, &quoted_author).await?;
    let quoter_actor = ids.actor(conn, &quoter).await?;
    let id = format!("{authorization}#delete");
    let activity = fep::delete_authorization(&id, &actor, &[quoter_actor], authorization);
    send(conn, quoted_author.id, &activity, &[inbox]).await
}

/// The `quoteAuthorization` a local `status`'s Note names: the quoted
/// server's for an accepted quote of a remote post, ours for one of a local post.
pub async fn authorization_of(
    conn: &mut AsyncPgConnection,
    scheme: Scheme,
    status: &Status,
    quote: &kereru_store::quotes::Quote,
) -> Result<Option<String>, ServiceError> {
    if quote.state != kereru_store::quotes::QuoteState::Accepted {
        return Ok(None);
    }
    let (_, remote) = quote_links::of_status(conn, status.id).await?;
    if remote.is_some() {
        return Ok(remote);
    }
    let Some(quoted) = quote.quoted_status_id else { return Ok(None) };
    let Some(quoted) = kereru_store::statuses::get_unchecked(conn, quoted).await? else { return Ok(None) };
    if quoted.domain_id.is_none() || quoted.account_id == status.account_id {
        return Ok(None);
    }
    let author = author_of(conn, &quoted).await?;
    let actor = ActorIds::new(scheme).actor(conn, &author).await?;
    Ok(Some(authorization_url(&actor, status)))
}
