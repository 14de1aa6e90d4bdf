//! The host admin's pages: every tenant with its DNS and TLS status (add,
//! suspend, activate, remove with a typed confirmation) at
//! `/admin/host/tenants`, and the delivery queue's health with the inbound
//! backlog at `/admin/host/queue`. Writes go through `kereru_service::tenants`.

pub mod queue;
pub mod status;
pub mod tenants;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/host/tenants", web::get().to(tenants::list))
        .route("/admin/host/tenants", web::post().to(tenants::add))
        .route("/admin/host/tenants/{id}", web::get().to(tenants::show))
        .route("/admin/host/tenants/{id}/suspend", web::post().to(tenants::suspend))
        .route("/admin/host/tenants/{id}/activate", web::post().to(tenants::activate))
        .route("/admin/host/tenants/{id}/remove", web::get().to(tenants::remove_form))
        .route("/admin/host/tenants/{id}/remove", web::post().to(tenants::remove))
        .route("/admin/host/queue", web::get().to(queue::show));
}
