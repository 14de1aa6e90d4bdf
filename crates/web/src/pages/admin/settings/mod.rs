//! A tenant's administration: the dashboard at `/admin` (moderators land on
//! the report queue), the server's settings, its rules, its terms of service
//! and every invite.
//! Writes go through `kereru_service::tenant_admin`, which records the audit row.

pub mod announcements;
pub mod dashboard;
pub mod federation;
pub mod general;
pub mod invites;
pub mod rules;
pub mod terms;
pub mod trends;

use super::StaffPage;
use crate::tenant::Tenant;
use actix_web::web;
use kereru_service::tenant_admin::Admin;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(dashboard::show))
        .route("/admin/settings", web::get().to(general::form))
        .route("/admin/settings", web::post().to(general::save))
        .route("/admin/settings/federation", web::post().to(federation::save))
        .route("/admin/rules", web::get().to(rules::list))
        .route("/admin/rules", web::post().to(rules::add))
        .route("/admin/rules/{id}", web::post().to(rules::edit))
        .route("/admin/rules/{id}/move", web::post().to(rules::reorder))
        .route("/admin/rules/{id}/remove", web::post().to(rules::remove))
        .route("/admin/terms", web::get().to(terms::list))
        .route("/admin/terms", web::post().to(terms::save))
        .route("/admin/terms/{date}/remove", web::post().to(terms::remove))
        .route("/admin/invites", web::get().to(invites::list))
        .route("/admin/invites/{id}/revoke", web::post().to(invites::revoke))
        .route("/admin/announcements", web::get().to(announcements::list))
        .route("/admin/announcements", web::post().to(announcements::add))
        .route("/admin/announcements/{id}", web::post().to(announcements::edit))
        .route("/admin/announcements/{id}/publish", web::post().to(announcements::publish))
        .route("/admin/announcements/{id}/unpublish", web::post().to(announcements::unpublish))
        .route("/admin/announcements/{id}/remove", web::post().to(announcements::remove))
        .route("/admin/trends", web::get().to(trends::show))
        .route("/admin/trends", web::post().to(trends::save));
}

/// How the audit log names the person signed in: `@name@host`.
pub fn label<R>(tenant: &Tenant, page: &StaffPage<R>) -> String {
    tenant.urls.handle(&page.me.account.username)
}

/// The signed-in admin as the service layer's actor.
pub fn admin<'a, R>(tenant: &Tenant, page: &StaffPage<R>, label: &'a str) -> Admin<'a> {
    Admin { tenant: tenant.id, account: page.me.account.id, label }
}

/// A form that only acts (its token is all it carries).
#[derive(serde::Deserialize)]
pub struct Nothing {}

/// `?done=…` after a form: which notice to show.
#[derive(serde::Deserialize)]
pub struct Done {
    pub done: Option<String>,
}
