//! `/api/v1/domain_blocks`: a person's own blocks of whole servers.

use super::paging;
use crate::error::WebError;
use crate::extract::{User, scope};
use crate::params::Params;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_service::safety::domain_blocks;
use kereru_store::account_domain_blocks;
use serde_json::{Value, json};

/// `GET /api/v1/domain_blocks`: the blocked hosts, newest first, paged with `Link`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: User<scope::ReadBlocks>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let page = paging::page_with_max(&params, 200)?;
    let mut conn = state.pool.get().await?;
    let rows = account_domain_blocks::list(&mut conn, me.id(), page).await?;
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let body: Vec<Value> = rows.into_iter().map(|(_, host)| Value::String(host)).collect();
    Ok(paging::respond(&req, &me.tenant.urls.base(), &ids, body))
}

/// `POST /api/v1/domain_blocks` (`domain`)
pub async fn block(
    state: web::Data<AppState>,
    me: User<scope::WriteBlocks>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let domain = params.required("domain")?.to_string();
    let mut conn = state.pool.get().await?;
    domain_blocks::block(&mut conn, &me.actor(), &domain).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `DELETE /api/v1/domain_blocks` (`domain`)
pub async fn unblock(
    state: web::Data<AppState>,
    me: User<scope::WriteBlocks>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let domain = params.required("domain")?.to_string();
    let mut conn = state.pool.get().await?;
    domain_blocks::unblock(&mut conn, &me.actor(), &domain).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/domain_blocks", web::get().to(list))
        .route("/api/v1/domain_blocks", web::post().to(block))
        .route("/api/v1/domain_blocks", web::delete().to(unblock));
}
