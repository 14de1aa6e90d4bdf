//! `/api/v1/accounts/...`

use super::entities::{self, AccountCounts};
use super::render::Renderer;
use crate::auth::{Auth, MaybeAuth};
use crate::error::WebError;
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_store::AccountId;
use kereru_store::accounts;

fn not_found() -> WebError {
    WebError::NotFound("Record not found".into())
}

/// `GET /api/v1/accounts/verify_credentials`
pub async fn verify_credentials(state: web::Data<AppState>, tenant: Tenant, auth: Auth) -> Result<HttpResponse, WebError> {
    let account = auth.user("read:accounts")?;
    let mut conn = state.pool.get().await?;
    let (followers, following) = kereru_store::relationships::follow_counts(&mut conn, account.id).await?;
    let statuses = accounts::status_count(&mut conn, account.id).await?;
    let counts = AccountCounts { followers, following, statuses };
    Ok(HttpResponse::Ok().json(entities::credential_account(&tenant.urls, account, counts)))
}

/// `GET /api/v1/accounts/{id}`: any account of this tenant; ids of other tenants are unknown here.
pub async fn show(
    state: web::Data<AppState>,
    tenant: Tenant,
    _auth: MaybeAuth,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let mut conn = state.pool.get().await?;
    let account = accounts::get_visible(&mut conn, tenant.id, AccountId(id)).await?.ok_or_else(not_found)?;
    let viewer = _auth.0.as_ref().and_then(|a| a.account.as_ref()).map(|a| a.id);
    Ok(HttpResponse::Ok().json(Renderer::new(&tenant, viewer).account(&mut conn, &account).await?))
}

/// `GET /api/v1/accounts/lookup?acct=name` (or `name@this-host`).
pub async fn lookup(
    state: web::Data<AppState>,
    tenant: Tenant,
    _auth: MaybeAuth,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let acct = params.required("acct")?;
    let acct = acct.strip_prefix('@').unwrap_or(acct);
    let (username, host) = match acct.split_once('@') {
        Some((name, host)) => (name, Some(host)),
        None => (acct, None),
    };
    let mut conn = state.pool.get().await?;
    // Accounts of other tenants on this host resolve as remote ones would
    // through WebFinger; hosts elsewhere come with federation.
    let account = kereru_service::resolve::local_handle(&mut conn, &tenant.domain, username, host)
        .await?
        .ok_or_else(not_found)?;
    let viewer = _auth.0.as_ref().and_then(|a| a.account.as_ref()).map(|a| a.id);
    Ok(HttpResponse::Ok().json(Renderer::new(&tenant, viewer).account(&mut conn, &account).await?))
}
