//! `/api/v1/notifications`

use super::paging;
use super::render::Renderer;
use crate::error::{WebError, not_found};
use crate::extract::{Id, User, parse_id, scope};
use crate::params::Params;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_core::filters::Context;
use kereru_store::notifications::{self, TYPES};
use kereru_store::{AccountId, NotificationId};

fn types(params: &Params, key: &str) -> Vec<String> {
    params.list(key).into_iter().filter(|t| TYPES.contains(&t.as_str())).collect()
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: User<scope::ReadNotifications>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let me = user.id();
    let page = paging::page_with_max(&params, 80)?;
    let from = params.str("account_id").filter(|v| !v.is_empty()).map(parse_id).transpose()?.map(AccountId);
    let mut conn = state.pool.get().await?;
    let rows =
        notifications::list(&mut conn, me, &types(&params, "types"), &types(&params, "exclude_types"), from, page)
            .await?;
    let ids: Vec<i64> = rows.iter().map(|n| n.id.0).collect();
    let body =
        Renderer::new(&user.tenant, Some(me)).in_context(Context::Notifications).notifications(&mut conn, rows).await?;
    Ok(paging::respond(&req, &user.tenant.urls.base(), &ids, body))
}

pub async fn show(
    state: web::Data<AppState>,
    user: User<scope::ReadNotifications>,
    Id(id): Id<NotificationId>,
) -> Result<HttpResponse, WebError> {
    let me = user.id();
    let mut conn = state.pool.get().await?;
    let notification = notifications::get(&mut conn, me, id).await?.ok_or_else(not_found)?;
    let body = Renderer::new(&user.tenant, Some(me))
        .in_context(Context::Notifications)
        .notifications(&mut conn, vec![notification])
        .await?;
    body.into_iter().next().map(|n| HttpResponse::Ok().json(n)).ok_or_else(not_found)
}

/// `POST /api/v1/notifications/{id}/dismiss`
pub async fn dismiss(
    state: web::Data<AppState>,
    me: User<scope::WriteNotifications>,
    Id(id): Id<NotificationId>,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    if !notifications::dismiss(&mut conn, me.id(), id).await? {
        return Err(not_found());
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

/// `POST /api/v1/notifications/clear`
pub async fn clear(state: web::Data<AppState>, me: User<scope::WriteNotifications>) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    notifications::clear(&mut conn, me.id()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}
