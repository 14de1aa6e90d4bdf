//! Plans (CRUD): `/plans`, `/plans/{name}`. A plan's limits are whole
//! numbers or `null` (unlimited); the CLI twin is `kereru provider plan`.
//! A tenant's plan is set with `kereru domain set-plan` (service
//! `kereru_service::plans::assign`).

use super::Route;
use super::auth::{ProviderKey, WriteKey};
use super::error::ApiError;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use kereru_service::plans::{self as actions, By};
use kereru_store::plans::{self, Limits, LimitsChange, Plan};
use serde_json::{Map, Value, json};

pub const ROUTES: &[Route] = &[
    ("GET", "/plans"),
    ("POST", "/plans"),
    ("GET", "/plans/{name}"),
    ("PATCH", "/plans/{name}"),
    ("DELETE", "/plans/{name}"),
];

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/plans", web::get().to(list))
        .route("/plans", web::post().to(create))
        .route("/plans/{name}", web::get().to(show))
        .route("/plans/{name}", web::patch().to(update))
        .route("/plans/{name}", web::delete().to(delete));
}

/// The limit fields a plan has, in the order the API shows them.
const LIMIT_FIELDS: [&str; 5] =
    ["max_accounts", "media_storage_bytes", "posts_per_day", "remote_follows", "custom_emoji"];

/// A plan as the API shows it.
pub fn plan_json(plan: &Plan, tenants: i64) -> Value {
    json!({
        "name": plan.name,
        "max_accounts": plan.max_accounts,
        "media_storage_bytes": plan.media_storage_bytes,
        "posts_per_day": plan.posts_per_day,
        "remote_follows": plan.remote_follows,
        "custom_emoji": plan.custom_emoji,
        "tenants": tenants,
        "created_at": plan.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "updated_at": plan.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

fn object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::BadRequest("the body must be a JSON object".into())),
        Err(error) => Err(ApiError::BadRequest(format!("the body is not JSON: {error}"))),
    }
}

/// Each limit the body names: `Some(None)` for `null` (unlimited).
fn limits_change(body: &Map<String, Value>) -> Result<LimitsChange, ApiError> {
    let mut values: [Option<Option<i64>>; 5] = [None; 5];
    for (slot, field) in values.iter_mut().zip(LIMIT_FIELDS) {
        *slot = match body.get(field) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(value) => match value.as_i64() {
                Some(n) if n >= 0 => Some(Some(n)),
                _ => {
                    return Err(ApiError::Field {
                        field,
                        message: "must be a whole number of at least 0, or null for unlimited".into(),
                    });
                }
            },
        };
    }
    let [max_accounts, media_storage_bytes, posts_per_day, remote_follows, custom_emoji] = values;
    Ok(LimitsChange { max_accounts, media_storage_bytes, posts_per_day, remote_follows, custom_emoji })
}

/// `GET /plans`: every plan, by name.
async fn list(state: web::Data<AppState>, _key: ProviderKey) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut out = Vec::new();
    for plan in plans::list(&mut conn).await? {
        let tenants = plans::tenants_on(&mut conn, plan.id).await?;
        out.push(plan_json(&plan, tenants));
    }
    Ok(HttpResponse::Ok().json(out))
}

/// `POST /plans`: `{"name": "small", "posts_per_day": 100, ...}`; a limit left out is unlimited.
async fn create(state: web::Data<AppState>, key: WriteKey, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let body = object(&body)?;
    let name = match body.get("name") {
        Some(Value::String(name)) => name.trim().to_string(),
        _ => return Err(ApiError::Field { field: "name", message: "is required (a string)".into() }),
    };
    if !plans::valid_name(&name) {
        return Err(ApiError::Field { field: "name", message: plans::PlanError::InvalidName.to_string() });
    }
    let mut limits = Limits::default();
    limits_change(&body)?.apply(&mut limits);
    let mut conn = state.pool.get().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    if plans::get(&mut conn, &name).await?.is_some() {
        return Err(ApiError::Field { field: "name", message: format!("a plan named {name} already exists") });
    }
    let plan = actions::create(&mut conn, By::ProviderKey(key.name()), &name, &limits).await?;
    Ok(HttpResponse::Created().json(plan_json(&plan, 0)))
}

async fn found(conn: &mut kereru_store::PgConn, name: &str) -> Result<Plan, ApiError> {
    plans::get(conn, name).await?.ok_or_else(|| ApiError::NotFound(format!("no plan {name}")))
}

/// `GET /plans/{name}`.
async fn show(
    state: web::Data<AppState>,
    _key: ProviderKey,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let plan = found(&mut conn, &name).await?;
    let tenants = plans::tenants_on(&mut conn, plan.id).await?;
    Ok(HttpResponse::Ok().json(plan_json(&plan, tenants)))
}

/// `PATCH /plans/{name}`: the limits named change (`null`: unlimited), the others stay.
async fn update(
    state: web::Data<AppState>,
    key: WriteKey,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let change = limits_change(&object(&body)?)?;
    let mut conn = state.pool.get().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    found(&mut conn, &name).await?;
    let plan = actions::update(&mut conn, By::ProviderKey(key.name()), &name, &change).await?;
    let tenants = plans::tenants_on(&mut conn, plan.id).await?;
    Ok(HttpResponse::Ok().json(plan_json(&plan, tenants)))
}

/// `DELETE /plans/{name}`: 409 while a tenant is on it.
async fn delete(state: web::Data<AppState>, key: WriteKey, name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let plan = found(&mut conn, &name).await?;
    let tenants = plans::tenants_on(&mut conn, plan.id).await?;
    if tenants > 0 {
        return Err(ApiError::Conflict(format!("the plan {name} still has {tenants} tenant(s)")));
    }
    actions::delete(&mut conn, By::ProviderKey(key.name()), &name).await?;
    Ok(HttpResponse::NoContent().finish())
}
