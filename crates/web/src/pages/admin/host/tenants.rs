//! `/admin/host/tenants`: every tenant of the host with its state and the
//! DNS and TLS status of its hosts; add one (then see the DNS records to
//! set), suspend, activate, and remove after typing its host (host admins only).

use super::status::{self, HostStatus};
use crate::pages::accounts::FieldErrors;
use crate::pages::admin::StaffPage;
use crate::pages::admin::settings::{Done, Nothing, label};
use crate::pages::csrf::CsrfForm;
use crate::pages::{Page, PageError, see_other};
use crate::staff::HostAdmin;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use kereru_core::HostName;
use kereru_core::email::parse_email;
use kereru_service::ServiceError;
use kereru_service::tenants::{self, By, NewTenant};
use kereru_store::DomainId;
use kereru_store::domains::{self, Domain, DomainState, Registrations};

#[derive(serde::Serialize)]
struct Row {
    id: String,
    host: String,
    name: String,
    state: &'static str,
    registrations: &'static str,
    hosts: Vec<HostStatus>,
    here: bool,
}

/// The add form as typed.
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub struct AddForm {
    #[serde(default)]
    host: String,
    #[serde(default)]
    service_host: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    registrations: String,
}

fn hosts_of(domain: &Domain) -> Vec<String> {
    let mut hosts = vec![domain.account_host.to_string()];
    hosts.extend(domain.service_host.as_ref().map(|h| h.to_string()));
    hosts
}

/// An unknown tenant id is the 404 page.
fn map_domain_error(error: domains::DomainError) -> PageError {
    match error {
        domains::DomainError::NotFound(_) => ServiceError::NotFound.into(),
        other => PageError::Web(other.into()),
    }
}

async fn render_list(
    state: &AppState,
    tenant: &Tenant,
    page: &StaffPage<HostAdmin>,
    form: &AddForm,
    errors: &FieldErrors,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let all = domains::list(&mut conn).await.map_err(map_domain_error)?;
    let mut rows = Vec::with_capacity(all.len());
    for domain in &all {
        rows.push(Row {
            id: domain.id.0.to_string(),
            host: domain.account_host.to_string(),
            name: domain.name.clone(),
            state: domain.state.as_str(),
            registrations: domain.registrations.as_str(),
            hosts: status::hosts(&mut conn, &state.settings.hosting, &hosts_of(domain)).await?,
            here: domain.id == tenant.id,
        });
    }
    drop(conn);
    Page::new("admin/host_tenants.html", tenant, &page.me.viewer)
        .insert("nav", "admin")
        .insert("section", "tenants")
        .insert("staff", &page.nav())
        .insert("tenants", &rows)
        .insert("form", form)
        .insert("errors", errors)
        .insert("notice", &notice)
        .status(status)
        .render(state)
}

/// `GET /admin/host/tenants`
pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<HostAdmin>,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let notice = match query.done.as_deref() {
        Some("removed") => Some("The tenant is removed with all of its accounts."),
        _ => None,
    };
    let form = AddForm { registrations: "closed".into(), ..AddForm::default() };
    render_list(&state, &tenant, &page, &form, &FieldErrors::new(), notice, StatusCode::OK).await
}

/// `POST /admin/host/tenants`: adds a tenant and shows the DNS records it needs.
pub async fn add(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<HostAdmin>,
    CsrfForm(form): CsrfForm<AddForm>,
) -> Result<HttpResponse, PageError> {
    let mut errors = FieldErrors::new();
    let account_host = HostName::parse(&form.host).map_err(|e| errors.insert("host", format!("{e}."))).ok();
    let service_host = match form.service_host.trim() {
        "" => None,
        host => HostName::parse(host).map_err(|e| errors.insert("service_host", format!("{e}."))).ok(),
    };
    let owner_email = match form.owner.trim() {
        "" => None,
        owner => parse_email(owner).map_err(|e| errors.insert("owner", format!("{e}."))).ok(),
    };
    let registrations = form.registrations.parse::<Registrations>().unwrap_or_else(|_| {
        errors.insert("registrations", "Choose who may sign up.".into());
        Registrations::Closed
    });
    if let Err(ServiceError::Invalid(message)) = tenants::tenant_name(Some(form.name.clone())) {
        errors.insert("name", message);
    }
    let Some(account_host) = account_host.filter(|_| errors.is_empty()) else {
        return render_list(&state, &tenant, &page, &form, &errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let label = label(&tenant, &page);
    let by = By::HostAdmin { tenant: tenant.id, account: page.me.account.id, label: &label };
    let name = Some(form.name.clone());
    let new = NewTenant { account_host, service_host, registrations, name, owner_email };
    let added = match tenants::refuse_reserved(&new, state.settings.provider.host.as_ref()) {
        Ok(()) => {
            let mut conn = state.pool.get().await?;
            tenants::add(&mut conn, by, new).await
        }
        Err(refused) => Err(refused),
    };
    match added {
        Ok(domain) => Ok(see_other(&format!("/admin/host/tenants/{}?done=added", domain.id.0))),
        Err(ServiceError::Invalid(message)) => {
            errors.insert("host", message);
            render_list(&state, &tenant, &page, &form, &errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(other) => Err(other.into()),
    }
}

async fn render_show(
    state: &AppState,
    tenant: &Tenant,
    page: &StaffPage<HostAdmin>,
    id: i64,
    notice: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let domain = domains::get(&mut conn, DomainId(id)).await.map_err(map_domain_error)?;
    let users = kereru_store::admin_overview::overview(&mut conn, domain.id).await?.accounts;
    let hosts = status::hosts(&mut conn, &state.settings.hosting, &hosts_of(&domain)).await?;
    drop(conn);
    let hosting = &state.settings.hosting;
    let records = tenants::dns_records(&domain, &hosting.public_addresses);
    Page::new("admin/host_tenant.html", tenant, &page.me.viewer)
        .insert("nav", "admin")
        .insert("section", "tenants")
        .insert("staff", &page.nav())
        .insert("id", &domain.id.0.to_string())
        .insert("host", domain.account_host.as_str())
        .insert("service_host", &domain.service_host.as_ref().map(|h| h.to_string()))
        .insert("name", &domain.name)
        .insert("state", domain.state.as_str())
        .insert("registrations", domain.registrations.as_str())
        .insert("owner", &domain.owner_email)
        .insert("users", &users)
        .insert("created", &domain.created_at.format("%-d %b %Y").to_string())
        .insert("records", &records)
        .insert("addresses_known", &!hosting.public_addresses.is_empty())
        .insert("hosts", &hosts)
        .insert("here", &(domain.id == tenant.id))
        .insert("notice", &notice)
        .insert("error", &error)
        .status(status)
        .render(state)
}

/// `GET /admin/host/tenants/{id}`: one tenant, the DNS records it needs and its status.
pub async fn show(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<HostAdmin>,
    path: web::Path<i64>,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let notice = match query.done.as_deref() {
        Some("added") => Some("The tenant is added. Set the DNS records below so that it can be reached."),
        Some("suspended") => Some("The tenant is suspended: it answers 404 everywhere and keeps its data."),
        Some("activated") => Some("The tenant is active again."),
        _ => None,
    };
    render_show(&state, &tenant, &page, path.into_inner(), notice, None, StatusCode::OK).await
}

async fn change_state(
    state: &AppState,
    tenant: &Tenant,
    page: &StaffPage<HostAdmin>,
    id: i64,
    to: DomainState,
) -> Result<HttpResponse, PageError> {
    let label = label(tenant, page);
    let by = By::HostAdmin { tenant: tenant.id, account: page.me.account.id, label: &label };
    let mut conn = state.pool.get().await?;
    let changed = tenants::set_state(&mut conn, by, DomainId(id), to).await;
    drop(conn);
    match changed {
        Ok(_) => {
            let done = if to == DomainState::Active { "activated" } else { "suspended" };
            Ok(see_other(&format!("/admin/host/tenants/{id}?done={done}")))
        }
        Err(ServiceError::Invalid(message)) => {
            render_show(state, tenant, page, id, None, Some(&message), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /admin/host/tenants/{id}/suspend` (the form asks for confirmation).
pub async fn suspend(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<HostAdmin>,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<Nothing>,
) -> Result<HttpResponse, PageError> {
    change_state(&state, &tenant, &page, path.into_inner(), DomainState::Suspended).await
}

/// `POST /admin/host/tenants/{id}/activate`
pub async fn activate(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<HostAdmin>,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<Nothing>,
) -> Result<HttpResponse, PageError> {
    change_state(&state, &tenant, &page, path.into_inner(), DomainState::Active).await
}

async fn render_remove(
    state: &AppState,
    tenant: &Tenant,
    page: &StaffPage<HostAdmin>,
    id: i64,
    error: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let domain = domains::get(&mut conn, DomainId(id)).await.map_err(map_domain_error)?;
    let users = kereru_store::admin_overview::overview(&mut conn, domain.id).await?.accounts;
    drop(conn);
    Page::new("admin/host_tenant_remove.html", tenant, &page.me.viewer)
        .insert("nav", "admin")
        .insert("section", "tenants")
        .insert("staff", &page.nav())
        .insert("id", &domain.id.0.to_string())
        .insert("host", domain.account_host.as_str())
        .insert("users", &users)
        .insert("here", &(domain.id == tenant.id))
        .insert("error", &error)
        .status(status)
        .render(state)
}

/// `GET /admin/host/tenants/{id}/remove`: the confirmation step.
pub async fn remove_form(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<HostAdmin>,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    render_remove(&state, &tenant, &page, path.into_inner(), None, StatusCode::OK).await
}

#[derive(serde::Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    confirm: String,
}

/// `POST /admin/host/tenants/{id}/remove`: removes it when `confirm` is its host.
pub async fn remove(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<HostAdmin>,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<RemoveForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let label = label(&tenant, &page);
    let by = By::HostAdmin { tenant: tenant.id, account: page.me.account.id, label: &label };
    let mut conn = state.pool.get().await?;
    let removed = tenants::remove(&mut conn, by, DomainId(id), &form.confirm).await;
    drop(conn);
    match removed {
        Ok(_) => Ok(see_other("/admin/host/tenants?done=removed")),
        Err(ServiceError::Invalid(message)) => {
            render_remove(&state, &tenant, &page, id, Some(&message), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(other) => Err(other.into()),
    }
}
