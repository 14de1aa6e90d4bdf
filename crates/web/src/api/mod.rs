//! The Mastodon client API (`/api/v1`, `/api/v2`), with Mastodon's JSON shapes.

pub mod accounts;
pub mod entities;
pub mod instance;
pub mod media;

use crate::oauth::apps;
use actix_web::web;

/// The Mastodon version clients see: they gate features on it.
pub const MASTODON_COMPAT_VERSION: &str = "4.3.0";

pub fn version_string() -> String {
    format!("{MASTODON_COMPAT_VERSION} (compatible; Kererū {})", env!("CARGO_PKG_VERSION"))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/apps", web::post().to(apps::create))
        .route("/api/v1/apps/verify_credentials", web::get().to(apps::verify_credentials))
        .route("/api/v1/instance", web::get().to(instance::v1))
        .route("/api/v1/instance/", web::get().to(instance::v1))
        .route("/api/v2/instance", web::get().to(instance::v2))
        .route("/api/v2/instance/", web::get().to(instance::v2))
        .route("/api/v1/accounts/verify_credentials", web::get().to(accounts::verify_credentials))
        .route("/api/v1/accounts/lookup", web::get().to(accounts::lookup))
        .route("/api/v1/accounts/{id}", web::get().to(accounts::show))
        .route("/api/v1/media", web::post().to(media::upload))
        .route("/api/v2/media", web::post().to(media::upload))
        .route("/api/v1/media/{id}", web::get().to(media::show))
        .route("/api/v1/media/{id}", web::put().to(media::update));
}
