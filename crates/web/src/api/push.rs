//! `/api/v1/push/subscription`: the Web Push subscription of the access
//! token making the request (create, show, update, delete), with Mastodon's
//! WebPushSubscription entity; and the tenant's VAPID public key as
//! instance and application entities show it ([`server_key`]).

use crate::auth::{Auth, presented_token};
use crate::error::WebError;
use crate::extract::Scope;
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_service::ServiceError;
use kereru_service::push::{self as service, ALERT_TYPES, Data, NewRequest};
use kereru_store::DomainId;
use kereru_store::push::Subscription;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/push/subscription", web::post().to(create))
        .route("/api/v1/push/subscription", web::get().to(show))
        .route("/api/v1/push/subscription", web::put().to(update))
        .route("/api/v1/push/subscription", web::delete().to(delete));
}

/// The tenant's VAPID public key as Mastodon shows it (made on first need).
pub async fn server_key(state: &AppState, domain: DomainId) -> Result<String, WebError> {
    let mut conn = state.pool.get().await?;
    let keys = kereru_store::push::vapid_key(&mut conn, domain).await?;
    Ok(kereru_core::webpush::server_key(&keys.public))
}

/// Mastodon's answer when the token has no subscription.
fn none_here() -> WebError {
    WebError::NotFound("Not Found".into())
}

fn or_none_here(error: ServiceError) -> WebError {
    match error {
        ServiceError::NotFound => none_here(),
        other => other.into(),
    }
}

fn subscription_json(subscription: &Subscription, server_key: &str) -> Value {
    let alerts: Map<String, Value> =
        service::alerts_of(subscription).into_iter().map(|(kind, on)| (kind.to_string(), Value::Bool(on))).collect();
    json!({
        // A number, as Mastodon sends it (the ids are small: a sequence).
        "id": subscription.id,
        "endpoint": subscription.endpoint,
        "standard": subscription.standard,
        "alerts": alerts,
        "server_key": server_key,
        "policy": subscription.policy,
    })
}

/// Rails' boolean cast of a form value: `0`, `f`, `false`, `off` (any case) and blank are false.
fn rails_bool(value: &str) -> bool {
    !matches!(value.trim().to_ascii_lowercase().as_str(), "" | "0" | "f" | "false" | "off")
}

/// `data[alerts][TYPE]` and `data[policy]`. Mastodon.py sends the policy as
/// a top-level `policy`, which Mastodon ignores; it is taken here when
/// `data[policy]` is absent, so that such a client gets what it asked for.
fn data_of(params: &Params) -> Data {
    let mut alerts = BTreeMap::new();
    for kind in ALERT_TYPES {
        if let Some(value) = params.str(&format!("data[alerts][{kind}]")) {
            alerts.insert((*kind).to_string(), rails_bool(value));
        }
    }
    let policy = params.str("data[policy]").or_else(|| params.str("policy")).map(|p| p.trim().to_string());
    Data { alerts, policy }
}

/// The acting user (scope `push`), the token's id and its text.
fn token_of(req: &HttpRequest, auth: &Auth) -> Result<(i64, String), WebError> {
    auth.user(Scope::Push)?;
    let token = presented_token(req).ok_or_else(|| WebError::Unauthorized("The access token is invalid".into()))?;
    Ok((auth.grant.token_id, token))
}

/// `POST /api/v1/push/subscription`: replaces the token's subscription.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let (token_id, token) = token_of(&req, &auth)?;
    let actor = auth.actor(&tenant, Scope::Push)?;
    let missing = |what: &str| WebError::BadRequest(format!("param is missing or the value is empty: {what}"));
    let endpoint = params.str("subscription[endpoint]").ok_or_else(|| missing("subscription[endpoint]"))?;
    let p256dh = params.str("subscription[keys][p256dh]").ok_or_else(|| missing("subscription[keys][p256dh]"))?;
    let key_auth = params.str("subscription[keys][auth]").ok_or_else(|| missing("subscription[keys][auth]"))?;
    let request = NewRequest {
        endpoint: endpoint.to_string(),
        p256dh: p256dh.to_string(),
        auth: key_auth.to_string(),
        standard: params.str("subscription[standard]").is_some_and(rails_bool),
        data: data_of(&params),
    };
    let mut conn = state.pool.get().await?;
    let subscription = service::subscribe(&mut conn, &actor, token_id, &token, request).await?;
    drop(conn);
    let key = server_key(&state, tenant.id).await?;
    Ok(HttpResponse::Ok().json(subscription_json(&subscription, &key)))
}

/// `GET /api/v1/push/subscription`
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
) -> Result<HttpResponse, WebError> {
    let (token_id, _) = token_of(&req, &auth)?;
    let mut conn = state.pool.get().await?;
    let subscription = kereru_store::push::of_token(&mut conn, tenant.id, token_id).await?.ok_or_else(none_here)?;
    drop(conn);
    let key = server_key(&state, tenant.id).await?;
    Ok(HttpResponse::Ok().json(subscription_json(&subscription, &key)))
}

/// `PUT /api/v1/push/subscription`: new alerts and policy.
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let (token_id, _) = token_of(&req, &auth)?;
    let mut conn = state.pool.get().await?;
    let subscription = service::update(&mut conn, tenant.id, token_id, data_of(&params)).await.map_err(or_none_here)?;
    drop(conn);
    let key = server_key(&state, tenant.id).await?;
    Ok(HttpResponse::Ok().json(subscription_json(&subscription, &key)))
}

/// `DELETE /api/v1/push/subscription`: `{}`, or 404 when there was none.
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
) -> Result<HttpResponse, WebError> {
    let (token_id, _) = token_of(&req, &auth)?;
    let mut conn = state.pool.get().await?;
    service::unsubscribe(&mut conn, tenant.id, token_id).await.map_err(or_none_here)?;
    Ok(HttpResponse::Ok().json(json!({})))
}
