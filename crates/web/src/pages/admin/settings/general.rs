//! `/admin/settings`: the tenant's name, description, registration mode and
//! whether its users may invite people (admins only); the limited federation
//! switch posts to `federation`.

use super::{Done, admin, label};
use crate::pages::accounts::FieldErrors;
use crate::pages::admin::StaffPage;
use crate::pages::csrf::CsrfForm;
use crate::pages::{Page, PageError, see_other};
use crate::staff::Administer;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use kereru_service::tenant_admin::{self, MAX_DESCRIPTION, MAX_NAME, Settings};
use kereru_store::domains::Registrations;
use kereru_store::{about, invites, limited_federation};

/// The form as typed (or as stored, the first time).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    registrations: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    invites_by_users: Option<String>,
    /// Shown, not read: limited federation is switched by its own form (`federation`).
    #[serde(default, skip_deserializing)]
    limited_federation: bool,
}

fn render(
    state: &AppState,
    tenant: &Tenant,
    page: &StaffPage<Administer>,
    form: &SettingsForm,
    errors: &FieldErrors,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    Page::new("admin/settings.html", tenant, &page.me.viewer)
        .insert("nav", "admin")
        .insert("section", "settings")
        .insert("staff", &page.nav())
        .insert("form", form)
        .insert("errors", errors)
        .insert("notice", &notice)
        .insert("max_name", &MAX_NAME)
        .insert("max_description", &MAX_DESCRIPTION)
        .status(status)
        .render(state)
}

/// `GET /admin/settings`
pub async fn form(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let form = SettingsForm {
        name: tenant.name.clone(),
        description: about::description(&mut conn, tenant.id).await?,
        registrations: tenant.registrations.as_str().to_string(),
        invites_by_users: invites::users_may_invite(&mut conn, tenant.id).await?.then(|| "on".to_string()),
        limited_federation: limited_federation::is_on(&mut conn, tenant.id).await?,
    };
    drop(conn);
    let notice = query.done.as_ref().map(|_| "The settings are saved.");
    render(&state, &tenant, &page, &form, &FieldErrors::new(), notice, StatusCode::OK)
}

/// `POST /admin/settings`
pub async fn save(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    CsrfForm(mut form): CsrfForm<SettingsForm>,
) -> Result<HttpResponse, PageError> {
    let mut errors = FieldErrors::new();
    let registrations = form.registrations.parse::<Registrations>();
    if registrations.is_err() {
        errors.insert("registrations", "Choose who may sign up.".into());
    }
    let settings = Settings {
        name: form.name.clone(),
        description: form.description.clone(),
        registrations: registrations.unwrap_or(Registrations::Closed),
        invites_by_users: form.invites_by_users.is_some(),
    };
    for (field, problem) in tenant_admin::check_settings(&settings) {
        errors.insert(field, problem);
    }
    if !errors.is_empty() {
        form.limited_federation = limited_federation::is_on(&mut *state.pool.get().await?, tenant.id).await?;
        return render(&state, &tenant, &page, &form, &errors, None, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let label = label(&tenant, &page);
    let mut conn = state.pool.get().await?;
    tenant_admin::update_settings(&mut conn, admin(&tenant, &page, &label), settings).await?;
    Ok(see_other("/admin/settings?done=saved"))
}
