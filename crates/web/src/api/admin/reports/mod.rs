//! Reports through the client API: `POST /api/v1/reports` for everyone
//! ([`file`]), and Mastodon's admin API for moderators
//! (`/api/v1/admin/reports`: list, show, assign_to_self, unassign, resolve,
//! reopen, and `PUT` to change category and rules) with Admin::Report ([`entity`]).

pub mod entity;
pub mod file;

use crate::api::paging;
use crate::error::{WebError, not_found};
use crate::extract::{Id, scope};
use crate::params::Params;
use crate::staff::{Moderate, Staff};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_service::moderation::reports::{Changes, update as update_report};
use kereru_service::reports::{self as service, Step};
use kereru_store::reports::{self, Filter};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/reports", web::post().to(file::create))
        .route("/api/v1/admin/reports", web::get().to(list))
        .route("/api/v1/admin/reports/{id}", web::get().to(show))
        .route("/api/v1/admin/reports/{id}", web::put().to(update))
        .route("/api/v1/admin/reports/{id}/assign_to_self", web::post().to(assign_to_self))
        .route("/api/v1/admin/reports/{id}/unassign", web::post().to(unassign))
        .route("/api/v1/admin/reports/{id}/resolve", web::post().to(resolve))
        .route("/api/v1/admin/reports/{id}/reopen", web::post().to(reopen));
}

type Reader = Staff<scope::AdminReadReports, Moderate>;
type Writer = Staff<scope::AdminWriteReports, Moderate>;

fn id_filter(params: &Params, key: &str) -> Result<Option<i64>, WebError> {
    match params.str(key).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| WebError::Unprocessable(format!("{key} must be an id"))),
    }
}

/// `GET /api/v1/admin/reports`: open reports unless `resolved` is true, newest first.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Reader,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let page = paging::page_with_max(&params, 200)?;
    // Open ones by default; `resolved` the resolved ones; both `resolved` and `unresolved` all (Mastodon.py).
    let resolved = match (params.bool("resolved").unwrap_or(false), params.bool("unresolved").unwrap_or(false)) {
        (true, true) => None,
        (resolved, _) => Some(resolved),
    };
    let filter = Filter {
        resolved,
        account_id: id_filter(&params, "account_id")?,
        target_account_id: id_filter(&params, "target_account_id")?,
    };
    let tenant = &staff.user.tenant;
    let mut conn = state.pool.get().await?;
    let rows = reports::list(&mut conn, tenant.id, filter, page).await?;
    let mut body = Vec::with_capacity(rows.len());
    for report in &rows {
        body.push(entity::admin_report(&mut conn, tenant, staff.user.id(), report).await?);
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    Ok(paging::respond(&req, &tenant.urls.base(), &ids, body))
}

/// `GET /api/v1/admin/reports/{id}`
pub async fn show(state: web::Data<AppState>, staff: Reader, id: Id) -> Result<HttpResponse, WebError> {
    let tenant = &staff.user.tenant;
    let mut conn = state.pool.get().await?;
    let report = reports::get(&mut conn, tenant.id, id.0).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(entity::admin_report(&mut conn, tenant, staff.user.id(), &report).await?))
}

/// `PUT /api/v1/admin/reports/{id}`: change `category` and `rule_ids` (Mastodon 4).
pub async fn update(
    state: web::Data<AppState>,
    staff: Writer,
    id: Id,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let rule_ids = if params.list("rule_ids").is_empty() {
        None
    } else {
        Some(
            params
                .list("rule_ids")
                .iter()
                .filter(|v| !v.is_empty())
                .map(|v| v.parse().map_err(|_| WebError::Unprocessable("rule_ids must be ids".into())))
                .collect::<Result<Vec<i64>, _>>()?,
        )
    };
    let changes = Changes { category: params.str("category").map(str::to_string), rule_ids };
    let tenant = &staff.user.tenant;
    let mut conn = state.pool.get().await?;
    let report = update_report(&mut conn, &staff.user.actor(), id.0, &changes).await?;
    Ok(HttpResponse::Ok().json(entity::admin_report(&mut conn, tenant, staff.user.id(), &report).await?))
}

async fn step(state: &AppState, staff: &Writer, id: i64, step: Step) -> Result<HttpResponse, WebError> {
    let tenant = &staff.user.tenant;
    let mut conn = state.pool.get().await?;
    let report = service::act(&mut conn, &staff.user.actor(), id, step).await?;
    Ok(HttpResponse::Ok().json(entity::admin_report(&mut conn, tenant, staff.user.id(), &report).await?))
}

/// `POST /api/v1/admin/reports/{id}/assign_to_self`
pub async fn assign_to_self(state: web::Data<AppState>, staff: Writer, id: Id) -> Result<HttpResponse, WebError> {
    step(&state, &staff, id.0, Step::AssignToSelf).await
}

/// `POST /api/v1/admin/reports/{id}/unassign`
pub async fn unassign(state: web::Data<AppState>, staff: Writer, id: Id) -> Result<HttpResponse, WebError> {
    step(&state, &staff, id.0, Step::Unassign).await
}

/// `POST /api/v1/admin/reports/{id}/resolve` (Kererū also reads `action_taken`, what was done).
pub async fn resolve(
    state: web::Data<AppState>,
    staff: Writer,
    id: Id,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let text = params.str("action_taken").unwrap_or("").to_string();
    step(&state, &staff, id.0, Step::Resolve(text)).await
}

/// `POST /api/v1/admin/reports/{id}/reopen`
pub async fn reopen(state: web::Data<AppState>, staff: Writer, id: Id) -> Result<HttpResponse, WebError> {
    step(&state, &staff, id.0, Step::Reopen).await
}
