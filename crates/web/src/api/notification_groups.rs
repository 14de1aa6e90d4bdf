//! `/api/v2/notifications`: grouped notifications (GroupedNotificationsResults),
//! one group, its accounts, dismissing a group, the unread group count; and the
//! v1 unread count's route. Groups are made in `store::notification_groups`.

use super::notifications::{browse, count_limit, marker};
use super::paging;
use super::render::{Renderer, timestamp};
use crate::error::{WebError, not_found};
use crate::extract::{User, scope};
use crate::params::Params;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_core::filters::Context;
use kereru_store::PgConn;
use kereru_store::notification_groups::{self, GROUPABLE, Group, Key};
use kereru_store::statuses;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Grouped notifications pages: 40 unless asked, at most 80 (Mastodon's v2 limits).
const DEFAULT_LIMIT: i64 = 40;
const MAX_LIMIT: i64 = 80;

/// `grouped_types[]`: which types group (default: all that can).
fn grouped_types(params: &Params) -> Vec<String> {
    let asked = params.list("grouped_types");
    if asked.is_empty() { GROUPABLE.iter().map(|t| t.to_string()).collect() } else { asked }
}

/// `expand_accounts`: `full` (the default) or `partial_avatars`; anything else is 400 as Mastodon.
fn partial_avatars(params: &Params) -> Result<bool, WebError> {
    match params.str("expand_accounts") {
        None | Some("full") => Ok(false),
        Some("partial_avatars") => Ok(true),
        Some(other) => Err(WebError::BadRequest(format!(
            "Invalid value for 'expand_accounts': '{other}', allowed values are 'full' and 'partial_avatars'"
        ))),
    }
}

/// The PartialAccountWithAvatar entity, from a rendered Account.
fn partial(account: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for key in ["id", "acct", "locked", "bot", "url", "avatar", "avatar_static", "avatar_description"] {
        if let Some(value) = account.get(key) {
            out.insert(key.to_string(), value.clone());
        }
    }
    Value::Object(out)
}

/// GroupedNotificationsResults for `groups`: groups whose status the viewer may no
/// longer see (or their filters hide) are left out, as in the v1 list.
async fn results(
    conn: &mut PgConn,
    user: &User<scope::ReadNotifications>,
    groups: Vec<Group>,
    paged: bool,
    partial_avatars: bool,
) -> Result<Value, WebError> {
    let me = user.id();
    let mut renderer = Renderer::new(&user.tenant, Some(me)).in_context(Context::Notifications);
    let mut statuses_out: Vec<Value> = Vec::new();
    let mut seen_status: HashMap<i64, bool> = HashMap::new();
    let mut out_groups = Vec::new();
    let mut firsts: Vec<i64> = Vec::new();
    let mut others: Vec<i64> = Vec::new();
    for group in groups {
        let newest = &group.newest;
        if let Some(status) = newest.status_id {
            let shown = match seen_status.get(&status.0) {
                Some(shown) => *shown,
                None => {
                    let rendered = match statuses::visible_one(conn, user.tenant.id, Some(me), status).await? {
                        Some(row) => renderer.status_unless_hidden(conn, row).await?,
                        None => None,
                    };
                    let shown = rendered.is_some();
                    statuses_out.extend(rendered);
                    seen_status.insert(status.0, shown);
                    shown
                }
            };
            if !shown {
                continue;
            }
        }
        let samples: Vec<i64> = group.sample_accounts.iter().map(|a| a.0).collect();
        for (i, id) in samples.iter().enumerate() {
            let list = if i == 0 || !partial_avatars { &mut firsts } else { &mut others };
            if !list.contains(id) {
                list.push(*id);
            }
        }
        let mut value = json!({
            "group_key": group.key,
            "notifications_count": group.count,
            "type": newest.kind,
            // A number, not a string: Mastodon sends it so and clients read it so.
            "most_recent_notification_id": newest.id.0,
            "sample_account_ids": samples.iter().map(i64::to_string).collect::<Vec<_>>(),
        });
        if paged {
            value["page_min_id"] = json!(group.page_min_id.to_string());
            value["page_max_id"] = json!(newest.id.to_string());
            value["latest_page_notification_at"] = json!(timestamp(newest.created_at));
        }
        if let Some(status) = newest.status_id {
            value["status_id"] = json!(status.to_string());
        }
        out_groups.push(value);
    }
    others.retain(|id| !firsts.contains(id));
    let accounts = renderer.accounts_by_id(conn, &firsts).await?;
    let mut body = json!({ "accounts": accounts, "statuses": statuses_out, "notification_groups": out_groups });
    if partial_avatars {
        let partials = renderer.accounts_by_id(conn, &others).await?;
        body["partial_accounts"] = Value::Array(partials.iter().map(partial).collect());
    }
    Ok(body)
}

/// `GET /api/v2/notifications`
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: User<scope::ReadNotifications>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let browse = browse(&params)?;
    let grouped = grouped_types(&params);
    let partial_avatars = partial_avatars(&params)?;
    let mut page = paging::page_with_max(&params, MAX_LIMIT)?;
    if params.str("limit").filter(|v| !v.is_empty()).is_none() {
        page.limit = DEFAULT_LIMIT;
    }
    let mut conn = state.pool.get().await?;
    let (groups, range) = notification_groups::page(&mut conn, user.id(), &browse, &grouped, page).await?;
    let body = results(&mut conn, &user, groups, true, partial_avatars).await?;
    let mut response = HttpResponse::Ok();
    if let Some((newest, oldest)) = range
        && let Some(link) = paging::link_header(&req, &user.tenant.urls.base(), Some(newest), Some(oldest))
    {
        response.insert_header(("Link", link));
    }
    Ok(response.json(body))
}

fn key_of(path: &web::Path<String>) -> Result<Key, WebError> {
    notification_groups::parse(path.as_str()).ok_or_else(not_found)
}

/// `GET /api/v2/notifications/{group_key}`: the whole group.
pub async fn show(
    state: web::Data<AppState>,
    user: User<scope::ReadNotifications>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let group = notification_groups::whole(&mut conn, user.id(), path.as_str()).await?.ok_or_else(not_found)?;
    let body = results(&mut conn, &user, vec![group], false, false).await?;
    if body["notification_groups"].as_array().is_none_or(Vec::is_empty) {
        return Err(not_found());
    }
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v2/notifications/{group_key}/accounts`: who is in the group, newest first, paged.
pub async fn accounts(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: User<scope::ReadNotifications>,
    path: web::Path<String>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let key = key_of(&path)?;
    let page = paging::page_with_max(&params, 80)?;
    let mut conn = state.pool.get().await?;
    let members = notification_groups::members(&mut conn, user.id(), &key, page).await?;
    let ids: Vec<i64> = members.iter().map(|n| n.id.0).collect();
    let from: Vec<i64> = members.iter().map(|n| n.from_account_id.0).collect();
    let body = Renderer::new(&user.tenant, Some(user.id())).accounts_by_id(&mut conn, &from).await?;
    Ok(paging::respond(&req, &user.tenant.urls.base(), &ids, body))
}

/// `POST /api/v2/notifications/{group_key}/dismiss`
pub async fn dismiss(
    state: web::Data<AppState>,
    user: User<scope::WriteNotifications>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    kereru_service::notification_policy::dismiss_group(&mut conn, &user.actor(), path.as_str()).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `GET /api/v2/notifications/unread_count`: groups newer than the `notifications` marker.
pub async fn unread_count(
    state: web::Data<AppState>,
    user: User<scope::ReadNotifications>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let browse = browse(&params)?;
    let grouped = grouped_types(&params);
    let limit = count_limit(&params)?;
    let mut conn = state.pool.get().await?;
    let after = marker(&mut conn, user.id()).await?;
    let count = notification_groups::count_newer(&mut conn, user.id(), &browse, &grouped, after, limit).await?;
    Ok(HttpResponse::Ok().json(json!({ "count": count })))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // The literal paths before `{group_key}`.
    cfg.route("/api/v1/notifications/unread_count", web::get().to(super::notifications::unread_count))
        .route("/api/v2/notifications", web::get().to(list))
        .route("/api/v2/notifications/unread_count", web::get().to(unread_count))
        .route("/api/v2/notifications/policy", web::get().to(super::notification_policy::show_v2))
        .route("/api/v2/notifications/policy", web::patch().to(super::notification_policy::update_v2))
        .route("/api/v2/notifications/{group_key}", web::get().to(show))
        .route("/api/v2/notifications/{group_key}/accounts", web::get().to(accounts))
        .route("/api/v2/notifications/{group_key}/dismiss", web::post().to(dismiss));
}
