//! Signing in and out of the web interface. The password check is the one
//! the OAuth pages use ([`crate::auth::login`]), with its per-account limit
//! on failed attempts.

use super::csrf::CsrfForm;
use super::session::{self, Viewer};
use super::{Page, PageError, see_other};
use crate::auth::LoginFailure;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

/// Where a person goes after signing in when no page asked for it.
pub const AFTER_SIGN_IN: &str = "/home";

/// A `return_to` is followed only to a path on this host: never `//other`, never a URL.
pub fn safe_return_to(return_to: Option<&str>) -> &str {
    match return_to {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => path,
        _ => AFTER_SIGN_IN,
    }
}

#[derive(serde::Deserialize)]
pub struct SignInQuery {
    return_to: Option<String>,
    /// Set after a password reset, or when a two-factor step took too long.
    reset: Option<String>,
    expired: Option<String>,
}

/// `GET /auth/sign_in`
pub async fn sign_in_form(
    state: web::Data<AppState>,
    tenant: Tenant,
    viewer: Viewer,
    query: web::Query<SignInQuery>,
) -> Result<HttpResponse, PageError> {
    let return_to = safe_return_to(query.return_to.as_deref());
    if viewer.signed_in.is_some() {
        return Ok(see_other(return_to));
    }
    let notice = if query.reset.is_some() {
        Some(
            "Your password is changed, and every session and app of your account was signed out. Log in with the new one.",
        )
    } else if query.expired.is_some() {
        Some("That took too long: please log in again.")
    } else {
        None
    };
    Page::new("auth/sign_in.html", &tenant, &viewer)
        .insert("nav", "sign_in")
        .insert("return_to", return_to)
        .insert("login", "")
        .insert("notice", &notice)
        .render(&state)
}

#[derive(serde::Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    return_to: Option<String>,
}

/// `POST /auth/sign_in`
pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<SignInForm>,
) -> Result<HttpResponse, PageError> {
    let return_to = safe_return_to(form.return_to.as_deref()).to_string();
    let again = |status: StatusCode, message: String| {
        Page::new("auth/sign_in.html", &tenant, &viewer)
            .insert("nav", "sign_in")
            .insert("return_to", &return_to)
            .insert("login", &form.login)
            .insert("error", &message)
            .status(status)
            .render(&state)
    };
    {
        let mut conn = state.pool.get().await?;
        if crate::auth::refuse_blocked_address(&mut conn, &tenant, &req).await.is_err() {
            return again(StatusCode::FORBIDDEN, crate::auth::ADDRESS_REFUSED.into());
        }
    }
    let account = match crate::auth::login(&state, &tenant, &form.login, &form.password).await {
        Ok(account) => account,
        Err(LoginFailure::Error(error)) => return Err(error.into()),
        Err(LoginFailure::TooMany(wait)) => {
            return again(StatusCode::TOO_MANY_REQUESTS, LoginFailure::too_many_message(wait));
        }
        Err(LoginFailure::Invalid) => {
            return again(StatusCode::UNAUTHORIZED, "Invalid login or password.".into());
        }
    };
    let mut conn = state.pool.get().await?;
    match crate::auth::gate(&state, &tenant, &account).await? {
        crate::auth::Gate::Open => {}
        crate::auth::Gate::NotYet(not_yet) => return again(StatusCode::FORBIDDEN, not_yet.message().into()),
        // The password was right; the code comes on a second page, carried
        // by a short-lived pending token, not a session.
        crate::auth::Gate::NeedsCode => {
            let pending = kereru_service::account_security::begin_two_factor(&mut conn, tenant.id, account.id).await?;
            return super::accounts::two_factor::code_page(
                &state,
                &tenant,
                &viewer,
                &pending,
                &return_to,
                None,
                StatusCode::OK,
            );
        }
    }
    let user_agent = req.headers().get("User-Agent").and_then(|v| v.to_str().ok()).unwrap_or("");
    let ip = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    let (token, _) = kereru_service::sessions::sign_in(&mut conn, tenant.id, account.id, user_agent, &ip).await?;
    let mut response = see_other(&return_to);
    response.add_cookie(&session::cookie(&tenant, token)).map_err(|e| crate::WebError::Internal(e.to_string()))?;
    Ok(response)
}

#[derive(serde::Deserialize)]
pub struct Nothing {}

/// `POST /auth/sign_out`
pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    CsrfForm(_): CsrfForm<Nothing>,
) -> Result<HttpResponse, PageError> {
    if let Some(cookie) = req.cookie(session::COOKIE) {
        let mut conn = state.pool.get().await?;
        kereru_service::sessions::sign_out(&mut conn, tenant.id, cookie.value()).await?;
    }
    let mut response = see_other("/");
    response.add_cookie(&session::removal(&tenant)).map_err(|e| crate::WebError::Internal(e.to_string()))?;
    Ok(response)
}
