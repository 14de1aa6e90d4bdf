//! The instance's smaller endpoints, as Mastodon 4.5 answers them: its rules,
//! extended description, peers, weekly activity and languages, and the translation languages
//! of a server without a translation backend.

use crate::error::{WebError, not_found};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_store::{about, accounts, limited_federation};
use serde_json::{Value, json};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/instance/rules", web::get().to(rules))
        .route("/api/v1/instance/extended_description", web::get().to(extended_description))
        .route("/api/v1/instance/peers", web::get().to(peers))
        .route("/api/v1/instance/activity", web::get().to(activity))
        .route("/api/v1/instance/languages", web::get().to(languages))
        .route("/api/v1/instance/translation_languages", web::get().to(translation_languages));
}

/// The tenant's rules as Rule entities, in order.
async fn rules(state: web::Data<AppState>, tenant: Tenant) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let rules: Vec<Value> = about::rules(&mut conn, tenant.id)
        .await?
        .into_iter()
        .map(|rule| json!({ "id": rule.id.to_string(), "text": rule.text, "hint": "", "translations": {} }))
        .collect();
    Ok(HttpResponse::Ok().json(rules))
}

/// ExtendedDescription: the tenant's description as HTML paragraphs (it is
/// plain text here, so escaped), and when it last changed.
async fn extended_description(state: web::Data<AppState>, tenant: Tenant) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let (description, updated_at) = about::described(&mut conn, tenant.id).await?.ok_or_else(not_found)?;
    let content = kereru_core::actor::text_to_html(&description);
    Ok(HttpResponse::Ok().json(json!({
        "updated_at": updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "content": content,
    })))
}

/// The servers this tenant knows, as host names. Mastodon hides them in
/// limited federation mode (404): so does a tenant that limits its federation.
async fn peers(state: web::Data<AppState>, tenant: Tenant) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    if limited_federation::is_on(&mut conn, tenant.id).await? {
        return Err(not_found());
    }
    Ok(HttpResponse::Ok().json(accounts::known_domains(&mut conn, tenant.id).await?))
}

/// The last twelve weeks of local posts, sign-ins and sign-ups, this week
/// first, every figure a string (Mastodon's shape). Hidden (404) under
/// limited federation, as Mastodon hides it.
async fn activity(state: web::Data<AppState>, tenant: Tenant) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    if limited_federation::is_on(&mut conn, tenant.id).await? {
        return Err(not_found());
    }
    let weeks: Vec<Value> = kereru_store::activity::weeks(&mut conn, tenant.id)
        .await?
        .into_iter()
        .map(|week| {
            json!({
                "week": week.starts.timestamp().to_string(),
                "statuses": week.statuses.to_string(),
                "logins": week.logins.to_string(),
                "registrations": week.registrations.to_string(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(weeks))
}

/// The languages a tenant's people may post in: Kererū's interface speaks English.
async fn languages() -> HttpResponse {
    HttpResponse::Ok().json(json!([{ "code": "en", "name": "English" }]))
}

/// No translation backend: no language pairs (what Mastodon answers without one).
async fn translation_languages() -> HttpResponse {
    HttpResponse::Ok().json(json!({}))
}
