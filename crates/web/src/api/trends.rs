//! `/api/v1/trends/{tags,statuses,links}` (and `/api/v1/trends`, the old name
//! for tags): what is popular on this tenant lately (`store::trends`), paged
//! by `offset` and `limit` as Mastodon does. Empty when the tenant's admins
//! turned trends off.

use super::cards::card_json;
use super::render::Renderer;
use super::tags::tags_json;
use crate::auth::MaybeAuth;
use crate::error::WebError;
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, Utc};
use kereru_store::page::Page;
use kereru_store::statuses::{self, Feed};
use kereru_store::trends;
use serde_json::{Value, json};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/trends", web::get().to(tags))
        .route("/api/v1/trends/tags", web::get().to(tags))
        .route("/api/v1/trends/statuses", web::get().to(statuses_trending))
        .route("/api/v1/trends/links", web::get().to(links));
}

/// `offset` and `limit` (Mastodon's: a default, at most twice it).
fn window(params: &Params, default: i64) -> Result<(i64, i64), WebError> {
    let number = |key: &str| -> Result<Option<i64>, WebError> {
        match params.str(key).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => {
                v.parse::<i64>().map(Some).map_err(|_| WebError::Unprocessable(format!("{key} must be a number")))
            }
        }
    };
    let limit = number("limit")?.unwrap_or(default).clamp(1, default * 2);
    let offset = number("offset")?.unwrap_or(0).max(0);
    Ok((offset, limit))
}

/// The answer, with `Link` to the next page when this one is full and the previous one after the first.
fn respond(req: &HttpRequest, tenant: &Tenant, body: Vec<Value>, offset: i64, limit: i64) -> HttpResponse {
    let url = |offset: i64| {
        let kept: Vec<(String, String)> = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| k != "offset")
            .chain([("offset".to_string(), offset.to_string())])
            .collect();
        let query = serde_urlencoded::to_string(kept).unwrap_or_default();
        format!("{}{}?{query}", tenant.urls.base(), req.path())
    };
    let mut links = Vec::new();
    if body.len() as i64 >= limit {
        links.push(format!("<{}>; rel=\"next\"", url(offset + limit)));
    }
    if offset > 0 {
        links.push(format!("<{}>; rel=\"prev\"", url((offset - limit).max(0))));
    }
    let mut response = HttpResponse::Ok();
    if !links.is_empty() {
        response.insert_header(("Link", links.join(", ")));
    }
    response.json(body)
}

/// `GET /api/v1/trends/tags` (10, at most 20): Tag entities with their history.
pub async fn tags(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let (offset, limit) = window(&params, 10)?;
    let mut conn = state.pool.get().await?;
    if !trends::enabled(&mut conn, tenant.id).await? {
        return Ok(HttpResponse::Ok().json(Vec::<Value>::new()));
    }
    let names = trends::tags(&mut conn, tenant.id, limit, offset).await?;
    let body = tags_json(&mut conn, &tenant, auth.viewer(), &names).await?;
    Ok(respond(&req, &tenant, body, offset, limit))
}

/// `GET /api/v1/trends/statuses` (20, at most 40): each still read as the viewer may see it.
pub async fn statuses_trending(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let (offset, limit) = window(&params, 20)?;
    let viewer = auth.viewer();
    let mut conn = state.pool.get().await?;
    if !trends::enabled(&mut conn, tenant.id).await? {
        return Ok(HttpResponse::Ok().json(Vec::<Value>::new()));
    }
    let ranked = trends::statuses(&mut conn, tenant.id, limit, offset).await?;
    let page = Page { limit: ranked.len().max(1) as i64, ..Page::default() };
    let mut found = statuses::visible(&mut conn, tenant.id, viewer, &Feed::Ids(ranked.clone()), page).await?;
    // Back in the trend's order (the read sorts by id).
    found.sort_by_key(|s| ranked.iter().position(|id| *id == s.id).unwrap_or(usize::MAX));
    let body = Renderer::new(&tenant, viewer).statuses(&mut conn, found).await?;
    Ok(respond(&req, &tenant, body, offset, limit))
}

/// `GET /api/v1/trends/links` (10, at most 20): PreviewCard entities with their history.
pub async fn links(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let (offset, limit) = window(&params, 10)?;
    let mut conn = state.pool.get().await?;
    if !trends::enabled(&mut conn, tenant.id).await? {
        return Ok(HttpResponse::Ok().json(Vec::<Value>::new()));
    }
    let ranked = trends::links(&mut conn, tenant.id, limit, offset).await?;
    let cards = trends::cards(&mut conn, &ranked).await?;
    let days = trends::link_history(&mut conn, tenant.id, &ranked).await?;
    let today = Utc::now().date_naive();
    let body: Vec<Value> = ranked
        .iter()
        .filter_map(|id| cards.iter().find(|c| c.id == *id))
        .map(|card| {
            // Seven days, today first, as Mastodon's history (days as UNIX times, figures as strings).
            let history: Vec<Value> = (0..7)
                .map(|back| {
                    let day = today - Duration::days(back);
                    let seen = days.iter().find(|d| d.card_id == card.id && d.day.date_naive() == day);
                    let at = day.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()).unwrap_or_default();
                    json!({
                        "day": at.to_string(),
                        "accounts": seen.map_or(0, |d| d.accounts).to_string(),
                        "uses": seen.map_or(0, |d| d.uses).to_string(),
                    })
                })
                .collect();
            let mut value = card_json(card);
            value["history"] = Value::Array(history);
            value
        })
        .collect();
    Ok(respond(&req, &tenant, body, offset, limit))
}
