//! `/admin/domain_blocks` (a tenant's admins: its own blocks and whether
//! `/api/v1/instance/domain_blocks` shows them) and `/admin/host/domain_blocks`
//! (host admins: the blocks every tenant has). List, add with severity,
//! options and comments, edit, remove with confirmation; the writes are
//! `kereru_service::blocks::domain_blocks`'s, as the admin API's.

mod form;

use super::StaffPage;
use crate::pages::csrf::CsrfForm;
use crate::pages::{Page, PageError, see_other};
use crate::staff::{Administer, HostAdmin};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use form::{BlockForm, Errors, PublishForm};
use kereru_service::ServiceError;
use kereru_service::blocks::{Acting, domain_blocks as service};
use kereru_store::domain_blocks::{self, DomainBlock, Publish, Scope};
use serde_json::{Value, json};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/domain_blocks", web::get().to(tenant_list))
        .route("/admin/domain_blocks", web::post().to(tenant_create))
        .route("/admin/domain_blocks/publish", web::post().to(tenant_publish))
        .route("/admin/domain_blocks/{id}/edit", web::get().to(tenant_edit))
        .route("/admin/domain_blocks/{id}", web::post().to(tenant_update))
        .route("/admin/domain_blocks/{id}/delete", web::post().to(tenant_delete))
        .route("/admin/host/domain_blocks", web::get().to(host_list))
        .route("/admin/host/domain_blocks", web::post().to(host_create))
        .route("/admin/host/domain_blocks/{id}/edit", web::get().to(host_edit))
        .route("/admin/host/domain_blocks/{id}", web::post().to(host_update))
        .route("/admin/host/domain_blocks/{id}/delete", web::post().to(host_delete));
}

/// Which list a page shows: the tenant's own, or the host's.
struct Place<'a, R> {
    page: &'a StaffPage<R>,
    tenant: &'a Tenant,
    scope: Scope,
}

impl<R> Place<'_, R> {
    fn base(&self) -> &'static str {
        if self.scope.is_some() { "/admin/domain_blocks" } else { "/admin/host/domain_blocks" }
    }

    fn acting(&self) -> Acting {
        let account = &self.page.me.account;
        Acting::account(account.id, &account.username, self.tenant.domain.account_host.as_str())
    }

    fn page(&self, template: &'static str) -> Page {
        Page::new(template, self.tenant, &self.page.me.viewer)
            .insert("nav", "admin")
            .insert("staff", &self.page.nav())
            .insert("section", if self.scope.is_some() { "domain_blocks" } else { "host_domain_blocks" })
            .insert("base", self.base())
            .insert("host_wide", &self.scope.is_none())
    }
}

fn row(block: &DomainBlock) -> Value {
    let mut options = Vec::new();
    if block.reject_media {
        options.push("reject media");
    }
    if block.reject_reports {
        options.push("reject reports");
    }
    if block.obfuscate {
        options.push("obfuscated");
    }
    json!({
        "id": block.id.to_string(),
        "host": block.host,
        "severity": block.severity().as_str(),
        "severity_label": form::severity_label(block.severity()),
        "options": options.join(", "),
        "public_comment": block.public_comment,
        "private_comment": block.private_comment,
        "created": block.created_at.format("%-d %b %Y").to_string(),
    })
}

async fn list_page<R>(
    state: &AppState,
    place: &Place<'_, R>,
    typed: &BlockForm,
    errors: &Errors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let blocks: Vec<Value> = domain_blocks::list_blocks(&mut conn, place.scope).await?.iter().map(row).collect();
    let mut page = place.page("admin/domain_blocks.html").insert("blocks", &blocks);
    if let Some(tenant) = place.scope {
        let host_wide: Vec<Value> = domain_blocks::list_blocks(&mut conn, None).await?.iter().map(row).collect();
        let publish = domain_blocks::publish(&mut conn, tenant).await?;
        page = page.insert("host_blocks", &host_wide).insert("publish", publish.as_str());
    }
    page.insert("form", typed).insert("errors", errors).status(status).render(state)
}

async fn list<R>(state: &AppState, place: Place<'_, R>) -> Result<HttpResponse, PageError> {
    list_page(state, &place, &BlockForm::default(), &Errors::new(), StatusCode::OK).await
}

async fn create<R>(state: &AppState, place: Place<'_, R>, typed: BlockForm) -> Result<HttpResponse, PageError> {
    let mut errors = Errors::new();
    let options = match typed.options() {
        Ok(options) => options,
        Err((field, message)) => {
            errors.insert(field, message);
            return list_page(state, &place, &typed, &errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    if typed.domain.trim().is_empty() {
        errors.insert("domain", "Enter the domain to block.".into());
        return list_page(state, &place, &typed, &errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let mut conn = state.pool.get().await?;
    match service::create(&mut conn, &place.acting(), place.scope, &typed.domain, options).await {
        Ok(_) => Ok(see_other(place.base())),
        Err(ServiceError::Invalid(message)) => {
            drop(conn);
            errors.insert("domain", message);
            list_page(state, &place, &typed, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(other) => Err(other.into()),
    }
}

async fn edit_page<R>(
    state: &AppState,
    place: &Place<'_, R>,
    id: i64,
    typed: Option<&BlockForm>,
    errors: &Errors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let block = domain_blocks::get(&mut conn, place.scope, id).await?.ok_or_else(not_found)?;
    let typed = typed.cloned().unwrap_or_else(|| BlockForm::of(&block));
    place
        .page("admin/domain_block_edit.html")
        .insert("block", &row(&block))
        .insert("form", &typed)
        .insert("errors", errors)
        .status(status)
        .render(state)
}

async fn update<R>(
    state: &AppState,
    place: Place<'_, R>,
    id: i64,
    typed: BlockForm,
) -> Result<HttpResponse, PageError> {
    let mut errors = Errors::new();
    let options = match typed.options() {
        Ok(options) => options,
        Err((field, message)) => {
            errors.insert(field, message);
            return edit_page(state, &place, id, Some(&typed), &errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let mut conn = state.pool.get().await?;
    match service::update(&mut conn, &place.acting(), place.scope, id, options).await {
        Ok(_) => Ok(see_other(place.base())),
        Err(ServiceError::NotFound) => Err(not_found()),
        Err(other) => Err(other.into()),
    }
}

async fn delete<R>(state: &AppState, place: Place<'_, R>, id: i64) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    match service::delete(&mut conn, &place.acting(), place.scope, id).await {
        Ok(_) => Ok(see_other(place.base())),
        Err(ServiceError::NotFound) => Err(not_found()),
        Err(other) => Err(other.into()),
    }
}

/// Another scope's block, or no such block: the 404 page.
fn not_found() -> PageError {
    PageError::Web(crate::error::not_found())
}

fn id_of(path: &web::Path<String>) -> Result<i64, PageError> {
    path.parse().map_err(|_| not_found())
}

async fn tenant_list(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
) -> Result<HttpResponse, PageError> {
    list(&state, Place { page: &page, tenant: &tenant, scope: Some(tenant.id) }).await
}

async fn tenant_create(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    CsrfForm(typed): CsrfForm<BlockForm>,
) -> Result<HttpResponse, PageError> {
    create(&state, Place { page: &page, tenant: &tenant, scope: Some(tenant.id) }, typed).await
}

async fn tenant_edit(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let place = Place { page: &page, tenant: &tenant, scope: Some(tenant.id) };
    edit_page(&state, &place, id_of(&path)?, None, &Errors::new(), StatusCode::OK).await
}

async fn tenant_update(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    path: web::Path<String>,
    CsrfForm(typed): CsrfForm<BlockForm>,
) -> Result<HttpResponse, PageError> {
    update(&state, Place { page: &page, tenant: &tenant, scope: Some(tenant.id) }, id_of(&path)?, typed).await
}

async fn tenant_delete(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    path: web::Path<String>,
    CsrfForm(_): CsrfForm<form::Nothing>,
) -> Result<HttpResponse, PageError> {
    delete(&state, Place { page: &page, tenant: &tenant, scope: Some(tenant.id) }, id_of(&path)?).await
}

/// `POST /admin/domain_blocks/publish`: who sees the list at `/api/v1/instance/domain_blocks`.
async fn tenant_publish(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    CsrfForm(typed): CsrfForm<PublishForm>,
) -> Result<HttpResponse, PageError> {
    let place = Place { page: &page, tenant: &tenant, scope: Some(tenant.id) };
    let Some(publish) = Publish::parse(&typed.show_domain_blocks) else {
        let mut errors = Errors::new();
        errors.insert("show_domain_blocks", "Choose who may see the list.".into());
        return list_page(&state, &place, &BlockForm::default(), &errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let mut conn = state.pool.get().await?;
    service::set_publish(&mut conn, &place.acting(), tenant.id, publish).await?;
    Ok(see_other("/admin/domain_blocks"))
}

async fn host_list(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<HostAdmin>,
) -> Result<HttpResponse, PageError> {
    list(&state, Place { page: &page, tenant: &tenant, scope: None }).await
}

async fn host_create(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<HostAdmin>,
    CsrfForm(typed): CsrfForm<BlockForm>,
) -> Result<HttpResponse, PageError> {
    create(&state, Place { page: &page, tenant: &tenant, scope: None }, typed).await
}

async fn host_edit(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<HostAdmin>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let place = Place { page: &page, tenant: &tenant, scope: None };
    edit_page(&state, &place, id_of(&path)?, None, &Errors::new(), StatusCode::OK).await
}

async fn host_update(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<HostAdmin>,
    path: web::Path<String>,
    CsrfForm(typed): CsrfForm<BlockForm>,
) -> Result<HttpResponse, PageError> {
    update(&state, Place { page: &page, tenant: &tenant, scope: None }, id_of(&path)?, typed).await
}

async fn host_delete(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<HostAdmin>,
    path: web::Path<String>,
    CsrfForm(_): CsrfForm<form::Nothing>,
) -> Result<HttpResponse, PageError> {
    delete(&state, Place { page: &page, tenant: &tenant, scope: None }, id_of(&path)?).await
}
