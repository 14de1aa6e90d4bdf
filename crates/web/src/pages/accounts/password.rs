//! Password reset by e-mail: `GET/POST /auth/password/new` asks for the
//! address (and answers the same whether or not it has an account), the
//! mail's link opens `GET/POST /auth/password/edit?reset_password_token=…`.

use super::{FieldErrors, allowed, client_address};
use crate::pages::csrf::CsrfForm;
use crate::pages::session::Viewer;
use crate::pages::{Page, PageError, see_other};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_service::account_security::SecurityError;

const SENT: &str = "If an account has this address, we sent it a link to choose a new password. \
                    It works once, for one hour.";

fn request_page(
    state: &AppState,
    tenant: &Tenant,
    viewer: &Viewer,
    email: &str,
    errors: &FieldErrors,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    Page::new("auth/email_request.html", tenant, viewer)
        .insert("heading", "Reset your password")
        .insert("intro", "Enter your account's e-mail address and we will send you a link to choose a new password.")
        .insert("action", "/auth/password/new")
        .insert("button", "Send me a link")
        .insert("email", email)
        .insert("errors", errors)
        .insert("notice", &notice)
        .status(status)
        .render(state)
}

#[derive(serde::Deserialize)]
pub struct SentQuery {
    sent: Option<String>,
}

/// `GET /auth/password/new`
pub async fn request_form(
    state: web::Data<AppState>,
    tenant: Tenant,
    viewer: Viewer,
    query: web::Query<SentQuery>,
) -> Result<HttpResponse, PageError> {
    let notice = query.sent.as_ref().map(|_| SENT);
    request_page(&state, &tenant, &viewer, "", &FieldErrors::new(), notice, StatusCode::OK)
}

#[derive(serde::Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

/// `POST /auth/password/new`
pub async fn request(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> Result<HttpResponse, PageError> {
    let email = form.email.trim().to_lowercase();
    let mut errors = FieldErrors::new();
    if kereru_core::email::parse_email(&email).is_err() {
        errors.insert("email", "Enter an e-mail address like name@example.org.".into());
        return request_page(&state, &tenant, &viewer, &form.email, &errors, None, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let within = allowed(&state.password_resets, &format!("reset:{}", client_address(&req)))
        && allowed(&state.password_resets, &format!("reset-to:{email}"));
    if !within {
        errors.insert("form", "Too many reset requests. Please try again in half an hour.".into());
        return request_page(&state, &tenant, &viewer, &form.email, &errors, None, StatusCode::TOO_MANY_REQUESTS);
    }
    let mut conn = state.pool.get().await?;
    kereru_service::account_security::request_password_reset(&mut conn, &tenant.domain, tenant.urls.scheme, &email)
        .await?;
    Ok(see_other("/auth/password/new?sent=1"))
}

#[derive(serde::Deserialize)]
pub struct TokenQuery {
    reset_password_token: Option<String>,
}

fn edit_page(
    state: &AppState,
    tenant: &Tenant,
    viewer: &Viewer,
    token: &str,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    Page::new("auth/password_edit.html", tenant, viewer)
        .insert("token", token)
        .insert("errors", errors)
        .insert("min_password", &kereru_store::password::MIN_PASSWORD_LEN)
        .status(status)
        .render(state)
}

fn dead_link(state: &AppState, tenant: &Tenant, viewer: &Viewer) -> Result<HttpResponse, PageError> {
    Page::new("auth/message.html", tenant, viewer)
        .insert("heading", "This link does not work")
        .insert("message", "The link is invalid, expired or was already used. Ask for a new one.")
        .insert("link", "/auth/password/new")
        .insert("link_label", "Reset your password")
        .status(StatusCode::NOT_FOUND)
        .render(state)
}

/// `GET /auth/password/edit`
pub async fn edit_form(
    state: web::Data<AppState>,
    tenant: Tenant,
    viewer: Viewer,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, PageError> {
    let token = query.reset_password_token.clone().unwrap_or_default();
    let mut conn = state.pool.get().await?;
    if !kereru_service::account_security::reset_link_is_live(&mut conn, tenant.id, &token).await? {
        return dead_link(&state, &tenant, &viewer);
    }
    edit_page(&state, &tenant, &viewer, &token, &FieldErrors::new(), StatusCode::OK)
}

#[derive(serde::Deserialize)]
pub struct NewPasswordForm {
    #[serde(default)]
    reset_password_token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
}

/// `POST /auth/password/edit`: sets the password; every session and app token of the account ends.
pub async fn edit(
    state: web::Data<AppState>,
    tenant: Tenant,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<NewPasswordForm>,
) -> Result<HttpResponse, PageError> {
    let token = form.reset_password_token.trim();
    let mut errors = FieldErrors::new();
    if form.password != form.password_confirmation {
        errors.insert("password_confirmation", "The two passwords differ.".into());
        return edit_page(&state, &tenant, &viewer, token, &errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let mut conn = state.pool.get().await?;
    match kereru_service::account_security::reset_password(&mut conn, tenant.id, token, &form.password).await {
        Ok(_) => {
            let mut response = see_other("/auth/sign_in?reset=1");
            // This browser's own session (if any) ended with the others.
            response
                .add_cookie(&crate::pages::session::removal(&tenant))
                .map_err(|e| crate::WebError::Internal(e.to_string()))?;
            Ok(response)
        }
        Err(SecurityError::WeakPassword(error)) => {
            errors.insert("password", super::settings::sentence(&error.to_string()));
            edit_page(&state, &tenant, &viewer, token, &errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(SecurityError::InvalidLink) => dead_link(&state, &tenant, &viewer),
        Err(SecurityError::Service(error)) => Err(error.into()),
        Err(other) => Err(crate::WebError::Internal(other.to_string()).into()),
    }
}
