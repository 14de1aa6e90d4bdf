//! `/settings/applications` (the OAuth apps holding tokens of this
//! account, with revoke) and `/settings/sessions` (browser sessions, with
//! revoke). Ids are looked up with the tenant and the account, so another
//! tenant's or person's app or session id is a 404 and changes nothing.

use super::path_id;
use crate::pages::csrf::CsrfForm;
use crate::pages::session::Me;
use crate::pages::{Page, PageError, see_other};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use kereru_store::{authorized_apps, web_sessions};

fn when(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M UTC").to_string()
}

#[derive(serde::Serialize)]
struct AppRow {
    id: String,
    name: String,
    website: Option<String>,
    scopes: Vec<String>,
    authorized_at: String,
    last_used_at: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct Notice {
    revoked: Option<String>,
}

/// `GET /settings/applications`
pub async fn applications(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    query: web::Query<Notice>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let apps = authorized_apps::list(&mut conn, tenant.id, me.account.id).await?;
    let rows: Vec<AppRow> = apps
        .into_iter()
        .map(|app| AppRow {
            id: app.id.to_string(),
            name: app.name,
            website: app.website.filter(|w| w.starts_with("https://") || w.starts_with("http://")),
            scopes: app.scopes,
            authorized_at: when(app.authorized_at),
            last_used_at: app.last_used_at.map(when),
        })
        .collect();
    Page::new("settings/applications.html", &tenant, &me.viewer)
        .insert("nav", "settings")
        .insert("section", "applications")
        .insert("apps", &rows)
        .insert("notice", &query.revoked.is_some().then_some("The app's access was revoked."))
        .render(&state)
}

#[derive(serde::Deserialize)]
pub struct Nothing {}

/// `POST /settings/applications/{id}/revoke`: ends every token of this account the app holds.
pub async fn revoke_application(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    id: web::Path<String>,
    CsrfForm(_): CsrfForm<Nothing>,
) -> Result<HttpResponse, PageError> {
    let app = path_id(&id)?;
    let mut conn = state.pool.get().await?;
    kereru_service::authorized_apps::revoke(&mut conn, tenant.id, me.account.id, app).await?;
    Ok(see_other("/settings/applications?revoked=1"))
}

/// A short name for a browser from its user agent ("Firefox on Linux").
pub fn browser_of(user_agent: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(token, _)| user_agent.contains(token))
    .map(|(_, name)| *name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(token, _)| user_agent.contains(token))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_string(),
        (None, Some(s)) => format!("A browser on {s}"),
        (None, None) if user_agent.is_empty() => "Unknown browser".to_string(),
        (None, None) => user_agent.chars().take(60).collect(),
    }
}

#[derive(serde::Serialize)]
struct SessionRow {
    id: String,
    browser: String,
    user_agent: String,
    ip: String,
    created_at: String,
    last_seen_at: String,
    current: bool,
}

/// `GET /settings/sessions`
pub async fn sessions(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    query: web::Query<Notice>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let list = web_sessions::list(&mut conn, tenant.id, me.account.id).await?;
    let rows: Vec<SessionRow> = list
        .into_iter()
        .map(|s| SessionRow {
            id: s.id.to_string(),
            browser: browser_of(&s.user_agent),
            current: s.id == me.session.id,
            user_agent: s.user_agent,
            ip: s.ip,
            created_at: when(s.created_at),
            last_seen_at: when(s.last_seen_at),
        })
        .collect();
    Page::new("settings/sessions.html", &tenant, &me.viewer)
        .insert("nav", "settings")
        .insert("section", "sessions")
        .insert("sessions", &rows)
        .insert("notice", &query.revoked.is_some().then_some("The session was ended."))
        .render(&state)
}

/// `POST /settings/sessions/{id}/revoke`: ends another of this person's sessions.
pub async fn revoke_session(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    id: web::Path<String>,
    CsrfForm(_): CsrfForm<Nothing>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    let mut conn = state.pool.get().await?;
    kereru_service::sessions::revoke(&mut conn, tenant.id, me.account.id, id).await?;
    Ok(see_other("/settings/sessions?revoked=1"))
}
