//! The Mastodon client API (`/api/v1`, `/api/v2`), with Mastodon's JSON shapes.

pub mod accounts;
pub mod admin;
pub mod announcements;
pub mod cards;
pub mod domain_blocks;
pub mod entities;
pub mod filtering;
pub mod filters;
pub mod instance;
pub mod instance_info;
pub mod lists;
pub mod media;
pub mod misc;
pub mod notification_groups;
pub mod notification_policy;
pub mod notifications;
pub mod paging;
pub mod polls;
pub mod push;
pub mod quotes;
pub mod relationships;
pub mod render;
pub mod scheduled;
pub mod search;
pub mod social;
pub mod statuses;
pub mod tags;
pub mod tail;
pub mod timelines;
pub mod trends;

use crate::oauth::apps;
use actix_web::web;

/// The Mastodon version clients see: they gate features on it.
pub const MASTODON_COMPAT_VERSION: &str = "4.3.0";

pub fn version_string() -> String {
    format!("{MASTODON_COMPAT_VERSION} (compatible; Kererū {})", env!("CARGO_PKG_VERSION"))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // First: its paths would otherwise match `/api/v1/accounts/{id}` and the `{id}/{action}` routes.
    cfg.configure(social::routes);
    cfg.route("/api/v1/apps", web::post().to(apps::create))
        .route("/api/v1/apps/verify_credentials", web::get().to(apps::verify_credentials))
        .route("/api/v1/instance", web::get().to(instance::v1))
        .route("/api/v2/instance", web::get().to(instance::v2))
        .route("/api/v1/accounts", web::post().to(accounts::register))
        .route("/api/v1/accounts/verify_credentials", web::get().to(accounts::verify_credentials))
        .route("/api/v1/accounts/update_credentials", web::patch().to(accounts::update_credentials))
        .route("/api/v1/preferences", web::get().to(misc::preferences))
        .route("/api/v1/markers", web::get().to(misc::markers))
        .route("/api/v1/markers", web::post().to(misc::save_markers))
        .route("/api/v1/custom_emojis", web::get().to(misc::custom_emojis))
        .route("/api/v1/blocks", web::get().to(relationships::blocked))
        .route("/api/v1/mutes", web::get().to(relationships::muted))
        .route("/api/v2/search", web::get().to(search::search))
        .route("/api/v1/accounts/lookup", web::get().to(accounts::lookup))
        .route("/api/v1/accounts/relationships", web::get().to(relationships::relationships_of))
        .route("/api/v1/accounts/{id}", web::get().to(accounts::show))
        .route("/api/v1/accounts/{id}/statuses", web::get().to(relationships::statuses_of))
        .route("/api/v1/accounts/{id}/followers", web::get().to(relationships::followers_of))
        .route("/api/v1/accounts/{id}/following", web::get().to(relationships::following_of))
        .route("/api/v1/accounts/{id}/{action}", web::post().to(relationships::act))
        .route("/api/v1/follow_requests", web::get().to(relationships::requests))
        .route("/api/v1/follow_requests/{id}/authorize", web::post().to(relationships::authorize_request))
        .route("/api/v1/follow_requests/{id}/reject", web::post().to(relationships::reject_request))
        .route("/api/v1/statuses", web::post().to(statuses::create))
        .route("/api/v1/statuses/{id}", web::get().to(statuses::show))
        .route("/api/v1/statuses/{id}", web::delete().to(statuses::delete))
        .route("/api/v1/statuses/{id}", web::put().to(statuses::edit))
        .route("/api/v1/statuses/{id}/context", web::get().to(statuses::context))
        .route("/api/v1/statuses/{id}/history", web::get().to(statuses::history))
        .route("/api/v1/statuses/{id}/source", web::get().to(statuses::source))
        .route("/api/v1/statuses/{id}/favourited_by", web::get().to(statuses::favourited_by))
        .route("/api/v1/statuses/{id}/reblogged_by", web::get().to(statuses::reblogged_by))
        // Before `{action}`, which would take it.
        .route("/api/v1/statuses/{id}/translate", web::post().to(cards::translate))
        .route("/api/v1/statuses/{id}/{action}", web::post().to(statuses::act))
        .route("/api/v1/timelines/home", web::get().to(timelines::home))
        .route("/api/v1/timelines/public", web::get().to(timelines::public))
        .route("/api/v1/timelines/tag/{name}", web::get().to(timelines::tag))
        .route("/api/v1/favourites", web::get().to(timelines::favourites))
        .route("/api/v1/bookmarks", web::get().to(timelines::bookmarks))
        .route("/api/v1/notifications", web::get().to(notifications::list))
        .route("/api/v1/notifications/clear", web::post().to(notifications::clear))
        .route(r"/api/v1/notifications/{id:\d+}", web::get().to(notifications::show))
        .route(r"/api/v1/notifications/{id:\d+}/dismiss", web::post().to(notifications::dismiss))
        .route("/api/v1/media", web::post().to(media::upload_v1))
        .route("/api/v2/media", web::post().to(media::upload))
        .route("/api/v1/media/{id}", web::get().to(media::show))
        .route("/api/v1/media/{id}", web::put().to(media::update))
        .configure(admin::routes)
        .configure(filters::routes)
        .configure(domain_blocks::routes)
        .configure(instance_info::routes)
        .configure(quotes::routes)
        .configure(push::routes)
        .configure(scheduled::routes)
        .configure(polls::routes)
        .configure(lists::routes)
        .configure(tags::routes)
        .configure(notification_groups::routes)
        .configure(notification_policy::routes)
        .configure(cards::routes)
        .configure(announcements::routes)
        .configure(trends::routes)
        .configure(tail::routes);
}
