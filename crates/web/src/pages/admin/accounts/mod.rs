//! `/admin/accounts`: the tenant's accounts for its moderators (filters;
//! sign-ups waiting for approval first, with approve and reject),
//! `/admin/accounts/{id}` (details, actions, the role for admins: see
//! [`detail`]) and `/admin/action_logs` (the audit log: see [`logs`]).
//! The list and the account pages also serve a host admin at
//! `/admin/host/tenants/{domain_id}/accounts...` for any tenant ([`AdminOn`]).

pub mod detail;
pub mod logs;

use super::acting::AdminOn;
use crate::pages::{Page, PageError};
use crate::staff::Moderate;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use kereru_store::moderation::{self, AccountFilter, AdminAccount, Origin, State};
use kereru_store::page::Page as StorePage;
use serde::{Deserialize, Serialize};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/accounts", web::get().to(list))
        .route("/admin/accounts/{id}", web::get().to(detail::show))
        .route("/admin/accounts/{id}/act", web::post().to(detail::act))
        .route("/admin/accounts/{id}/role", web::post().to(detail::role))
        .route("/admin/host/tenants/{domain_id}/accounts", web::get().to(list))
        .route("/admin/host/tenants/{domain_id}/accounts/{id}", web::get().to(detail::show))
        .route("/admin/host/tenants/{domain_id}/accounts/{id}/act", web::post().to(detail::act))
        .route("/admin/host/tenants/{domain_id}/accounts/{id}/role", web::post().to(detail::role))
        .route("/admin/action_logs", web::get().to(logs::list));
}

pub(crate) fn when(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M UTC").to_string()
}

/// One account as the pages list it.
#[derive(Serialize)]
pub(crate) struct Row {
    id: String,
    username: String,
    handle: String,
    display_name: String,
    email: Option<String>,
    role: Option<String>,
    states: Vec<&'static str>,
    created_at: String,
    reason: Option<String>,
    pending: bool,
}

/// The states a row shows as pills.
pub(crate) fn states(found: &AdminAccount) -> Vec<&'static str> {
    let mut out = Vec::new();
    if found.pending() {
        out.push("Pending");
    }
    if found.verdict.suspended_at.is_some() {
        out.push("Suspended");
    }
    if found.verdict.silenced_at.is_some() {
        out.push("Limited");
    }
    if found.verdict.sensitized_at.is_some() {
        out.push("Sensitive");
    }
    if found.disabled() {
        out.push("Disabled");
    }
    if found.login.as_ref().is_some_and(|l| l.confirmed_at.is_none()) {
        out.push("Unconfirmed");
    }
    out
}

pub(crate) fn row(found: &AdminAccount) -> Row {
    let login = found.login.as_ref();
    Row {
        id: found.account.id.0.to_string(),
        username: found.account.username.clone(),
        handle: kereru_service::moderation::accounts::account_label(found),
        display_name: found.account.display_name.clone(),
        email: login.map(|l| l.email.clone()),
        role: login.map(|l| l.role.as_str().to_string()),
        states: states(found),
        created_at: when(login.map(|l| l.created_at).unwrap_or(found.account.created_at)),
        reason: login.and_then(|l| l.signup_reason.clone()).filter(|r| !r.trim().is_empty()),
        pending: found.pending(),
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct Filters {
    #[serde(default)]
    origin: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    max_id: Option<i64>,
    done: Option<String>,
}

const PAGE: i64 = 40;

/// The state filter's choices: (value, label).
const STATE_OPTIONS: &[(&str, &str)] = &[
    ("", "Any"),
    ("active", "Active"),
    ("pending", "Pending"),
    ("suspended", "Suspended"),
    ("silenced", "Limited"),
    ("sensitized", "Sensitive"),
    ("disabled", "Disabled"),
];

/// `GET /admin/accounts`
pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    staff: AdminOn<Moderate>,
    query: web::Query<Filters>,
) -> Result<HttpResponse, PageError> {
    let on = &staff.on;
    let filters = query.into_inner();
    let filter = AccountFilter {
        origin: match filters.origin.as_str() {
            "local" => Some(Origin::Local),
            "remote" => Some(Origin::Remote),
            _ => None,
        },
        state: match filters.status.as_str() {
            "active" => Some(State::Active),
            "pending" => Some(State::Pending),
            "disabled" => Some(State::Disabled),
            "silenced" => Some(State::Silenced),
            "suspended" => Some(State::Suspended),
            "sensitized" => Some(State::Sensitized),
            _ => None,
        },
        username: Some(filters.username.clone()),
        email: Some(filters.email.clone()),
        ..AccountFilter::default()
    };
    let mut conn = state.pool.get().await?;
    // Sign-ups waiting for approval come first, on the first page.
    let pending = if filters.max_id.is_none() && filter.state.is_none() {
        let waiting = AccountFilter { state: Some(State::Pending), ..AccountFilter::default() };
        let page = StorePage { limit: 100, ..StorePage::default() };
        moderation::list(&mut conn, on.id, &waiting, page).await?.iter().map(row).collect()
    } else {
        Vec::new()
    };
    let page = StorePage { max_id: filters.max_id, limit: PAGE, ..StorePage::default() };
    let found = moderation::list(&mut conn, on.id, &filter, page).await?;
    let older = (found.len() as i64 == PAGE).then(|| found.last().map(|a| a.account.id.0)).flatten().map(|oldest| {
        let query = serde_urlencoded::to_string([
            ("origin", filters.origin.as_str()),
            ("status", filters.status.as_str()),
            ("username", filters.username.as_str()),
            ("email", filters.email.as_str()),
            ("max_id", oldest.to_string().as_str()),
        ])
        .unwrap_or_default();
        staff.path(&format!("/accounts?{query}"))
    });
    let rows: Vec<Row> = found.iter().map(row).collect();
    let notice = filters.done.as_deref().map(done_notice);
    Page::new("admin/accounts.html", &tenant, &staff.page.me.viewer)
        .insert("section", section(&staff))
        .insert("staff", &staff.page.nav())
        .insert("on", &staff.context())
        .insert("pending", &pending)
        .insert("accounts", &rows)
        .insert("filters", &filters)
        .insert(
            "state_options",
            &STATE_OPTIONS
                .iter()
                .map(|(value, label)| serde_json::json!({ "value": value, "label": label }))
                .collect::<Vec<_>>(),
        )
        .insert("older", &older)
        .insert("notice", &notice)
        .render(&state)
}

/// The side navigation's current entry: the host admin's pages sit under "Moderation everywhere".
pub(crate) fn section<R>(staff: &AdminOn<R>) -> &'static str {
    if staff.across { "host_moderation" } else { "accounts" }
}

/// What a page says after an action.
pub(crate) fn done_notice(verb: &str) -> &'static str {
    match verb {
        "approve" => "The sign-up was approved; a mail tells them.",
        "reject" => "The sign-up was rejected and removed.",
        "suspend" => "The account is suspended.",
        "unsuspend" => "The account is no longer suspended.",
        "silence" => "The account is limited.",
        "unsilence" => "The account is no longer limited.",
        "sensitive" => "The account's media are marked sensitive.",
        "unsensitive" => "The account's media are no longer forced sensitive.",
        "disable" => "The login is disabled.",
        "enable" => "The login is enabled again.",
        "reset_password" => "A password reset link was mailed.",
        "resend_confirmation" => "A new confirmation link was mailed.",
        "delete" => "The account was deleted.",
        "role" => "The role was changed.",
        _ => "Done.",
    }
}
