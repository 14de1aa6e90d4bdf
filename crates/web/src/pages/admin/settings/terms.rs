//! `/admin/terms`: the tenant's terms of service, one text per effective
//! date, as apps read them at `/api/v1/instance/terms_of_service`: publish a
//! version (or change that date's), withdraw one (admins only).

use super::{Done, Nothing, admin, label};
use crate::pages::accounts::FieldErrors;
use crate::pages::admin::StaffPage;
use crate::pages::csrf::CsrfForm;
use crate::pages::{Page, PageError, see_other};
use crate::staff::Administer;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use kereru_service::ServiceError;
use kereru_service::tenant_admin::{self, MAX_TERMS};
use kereru_store::terms_of_service;

#[derive(serde::Serialize)]
struct Row {
    date: String,
    text: String,
    effective: bool,
}

async fn render(
    state: &AppState,
    tenant: &Tenant,
    page: &StaffPage<Administer>,
    typed: (&str, &str),
    errors: &FieldErrors,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let today = chrono::Utc::now().date_naive();
    let mut conn = state.pool.get().await?;
    let versions = terms_of_service::all(&mut conn, tenant.id).await?;
    drop(conn);
    let rows: Vec<Row> = versions
        .into_iter()
        .rev()
        .map(|terms| Row {
            date: terms.effective_date.format("%Y-%m-%d").to_string(),
            effective: terms.effective_date <= today,
            text: terms.text,
        })
        .collect();
    let (date, text) = typed;
    let date = if date.is_empty() { today.format("%Y-%m-%d").to_string() } else { date.to_string() };
    Page::new("admin/terms.html", tenant, &page.me.viewer)
        .insert("nav", "admin")
        .insert("section", "terms")
        .insert("staff", &page.nav())
        .insert("versions", &rows)
        .insert("new_date", &date)
        .insert("new_text", text)
        .insert("errors", errors)
        .insert("notice", &notice)
        .insert("max_terms", &MAX_TERMS)
        .status(status)
        .render(state)
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "saved" => Some("The terms are published."),
        "removed" => Some("The terms are withdrawn."),
        _ => None,
    }
}

/// `GET /admin/terms`
pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let notice = notice(query.done.as_deref());
    render(&state, &tenant, &page, ("", ""), &FieldErrors::new(), notice, StatusCode::OK).await
}

#[derive(serde::Deserialize)]
pub struct TermsForm {
    #[serde(default)]
    effective_date: String,
    #[serde(default)]
    text: String,
}

/// `POST /admin/terms`: publishes the text from its date (replacing that date's).
pub async fn save(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    CsrfForm(form): CsrfForm<TermsForm>,
) -> Result<HttpResponse, PageError> {
    let typed = (form.effective_date.as_str(), form.text.as_str());
    let mut errors = FieldErrors::new();
    let Ok(date) = NaiveDate::parse_from_str(form.effective_date.trim(), "%Y-%m-%d") else {
        errors.insert("effective_date", "Give the date as YYYY-MM-DD.".into());
        return render(&state, &tenant, &page, typed, &errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let label = label(&tenant, &page);
    let mut conn = state.pool.get().await?;
    let saved = tenant_admin::set_terms(&mut conn, admin(&tenant, &page, &label), date, &form.text).await;
    drop(conn);
    match saved {
        Ok(()) => Ok(see_other("/admin/terms?done=saved")),
        Err(ServiceError::Invalid(message)) => {
            errors.insert("text", message);
            render(&state, &tenant, &page, typed, &errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /admin/terms/{date}/remove` (the form asks for confirmation).
pub async fn remove(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    path: web::Path<String>,
    CsrfForm(_): CsrfForm<Nothing>,
) -> Result<HttpResponse, PageError> {
    let date = NaiveDate::parse_from_str(&path.into_inner(), "%Y-%m-%d").map_err(|_| ServiceError::NotFound)?;
    let label = label(&tenant, &page);
    let mut conn = state.pool.get().await?;
    tenant_admin::remove_terms(&mut conn, admin(&tenant, &page, &label), date).await?;
    Ok(see_other("/admin/terms?done=removed"))
}
