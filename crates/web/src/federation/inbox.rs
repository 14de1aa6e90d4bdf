//! `POST /inbox` (the shared inbox of a service host) and
//! `POST /users/{name}/inbox`: verify, store, answer 202. Processing
//! happens later ([`kereru_service::federation::inbound`]).

use super::{SignedRequest, context};
use crate::error::WebError;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use kereru_service::federation::{self, InboxError, Received, VerifyError};
use kereru_store::accounts;

/// Reads the body, refusing it with 413 as soon as it passes `limit`.
async fn read_body(mut payload: web::Payload, limit: u64) -> Result<Vec<u8>, WebError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| WebError::BadRequest(format!("the body could not be read: {e}")))?;
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(WebError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn refusal(error: InboxError) -> WebError {
    match error {
        InboxError::Verify(VerifyError::Blocked(host)) => WebError::Forbidden(format!("{host} is blocked here")),
        InboxError::Verify(VerifyError::TooManyKeyFetches(host)) => {
            WebError::TooManyRequests(format!("too many new keys from {host}; try again later"))
        }
        InboxError::Verify(VerifyError::Store(store)) | InboxError::Store(store) => {
            WebError::Internal(store.to_string())
        }
        InboxError::Verify(other) => WebError::Unauthorized(other.to_string()),
        InboxError::ActorMismatch => WebError::Unauthorized(error.to_string()),
        InboxError::NotJson(_) | InboxError::NotAnActivity(_) | InboxError::ForeignId => {
            WebError::BadRequest(error.to_string())
        }
    }
}

/// The metrics' reason for a refusal: a fixed set, never the host or key.
fn refusal_reason(error: &InboxError) -> &'static str {
    match error {
        InboxError::Verify(VerifyError::Unsigned) => "unsigned",
        InboxError::Verify(VerifyError::BadSignature(_)) => "bad_signature",
        InboxError::Verify(VerifyError::Blocked(_)) => "blocked",
        InboxError::Verify(VerifyError::Key(_)) => "unknown_key",
        InboxError::Verify(VerifyError::TooManyKeyFetches(_)) => "too_many_key_fetches",
        InboxError::Verify(VerifyError::Store(_)) | InboxError::Store(_) => "internal",
        InboxError::ActorMismatch => "actor_mismatch",
        InboxError::NotJson(_) | InboxError::NotAnActivity(_) => "malformed",
        InboxError::ForeignId => "foreign_id",
    }
}

async fn receive(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    username: Option<String>,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let body = read_body(payload, state.settings.max_inbox_bytes).await.inspect_err(|error| {
        let reason = if matches!(error, WebError::PayloadTooLarge(_)) { "too_large" } else { "unreadable" };
        kereru_metrics::inbound(false, reason);
    })?;
    let owner = match &username {
        Some(name) => {
            let mut conn = state.pool.get().await?;
            Some(accounts::find_local(&mut conn, tenant.id, name).await?.ok_or_else(|| {
                kereru_metrics::inbound(false, "unknown_inbox");
                WebError::NotFound("no such account on this domain".into())
            })?)
        }
        None => None,
    };
    let authority = tenant.requested_host.to_string();
    let request = SignedRequest::new(&req, &state, &authority);
    let headers = request.header_refs();
    let parts = request.parts(&headers, &body);
    let received =
        federation::receive(&state.pool, context(&state), &state.key_fetches, &tenant.domain, owner.as_ref(), &parts)
            .await;
    let received = received.map_err(|error| {
        kereru_metrics::inbound(false, refusal_reason(&error));
        refusal(error)
    })?;
    kereru_metrics::inbound(
        true,
        match &received {
            Received::Stored { new: true } => "stored",
            Received::Stored { new: false } => "duplicate",
            Received::Ignored(_) => "ignored",
        },
    );
    match received {
        Received::Stored { new } => {
            if new && let Some(wake) = &state.inbound_wake {
                wake.notify_one();
            }
            Ok(HttpResponse::Accepted().finish())
        }
        Received::Ignored(type_name) => {
            tracing::debug!(host = %tenant.requested_host, "ignored a {type_name}");
            Ok(HttpResponse::Accepted().finish())
        }
    }
}

pub async fn shared(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    payload: web::Payload,
) -> HttpResponse {
    match receive(req.clone(), state, tenant, None, payload).await {
        Ok(response) => response,
        Err(error) => error.json_response(),
    }
}

pub async fn personal(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    username: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    match receive(req.clone(), state, tenant, Some(username.into_inner()), payload).await {
        Ok(response) => response,
        Err(error) => error.json_response(),
    }
}
