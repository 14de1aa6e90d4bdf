//! The social part of the web interface: following (buttons on profiles,
//! follow requests, following from another server and the interaction page
//! other servers send people to), search, and the settings pages (profile,
//! privacy, authorized apps, sessions, export and import, filters, and the muted,
//! blocked and blocked-server lists).

pub mod account_actions;
pub mod cards;
pub mod data;
pub mod filter_statuses;
pub mod filters;
pub mod interact;
pub mod relationship;
pub mod report;
pub mod safety_lists;
pub mod search;
pub mod security;
pub mod settings;

use actix_web::web;

/// Registers these pages' routes (inside the tenant scope).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/accounts/{id}/{action}", web::post().to(account_actions::act))
        .route("/follow_requests", web::get().to(account_actions::requests))
        .route("/follow_requests/{id}/{answer}", web::post().to(account_actions::answer))
        .route("/authorize_interaction", web::get().to(interact::authorize_form))
        .route("/authorize_interaction", web::post().to(interact::authorize))
        .route("/search", web::get().to(search::search))
        .route("/settings", web::get().to(settings::index))
        .route("/settings/profile", web::get().to(settings::profile_form))
        .route("/settings/profile", web::post().to(settings::profile))
        .route("/settings/privacy", web::get().to(settings::privacy_form))
        .route("/settings/privacy", web::post().to(settings::privacy))
        .route("/settings/applications", web::get().to(security::applications))
        .route("/settings/applications/{id}/revoke", web::post().to(security::revoke_application))
        .route("/settings/sessions", web::get().to(security::sessions))
        .route("/settings/sessions/{id}/revoke", web::post().to(security::revoke_session))
        .route("/settings/export", web::get().to(data::export_page))
        .route("/settings/export/{file}", web::get().to(data::export_file))
        .route("/settings/import", web::get().to(data::import_form))
        .route("/settings/import", web::post().to(data::import))
        .configure(report::routes)
        .configure(filters::routes)
        .configure(filter_statuses::routes)
        .configure(safety_lists::routes);
}

/// Routes under a profile's path, registered before `/@{username}/{id}`
/// (which would otherwise take `remote_follow` for a status id).
pub fn profile_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/@{username}/remote_follow", web::get().to(interact::remote_follow_form))
        .route("/@{username}/remote_follow", web::post().to(interact::remote_follow));
}

pub use super::session::actor;

/// An id from a path: anything but a number names nothing (404).
pub fn path_id(text: &str) -> Result<i64, crate::WebError> {
    crate::extract::parse_id(text)
}
