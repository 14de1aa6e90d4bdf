//! `/admin/rules`: the tenant's rules, shown on its about page and by the
//! instance API: add, edit, move up or down, remove (admins only).

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
use kereru_service::ServiceError;
use kereru_service::tenant_admin::{self, MAX_RULE};
use kereru_store::about;

#[derive(serde::Serialize)]
struct Row {
    id: String,
    number: usize,
    text: String,
    first: bool,
    last: bool,
}

/// What was typed, and into which form (`new` or a rule's id).
struct Typed<'a> {
    target: &'a str,
    text: &'a str,
}

async fn render(
    state: &AppState,
    tenant: &Tenant,
    page: &StaffPage<Administer>,
    typed: Option<Typed<'_>>,
    errors: &FieldErrors,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let rules = about::rules(&mut conn, tenant.id).await?;
    drop(conn);
    let count = rules.len();
    let rows: Vec<Row> = rules
        .into_iter()
        .enumerate()
        .map(|(n, rule)| Row {
            id: rule.id.to_string(),
            number: n + 1,
            first: n == 0,
            last: n + 1 == count,
            text: match &typed {
                Some(typed) if typed.target == rule.id.to_string() => typed.text.to_string(),
                _ => rule.text,
            },
        })
        .collect();
    let (error_target, new_text) = match &typed {
        Some(typed) if typed.target == "new" => ("new", typed.text),
        Some(typed) => (typed.target, ""),
        None => ("", ""),
    };
    Page::new("admin/rules.html", tenant, &page.me.viewer)
        .insert("nav", "admin")
        .insert("section", "rules")
        .insert("staff", &page.nav())
        .insert("rules", &rows)
        .insert("new_text", new_text)
        .insert("error_target", error_target)
        .insert("errors", errors)
        .insert("notice", &notice)
        .insert("max_rule", &MAX_RULE)
        .status(status)
        .render(state)
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "added" => Some("The rule is added."),
        "saved" => Some("The rule is saved."),
        "moved" => Some("The rule is moved."),
        "removed" => Some("The rule is removed."),
        _ => None,
    }
}

/// `GET /admin/rules`
pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    render(&state, &tenant, &page, None, &FieldErrors::new(), notice(query.done.as_deref()), StatusCode::OK).await
}

#[derive(serde::Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    text: String,
}

/// The form again with the service's complaint about the text, or the error page.
async fn refused(
    state: &AppState,
    tenant: &Tenant,
    page: &StaffPage<Administer>,
    target: &str,
    text: &str,
    error: ServiceError,
) -> Result<HttpResponse, PageError> {
    match error {
        ServiceError::Invalid(message) => {
            let mut errors = FieldErrors::new();
            errors.insert("text", message);
            let typed = Some(Typed { target, text });
            render(state, tenant, page, typed, &errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        other => Err(other.into()),
    }
}

/// `POST /admin/rules`
pub async fn add(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    CsrfForm(form): CsrfForm<RuleForm>,
) -> Result<HttpResponse, PageError> {
    let label = label(&tenant, &page);
    let mut conn = state.pool.get().await?;
    let added = tenant_admin::add_rule(&mut conn, admin(&tenant, &page, &label), &form.text).await;
    drop(conn);
    match added {
        Ok(_) => Ok(see_other("/admin/rules?done=added")),
        Err(error) => refused(&state, &tenant, &page, "new", &form.text, error).await,
    }
}

/// `POST /admin/rules/{id}`: a new text.
pub async fn edit(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<RuleForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let label = label(&tenant, &page);
    let mut conn = state.pool.get().await?;
    let edited = tenant_admin::edit_rule(&mut conn, admin(&tenant, &page, &label), id, &form.text).await;
    drop(conn);
    match edited {
        Ok(()) => Ok(see_other("/admin/rules?done=saved")),
        Err(error) => refused(&state, &tenant, &page, &id.to_string(), &form.text, error).await,
    }
}

#[derive(serde::Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    direction: String,
}

/// `POST /admin/rules/{id}/move`: `direction` up or down.
pub async fn reorder(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<MoveForm>,
) -> Result<HttpResponse, PageError> {
    let up = match form.direction.as_str() {
        "up" => true,
        "down" => false,
        _ => return Ok(see_other("/admin/rules")),
    };
    let label = label(&tenant, &page);
    let mut conn = state.pool.get().await?;
    tenant_admin::move_rule(&mut conn, admin(&tenant, &page, &label), path.into_inner(), up).await?;
    Ok(see_other("/admin/rules?done=moved"))
}

/// `POST /admin/rules/{id}/remove` (the form asks for confirmation).
pub async fn remove(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<Nothing>,
) -> Result<HttpResponse, PageError> {
    let label = label(&tenant, &page);
    let mut conn = state.pool.get().await?;
    tenant_admin::remove_rule(&mut conn, admin(&tenant, &page, &label), path.into_inner()).await?;
    Ok(see_other("/admin/rules?done=removed"))
}
