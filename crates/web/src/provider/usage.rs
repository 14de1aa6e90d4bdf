//! A tenant's usage: `GET /tenants/{host}/usage` (CLI twin: `kereru domain
//! show HOST`): the figures of `kereru_service::usage::report` and each
//! quota's limit beside what it measures.

use super::Route;
use super::auth::ProviderKey;
use super::error::ApiError;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use kereru_core::HostName;
use kereru_store::domains;
use serde_json::{Map, Value, json};

pub const ROUTES: &[Route] = &[("GET", "/tenants/{host}/usage")];

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/tenants/{host}/usage", web::get().to(usage));
}

async fn usage(
    state: web::Data<AppState>,
    _key: ProviderKey,
    host: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let missing = || ApiError::NotFound("no such tenant".into());
    let host = HostName::parse(&host).map_err(|_| missing())?;
    let mut conn = state.pool.get().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let domain = domains::find_by_host(&mut conn, &host)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .ok_or_else(missing)?;
    let report = kereru_service::usage::report(&mut conn, domain.id).await?;
    let u = &report.usage;
    let quotas: Map<String, Value> = report
        .quotas
        .iter()
        .map(|s| (s.quota.as_str().to_string(), json!({ "limit": s.limit, "used": s.used })))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "host": domain.account_host.as_str(),
        "plan": report.plan.as_ref().map(|p| p.name.as_str()),
        "accounts": u.accounts,
        "monthly_active_users": u.monthly_active_users,
        "statuses": u.statuses,
        "posts_today": u.posts_today,
        "storage_bytes": u.storage_bytes,
        "remote_follows": u.remote_follows,
        "deliveries": { "last_24h": u.deliveries_24h, "last_30d": u.deliveries_30d },
        "inbound_activities": { "last_24h": u.inbound_24h, "last_30d": u.inbound_30d },
        "quotas": quotas,
    })))
}
