//! `/api/v1/admin/domain_allows`, `/api/v1/admin/email_domain_blocks` and
//! `/api/v1/admin/ip_blocks` of this tenant, with Mastodon's entities.

use super::{acting, entities, page_of};
use crate::error::{WebError, not_found};
use crate::extract::{Id, scope};
use crate::params::Params;
use crate::staff::{Administer, Staff};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use kereru_core::blocks::IpRange;
use kereru_service::blocks::lists as service;
use kereru_store::ip_blocks::{self, IpBlock, IpBlockInput, IpSeverity};
use kereru_store::{domain_allows, email_domain_blocks};
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/admin/domain_allows", web::get().to(allows))
        .route("/api/v1/admin/domain_allows", web::post().to(allow))
        .route("/api/v1/admin/domain_allows/{id}", web::get().to(show_allow))
        .route("/api/v1/admin/domain_allows/{id}", web::delete().to(disallow))
        .route("/api/v1/admin/email_domain_blocks", web::get().to(email_blocks))
        .route("/api/v1/admin/email_domain_blocks", web::post().to(block_email))
        .route("/api/v1/admin/email_domain_blocks/{id}", web::get().to(show_email_block))
        .route("/api/v1/admin/email_domain_blocks/{id}", web::delete().to(unblock_email))
        .route("/api/v1/admin/ip_blocks", web::get().to(ip_blocks_list))
        .route("/api/v1/admin/ip_blocks", web::post().to(block_ip))
        .route("/api/v1/admin/ip_blocks/{id}", web::get().to(show_ip_block))
        .route("/api/v1/admin/ip_blocks/{id}", web::put().to(update_ip_block))
        .route("/api/v1/admin/ip_blocks/{id}", web::delete().to(unblock_ip));
}

fn blank(what: &str) -> WebError {
    WebError::Unprocessable(format!("Validation failed: {what} can't be blank"))
}

async fn allows(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff<scope::AdminReadDomainAllows, Administer>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let rows = domain_allows::list(&mut conn, Some(staff.user.tenant.id)).await?;
    page_of(&req, &staff.user.tenant, &params, rows, |a| a.id, entities::domain_allow)
}

async fn show_allow(
    state: web::Data<AppState>,
    staff: Staff<scope::AdminReadDomainAllows, Administer>,
    id: Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let allow = domain_allows::get(&mut conn, Some(staff.user.tenant.id), id.0).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(entities::domain_allow(&allow)))
}

async fn allow(
    state: web::Data<AppState>,
    staff: Staff<scope::AdminWriteDomainAllows, Administer>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let domain = params.str("domain").filter(|d| !d.trim().is_empty()).ok_or_else(|| blank("Domain"))?;
    let mut conn = state.pool.get().await?;
    let allow = service::allow(&mut conn, &acting(&staff), Some(staff.user.tenant.id), domain).await?;
    Ok(HttpResponse::Ok().json(entities::domain_allow(&allow)))
}

async fn disallow(
    state: web::Data<AppState>,
    staff: Staff<scope::AdminWriteDomainAllows, Administer>,
    id: Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    service::disallow(&mut conn, &acting(&staff), Some(staff.user.tenant.id), id.0).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

async fn email_blocks(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff<scope::AdminReadEmailDomainBlocks, Administer>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let rows = email_domain_blocks::list(&mut conn, Some(staff.user.tenant.id)).await?;
    page_of(&req, &staff.user.tenant, &params, rows, |b| b.id, entities::email_domain_block)
}

async fn show_email_block(
    state: web::Data<AppState>,
    staff: Staff<scope::AdminReadEmailDomainBlocks, Administer>,
    id: Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let block = email_domain_blocks::get(&mut conn, Some(staff.user.tenant.id), id.0).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(entities::email_domain_block(&block)))
}

async fn block_email(
    state: web::Data<AppState>,
    staff: Staff<scope::AdminWriteEmailDomainBlocks, Administer>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let domain = params.str("domain").filter(|d| !d.trim().is_empty()).ok_or_else(|| blank("Domain"))?;
    let mut conn = state.pool.get().await?;
    let block = service::block_email_domain(&mut conn, &acting(&staff), Some(staff.user.tenant.id), domain).await?;
    Ok(HttpResponse::Ok().json(entities::email_domain_block(&block)))
}

async fn unblock_email(
    state: web::Data<AppState>,
    staff: Staff<scope::AdminWriteEmailDomainBlocks, Administer>,
    id: Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    service::unblock_email_domain(&mut conn, &acting(&staff), Some(staff.user.tenant.id), id.0).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

async fn ip_blocks_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff<scope::AdminReadIpBlocks, Administer>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let rows = ip_blocks::list(&mut conn, Some(staff.user.tenant.id)).await?;
    page_of(&req, &staff.user.tenant, &params, rows, |b| b.id, entities::ip_block)
}

async fn show_ip_block(
    state: web::Data<AppState>,
    staff: Staff<scope::AdminReadIpBlocks, Administer>,
    id: Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let block = ip_blocks::get(&mut conn, Some(staff.user.tenant.id), id.0).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(entities::ip_block(&block)))
}

/// The IP block in `params` over `base` (the current one when updating):
/// `ip` a valid address or range, `severity` one of Mastodon's three,
/// `expires_in` seconds from now.
fn ip_input(params: &Params, base: Option<&IpBlock>) -> Result<IpBlockInput, WebError> {
    let invalid = |what: &str, why: &str| WebError::Unprocessable(format!("Validation failed: {what} {why}"));
    let ip =
        params.str("ip").filter(|s| !s.trim().is_empty()).or(base.map(|b| b.ip.as_str())).ok_or_else(|| blank("Ip"))?;
    let range = IpRange::parse(ip).map_err(|e| invalid("Ip", &e.to_string()))?;
    let severity = params
        .str("severity")
        .filter(|s| !s.is_empty())
        .or(base.map(|b| b.severity.as_str()))
        .ok_or_else(|| blank("Severity"))?;
    let severity = IpSeverity::parse(severity).ok_or_else(|| invalid("Severity", "is not included in the list"))?;
    let comment = params.str("comment").map(str::to_string).or(base.map(|b| b.comment.clone())).unwrap_or_default();
    let expires_at: Option<DateTime<Utc>> = match params.str("expires_in").filter(|s| !s.is_empty()) {
        Some(seconds) => {
            let seconds: i64 = seconds.parse().map_err(|_| invalid("Expires in", "must be a number of seconds"))?;
            if seconds <= 0 {
                return Err(invalid("Expires in", "must be positive"));
            }
            Some(Utc::now() + chrono::Duration::seconds(seconds.min(10 * 365 * 24 * 3600)))
        }
        None => base.and_then(|b| b.expires_at),
    };
    Ok(IpBlockInput { range, severity, comment, expires_at })
}

async fn block_ip(
    state: web::Data<AppState>,
    staff: Staff<scope::AdminWriteIpBlocks, Administer>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let input = ip_input(&params, None)?;
    let mut conn = state.pool.get().await?;
    let block = service::block_ip(&mut conn, &acting(&staff), Some(staff.user.tenant.id), input).await?;
    Ok(HttpResponse::Ok().json(entities::ip_block(&block)))
}

async fn update_ip_block(
    state: web::Data<AppState>,
    staff: Staff<scope::AdminWriteIpBlocks, Administer>,
    id: Id,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let scope = Some(staff.user.tenant.id);
    let mut conn = state.pool.get().await?;
    let current = ip_blocks::get(&mut conn, scope, id.0).await?.ok_or_else(not_found)?;
    let input = ip_input(&params, Some(&current))?;
    let block = service::update_ip_block(&mut conn, &acting(&staff), scope, id.0, input).await?;
    Ok(HttpResponse::Ok().json(entities::ip_block(&block)))
}

async fn unblock_ip(
    state: web::Data<AppState>,
    staff: Staff<scope::AdminWriteIpBlocks, Administer>,
    id: Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    service::unblock_ip(&mut conn, &acting(&staff), Some(staff.user.tenant.id), id.0).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}
