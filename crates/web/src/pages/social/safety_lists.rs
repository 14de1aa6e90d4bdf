//! `/settings/mutes`, `/settings/blocks` and `/settings/domain_blocks`: whom
//! a person muted or blocked and which servers they blocked, with the undo
//! buttons (the account buttons post to `/accounts/{id}/unmute|unblock`) and
//! a form to block a server, through the action behind `/api/v1/domain_blocks`.

use super::{actor, cards};
use crate::pages::csrf::CsrfForm;
use crate::pages::session::Me;
use crate::pages::{Page, PageError, see_other};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use kereru_service::ServiceError;
use kereru_service::safety::domain_blocks;
use kereru_store::account_domain_blocks;
use kereru_store::page::Page as StorePage;
use kereru_store::relationships;

const PER_PAGE: i64 = 40;

#[derive(serde::Deserialize)]
pub struct Paging {
    max_id: Option<i64>,
}

fn page_of(query: &Paging) -> StorePage {
    StorePage { limit: PER_PAGE, max_id: query.max_id, ..StorePage::default() }
}

fn next_of<T>(rows: &[(i64, T)]) -> Option<i64> {
    (rows.len() as i64 == PER_PAGE).then(|| rows.last().map(|(id, _)| *id)).flatten()
}

/// `GET /settings/mutes` and `GET /settings/blocks`
async fn people(
    state: &AppState,
    tenant: &Tenant,
    me: &Me,
    query: &Paging,
    section: &str,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let rows = if section == "mutes" {
        relationships::mutes_of(&mut conn, me.account.id, page_of(query)).await?
    } else {
        relationships::blocks_of(&mut conn, me.account.id, page_of(query)).await?
    };
    let ids: Vec<i64> = rows.iter().map(|(_, a)| a.0).collect();
    let people = cards::cards(&mut conn, tenant, Some(&me.account), &ids).await?;
    Page::new("settings/safety_lists.html", tenant, &me.viewer)
        .insert("nav", "settings")
        .insert("section", section)
        .insert("people", &people)
        .insert("next_max_id", &next_of(&rows))
        .render(state)
}

pub async fn mutes(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    query: web::Query<Paging>,
) -> Result<HttpResponse, PageError> {
    people(&state, &tenant, &me, &query, "mutes").await
}

pub async fn blocks(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    query: web::Query<Paging>,
) -> Result<HttpResponse, PageError> {
    people(&state, &tenant, &me, &query, "blocks").await
}

async fn render_domains(
    state: &AppState,
    tenant: &Tenant,
    me: &Me,
    query: &Paging,
    typed: &str,
    error: Option<String>,
    notice: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let rows = account_domain_blocks::list(&mut conn, me.account.id, page_of(query)).await?;
    let hosts: Vec<&str> = rows.iter().map(|(_, h)| h.as_str()).collect();
    Page::new("settings/safety_lists.html", tenant, &me.viewer)
        .insert("nav", "settings")
        .insert("section", "domain_blocks")
        .insert("hosts", &hosts)
        .insert("next_max_id", &next_of(&rows))
        .insert("typed", typed)
        .insert("error", &error)
        .insert("notice", &notice)
        .status(if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK })
        .render(state)
}

#[derive(serde::Deserialize)]
pub struct DomainNotice {
    max_id: Option<i64>,
    blocked: Option<String>,
    unblocked: Option<String>,
}

/// `GET /settings/domain_blocks`
pub async fn domains(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    query: web::Query<DomainNotice>,
) -> Result<HttpResponse, PageError> {
    let notice = if query.blocked.is_some() {
        Some("The server is blocked.")
    } else {
        query.unblocked.is_some().then_some("The server is no longer blocked.")
    };
    render_domains(&state, &tenant, &me, &Paging { max_id: query.max_id }, "", None, notice).await
}

#[derive(serde::Deserialize)]
pub struct DomainForm {
    domain: String,
}

/// `POST /settings/domain_blocks`
pub async fn block_domain(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    CsrfForm(form): CsrfForm<DomainForm>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    match domain_blocks::block(&mut conn, &actor(&tenant, &me), &form.domain).await {
        Ok(_) => Ok(see_other("/settings/domain_blocks?blocked=1")),
        Err(ServiceError::Invalid(message)) => {
            drop(conn);
            render_domains(&state, &tenant, &me, &Paging { max_id: None }, &form.domain, Some(message), None).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /settings/domain_blocks/remove`
pub async fn unblock_domain(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    CsrfForm(form): CsrfForm<DomainForm>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    domain_blocks::unblock(&mut conn, &actor(&tenant, &me), &form.domain).await?;
    Ok(see_other("/settings/domain_blocks?unblocked=1"))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/mutes", web::get().to(mutes))
        .route("/settings/blocks", web::get().to(blocks))
        .route("/settings/domain_blocks", web::get().to(domains))
        .route("/settings/domain_blocks", web::post().to(block_domain))
        .route("/settings/domain_blocks/remove", web::post().to(unblock_domain));
}
