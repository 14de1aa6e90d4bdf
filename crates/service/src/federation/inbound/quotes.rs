//! Quotes from and of other servers (FEP-044f, as Mastodon 4.5): a remote
//! Note's quote is recorded (accepted once verified), a QuoteRequest for a
//! post of ours is decided by its author's policy and answered, and the
//! Accept, Reject or Delete of an authorization moves a quote's state.

use super::notes::{obtain, read, store_note};
use super::{Incoming, ProcessError, Processed, done, ignored, local_status, status_by_uri};
use crate::events::Event;
use crate::federation::actors::{self, same_origin};
use crate::federation::quote_activities;
use diesel_async::AsyncPgConnection;
use kereru_core::activitypub::quotes as fep;
use kereru_core::activitystreams::{Object, Reference};
use kereru_core::quotes::Approval;
use kereru_store::accounts;
use kereru_store::quote_links;
use kereru_store::quotes::{self, QuoteState};
use kereru_store::statuses::{self, Status};

/// A status event for every tenant holding `status` (its quote changed).
async fn changed(conn: &mut AsyncPgConnection, status: &Status) -> Result<Event, ProcessError> {
    let tenants = crate::deliver::holders(conn, status.id).await?;
    Ok(Event::StatusUpdated { status_id: status.id.0, tenants })
}

/// The quoted status a remote Note names, known here or fetched from its
/// origin (None when it cannot be had: the quote is then not recorded).
async fn quoted_status(
    conn: &mut AsyncPgConnection,
    incoming: &Incoming<'_>,
    uri: &str,
) -> Result<Option<Status>, ProcessError> {
    if let Some(known) = status_by_uri(conn, uri).await? {
        return Ok(Some(known));
    }
    let fetched = async {
        let object = obtain(conn, incoming, &Reference::Id(uri.to_string())).await?;
        let note = read(&object)?;
        if !same_origin(&note.id, &note.attributed_to) {
            return Err(ProcessError::Invalid(format!("{uri} is attributed to another origin")));
        }
        let author = actors::by_uri(conn, incoming.context.fetcher, incoming.signer, &note.attributed_to).await?;
        Ok(store_note(conn, incoming, &author, &note).await?.0)
    }
    .await;
    match fetched {
        Ok(status) => Ok(Some(status)),
        Err(ProcessError::Retry(reason)) => Err(ProcessError::Retry(reason)),
        Err(ProcessError::Invalid(reason)) => {
            tracing::debug!(quoted = uri, %reason, "the quoted status could not be had");
            Ok(None)
        }
    }
}

/// Whether `authorization` (fetched from its origin, on the quoted author's
/// server) lets `status` quote `quoted`.
async fn verified(
    conn: &mut AsyncPgConnection,
    incoming: &Incoming<'_>,
    authorization: &str,
    status: &Status,
    quoted: &Status,
) -> Result<bool, ProcessError> {
    let Some(author_uri) = accounts::get_unchecked(conn, quoted.account_id).await?.and_then(|a| a.uri) else {
        return Ok(false);
    };
    if !same_origin(authorization, &author_uri) || super::blocked(conn, incoming.tenant.id, authorization).await? {
        return Ok(false);
    }
    let fetched = match incoming.context.fetcher.get_activity_json(authorization, incoming.signer).await {
        Ok(fetched) => fetched,
        Err(error) => {
            return match super::fetch_failure(authorization, error) {
                ProcessError::Retry(reason) => Err(ProcessError::Retry(reason)),
                ProcessError::Invalid(_) => Ok(false),
            };
        }
    };
    if !same_origin(fetched.url.as_str(), authorization) {
        return Ok(false);
    }
    let Ok(object) = serde_json::from_value::<Object>(fetched.body) else { return Ok(false) };
    Ok(fep::read_authorization(&object).is_some_and(|a| {
        a.id == authorization
            && a.attributed_to == author_uri
            && a.interacting_object == status.uri
            && a.interaction_target == quoted.uri
    }))
}

/// The local status a remote Note quotes on this tenant, if it quotes one.
pub async fn quotes_here(
    conn: &mut AsyncPgConnection,
    incoming: &Incoming<'_>,
    object: &Object,
) -> Result<bool, ProcessError> {
    let Some(uri) = fep::quoted_uri(object) else { return Ok(false) };
    Ok(local_status(conn, incoming.tenant, &uri).await?.is_some())
}

/// Records what a stored remote `status` (read from `object`) quotes: a
/// self-quote or a quote with a verified authorization is accepted; a quote
/// of a post of ours waits for its QuoteRequest; anything else is pending,
/// as Mastodon shows it. A quote already decided keeps its state.
pub async fn remember(
    conn: &mut AsyncPgConnection,
    incoming: &Incoming<'_>,
    status: &Status,
    object: &Object,
) -> Result<Vec<Event>, ProcessError> {
    let Some(uri) = fep::quoted_uri(object) else { return Ok(Vec::new()) };
    if status.is_local() || uri == status.uri {
        return Ok(Vec::new());
    }
    let existing = quotes::of_statuses(conn, &[status.id]).await?.remove(&status.id);
    if existing.as_ref().is_some_and(|q| q.state != QuoteState::Pending || q.quoted_uri != uri) {
        return Ok(Vec::new());
    }
    let Some(quoted) = quoted_status(conn, incoming, &uri).await? else { return Ok(Vec::new()) };
    // Shown with the quote here, as any status this tenant received (visibility rules still apply).
    if !quoted.is_local() {
        statuses::add_receipts(conn, quoted.id, &[incoming.tenant.id]).await?;
        kereru_store::relationships::make_known(conn, incoming.tenant.id, &[quoted.account_id]).await?;
    }
    let authorization = fep::authorization_uri(object);
    let accepted = if quoted.account_id == status.account_id {
        Some(None)
    } else if quoted.is_local() {
        // Ours: our own answer to its QuoteRequest decides.
        None
    } else {
        match &authorization {
            Some(authorization) if verified(conn, incoming, authorization, status, &quoted).await? => {
                Some(Some(authorization.clone()))
            }
            _ => None,
        }
    };
    let state = if accepted.is_some() { QuoteState::Accepted } else { QuoteState::Pending };
    let now = quote_links::upsert(conn, status.id, Some(quoted.id), &quoted.uri, state).await?;
    if let Some(Some(authorization)) = accepted
        && now == QuoteState::Accepted
    {
        quote_links::answer(conn, status.id, QuoteState::Accepted, Some(&authorization)).await?;
    }
    if existing.is_some() && now != QuoteState::Pending {
        Ok(vec![changed(conn, status).await?])
    } else {
        Ok(Vec::new())
    }
}

/// A QuoteRequest for a post of this tenant: decided by its author's policy
/// (as a local quote is) and answered with Accept (and the authorization we
/// serve) or Reject; an accepted quote notifies the quoted author.
pub async fn request(conn: &mut AsyncPgConnection, incoming: &Incoming<'_>) -> Result<Processed, ProcessError> {
    let Some(quoted_uri) = incoming.object_id() else { return ignored("QuoteRequest of nothing") };
    let Some(quoted) = local_status(conn, incoming.tenant, quoted_uri).await? else {
        return ignored("QuoteRequest for a status not on this tenant");
    };
    if quoted.reblog_of_id.is_some() {
        return ignored("QuoteRequest for a boost");
    }
    let instrument = match incoming.activity.extra.get("instrument").cloned().map(serde_json::from_value::<Reference>) {
        Some(Ok(reference)) => reference,
        _ => return ignored("QuoteRequest without its quoting post"),
    };
    let Some(instrument_id) = instrument.id().map(str::to_string) else {
        return ignored("QuoteRequest without its quoting post");
    };
    if !same_origin(&instrument_id, incoming.actor_uri) {
        return ignored("QuoteRequest for another server's post");
    }
    let quoting = match status_by_uri(conn, &instrument_id).await? {
        Some(known) => known,
        None => {
            let object = obtain(conn, incoming, &instrument).await?;
            let note = read(&object)?;
            if note.attributed_to != incoming.actor_uri {
                return ignored("QuoteRequest for a post of another actor");
            }
            store_note(conn, incoming, incoming.actor, &note).await?.0
        }
    };
    if quoting.account_id != incoming.actor.id || quoting.is_local() {
        return ignored("QuoteRequest for a post of another actor");
    }
    let tenant = incoming.tenant.id;
    statuses::add_receipts(conn, quoting.id, &[tenant]).await?;
    kereru_store::relationships::make_known(conn, tenant, &[incoming.actor.id]).await?;
    let policy = quotes::policies(conn, &[quoted.id]).await?.remove(&quoted.id);
    let follows =
        quotes::followed_among(conn, incoming.actor.id, &[quoted.account_id]).await?.contains(&quoted.account_id);
    let approval = crate::quotes::quoted_facts(&quoted, policy).approval(false, follows);
    // Who may not see the post (a block between them) may not quote it either.
    let sees = statuses::visible_one(conn, tenant, Some(incoming.actor.id), quoted.id).await?.is_some();
    let accept = approval == Approval::Automatic && sees;
    quote_links::upsert(conn, quoting.id, Some(quoted.id), &quoted.uri, QuoteState::Pending).await?;
    quote_links::set_request(conn, quoting.id, incoming.activity_uri).await?;
    let scheme = incoming.context.scheme;
    let authorization =
        quote_activities::answer(conn, scheme, &quoted, &quoting, incoming.actor, incoming.activity_uri, accept)
            .await?;
    let state = if accept { QuoteState::Accepted } else { QuoteState::Rejected };
    quote_links::answer(conn, quoting.id, state, authorization.as_deref()).await?;
    let mut events = vec![changed(conn, &quoting).await?];
    if accept {
        events.extend(crate::quotes::notify_quoted(conn, &quoting, &quoted).await?);
        return done(format!("quote by {} accepted", quoting.id), events);
    }
    done(format!("quote by {} rejected", quoting.id), events)
}

/// Accept or Reject of our QuoteRequest, by the quoted author: the quote
/// becomes accepted (the Note goes out again with its authorization) or
/// rejected. None when the activity answers something else (a Follow).
pub async fn answer(
    conn: &mut AsyncPgConnection,
    incoming: &Incoming<'_>,
    accept: bool,
) -> Result<Option<Processed>, ProcessError> {
    let Some(object) = incoming.object() else { return Ok(None) };
    let Some(request_id) = object.id() else { return Ok(None) };
    let embedded_request = object.object().is_some_and(|o| o.primary_type() == Some("QuoteRequest"));
    let Some(status_id) = quote_links::by_request(conn, request_id).await? else {
        return if embedded_request { ignored("an answer to an unknown QuoteRequest").map(Some) } else { Ok(None) };
    };
    let Some(quoting) = statuses::get_unchecked(conn, status_id).await? else { return Ok(None) };
    if quoting.domain_id != Some(incoming.tenant.id) {
        return ignored("an answer to another tenant's QuoteRequest").map(Some);
    }
    let quote = quotes::of_statuses(conn, &[quoting.id]).await?.remove(&quoting.id);
    let quoted = match quote.and_then(|q| q.quoted_status_id) {
        Some(id) => statuses::get_unchecked(conn, id).await?,
        None => None,
    };
    if quoted.is_none_or(|q| q.account_id != incoming.actor.id) {
        return ignored("an answer to a QuoteRequest by someone else than the quoted author").map(Some);
    }
    if !accept {
        quote_links::answer(conn, quoting.id, QuoteState::Rejected, None).await?;
        return done("quote rejected", vec![changed(conn, &quoting).await?]).map(Some);
    }
    let result = incoming.activity.extra.get("result").cloned().map(serde_json::from_value::<Reference>);
    let Some(Ok(result)) = result else { return ignored("an Accept of a QuoteRequest without result").map(Some) };
    let Some(authorization) = result.id().filter(|id| same_origin(id, incoming.actor_uri)).map(str::to_string) else {
        return ignored("an authorization on another server than the quoted author's").map(Some);
    };
    quote_links::answer(conn, quoting.id, QuoteState::Accepted, Some(&authorization)).await?;
    quote_activities::accepted(conn, incoming.context.scheme, &quoting).await?;
    done("quote accepted", vec![changed(conn, &quoting).await?]).map(Some)
}

/// Delete of a QuoteAuthorization by the author who granted it: the quotes
/// it approved are revoked. None when `id` names no authorization known here.
pub async fn revoked(
    conn: &mut AsyncPgConnection,
    incoming: &Incoming<'_>,
    id: &str,
) -> Result<Option<Processed>, ProcessError> {
    let quoting_ids = quote_links::by_authorization(conn, id).await?;
    if quoting_ids.is_empty() {
        return Ok(None);
    }
    if !same_origin(id, incoming.actor_uri) {
        return ignored("Delete of another server's authorization").map(Some);
    }
    let quoted = quotes::of_statuses(conn, &quoting_ids).await?;
    let mut events = Vec::new();
    for (status_id, quote) in quoted {
        let Some(quoted_id) = quote.quoted_status_id else { continue };
        let author = statuses::get_unchecked(conn, quoted_id).await?.map(|s| s.account_id);
        if author != Some(incoming.actor.id) {
            continue;
        }
        quote_links::answer(conn, status_id, QuoteState::Revoked, Some(id)).await?;
        if let Some(status) = statuses::get_unchecked(conn, status_id).await? {
            events.push(changed(conn, &status).await?);
        }
    }
    if events.is_empty() {
        return ignored("Delete of an authorization the actor did not grant").map(Some);
    }
    done("quote authorization revoked", events).map(Some)
}
