//! The web interface: server-rendered pages (tera, templates compiled in)
//! on every tenant host, working without JavaScript.
//!
//! A page handler takes [`session::Viewer`] (or [`session::SignedIn`]) and,
//! for a form, [`csrf::CsrfForm`]; it calls one `service` action or `store`
//! read and renders with [`Page`], which sets the security headers every
//! page carries. Errors render as HTML ([`PageError`]).

pub mod accounts;
pub mod admin;
pub mod assets;
pub mod auth;
pub mod claims;
pub mod csrf;
pub mod front;
pub mod no_tenant;
pub mod paging;
pub mod post;
pub mod posting;
pub mod profile;
pub mod public;
pub mod rss;
pub mod session;
pub mod social;
mod templates;
pub mod timelines;
pub mod view;

pub use templates::Templates;

use crate::error::WebError;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, web};
use session::Viewer;

/// Registers the web interface's routes (inside the tenant scope).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(front::home))
        .route("/auth/sign_in", web::get().to(auth::sign_in_form))
        .route("/auth/sign_in", web::post().to(auth::sign_in))
        .route("/auth/sign_out", web::post().to(auth::sign_out))
        .configure(accounts::routes)
        .configure(claims::routes)
        .configure(admin::routes)
        .configure(posting::routes)
        .configure(public::routes)
        .configure(social::routes);
}

/// Every page's Content-Security-Policy: no inline script or style, no
/// plugins, no framing; images and media may come from other servers
/// (remote avatars and attachments). Forms may lead to other servers (remote
/// follow redirects to the follower's own server).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' https: http: data: blob:; media-src 'self' https: http:; font-src 'self'; \
     connect-src 'self'; form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'";

/// A page to render: the template and its context, which starts with what
/// the layout needs (the site, the person signed in, the CSRF token).
pub struct Page {
    template: &'static str,
    context: tera::Context,
    status: StatusCode,
}

impl Page {
    pub fn new(template: &'static str, tenant: &Tenant, viewer: &Viewer) -> Self {
        let mut context = tera::Context::new();
        context.insert("site_name", &tenant.name);
        context.insert("site_host", tenant.account_host.as_str());
        context.insert("site_url", &tenant.urls.base());
        context.insert("csrf", viewer.csrf());
        context.insert("viewer", &viewer.summary(tenant));
        context.insert("registrations", tenant.registrations.as_str());
        Page { template, context, status: StatusCode::OK }
    }

    pub fn insert<T: serde::Serialize + ?Sized>(mut self, key: &str, value: &T) -> Self {
        self.context.insert(key, value);
        self
    }

    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The rendered page, with the headers every page carries.
    pub fn render(self, state: &AppState) -> Result<HttpResponse, PageError> {
        let body = state.templates.render(self.template, &self.context)?;
        Ok(html_response(self.status).body(body))
    }
}

/// A response builder for HTML with the security headers of every page.
pub fn html_response(status: StatusCode) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Referrer-Policy", "same-origin"));
    response
}

/// The fields of the small forms that only act and go back: the page to return to.
#[derive(serde::Deserialize)]
pub struct ReturnTo {
    pub return_to: Option<String>,
}

/// A 303 to `location` (after a form: the browser GETs the next page).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header(("Location", location)).insert_header(("Cache-Control", "no-store")).finish()
}

/// Why a page could not be shown: an error page, or a trip to the sign-in form.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error(transparent)]
    Web(#[from] WebError),
    /// The page needs a signed-in person: sign in, then come back to `return_to`.
    #[error("sign in to see this page")]
    SignInRequired { return_to: String },
}

impl From<kereru_service::ServiceError> for PageError {
    fn from(error: kereru_service::ServiceError) -> Self {
        PageError::Web(error.into())
    }
}

impl From<kereru_store::StoreError> for PageError {
    fn from(error: kereru_store::StoreError) -> Self {
        PageError::Web(error.into())
    }
}

impl From<kereru_store::pool::PoolError> for PageError {
    fn from(error: kereru_store::pool::PoolError) -> Self {
        PageError::Web(error.into())
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::Web(error) => error.status(),
            PageError::SignInRequired { .. } => StatusCode::SEE_OTHER,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::SignInRequired { return_to } => {
                let query = serde_urlencoded::to_string([("return_to", return_to.as_str())]).unwrap_or_default();
                see_other(&format!("/auth/sign_in?{query}"))
            }
            PageError::Web(error) => {
                if let WebError::Internal(detail) = error {
                    tracing::error!("internal error: {detail}");
                }
                error_page(error)
            }
        }
    }
}

/// A plain error page; it needs nothing (no tenant, no templates) so that it always renders.
pub fn error_page(error: &WebError) -> HttpResponse {
    let status = error.status();
    let title = status.canonical_reason().unwrap_or("Error");
    let message = match error {
        WebError::Internal(_) => "Something went wrong on our side. Please try again in a moment.".to_string(),
        other => other.to_string(),
    };
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"{css}\"></head>\
         <body class=\"plain\"><main class=\"card narrow\"><h1>{title}</h1><p>{message}</p>\
         <p><a href=\"/\">Go to the front page</a></p></main></body></html>\n",
        css = assets::stylesheet_url(),
        message = kereru_core::actor::escape_html(&message),
    );
    html_response(status).body(body)
}
