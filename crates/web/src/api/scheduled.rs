//! `/api/v1/scheduled_statuses`: a person's posts waiting for their time
//! (made by `POST /api/v1/statuses` with `scheduled_at`).

use super::paging;
use super::render::timestamp;
use crate::error::{WebError, not_found};
use crate::extract::{Id, User, scope};
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use kereru_service::scheduled::{self as service, ScheduledParams};
use kereru_store::PgConn;
use kereru_store::scheduled::{self, ScheduledStatus};
use serde_json::{Value, json};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/scheduled_statuses", web::get().to(list))
        .route("/api/v1/scheduled_statuses/{id}", web::get().to(show))
        .route("/api/v1/scheduled_statuses/{id}", web::put().to(update))
        .route("/api/v1/scheduled_statuses/{id}", web::delete().to(delete));
}

/// A time as clients send `scheduled_at`: RFC 3339 / ISO 8601, with an
/// offset or (taken as UTC) without one.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, WebError> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%.f%:z"] {
        if let Ok(at) = DateTime::parse_from_str(text, format) {
            return Ok(at.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(at.and_utc());
        }
    }
    Err(WebError::Unprocessable("Validation failed: Scheduled at is not a date and time".into()))
}

/// The ScheduledStatus entity, its media as this tenant serves them.
pub async fn entity(conn: &mut PgConn, tenant: &Tenant, row: &ScheduledStatus) -> Result<Value, WebError> {
    let params = ScheduledParams::read(row)?;
    let mut media = Vec::new();
    let reserved = scheduled::media_of(conn, row.domain_id, &[row.id]).await?.remove(&row.id).unwrap_or_default();
    for id in reserved {
        if let Some(attachment) = kereru_store::media::get_own(conn, row.domain_id, row.account_id, id).await? {
            media.push(super::media::attachment_json(&tenant.urls, &attachment));
        }
    }
    let mut params_json = serde_json::to_value(&params).map_err(|e| WebError::Internal(e.to_string()))?;
    // The rest of Mastodon's params, which Kererū does not keep.
    for (key, value) in [
        ("idempotency", Value::Null),
        ("scheduled_at", Value::Null),
        ("with_rate_limit", Value::Bool(false)),
        ("allowed_mentions", Value::Null),
    ] {
        params_json[key] = value;
    }
    // Kept when given; null as Mastodon's when not.
    for key in ["quoted_status_id", "quote_approval_policy"] {
        if params_json.get(key).is_none() {
            params_json[key] = Value::Null;
        }
    }
    Ok(json!({
        "id": row.id.to_string(),
        "scheduled_at": timestamp(row.scheduled_at),
        "params": params_json,
        "media_attachments": media,
    }))
}

/// `GET /api/v1/scheduled_statuses`
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: User<scope::ReadStatuses>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let page = paging::page(&params)?;
    let mut conn = state.pool.get().await?;
    let rows = scheduled::list(&mut conn, me.tenant.id, me.id(), page).await?;
    let mut body = Vec::with_capacity(rows.len());
    for row in &rows {
        body.push(entity(&mut conn, &me.tenant, row).await?);
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    Ok(paging::respond(&req, &me.tenant.urls.base(), &ids, body))
}

/// `GET /api/v1/scheduled_statuses/{id}`
pub async fn show(
    state: web::Data<AppState>,
    me: User<scope::ReadStatuses>,
    Id(id): Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let row = scheduled::get(&mut conn, me.tenant.id, me.id(), id).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(entity(&mut conn, &me.tenant, &row).await?))
}

/// `PUT /api/v1/scheduled_statuses/{id}` with `scheduled_at`.
pub async fn update(
    state: web::Data<AppState>,
    me: User<scope::WriteStatuses>,
    Id(id): Id,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let row = match params.str("scheduled_at").filter(|v| !v.trim().is_empty()) {
        Some(at) => service::reschedule(&mut conn, &me.actor(), id, parse_time(at)?).await?,
        None => scheduled::get(&mut conn, me.tenant.id, me.id(), id).await?.ok_or_else(not_found)?,
    };
    Ok(HttpResponse::Ok().json(entity(&mut conn, &me.tenant, &row).await?))
}

/// `DELETE /api/v1/scheduled_statuses/{id}`
pub async fn delete(
    state: web::Data<AppState>,
    me: User<scope::WriteStatuses>,
    Id(id): Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    service::cancel(&mut conn, &me.actor(), id).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}
