//! `/api/v1/notifications`

use super::paging;
use super::render::Renderer;
use super::statuses::{actor, not_found, parse_id};
use crate::auth::Auth;
use crate::error::WebError;
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_store::AccountId;
use kereru_store::notifications::{self, TYPES};

fn types(params: &Params, key: &str) -> Vec<String> {
    params.list(key).into_iter().filter(|t| TYPES.contains(&t.as_str())).collect()
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let me = actor(&tenant, &auth, "read:notifications")?.account.id;
    let page = paging::page_with_max(&params, 80)?;
    let from = match params.str("account_id").filter(|v| !v.is_empty()) {
        Some(id) => Some(AccountId(parse_id(id)?)),
        None => None,
    };
    let mut conn = state.pool.get().await?;
    let rows =
        notifications::list(&mut conn, me, &types(&params, "types"), &types(&params, "exclude_types"), from, page)
            .await?;
    let ids: Vec<i64> = rows.iter().map(|n| n.id).collect();
    let body = Renderer::new(&tenant, Some(me)).notifications(&mut conn, rows).await?;
    Ok(paging::respond(&req, &tenant.urls.base(), &ids, body))
}

pub async fn show(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let me = actor(&tenant, &auth, "read:notifications")?.account.id;
    let id = parse_id(&id)?;
    let mut conn = state.pool.get().await?;
    let notification = notifications::get(&mut conn, me, id).await?.ok_or_else(not_found)?;
    let body = Renderer::new(&tenant, Some(me)).notifications(&mut conn, vec![notification]).await?;
    body.into_iter().next().map(|n| HttpResponse::Ok().json(n)).ok_or_else(not_found)
}

/// `POST /api/v1/notifications/{id}/dismiss`
pub async fn dismiss(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let me = actor(&tenant, &auth, "write:notifications")?.account.id;
    let id = parse_id(&id)?;
    let mut conn = state.pool.get().await?;
    if !notifications::dismiss(&mut conn, me, id).await? {
        return Err(not_found());
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

/// `POST /api/v1/notifications/clear`
pub async fn clear(state: web::Data<AppState>, tenant: Tenant, auth: Auth) -> Result<HttpResponse, WebError> {
    let me = actor(&tenant, &auth, "write:notifications")?.account.id;
    let mut conn = state.pool.get().await?;
    notifications::clear(&mut conn, me).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}
