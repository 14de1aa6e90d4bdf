//! `/api/v1/announcements`: a tenant's published announcements with the
//! viewer's `read` and reactions, dismissing, and emoji reactions, as
//! Mastodon 4.5 answers them. Another tenant's announcement does not exist (404).

use super::render::timestamp;
use crate::error::WebError;
use crate::extract::{Id, User, scope};
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_core::text;
use kereru_service::announcements as service;
use kereru_store::announcements::{self, Announcement, Reaction};
use kereru_store::{AccountId, PgConn};
use serde_json::{Value, json};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/announcements", web::get().to(index))
        .route("/api/v1/announcements/{id}/dismiss", web::post().to(dismiss))
        .route("/api/v1/announcements/{id}/reactions/{name}", web::put().to(react))
        .route("/api/v1/announcements/{id}/reactions/{name}", web::delete().to(unreact));
}

/// The Reaction entity (unicode emoji: no image URLs); `me` only for a signed-in viewer.
fn reaction_json(reaction: &Reaction, viewer: bool) -> Value {
    let mut value = json!({
        "name": reaction.name,
        "count": reaction.count,
        "url": null,
        "static_url": null,
    });
    if viewer {
        value["me"] = reaction.me.into();
    }
    value
}

/// The Announcement entity. `read` (whether the viewer dismissed it) is there
/// only for a viewer, as Mastodon leaves it out of streaming payloads.
pub fn announcement_json(
    tenant: &Tenant,
    announcement: &Announcement,
    reactions: &[Reaction],
    read: Option<bool>,
) -> Value {
    let base = tenant.urls.base();
    let tag_url = |name: &str| format!("{base}/tags/{name}");
    let content = text::to_html(&announcement.text, |_| None, tag_url);
    let tags: Vec<Value> = text::hashtags(&announcement.text)
        .into_iter()
        .map(|name| json!({ "name": name, "url": tag_url(&name) }))
        .collect();
    let mut value = json!({
        "id": announcement.id.to_string(),
        "content": content,
        "starts_at": announcement.starts_at.map(timestamp),
        "ends_at": announcement.ends_at.map(timestamp),
        "all_day": announcement.all_day,
        "published_at": timestamp(announcement.published_at.unwrap_or(announcement.created_at)),
        "updated_at": timestamp(announcement.updated_at),
        "mentions": [],
        "statuses": [],
        "tags": tags,
        "emojis": [],
        "reactions": reactions.iter().map(|r| reaction_json(r, read.is_some())).collect::<Vec<_>>(),
    });
    if let Some(read) = read {
        value["read"] = read.into();
    }
    value
}

/// Announcements as `viewer` sees them (`None`: as streaming sends them).
pub async fn announcements_json(
    conn: &mut PgConn,
    tenant: &Tenant,
    viewer: Option<AccountId>,
    list: &[Announcement],
) -> Result<Vec<Value>, WebError> {
    let ids: Vec<i64> = list.iter().map(|a| a.id).collect();
    let mut reactions = announcements::reactions(conn, tenant.id, viewer, &ids).await?;
    let dismissed = match viewer {
        Some(me) => Some(announcements::dismissed(conn, tenant.id, me, &ids).await?),
        None => None,
    };
    Ok(list
        .iter()
        .map(|a| {
            let read = dismissed.as_ref().map(|d| d.contains(&a.id));
            announcement_json(tenant, a, &reactions.remove(&a.id).unwrap_or_default(), read)
        })
        .collect())
}

/// `GET /api/v1/announcements`: every published one, oldest first, with `read`;
/// `with_dismissed=false` leaves out those the viewer dismissed (the older API's default).
pub async fn index(
    state: web::Data<AppState>,
    me: User<scope::ReadAccounts>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let mut list = announcements::published(&mut conn, me.tenant.id).await?;
    if params.bool("with_dismissed") == Some(false) {
        let ids: Vec<i64> = list.iter().map(|a| a.id).collect();
        let dismissed = announcements::dismissed(&mut conn, me.tenant.id, me.id(), &ids).await?;
        list.retain(|a| !dismissed.contains(&a.id));
    }
    let body = announcements_json(&mut conn, &me.tenant, Some(me.id()), &list).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `POST /api/v1/announcements/{id}/dismiss`
pub async fn dismiss(
    state: web::Data<AppState>,
    me: User<scope::WriteAccounts>,
    id: Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    service::dismiss(&mut conn, &me.actor(), id.0).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// The route's `{id}` and `{name}`.
#[derive(serde::Deserialize)]
pub struct ReactionPath {
    id: String,
    name: String,
}

impl ReactionPath {
    fn id(&self) -> Result<i64, WebError> {
        crate::extract::parse_id(&self.id)
    }
}

/// `PUT /api/v1/announcements/{id}/reactions/{name}`
pub async fn react(
    state: web::Data<AppState>,
    me: User<scope::WriteFavourites>,
    path: web::Path<ReactionPath>,
) -> Result<HttpResponse, WebError> {
    let id = path.id()?;
    let mut conn = state.pool.get().await?;
    let events = service::react(&mut conn, &me.actor(), id, &path.name).await?;
    drop(conn);
    state.publish(&events).await;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `DELETE /api/v1/announcements/{id}/reactions/{name}`
pub async fn unreact(
    state: web::Data<AppState>,
    me: User<scope::WriteFavourites>,
    path: web::Path<ReactionPath>,
) -> Result<HttpResponse, WebError> {
    let id = path.id()?;
    let mut conn = state.pool.get().await?;
    let events = service::unreact(&mut conn, &me.actor(), id, &path.name).await?;
    drop(conn);
    state.publish(&events).await;
    Ok(HttpResponse::Ok().json(json!({})))
}
