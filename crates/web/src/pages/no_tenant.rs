//! The page for a host name that is no tenant's (or an IP address): it says
//! that Kererū runs here and how an admin adds a domain, and nothing about
//! any tenant.

use super::html_response;
use crate::state::AppState;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;

pub fn page(state: &AppState, host: &str) -> HttpResponse {
    let mut context = tera::Context::new();
    context.insert("host", host);
    // With self-service on, the person who pointed their domain here can claim it.
    context.insert("self_service", &state.settings.hosting.self_service);
    // The claim form gets the domain filled in (a host name only, never an IP address).
    context.insert("claim_host", &kereru_core::HostName::parse(host).ok().map(|h| h.to_string()));
    match state.templates.render("no_tenant.html", &context) {
        Ok(body) => html_response(StatusCode::NOT_FOUND).body(body),
        Err(error) => super::error_page(&error),
    }
}
