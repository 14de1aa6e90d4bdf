//! `/admin/announcements`: a tenant's admins write announcements (text,
//! optional start and end, all day), publish or withdraw them, edit and
//! delete them, through `kereru_service::announcements` (audited). Published
//! ones reach people's apps (`/api/v1/announcements`) and open streams.

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
use chrono::{DateTime, NaiveDateTime, Utc};
use kereru_service::ServiceError;
use kereru_service::announcements::{self as service, Draft, MAX_TEXT};
use kereru_store::announcements::{self, Announcement};

/// The form's fields as typed (times as `datetime-local` text, in UTC).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct AnnouncementForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    /// Checkboxes: present when ticked.
    #[serde(default)]
    all_day: Option<String>,
    #[serde(default)]
    publish: Option<String>,
}

/// `2026-12-05T09:30` (what browsers send), with or without seconds; empty is none.
fn parse_time(text: &str) -> Result<Option<DateTime<Utc>>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(Some(at.and_utc()));
        }
    }
    Err(())
}

/// The value a `datetime-local` input shows.
fn time_field(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.format("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default()
}

/// The draft, or the fields that could not be read.
fn draft_of(form: &AnnouncementForm) -> Result<Draft, FieldErrors> {
    let mut errors = FieldErrors::new();
    let starts_at = parse_time(&form.starts_at).unwrap_or_else(|()| {
        errors.insert("starts_at", "Give a date and time, like 2026-12-24T18:00.".into());
        None
    });
    let ends_at = parse_time(&form.ends_at).unwrap_or_else(|()| {
        errors.insert("ends_at", "Give a date and time, like 2026-12-24T18:00.".into());
        None
    });
    let draft = Draft { text: form.text.clone(), starts_at, ends_at, all_day: form.all_day.is_some() };
    if errors.is_empty() {
        for (field, problem) in service::check(&draft) {
            errors.entry(field).or_insert(problem);
        }
    }
    if errors.is_empty() { Ok(draft) } else { Err(errors) }
}

#[derive(serde::Serialize)]
struct Row {
    id: String,
    text: String,
    starts_at: String,
    ends_at: String,
    all_day: bool,
    published: bool,
    published_at: String,
}

fn row_of(a: Announcement) -> Row {
    Row {
        id: a.id.to_string(),
        starts_at: time_field(a.starts_at),
        ends_at: time_field(a.ends_at),
        all_day: a.all_day,
        published: a.published,
        published_at: a.published_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default(),
        text: a.text,
    }
}

/// What was typed, and into which form (`new` or an announcement's id).
struct Typed<'a> {
    target: &'a str,
    form: &'a AnnouncementForm,
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
    let list = announcements::all(&mut conn, tenant.id).await?;
    drop(conn);
    let mut rows: Vec<Row> = list.into_iter().map(row_of).collect();
    if let Some(typed) = &typed
        && let Some(row) = rows.iter_mut().find(|r| r.id == typed.target)
    {
        row.text = typed.form.text.clone();
        row.starts_at = typed.form.starts_at.clone();
        row.ends_at = typed.form.ends_at.clone();
        row.all_day = typed.form.all_day.is_some();
    }
    let empty = AnnouncementForm::default();
    let (error_target, new_form) = match &typed {
        Some(typed) if typed.target == "new" => ("new", typed.form),
        Some(typed) => (typed.target, &empty),
        None => ("", &empty),
    };
    Page::new("admin/announcements.html", tenant, &page.me.viewer)
        .insert("nav", "admin")
        .insert("section", "announcements")
        .insert("staff", &page.nav())
        .insert("announcements", &rows)
        .insert("new_form", new_form)
        .insert("error_target", error_target)
        .insert("errors", errors)
        .insert("notice", &notice)
        .insert("max_text", &MAX_TEXT)
        .status(status)
        .render(state)
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "added" => Some("The announcement is saved as a draft."),
        "published" => Some("The announcement is published."),
        "saved" => Some("The announcement is saved."),
        "withdrawn" => Some("The announcement is withdrawn: people no longer see it."),
        "removed" => Some("The announcement is deleted."),
        _ => None,
    }
}

/// `GET /admin/announcements`
pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    render(&state, &tenant, &page, None, &FieldErrors::new(), notice(query.done.as_deref()), StatusCode::OK).await
}

/// The form again with its problems (422), or the error page for anything else.
async fn refused(
    state: &AppState,
    tenant: &Tenant,
    page: &StaffPage<Administer>,
    target: &str,
    form: &AnnouncementForm,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let typed = Some(Typed { target, form });
    render(state, tenant, page, typed, &errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
}

fn service_problem(error: ServiceError) -> Result<FieldErrors, PageError> {
    match error {
        ServiceError::Invalid(message) => {
            let mut errors = FieldErrors::new();
            errors.insert("text", message);
            Ok(errors)
        }
        other => Err(other.into()),
    }
}

/// `POST /admin/announcements`: a draft, or published at once with `publish`.
pub async fn add(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    CsrfForm(form): CsrfForm<AnnouncementForm>,
) -> Result<HttpResponse, PageError> {
    let draft = match draft_of(&form) {
        Ok(draft) => draft,
        Err(errors) => return refused(&state, &tenant, &page, "new", &form, errors).await,
    };
    let label = label(&tenant, &page);
    let mut conn = state.pool.get().await?;
    let made = service::create(&mut conn, admin(&tenant, &page, &label), &draft, form.publish.is_some()).await;
    drop(conn);
    match made {
        Ok((made, events)) => {
            state.publish(&events).await;
            Ok(see_other(if made.published {
                "/admin/announcements?done=published"
            } else {
                "/admin/announcements?done=added"
            }))
        }
        Err(error) => refused(&state, &tenant, &page, "new", &form, service_problem(error)?).await,
    }
}

/// `POST /admin/announcements/{id}`: new text and times.
pub async fn edit(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<AnnouncementForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let target = id.to_string();
    let draft = match draft_of(&form) {
        Ok(draft) => draft,
        Err(errors) => return refused(&state, &tenant, &page, &target, &form, errors).await,
    };
    let label = label(&tenant, &page);
    let mut conn = state.pool.get().await?;
    let saved = service::update(&mut conn, admin(&tenant, &page, &label), id, &draft).await;
    drop(conn);
    match saved {
        Ok((_, events)) => {
            state.publish(&events).await;
            Ok(see_other("/admin/announcements?done=saved"))
        }
        Err(error) => refused(&state, &tenant, &page, &target, &form, service_problem(error)?).await,
    }
}

async fn switch(
    state: &AppState,
    tenant: &Tenant,
    page: &StaffPage<Administer>,
    id: i64,
    publish: bool,
) -> Result<HttpResponse, PageError> {
    let label = label(tenant, page);
    let mut conn = state.pool.get().await?;
    let events = service::set_published(&mut conn, admin(tenant, page, &label), id, publish).await?;
    drop(conn);
    state.publish(&events).await;
    Ok(see_other(if publish { "/admin/announcements?done=published" } else { "/admin/announcements?done=withdrawn" }))
}

/// `POST /admin/announcements/{id}/publish`
pub async fn publish(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<Nothing>,
) -> Result<HttpResponse, PageError> {
    switch(&state, &tenant, &page, path.into_inner(), true).await
}

/// `POST /admin/announcements/{id}/unpublish`
pub async fn unpublish(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<Nothing>,
) -> Result<HttpResponse, PageError> {
    switch(&state, &tenant, &page, path.into_inner(), false).await
}

/// `POST /admin/announcements/{id}/remove` (the form asks for confirmation).
pub async fn remove(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<Nothing>,
) -> Result<HttpResponse, PageError> {
    let label = label(&tenant, &page);
    let mut conn = state.pool.get().await?;
    let events = service::delete(&mut conn, admin(&tenant, &page, &label), path.into_inner()).await?;
    drop(conn);
    state.publish(&events).await;
    Ok(see_other("/admin/announcements?done=removed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_browsers_send_them() {
        assert_eq!(parse_time(""), Ok(None));
        let at = parse_time("2026-12-24T18:00").ok().flatten().map(|t| t.to_rfc3339());
        assert_eq!(at.as_deref(), Some("2026-12-24T18:00:00+00:00"));
        assert!(parse_time("tomorrow").is_err());
    }
}
