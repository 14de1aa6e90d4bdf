//! `/api/v1/accounts/...`

use super::entities::{self, AccountCounts};
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
pub async fn verify_credentials(tenant: Tenant, auth: Auth) -> Result<HttpResponse, WebError> {
    let account = auth.user("read:accounts")?;
    Ok(HttpResponse::Ok().json(entities::credential_account(&tenant.urls, account, AccountCounts::default())))
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
    let account = accounts::get_local(&mut conn, tenant.id, AccountId(id)).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(entities::account(&tenant.urls, &account, AccountCounts::default())))
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
    let username = match acct.split_once('@') {
        Some((name, host)) if host.eq_ignore_ascii_case(tenant.account_host.as_str())
            || host.eq_ignore_ascii_case(tenant.service_host().as_str()) => name,
        // Remote accounts come with federation.
        Some(_) => return Err(not_found()),
        None => acct,
    };
    let mut conn = state.pool.get().await?;
    let account = accounts::find_local(&mut conn, tenant.id, username).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(entities::account(&tenant.urls, &account, AccountCounts::default())))
}
