//! `/api/v1/notifications`

use super::paging;
use super::render::Renderer;
use crate::error::{WebError, not_found};
use crate::extract::{Id, User, parse_id, scope};
use crate::params::Params;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_core::filters::Context;
use kereru_store::notifications::{self, Browse, TYPES};
use kereru_store::{AccountId, NotificationId};

fn types(params: &Params, key: &str) -> Vec<String> {
    params.list(key).into_iter().filter(|t| TYPES.contains(&t.as_str())).collect()
}

/// `types[]`, `exclude_types[]`, `account_id` and `include_filtered` as Mastodon's
/// `browserable` reads them: types asked for that don't exist leave nothing to show.
pub fn browse(params: &Params) -> Result<Browse, WebError> {
    let asked = !params.list("types").is_empty();
    let from = params.str("account_id").filter(|v| !v.is_empty()).map(parse_id).transpose()?.map(AccountId);
    Ok(Browse {
        types: if asked { Some(types(params, "types")) } else { None },
        exclude_types: types(params, "exclude_types"),
        from_account: from,
        include_filtered: params.bool("include_filtered").unwrap_or(false),
    })
}

/// The `notifications` read marker's `last_read_id`, if the person set one.
pub async fn marker(conn: &mut kereru_store::PgConn, me: AccountId) -> Result<Option<i64>, WebError> {
    let markers = kereru_store::profiles::markers_of(conn, me, &["notifications".to_string()]).await?;
    Ok(markers.first().map(|m| m.last_read_id))
}

/// `limit` for the unread counts: 100 unless asked, at most 1000 (Mastodon's caps).
pub fn count_limit(params: &Params) -> Result<i64, WebError> {
    match params.str("limit").filter(|v| !v.is_empty()) {
        None => Ok(100),
        Some(v) => v
            .parse::<i64>()
            .map(|l| l.clamp(1, 1000))
            .map_err(|_| WebError::Unprocessable("limit must be a number".into())),
    }
}

/// `GET /api/v1/notifications/unread_count`: notifications newer than the `notifications` marker.
pub async fn unread_count(
    state: web::Data<AppState>,
    user: User<scope::ReadNotifications>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let browse = browse(&params)?;
    let limit = count_limit(&params)?;
    let mut conn = state.pool.get().await?;
    let after = marker(&mut conn, user.id()).await?;
    let count = notifications::count_newer(&mut conn, user.id(), &browse, after, limit).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "count": count })))
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: User<scope::ReadNotifications>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let me = user.id();
    let page = paging::page_with_max(&params, 80)?;
    let browse = browse(&params)?;
    let mut conn = state.pool.get().await?;
    let rows = notifications::list_browsing(&mut conn, me, &browse, page).await?;
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
