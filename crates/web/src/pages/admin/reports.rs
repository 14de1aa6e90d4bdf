//! The report queue for a tenant's moderators: `/admin/reports` (open ones
//! first, or the resolved ones), `/admin/reports/{id}` (the report, the posts
//! it names, assign, resolve with what was done, reopen). Each step is the
//! same service action as the admin API's (`service::reports::act`), with its
//! audit row. Another tenant's report is the 404 page.
//!
//! The same handlers serve a host admin at `/admin/host/tenants/{domain_id}/reports...`
//! for any tenant ([`AdminOn`]): the layout is the host's page, the data and
//! the act the named tenant's (`service::reports::act_on`).

use super::acting::AdminOn;
use crate::error::not_found;
use crate::pages::csrf::CsrfForm;
use crate::pages::session::actor;
use crate::pages::view::{AccountView, StatusView, Views, excerpt, human_time};
use crate::pages::{Page, PageError, see_other};
use crate::staff::Moderate;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use kereru_service::ServiceError;
use kereru_service::reports::{self as service, Step};
use kereru_store::accounts::{self, Account};
use kereru_store::page::Page as StorePage;
use kereru_store::reports::{self, Filter, Report};
use kereru_store::{AccountId, PgConn, StatusId, about, statuses};
use serde::Serialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/reports", web::get().to(list))
        .route("/admin/reports/{id}", web::get().to(show))
        .route("/admin/reports/{id}/{step}", web::post().to(act))
        .route("/admin/host/tenants/{domain_id}/reports", web::get().to(list))
        .route("/admin/host/tenants/{domain_id}/reports/{id}", web::get().to(show))
        .route("/admin/host/tenants/{domain_id}/reports/{id}/{step}", web::post().to(act));
}

const PER_PAGE: i64 = 30;

pub(super) type Moderator = AdminOn<Moderate>;

#[derive(serde::Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    resolved: Option<String>,
    max_id: Option<i64>,
    target_account_id: Option<i64>,
}

/// A report as the pages show it.
#[derive(Serialize)]
struct ReportView {
    id: String,
    category: String,
    comment: String,
    comment_excerpt: String,
    created: String,
    reporter: Option<AccountView>,
    target: Option<AccountView>,
    target_id: String,
    assigned: Option<AccountView>,
    resolved: bool,
    resolved_by: Option<AccountView>,
    resolved_when: Option<String>,
    action_taken: String,
    forward: bool,
    forwarded: bool,
    posts: usize,
    /// The reporter is another server's account (a `Flag`).
    remote: bool,
}

async fn person(conn: &mut PgConn, views: &mut Views<'_>, id: Option<i64>) -> Result<Option<AccountView>, PageError> {
    let Some(id) = id else { return Ok(None) };
    let found: Option<Account> = accounts::get_unchecked(conn, AccountId(id)).await?;
    Ok(match found {
        Some(account) => Some(views.account(conn, &account).await?),
        None => None,
    })
}

async fn view(conn: &mut PgConn, views: &mut Views<'_>, report: &Report) -> Result<ReportView, PageError> {
    let now = Utc::now();
    let reporter = person(conn, views, Some(report.account_id)).await?;
    Ok(ReportView {
        id: report.id.to_string(),
        category: report.category.clone(),
        comment: report.comment.clone(),
        comment_excerpt: excerpt(&report.comment, 120),
        created: human_time(report.created_at, now),
        remote: reporter.as_ref().is_some_and(|r| !r.local),
        reporter,
        target: person(conn, views, Some(report.target_account_id)).await?,
        target_id: report.target_account_id.to_string(),
        assigned: person(conn, views, report.assigned_account_id).await?,
        resolved: report.resolved(),
        resolved_by: person(conn, views, report.action_taken_by_account_id).await?,
        resolved_when: report.action_taken_at.map(|at| human_time(at, now)),
        action_taken: report.action_taken.clone(),
        forward: report.forward,
        forwarded: report.forwarded_at.is_some(),
        posts: report.status_ids.len(),
    })
}

/// `GET /admin/reports`
pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    staff: Moderator,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let on = &staff.on;
    let resolved = query.resolved.as_deref().is_some_and(|v| v == "1" || v == "true");
    let filter = Filter { resolved: Some(resolved), target_account_id: query.target_account_id, ..Filter::default() };
    let page = StorePage { limit: PER_PAGE, max_id: query.max_id, ..StorePage::default() };
    let mut conn = state.pool.get().await?;
    let rows = reports::list(&mut conn, on.id, filter, page).await?;
    let open = reports::count_open(&mut conn, on.id).await?;
    let mut views = Views::new(on, Some(staff.page.me.account.id)).linking_from(staff.link_base());
    let mut list = Vec::with_capacity(rows.len());
    for report in &rows {
        list.push(view(&mut conn, &mut views, report).await?);
    }
    let next_url = (rows.len() as i64 == PER_PAGE)
        .then(|| rows.last().map(|r| r.id))
        .flatten()
        .map(|id| staff.path(&format!("/reports?{}max_id={id}", if resolved { "resolved=1&" } else { "" })));
    Page::new("admin/reports.html", &tenant, &staff.page.me.viewer)
        .insert("section", section(&staff))
        .insert("staff", &staff.page.nav())
        .insert("on", &staff.context())
        .insert("reports", &list)
        .insert("resolved", &resolved)
        .insert("open_count", &open)
        .insert("next_url", &next_url)
        .insert("first_page", &query.max_id.is_none())
        .render(&state)
}

pub(super) async fn detail(
    state: &AppState,
    tenant: &Tenant,
    staff: &Moderator,
    id: i64,
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let on = &staff.on;
    let mut conn = state.pool.get().await?;
    let report = reports::get(&mut conn, on.id, id).await?.ok_or_else(not_found)?;
    let mut views = Views::new(on, Some(staff.page.me.account.id)).linking_from(staff.link_base());
    let shown = view(&mut conn, &mut views, &report).await?;
    let mut list = Vec::new();
    for id in &report.status_ids {
        if let Some(status) = statuses::get_unchecked(&mut conn, StatusId(*id)).await? {
            list.push(status);
        }
    }
    let posts: Vec<StatusView> = views.statuses(&mut conn, list).await?;
    let all_rules = about::rules(&mut conn, on.id).await?;
    let rules: Vec<String> =
        all_rules.iter().filter(|rule| report.rule_ids.contains(&rule.id)).map(|rule| rule.text.clone()).collect();
    // The edit form's choices (report_edit): every rule, ticked when the report names it.
    let rule_choices: Vec<serde_json::Value> = all_rules
        .iter()
        .map(|rule| {
            serde_json::json!({ "id": rule.id.to_string(), "text": rule.text, "checked": report.rule_ids.contains(&rule.id) })
        })
        .collect();
    Page::new("admin/report.html", tenant, &staff.page.me.viewer)
        .insert("section", section(staff))
        .insert("staff", &staff.page.nav())
        .insert("on", &staff.context())
        .insert("report", &shown)
        .insert("posts", &posts)
        .insert("rules", &rules)
        .insert("rule_choices", &rule_choices)
        .insert("categories", &reports::CATEGORIES)
        .insert("mine", &(report.assigned_account_id == Some(staff.page.me.account.id.0)))
        .insert("error", &error)
        .status(if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK })
        .render(state)
}

/// `GET /admin/reports/{id}`
pub async fn show(
    state: web::Data<AppState>,
    tenant: Tenant,
    staff: Moderator,
    path: web::Path<ReportPath>,
) -> Result<HttpResponse, PageError> {
    let id = crate::extract::parse_id(&path.id)?;
    detail(&state, &tenant, &staff, id, None).await
}

/// The report's id in the path (the host admin's routes also name the tenant).
#[derive(serde::Deserialize)]
pub struct ReportPath {
    pub(super) id: String,
}

#[derive(serde::Deserialize)]
pub struct StepPath {
    id: String,
    step: String,
}

/// The side navigation's current entry: the host admin's pages sit under "Moderation everywhere".
fn section(staff: &Moderator) -> &'static str {
    if staff.across { "host_moderation" } else { "reports" }
}

#[derive(serde::Deserialize)]
pub struct StepForm {
    #[serde(default)]
    action_taken: String,
}

/// `POST /admin/reports/{id}/{assign_to_self|unassign|resolve|reopen}`
pub async fn act(
    state: web::Data<AppState>,
    tenant: Tenant,
    staff: Moderator,
    path: web::Path<StepPath>,
    CsrfForm(form): CsrfForm<StepForm>,
) -> Result<HttpResponse, PageError> {
    let StepPath { id, step } = path.into_inner();
    let id = crate::extract::parse_id(&id)?;
    let step = match step.as_str() {
        "assign_to_self" => Step::AssignToSelf,
        "unassign" => Step::Unassign,
        "resolve" => Step::Resolve(form.action_taken),
        "reopen" => Step::Reopen,
        _ => return Err(not_found().into()),
    };
    let mut conn = state.pool.get().await?;
    match service::act_on(&mut conn, &actor(&tenant, &staff.page.me), staff.on.id, id, step).await {
        Ok(_) => Ok(see_other(&staff.path(&format!("/reports/{id}")))),
        Err(ServiceError::Invalid(message)) => {
            drop(conn);
            detail(&state, &tenant, &staff, id, Some(&message)).await
        }
        Err(other) => Err(other.into()),
    }
}
