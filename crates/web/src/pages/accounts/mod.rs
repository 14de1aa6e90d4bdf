//! How people get and secure their accounts on the web: sign-up (by the
//! tenant's registration mode, or an invite), e-mail confirmation, password
//! reset, the settings for password, e-mail and two-factor authentication,
//! and invites. Every rule lives in `kereru_service::{accounts,
//! account_security, invites}`; these handlers read forms and render.

pub mod confirmation;
pub mod invites;
pub mod password;
pub mod settings;
pub mod sign_up;
pub mod two_factor;

use actix_web::{HttpRequest, web};
use std::collections::BTreeMap;

/// Registers these pages' routes (inside the tenant scope).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/sign_up", web::get().to(sign_up::form))
        .route("/auth/sign_up", web::post().to(sign_up::submit))
        .route("/auth/sign_up/check_email", web::get().to(sign_up::check_email))
        .route("/invite/{code}", web::get().to(sign_up::invite))
        .route("/auth/confirmation", web::get().to(confirmation::confirm))
        .route("/auth/confirmation/new", web::get().to(confirmation::resend_form))
        .route("/auth/confirmation/new", web::post().to(confirmation::resend))
        .route("/auth/password/new", web::get().to(password::request_form))
        .route("/auth/password/new", web::post().to(password::request))
        .route("/auth/password/edit", web::get().to(password::edit_form))
        .route("/auth/password/edit", web::post().to(password::edit))
        .route("/auth/sign_in/two_factor", web::post().to(two_factor::sign_in_code))
        .route("/settings/password", web::get().to(settings::password_form))
        .route("/settings/password", web::post().to(settings::password))
        .route("/settings/email", web::get().to(settings::email_form))
        .route("/settings/email", web::post().to(settings::email))
        .route("/settings/two_factor", web::get().to(two_factor::settings))
        .route("/settings/two_factor/setup", web::post().to(two_factor::setup))
        .route("/settings/two_factor/enable", web::post().to(two_factor::enable))
        .route("/settings/two_factor/disable", web::post().to(two_factor::disable))
        .route("/invites", web::get().to(invites::list))
        .route("/invites", web::post().to(invites::create))
        .route("/invites/{id}/expire", web::post().to(invites::expire));
}

/// Errors next to their fields: field name → message.
pub type FieldErrors = BTreeMap<&'static str, String>;

/// The client's address, which sign-up and reset limits count by.
pub fn client_address(req: &HttpRequest) -> String {
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default()
}

/// Counts one request by `key` in `limiter`; false when its window is spent.
pub fn allowed(limiter: &crate::rate_limit::Limiter, key: &str) -> bool {
    limiter.check(key, std::time::Instant::now()).allowed
}
