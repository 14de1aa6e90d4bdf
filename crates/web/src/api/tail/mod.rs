//! The client API's last endpoints of issue 15, as Mastodon 4.5 answers them:
//! several statuses at once, removing the avatar or header, the terms of
//! service, asking for the confirmation mail again, and annual reports (a
//! server that generates none).

pub mod annual_reports;
pub mod emails;
pub mod profile_images;
pub mod statuses;
pub mod terms;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/statuses", web::get().to(statuses::index))
        .route("/api/v1/profile/avatar", web::delete().to(profile_images::delete_avatar))
        .route("/api/v1/profile/header", web::delete().to(profile_images::delete_header))
        .route("/api/v1/instance/terms_of_service", web::get().to(terms::current))
        .route("/api/v1/instance/terms_of_service/{date}", web::get().to(terms::of_date))
        .route("/api/v1/emails/confirmations", web::post().to(emails::resend))
        .route("/api/v1/emails/check_confirmation", web::get().to(emails::check))
        .route("/api/v1/annual_reports", web::get().to(annual_reports::list))
        .route(r"/api/v1/annual_reports/{year:\d+}", web::get().to(annual_reports::of_year))
        .route(r"/api/v1/annual_reports/{year:\d+}/state", web::get().to(annual_reports::state))
        .route(r"/api/v1/annual_reports/{year:\d+}/read", web::post().to(annual_reports::read))
        .route(r"/api/v1/annual_reports/{year:\d+}/generate", web::post().to(annual_reports::generate));
}
