//! The provisioning API for hosting providers (issue 14): JSON under
//! `/api/provider/v1/`, answered only on the configured provider host
//! (`[provider] host`, never a tenant) and authenticated by provider keys
//! ([`auth::ProviderKey`], [`auth::WriteKey`]). On tenant hosts these paths
//! are unknown routes (404), because the scope's guard ([`on_provider_host`])
//! only lets the provider host in.
//!
//! One file per resource, each with its `routes` and the `ROUTES` it
//! registers ([`all_routes`] walks them; a test checks that every one is in
//! `docs/provider-openapi.json`, served by [`openapi`]).

pub mod auth;
pub mod error;
pub mod openapi;
pub mod plans;
pub mod tenants;
pub mod usage;
pub mod webhooks;

use crate::state::AppState;
use actix_web::guard::GuardContext;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use kereru_core::HostName;

/// Where the provisioning API lives, under the provider host.
pub const PREFIX: &str = "/api/provider/v1";

/// The provider API's settings (`[provider]`).
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// The host the API answers on; `None`: no provider API.
    pub host: Option<HostName>,
    /// How long a deleted tenant can be restored before its data is purged.
    pub deletion_grace_days: u32,
}

impl Default for ProviderSettings {
    fn default() -> Self {
        ProviderSettings { host: None, deletion_grace_days: 30 }
    }
}

/// A route as registered: method and path below [`PREFIX`] (`{host}` style parameters).
pub type Route = (&'static str, &'static str);

/// Every provider route, from each resource's `ROUTES`.
pub fn all_routes() -> Vec<Route> {
    [openapi::ROUTES, tenants::ROUTES, plans::ROUTES, usage::ROUTES, webhooks::ROUTES].concat()
}

/// Registers the provider API's scope; the caller puts it before the tenant scope.
pub fn scope(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(PREFIX)
            .guard(actix_web::guard::fn_guard(on_provider_host))
            .configure(openapi::routes)
            .configure(tenants::routes)
            .configure(plans::routes)
            .configure(usage::routes)
            .configure(webhooks::routes)
            .default_service(web::to(unknown_route)),
    );
}

/// Whether a request was sent to the configured provider host.
pub fn on_provider_host(ctx: &GuardContext<'_>) -> bool {
    let Some(state) = ctx.app_data::<web::Data<AppState>>() else { return false };
    let Some(provider) = &state.settings.provider.host else { return false };
    let head = ctx.head();
    let raw = match head.headers().get(header::HOST) {
        Some(value) => value.to_str().ok(),
        None => head.uri.authority().map(|a| a.as_str()),
    };
    raw.and_then(|raw| HostName::from_host_header(raw).ok()).is_some_and(|host| &host == provider)
}

async fn unknown_route() -> HttpResponse {
    error::ApiError::NotFound("no such provider API route".into()).response()
}
