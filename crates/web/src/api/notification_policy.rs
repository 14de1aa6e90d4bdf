//! `/api/v2/notifications/policy` (and v1's boolean view of it) and
//! `/api/v1/notifications/requests`: what a person's policy filtered, held per sender.

use super::paging;
use super::render::{Renderer, timestamp};
use crate::error::{WebError, not_found};
use crate::extract::{User, parse_id, scope};
use crate::params::Params;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_core::filters::Context;
use kereru_service::notification_policy::{self as service, PolicyChange};
use kereru_store::notification_policy::{self, Policy};
use kereru_store::notification_requests::{self, Request};
use kereru_store::{AccountId, PgConn, StatusId, statuses};
use serde_json::{Value, json};

async fn summary(conn: &mut PgConn, tenant: kereru_store::DomainId, me: AccountId) -> Result<Value, WebError> {
    let (requests, notifications) = notification_requests::summary(conn, tenant, me).await?;
    Ok(json!({ "pending_requests_count": requests, "pending_notifications_count": notifications }))
}

/// The NotificationPolicy entity (v2).
fn v2_json(policy: &Policy, summary: Value) -> Value {
    json!({
        "for_not_following": policy.for_not_following,
        "for_not_followers": policy.for_not_followers,
        "for_new_accounts": policy.for_new_accounts,
        "for_private_mentions": policy.for_private_mentions,
        "for_limited_accounts": policy.for_limited_accounts,
        "summary": summary,
    })
}

/// v1's view: a field filters unless it accepts.
fn v1_json(policy: &Policy, summary: Value) -> Value {
    json!({
        "filter_not_following": policy.for_not_following != "accept",
        "filter_not_followers": policy.for_not_followers != "accept",
        "filter_new_accounts": policy.for_new_accounts != "accept",
        "filter_private_mentions": policy.for_private_mentions != "accept",
        "summary": summary,
    })
}

async fn answer(
    state: &AppState,
    user_tenant: kereru_store::DomainId,
    me: AccountId,
    v1: bool,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let policy = notification_policy::get(&mut conn, me).await?;
    let summary = summary(&mut conn, user_tenant, me).await?;
    Ok(HttpResponse::Ok().json(if v1 { v1_json(&policy, summary) } else { v2_json(&policy, summary) }))
}

/// `GET /api/v2/notifications/policy`
pub async fn show_v2(
    state: web::Data<AppState>,
    user: User<scope::ReadNotifications>,
) -> Result<HttpResponse, WebError> {
    answer(&state, user.tenant.id, user.id(), false).await
}

/// `PATCH /api/v2/notifications/policy`
pub async fn update_v2(
    state: web::Data<AppState>,
    user: User<scope::WriteNotifications>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let field = |name: &str| params.str(name).map(str::to_string);
    let change = PolicyChange {
        for_not_following: field("for_not_following"),
        for_not_followers: field("for_not_followers"),
        for_new_accounts: field("for_new_accounts"),
        for_private_mentions: field("for_private_mentions"),
        for_limited_accounts: field("for_limited_accounts"),
    };
    let mut conn = state.pool.get().await?;
    service::update(&mut conn, &user.actor(), change).await?;
    drop(conn);
    answer(&state, user.tenant.id, user.id(), false).await
}

/// `GET /api/v1/notifications/policy`
pub async fn show_v1(
    state: web::Data<AppState>,
    user: User<scope::ReadNotifications>,
) -> Result<HttpResponse, WebError> {
    answer(&state, user.tenant.id, user.id(), true).await
}

/// `PATCH|PUT /api/v1/notifications/policy`: `filter_*` booleans; true filters, false accepts.
pub async fn update_v1(
    state: web::Data<AppState>,
    user: User<scope::WriteNotifications>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let field = |name: &str| -> Result<Option<String>, WebError> {
        match params.str(name) {
            None => Ok(None),
            Some(_) => match params.bool(name) {
                Some(true) => Ok(Some("filter".into())),
                Some(false) => Ok(Some("accept".into())),
                None => Err(WebError::Unprocessable(format!("{name} must be true or false"))),
            },
        }
    };
    let change = PolicyChange {
        for_not_following: field("filter_not_following")?,
        for_not_followers: field("filter_not_followers")?,
        for_new_accounts: field("filter_new_accounts")?,
        for_private_mentions: field("filter_private_mentions")?,
        for_limited_accounts: None,
    };
    let mut conn = state.pool.get().await?;
    service::update(&mut conn, &user.actor(), change).await?;
    drop(conn);
    answer(&state, user.tenant.id, user.id(), true).await
}

/// NotificationRequest entities; requests whose sender this tenant no longer shows are left out.
async fn requests_json(
    conn: &mut PgConn,
    user: &User<scope::ReadNotifications>,
    requests: Vec<Request>,
) -> Result<Vec<Value>, WebError> {
    let me = user.id();
    let mut renderer = Renderer::new(&user.tenant, Some(me)).in_context(Context::Notifications);
    let mut out = Vec::with_capacity(requests.len());
    for request in requests {
        let Some(account) = renderer.accounts_by_id(conn, &[request.from_account_id]).await?.into_iter().next() else {
            continue;
        };
        let last_status = match request.last_status_id {
            Some(id) => match statuses::visible_one(conn, user.tenant.id, Some(me), StatusId(id)).await? {
                Some(status) => renderer.status_unless_hidden(conn, status).await?,
                None => None,
            },
            None => None,
        };
        let mut value = json!({
            "id": request.id.to_string(),
            "created_at": timestamp(request.created_at),
            "updated_at": timestamp(request.updated_at),
            "account": account,
            "notifications_count": request.notifications_count.to_string(),
        });
        if let Some(status) = last_status {
            value["last_status"] = status;
        }
        out.push(value);
    }
    Ok(out)
}

/// `GET /api/v1/notifications/requests`
pub async fn requests(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: User<scope::ReadNotifications>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let page = paging::page_with_max(&params, 80)?;
    let mut conn = state.pool.get().await?;
    let rows = notification_requests::list(&mut conn, user.tenant.id, user.id(), page).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let body = requests_json(&mut conn, &user, rows).await?;
    Ok(paging::respond(&req, &user.tenant.urls.base(), &ids, body))
}

/// `GET /api/v1/notifications/requests/{id}`
pub async fn request(
    state: web::Data<AppState>,
    user: User<scope::ReadNotifications>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = parse_id(path.as_str())?;
    let mut conn = state.pool.get().await?;
    let row = notification_requests::get(&mut conn, user.tenant.id, user.id(), id).await?.ok_or_else(not_found)?;
    let body = requests_json(&mut conn, &user, vec![row]).await?;
    body.into_iter().next().map(|r| HttpResponse::Ok().json(r)).ok_or_else(not_found)
}

async fn settle_one(
    state: &AppState,
    user: &User<scope::WriteNotifications>,
    id: &str,
    accept: bool,
) -> Result<HttpResponse, WebError> {
    let id = parse_id(id)?;
    let mut conn = state.pool.get().await?;
    if service::settle(&mut conn, &user.actor(), &[id], accept).await? == 0 {
        return Err(not_found());
    }
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `POST /api/v1/notifications/requests/{id}/accept`
pub async fn accept(
    state: web::Data<AppState>,
    user: User<scope::WriteNotifications>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    settle_one(&state, &user, path.as_str(), true).await
}

/// `POST /api/v1/notifications/requests/{id}/dismiss`
pub async fn dismiss(
    state: web::Data<AppState>,
    user: User<scope::WriteNotifications>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    settle_one(&state, &user, path.as_str(), false).await
}

async fn settle_many(
    state: &AppState,
    user: &User<scope::WriteNotifications>,
    params: &Params,
    accept: bool,
) -> Result<HttpResponse, WebError> {
    // Unknown and others' ids are skipped, as Mastodon's `where(account:, id:)`.
    // Mastodon.py sends `id[][]=` (its list suffix added to a key that has one already).
    let mut given = params.list("id");
    given.extend(params.list("id[]"));
    let ids: Vec<i64> = given.iter().filter_map(|v| v.parse().ok()).collect();
    let mut conn = state.pool.get().await?;
    service::settle(&mut conn, &user.actor(), &ids, accept).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `POST /api/v1/notifications/requests/accept` (`id[]`)
pub async fn accept_many(
    state: web::Data<AppState>,
    user: User<scope::WriteNotifications>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    settle_many(&state, &user, &params, true).await
}

/// `POST /api/v1/notifications/requests/dismiss` (`id[]`)
pub async fn dismiss_many(
    state: web::Data<AppState>,
    user: User<scope::WriteNotifications>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    settle_many(&state, &user, &params, false).await
}

/// `GET /api/v1/notifications/requests/merged`: accepting is done in its transaction, so always merged.
pub async fn merged(_user: User<scope::ReadNotifications>) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok().json(json!({ "merged": true })))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // The literal paths before `requests/{id}`.
    cfg.route("/api/v1/notifications/policy", web::get().to(show_v1))
        .route("/api/v1/notifications/policy", web::patch().to(update_v1))
        .route("/api/v1/notifications/policy", web::put().to(update_v1))
        .route("/api/v1/notifications/requests", web::get().to(requests))
        .route("/api/v1/notifications/requests/merged", web::get().to(merged))
        .route("/api/v1/notifications/requests/accept", web::post().to(accept_many))
        .route("/api/v1/notifications/requests/dismiss", web::post().to(dismiss_many))
        .route("/api/v1/notifications/requests/{id}", web::get().to(request))
        .route("/api/v1/notifications/requests/{id}/accept", web::post().to(accept))
        .route("/api/v1/notifications/requests/{id}/dismiss", web::post().to(dismiss));
}
