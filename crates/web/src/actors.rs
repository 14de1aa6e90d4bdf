//! Local actors: ActivityPub JSON for servers, an HTML profile for people.

use crate::error::WebError;
use crate::negotiate::{ACTIVITY_JSON, wants_activity_json};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_store::accounts::{self, Account};

async fn load(state: &AppState, tenant: &Tenant, username: &str) -> Result<Account, WebError> {
    let mut conn = state.pool.get().await?;
    accounts::find_local(&mut conn, tenant.id, username)
        .await?
        .ok_or_else(|| WebError::NotFound("no such account on this domain".into()))
}

/// `GET /users/{name}`: the Person document when asked for ActivityPub, else the profile page.
pub async fn actor(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    username: web::Path<String>,
) -> HttpResponse {
    if !wants_activity_json(&req) {
        return profile_html(&req, &state, &tenant, &username).await;
    }
    let account = match load(&state, &tenant, &username).await {
        Ok(account) => account,
        Err(error) => return gone_or(&req, &state, &tenant, &username, error).await,
    };
    // A suspended account's actor is gone (410) until it is unsuspended.
    match person_unless_suspended(&state, &tenant, &account).await {
        Ok(Some(doc)) => {
            HttpResponse::Ok().content_type(ACTIVITY_JSON).insert_header(("Vary", "Accept")).body(doc.to_string())
        }
        Ok(None) => HttpResponse::Gone().json(serde_json::json!({ "error": "This account is suspended" })),
        Err(error) => error.respond_to(&req),
    }
}

/// The Person document, or `None` while the account is suspended.
async fn person_unless_suspended(
    state: &AppState,
    tenant: &Tenant,
    account: &Account,
) -> Result<Option<serde_json::Value>, WebError> {
    let mut conn = state.pool.get().await?;
    if kereru_store::moderation::is_suspended(&mut conn, tenant.id, account.id).await? {
        return Ok(None);
    }
    Ok(Some(kereru_service::federation::outbound::person_of(&mut conn, &tenant.urls, account).await?))
}

/// A deleted account's actor is gone for good (410, as Mastodon answers);
/// anything else unknown keeps `error`.
async fn gone_or(
    req: &HttpRequest,
    state: &AppState,
    tenant: &Tenant,
    username: &str,
    error: WebError,
) -> HttpResponse {
    let deleted = match state.pool.get().await {
        Ok(mut conn) => kereru_store::tombstones::is_tombstone(&mut conn, tenant.id, username).await.unwrap_or(false),
        Err(_) => false,
    };
    if deleted {
        return HttpResponse::Gone().json(serde_json::json!({ "error": "This account was deleted" }));
    }
    error.respond_to(req)
}

/// `GET /@{name}`: the profile page.
pub async fn profile_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    username: web::Path<String>,
) -> HttpResponse {
    profile_html(&req, &state, &tenant, &username).await
}

/// The profile page (`pages::profile`), or its HTML error page.
async fn profile_html(req: &HttpRequest, state: &AppState, tenant: &Tenant, username: &str) -> HttpResponse {
    crate::pages::profile::page(req, state, tenant, username)
        .await
        .unwrap_or_else(|error| actix_web::ResponseError::error_response(&error))
}
