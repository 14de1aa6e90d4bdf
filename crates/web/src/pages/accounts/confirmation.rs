//! `GET /auth/confirmation?confirmation_token=…` (the link in the mail) and
//! `GET/POST /auth/confirmation/new` (ask for a new link).

use super::{FieldErrors, allowed, client_address};
use crate::pages::csrf::CsrfForm;
use crate::pages::session::Viewer;
use crate::pages::{Page, PageError, see_other};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_service::account_security::{Confirmed, SecurityError};

#[derive(serde::Deserialize)]
pub struct TokenQuery {
    confirmation_token: Option<String>,
}

/// `GET /auth/confirmation`: follows the link once and says what it did.
pub async fn confirm(
    state: web::Data<AppState>,
    tenant: Tenant,
    viewer: Viewer,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, PageError> {
    let token = query.confirmation_token.clone().unwrap_or_default();
    let mut conn = state.pool.get().await?;
    let page = Page::new("auth/message.html", &tenant, &viewer);
    let page = match kereru_service::account_security::confirm(&mut conn, tenant.id, token.trim()).await {
        Ok(Confirmed::Address { approved: true }) => page
            .insert("heading", "Your address is confirmed")
            .insert("message", "Thank you! Your account is ready: log in to get started.")
            .insert("link", "/auth/sign_in")
            .insert("link_label", "Log in"),
        Ok(Confirmed::Address { approved: false }) => page.insert("heading", "Your address is confirmed").insert(
            "message",
            "Thank you! Your account now waits for approval by this server's staff. \
                 You will get an e-mail when it is approved.",
        ),
        Ok(Confirmed::NewEmail) => page
            .insert("heading", "Your new address is confirmed")
            .insert("message", "From now on your account uses this e-mail address.")
            .insert("link", "/settings/email")
            .insert("link_label", "Back to your settings"),
        Err(SecurityError::Service(error)) => return Err(error.into()),
        Err(error) => page
            .insert("heading", "This link does not work")
            .insert("message", &error.to_string())
            .insert("link", "/auth/confirmation/new")
            .insert("link_label", "Send a new confirmation link")
            .status(StatusCode::NOT_FOUND),
    };
    page.render(&state)
}

#[derive(serde::Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

/// `GET /auth/confirmation/new`
pub async fn resend_form(
    state: web::Data<AppState>,
    tenant: Tenant,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    Page::new("auth/email_request.html", &tenant, &viewer)
        .insert("heading", "Send the confirmation link again")
        .insert(
            "intro",
            "Enter the e-mail address you signed up with. If it waits for confirmation, we send it a new link.",
        )
        .insert("action", "/auth/confirmation/new")
        .insert("button", "Send the link")
        .insert("email", "")
        .insert("errors", &FieldErrors::new())
        .render(&state)
}

/// `POST /auth/confirmation/new`: the same answer whether or not the address has an account.
pub async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> Result<HttpResponse, PageError> {
    let email = form.email.trim().to_lowercase();
    let address_ok = allowed(&state.password_resets, &format!("mail:{}", client_address(&req)))
        && allowed(&state.password_resets, &format!("mail-to:{email}"));
    if !address_ok {
        let mut errors = FieldErrors::new();
        errors.insert("form", "Too many requests. Please try again in half an hour.".into());
        return Page::new("auth/email_request.html", &tenant, &viewer)
            .insert("heading", "Send the confirmation link again")
            .insert("action", "/auth/confirmation/new")
            .insert("button", "Send the link")
            .insert("email", &form.email)
            .insert("errors", &errors)
            .status(StatusCode::TOO_MANY_REQUESTS)
            .render(&state);
    }
    if kereru_core::email::parse_email(&email).is_ok() {
        let mut conn = state.pool.get().await?;
        kereru_service::account_security::resend_confirmation(&mut conn, &tenant.domain, tenant.urls.scheme, &email)
            .await?;
    }
    Ok(see_other("/auth/sign_up/check_email"))
}
