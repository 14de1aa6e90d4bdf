//! Mastodon's admin API for server-level blocks on this tenant:
//! `/api/v1/admin/domain_blocks` (here), `domain_allows`,
//! `email_domain_blocks` and `ip_blocks` ([`lists`]), and the public
//! `/api/v1/instance/domain_blocks` as the tenant chooses to publish them.
//! Every change goes through `kereru_service::blocks` (effects, audit row).

mod entities;
mod lists;

use crate::api::paging;
use crate::auth::MaybeAuth;
use crate::error::WebError;
use crate::extract::{Id, scope};
use crate::params::Params;
use crate::staff::{Administer, Staff};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_service::blocks::{Acting, domain_blocks as service};
use kereru_store::domain_blocks::{self, BlockOptions, DomainBlock, Publish, Severity};
use serde_json::Value;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/admin/domain_blocks", web::get().to(list))
        .route("/api/v1/admin/domain_blocks", web::post().to(create))
        .route("/api/v1/admin/domain_blocks/{id}", web::get().to(show))
        .route("/api/v1/admin/domain_blocks/{id}", web::put().to(update))
        .route("/api/v1/admin/domain_blocks/{id}", web::delete().to(delete))
        .route("/api/v1/instance/domain_blocks", web::get().to(published))
        .configure(lists::routes);
}

/// The staff member as the audit log names them.
pub(crate) fn acting<S>(staff: &Staff<S, impl Sized>) -> Acting {
    let user = &staff.user;
    Acting::account(user.account.id, &user.account.username, user.tenant.domain.account_host.as_str())
}

/// A page of `rows` (newest first) as Mastodon's admin lists are paged: by
/// id, `limit` up to 200 (default 100), with a `Link` header.
pub(crate) fn page_of<T>(
    req: &HttpRequest,
    tenant: &Tenant,
    params: &Params,
    rows: Vec<T>,
    id: impl Fn(&T) -> i64,
    render: impl Fn(&T) -> Value,
) -> Result<HttpResponse, WebError> {
    let mut page = paging::page_with_max(params, 200)?;
    if params.str("limit").is_none_or(str::is_empty) {
        page.limit = 100;
    }
    let mut rows: Vec<T> = rows
        .into_iter()
        .filter(|r| page.max_id.is_none_or(|max| id(r) < max))
        .filter(|r| page.since_id.is_none_or(|since| id(r) > since))
        .filter(|r| page.min_id.is_none_or(|min| id(r) > min))
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(id(r)));
    let limit = usize::try_from(page.limit).unwrap_or(100);
    let rows: Vec<T> = if page.ascending() {
        let skip = rows.len().saturating_sub(limit);
        rows.into_iter().skip(skip).collect()
    } else {
        rows.into_iter().take(limit).collect()
    };
    let ids: Vec<i64> = rows.iter().map(&id).collect();
    Ok(paging::respond(req, &tenant.urls.base(), &ids, rows.iter().map(render).collect()))
}

fn bool_param(params: &Params, key: &str) -> Result<Option<bool>, WebError> {
    match params.str(key) {
        None => Ok(None),
        Some(_) => {
            params.bool(key).map(Some).ok_or_else(|| WebError::Unprocessable(format!("{key} must be a boolean")))
        }
    }
}

/// The options in `params`, over `base` (a block's current ones when updating).
fn options(params: &Params, base: BlockOptions) -> Result<BlockOptions, WebError> {
    let severity = match params.str("severity").filter(|s| !s.is_empty()) {
        Some(text) => Severity::parse(text)
            .ok_or_else(|| WebError::Unprocessable("Validation failed: Severity is not included in the list".into()))?,
        None => base.severity,
    };
    Ok(BlockOptions {
        severity,
        reject_media: bool_param(params, "reject_media")?.unwrap_or(base.reject_media),
        reject_reports: bool_param(params, "reject_reports")?.unwrap_or(base.reject_reports),
        private_comment: params.str("private_comment").map(str::to_string).unwrap_or(base.private_comment),
        public_comment: params.str("public_comment").map(str::to_string).unwrap_or(base.public_comment),
        obfuscate: bool_param(params, "obfuscate")?.unwrap_or(base.obfuscate),
    })
}

fn options_of(block: &DomainBlock) -> BlockOptions {
    BlockOptions {
        severity: block.severity(),
        reject_media: block.reject_media,
        reject_reports: block.reject_reports,
        private_comment: block.private_comment.clone(),
        public_comment: block.public_comment.clone(),
        obfuscate: block.obfuscate,
    }
}

/// `GET /api/v1/admin/domain_blocks`
async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff<scope::AdminReadDomainBlocks, Administer>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let tenant = &staff.user.tenant;
    let rows = domain_blocks::list_blocks(&mut conn, Some(tenant.id)).await?;
    page_of(&req, tenant, &params, rows, |b| b.id, entities::domain_block)
}

/// `GET /api/v1/admin/domain_blocks/{id}`
async fn show(
    state: web::Data<AppState>,
    staff: Staff<scope::AdminReadDomainBlocks, Administer>,
    id: Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let block =
        domain_blocks::get(&mut conn, Some(staff.user.tenant.id), id.0).await?.ok_or_else(crate::error::not_found)?;
    Ok(HttpResponse::Ok().json(entities::domain_block(&block)))
}

/// `POST /api/v1/admin/domain_blocks`: 422 when an equal or stronger block exists.
async fn create(
    state: web::Data<AppState>,
    staff: Staff<scope::AdminWriteDomainBlocks, Administer>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let domain = params.str("domain").filter(|d| !d.trim().is_empty());
    let domain = domain.ok_or_else(|| WebError::Unprocessable("Validation failed: Domain can't be blank".into()))?;
    let options = options(&params, BlockOptions::default())?;
    let mut conn = state.pool.get().await?;
    let block = service::create(&mut conn, &acting(&staff), Some(staff.user.tenant.id), domain, options).await?;
    Ok(HttpResponse::Ok().json(entities::domain_block(&block)))
}

/// `PUT /api/v1/admin/domain_blocks/{id}`: the given fields change.
async fn update(
    state: web::Data<AppState>,
    staff: Staff<scope::AdminWriteDomainBlocks, Administer>,
    id: Id,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let scope = Some(staff.user.tenant.id);
    let mut conn = state.pool.get().await?;
    let block = domain_blocks::get(&mut conn, scope, id.0).await?.ok_or_else(crate::error::not_found)?;
    let options = options(&params, options_of(&block))?;
    let block = service::update(&mut conn, &acting(&staff), scope, id.0, options).await?;
    Ok(HttpResponse::Ok().json(entities::domain_block(&block)))
}

/// `DELETE /api/v1/admin/domain_blocks/{id}`
async fn delete(
    state: web::Data<AppState>,
    staff: Staff<scope::AdminWriteDomainBlocks, Administer>,
    id: Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    service::delete(&mut conn, &acting(&staff), Some(staff.user.tenant.id), id.0).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

/// `GET /api/v1/instance/domain_blocks`: the blocks applying on this tenant
/// (its own and host-wide), when it publishes them: `disabled` 404, `users`
/// a signed-in user's token, `all` anyone.
async fn published(state: web::Data<AppState>, tenant: Tenant, auth: MaybeAuth) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    match domain_blocks::publish(&mut conn, tenant.id).await? {
        Publish::Disabled => return Err(crate::error::not_found()),
        Publish::Users if auth.viewer().is_none() => {
            return Err(WebError::Unauthorized("This API requires an authenticated user".into()));
        }
        Publish::Users | Publish::All => {}
    }
    let blocks = domain_blocks::applicable_blocks(&mut conn, tenant.id).await?;
    let body: Vec<Value> = blocks
        .iter()
        .filter(|b| b.severity() != Severity::Noop || b.reject_media || b.reject_reports)
        .map(entities::public_block)
        .collect();
    Ok(HttpResponse::Ok().json(body))
}
