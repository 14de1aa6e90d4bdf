//! Webhook registrations: `GET/POST /webhooks`, `GET/DELETE /webhooks/{id}`,
//! `POST /webhooks/{id}/test`. The secret is in the creation's answer only.
//! Acts go through `kereru_service::webhooks`, as `kereru provider webhook` does.

use super::Route;
use super::auth::{ProviderKey, WriteKey};
use super::error::ApiError;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::SecondsFormat;
use kereru_service::provider::key_label;
use kereru_service::webhooks::{self as service, WebhookInput};
use kereru_store::webhooks::{self, Webhook, queue};
use serde_json::{Value, json};

pub const ROUTES: &[Route] = &[
    ("GET", "/webhooks"),
    ("POST", "/webhooks"),
    ("GET", "/webhooks/{id}"),
    ("DELETE", "/webhooks/{id}"),
    ("POST", "/webhooks/{id}/test"),
];

/// Deliveries shown with a webhook.
const RECENT: i64 = 20;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/webhooks", web::get().to(list))
        .route("/webhooks", web::post().to(create))
        .route("/webhooks/{id}", web::get().to(show))
        .route("/webhooks/{id}", web::delete().to(delete))
        .route("/webhooks/{id}/test", web::post().to(test));
}

fn render(webhook: &Webhook) -> Value {
    json!({
        "id": webhook.id.to_string(),
        "url": webhook.url,
        "events": webhook.events,
        "enabled": webhook.enabled,
        "description": webhook.description,
        "created_at": webhook.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    })
}

fn render_delivery(delivery: &queue::Delivery) -> Value {
    json!({
        "event_id": delivery.event_id.to_string(),
        "type": delivery.event_type,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "next_attempt_at": (delivery.state == "queued")
            .then(|| delivery.next_attempt_at.to_rfc3339_opts(SecondsFormat::Secs, true)),
        "created_at": delivery.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "finished_at": delivery.finished_at.map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true)),
    })
}

fn webhook_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound("no such webhook".into()))
}

fn not_found(error: kereru_service::ServiceError) -> ApiError {
    match error {
        kereru_service::ServiceError::NotFound => ApiError::NotFound("no such webhook".into()),
        other => other.into(),
    }
}

async fn conn(state: &AppState) -> Result<kereru_store::Connection, ApiError> {
    state.pool.get().await.map_err(|e| ApiError::Internal(e.to_string()))
}

async fn list(state: web::Data<AppState>, _key: ProviderKey) -> Result<HttpResponse, ApiError> {
    let mut conn = conn(&state).await?;
    let all = webhooks::list(&mut conn).await?;
    Ok(HttpResponse::Ok().json(all.iter().map(render).collect::<Vec<_>>()))
}

/// What a client may send to create one (JSON).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    url: String,
    #[serde(default)]
    events: Vec<String>,
    #[serde(default)]
    description: String,
}

async fn create(state: web::Data<AppState>, key: WriteKey, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let body: CreateBody =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(format!("the body is not a webhook: {e}")))?;
    service::check_url(&body.url).map_err(|e| ApiError::Field { field: "url", message: e.to_string() })?;
    service::check_events(&body.events).map_err(|e| ApiError::Field { field: "events", message: e.to_string() })?;
    if body.description.trim().chars().count() > service::MAX_DESCRIPTION {
        let message = format!("at most {} characters", service::MAX_DESCRIPTION);
        return Err(ApiError::Field { field: "description", message });
    }
    let input = WebhookInput { url: body.url, events: body.events, description: body.description };
    let mut conn = conn(&state).await?;
    let registered = service::create(&mut conn, &key_label(key.name()), &input).await?;
    let mut rendered = render(&registered.webhook);
    rendered["secret"] = json!(registered.secret);
    Ok(HttpResponse::Created().json(rendered))
}

async fn show(state: web::Data<AppState>, _key: ProviderKey, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&id)?;
    let mut conn = conn(&state).await?;
    let webhook = webhooks::get(&mut conn, id).await?.ok_or_else(|| ApiError::NotFound("no such webhook".into()))?;
    let deliveries = queue::recent(&mut conn, id, RECENT).await?;
    let mut rendered = render(&webhook);
    rendered["deliveries"] = Value::Array(deliveries.iter().map(render_delivery).collect());
    Ok(HttpResponse::Ok().json(rendered))
}

async fn delete(state: web::Data<AppState>, key: WriteKey, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&id)?;
    let mut conn = conn(&state).await?;
    service::remove(&mut conn, &key_label(key.name()), id).await.map_err(not_found)?;
    Ok(HttpResponse::NoContent().finish())
}

async fn test(state: web::Data<AppState>, _key: WriteKey, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&id)?;
    let mut conn = conn(&state).await?;
    let event = service::test(&mut conn, id).await.map_err(not_found)?;
    Ok(HttpResponse::Accepted().json(json!({ "event_id": event.to_string() })))
}
