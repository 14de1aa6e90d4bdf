//! Kererū's HTTP face: every request is resolved to its tenant by the Host
//! header before any handler runs ([`tenant`]); handlers then serve that
//! tenant alone: discovery ([`discovery`]), actors ([`actors`]) and pages.

pub mod acme_http;
pub mod actors;
pub mod api;
pub mod auth;
pub mod cors;
pub mod discovery;
pub mod error;
pub mod extract;
pub mod federation;
pub mod head;
pub mod localize;
pub mod metrics;
pub mod multipart;
pub mod negotiate;
pub mod oauth;
pub mod observe;
pub mod pages;
pub mod params;
pub mod provider;
pub mod rate_limit;
pub mod staff;
pub mod state;
pub mod streaming;
pub mod tenant;

pub use error::WebError;
pub use state::{AppState, WebSettings};

use actix_web::{HttpResponse, middleware::from_fn, web};

/// Registers every route. The caller builds the `App` around it:
/// `App::new().app_data(Data::new(state)).configure(kereru_web::routes)`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    // Like Mastodon's, on any host: outside the tenant scope.
    cfg.route("/api/v1/streaming/health", web::get().to(streaming::health));
    // The stylesheet and script: the same on every host, the page for unknown hosts included.
    cfg.route("/static/{name}", web::get().to(pages::assets::serve));
    // The provisioning API, on the provider host only (its guard); elsewhere these paths fall to the tenants.
    cfg.configure(provider::scope);
    cfg.route("/health", web::get().to(health)).route("/ready", web::get().to(metrics::ready)).service(
        web::scope("")
            // Innermost: sees every handler's and extractor's error before the others add headers.
            .wrap(from_fn(localize::localize_errors))
            .wrap(from_fn(pages::csrf::set_form_cookie))
            .wrap(from_fn(rate_limit::limit_requests))
            // Outside the limiter, so that preflights are free and 429s readable by browser apps.
            .wrap(from_fn(cors::cors))
            .wrap(from_fn(tenant::resolve_tenant))
            // Mastodon (Rails) accepts a trailing slash on any path.
            .wrap(actix_web::middleware::NormalizePath::trim())
            .wrap(from_fn(head::head_as_get))
            // Outermost: the request id, the log span and the HTTP metrics see every answer.
            .wrap(from_fn(observe::observe))
            .route("/.well-known/webfinger", web::get().to(discovery::webfinger))
            .route("/.well-known/host-meta", web::get().to(discovery::host_meta))
            .route("/.well-known/nodeinfo", web::get().to(discovery::nodeinfo_links))
            .route("/nodeinfo/{version}", web::get().to(discovery::nodeinfo))
            .route("/.well-known/oauth-authorization-server", web::get().to(oauth::metadata))
            .route("/oauth/authorize", web::get().to(oauth::authorize::show))
            .route("/oauth/authorize", web::post().to(oauth::authorize::submit))
            .route("/oauth/token", web::post().to(oauth::token::token))
            .route("/oauth/revoke", web::post().to(oauth::revoke))
            .configure(api::routes)
            .configure(streaming::routes)
            .route("/users/{username}", web::get().to(actors::actor))
            .route("/actor", web::get().to(federation::instance_actor::show))
            .route("/inbox", web::post().to(federation::inbox::shared))
            .route("/users/{username}/inbox", web::post().to(federation::inbox::personal))
            .route("/users/{username}/outbox", web::get().to(federation::collections::outbox))
            .route("/users/{username}/followers", web::get().to(federation::collections::followers))
            .route("/users/{username}/following", web::get().to(federation::collections::following))
            .route("/users/{username}/collections/featured", web::get().to(federation::collections::featured))
            .route("/users/{username}/statuses/{id}", web::get().to(federation::objects::status))
            .route("/users/{username}/statuses/{id}/activity", web::get().to(federation::objects::activity))
            .configure(federation::quote_authorizations::routes)
            // Before `/@{username}`, which would take `alice.rss` for a name.
            .route("/@{username}.rss", web::get().to(pages::rss::feed))
            // Numeric ids only: `/@{username}/remote_follow` and other pages under a profile route on.
            .route("/@{username}/{id:[0-9]+}", web::get().to(federation::objects::status))
            .configure(pages::social::profile_routes)
            .route("/@{username}", web::get().to(actors::profile_page))
            .route("/system/media/{name}", web::get().to(api::media::serve_file))
            .configure(pages::routes)
            .route("/avatars/original/missing.png", web::get().to(api::media::missing_image))
            .route("/headers/original/missing.png", web::get().to(api::media::missing_image))
            .default_service(web::to(error::unknown_route)),
    );
}

/// For load balancers: answers on any host, touches nothing.
async fn health() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("OK")
}
