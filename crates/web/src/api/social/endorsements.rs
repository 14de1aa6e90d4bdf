//! Endorsements: `POST /api/v1/accounts/{id}/pin|unpin` (and 4.4's
//! `endorse|unendorse`), `GET /api/v1/endorsements`, `GET /api/v1/accounts/{id}/endorsements`.

use super::relationship_with;
use crate::api::paging;
use crate::api::render::Renderer;
use crate::auth::MaybeAuth;
use crate::error::{WebError, not_found};
use crate::extract::{Id, User, scope};
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_service::social::endorsements;
use kereru_store::{AccountId, DomainId, PgConn, accounts, endorsements as store};

pub async fn endorse(
    state: web::Data<AppState>,
    me: User<scope::WriteAccounts>,
    id: Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    endorsements::endorse(&mut conn, &me.actor(), id.account()).await?;
    relationship_with(&mut conn, me.id(), id.account()).await
}

pub async fn unendorse(
    state: web::Data<AppState>,
    me: User<scope::WriteAccounts>,
    id: Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    endorsements::unendorse(&mut conn, &me.actor(), id.account()).await?;
    relationship_with(&mut conn, me.id(), id.account()).await
}

/// A page of `account`'s endorsements with its `Link` header.
async fn page_of(
    req: &HttpRequest,
    conn: &mut PgConn,
    tenant: &Tenant,
    viewer: Option<AccountId>,
    (owner_tenant, account): (DomainId, AccountId),
    params: &Params,
) -> Result<HttpResponse, WebError> {
    let page = paging::page_with_max(params, 80)?;
    let rows = store::list(conn, owner_tenant, account, page).await?;
    let account_ids: Vec<i64> = rows.iter().map(|(_, a)| a.0).collect();
    let body = Renderer::new(tenant, viewer).accounts_by_id(conn, &account_ids).await?;
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    Ok(paging::respond(req, &tenant.urls.base(), &ids, body))
}

/// `GET /api/v1/endorsements`: whom the person features.
pub async fn mine(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: User<scope::ReadAccounts>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    page_of(&req, &mut conn, &me.tenant, Some(me.id()), (me.tenant.id, me.id()), &params).await
}

/// `GET /api/v1/accounts/{id}/endorsements` (Mastodon 4.4): whom an account
/// features, unless it hides its collections from others.
pub async fn of_account(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    id: Id,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let account = accounts::get_visible(&mut conn, tenant.id, id.account()).await?.ok_or_else(not_found)?;
    // Only local accounts (of any tenant here) endorse; a hidden collection shows nobody.
    let Some(owner_tenant) =
        account.domain_id.filter(|_| !account.hide_collections || auth.viewer() == Some(account.id))
    else {
        return Ok(HttpResponse::Ok().json(Vec::<serde_json::Value>::new()));
    };
    page_of(&req, &mut conn, &tenant, auth.viewer(), (owner_tenant, account.id), &params).await
}
