//! Two-factor authentication (TOTP): the code step of signing in
//! (`POST /auth/sign_in/two_factor`, after the password step handed over a
//! short-lived pending token — not a session) and its settings page
//! (`/settings/two_factor`: set up, confirm with a first code and get the
//! recovery codes once, turn off with the password and a code).

use super::FieldErrors;
use crate::auth::LoginFailure;
use crate::pages::csrf::CsrfForm;
use crate::pages::session::{self, Me, Viewer};
use crate::pages::{Page, PageError, see_other};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_service::account_security::{self as security, SecurityError};

/// The code step's page, for the pending sign-in `pending`.
pub fn code_page(
    state: &AppState,
    tenant: &Tenant,
    viewer: &Viewer,
    pending: &str,
    return_to: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    Page::new("auth/two_factor.html", tenant, viewer)
        .insert("nav", "sign_in")
        .insert("pending", pending)
        .insert("return_to", return_to)
        .insert("error", &error)
        .status(status)
        .render(state)
}

#[derive(serde::Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    pending: String,
    #[serde(default)]
    code: String,
    return_to: Option<String>,
}

/// `POST /auth/sign_in/two_factor`
pub async fn sign_in_code(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<HttpResponse, PageError> {
    let return_to = crate::pages::auth::safe_return_to(form.return_to.as_deref()).to_string();
    let mut conn = state.pool.get().await?;
    let Some(account) = security::pending_two_factor(&mut conn, tenant.id, &form.pending).await? else {
        return Ok(see_other("/auth/sign_in?expired=1"));
    };
    // Wrong codes spend the account's budget of failed logins, as wrong passwords do.
    let attempt = match state.logins.attempt(tenant.id.0, &account.0.to_string()) {
        Ok(attempt) => attempt,
        Err(wait) => {
            let message = LoginFailure::too_many_message(wait);
            return code_page(
                &state,
                &tenant,
                &viewer,
                &form.pending,
                &return_to,
                Some(&message),
                StatusCode::TOO_MANY_REQUESTS,
            );
        }
    };
    match security::finish_two_factor(&mut conn, tenant.id, &form.pending, &form.code).await {
        Ok(account) => {
            state.logins.succeeded(attempt);
            let user_agent = req.headers().get("User-Agent").and_then(|v| v.to_str().ok()).unwrap_or("");
            let ip = super::client_address(&req);
            let (token, _) = kereru_service::sessions::sign_in(&mut conn, tenant.id, account, user_agent, &ip).await?;
            let mut response = see_other(&return_to);
            response
                .add_cookie(&session::cookie(&tenant, token))
                .map_err(|e| crate::WebError::Internal(e.to_string()))?;
            Ok(response)
        }
        Err(SecurityError::WrongCode) => code_page(
            &state,
            &tenant,
            &viewer,
            &form.pending,
            &return_to,
            Some("That code is not right, or was already used. Try the next one your app shows."),
            StatusCode::UNAUTHORIZED,
        ),
        Err(SecurityError::Service(error)) => Err(error.into()),
        Err(_) => Ok(see_other("/auth/sign_in?expired=1")),
    }
}

async fn settings_page(
    state: &AppState,
    tenant: &Tenant,
    me: &Me,
    errors: &FieldErrors,
    recovery_codes: Option<&[String]>,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let login = security::login(&mut conn, tenant.id, me.account.id).await?;
    let setting_up = login.otp_secret.clone().filter(|_| !login.otp_enabled);
    let uri = setting_up.as_deref().map(|secret| {
        kereru_core::totp::otpauth_uri(
            &tenant.name,
            &format!("{}@{}", me.account.username, tenant.account_host),
            secret,
        )
    });
    // The secret in groups of four, easier to type.
    let grouped = setting_up.as_deref().map(|secret| {
        secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
    });
    Page::new("settings/two_factor.html", tenant, &me.viewer)
        .insert("nav", "settings")
        .insert("section", "two_factor")
        .insert("enabled", &login.otp_enabled)
        .insert("secret", &grouped)
        .insert("otpauth_uri", &uri)
        .insert("recovery_codes", &recovery_codes)
        .insert("errors", errors)
        .insert("notice", &notice)
        .status(status)
        .render(state)
}

#[derive(serde::Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /settings/two_factor`
pub async fn settings(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let notice = query.done.as_ref().map(|_| "Two-factor authentication is off.");
    settings_page(&state, &tenant, &me, &FieldErrors::new(), None, notice, StatusCode::OK).await
}

#[derive(serde::Deserialize)]
pub struct Nothing {}

/// `POST /settings/two_factor/setup`: a new secret to scan (not in force until confirmed).
pub async fn setup(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    CsrfForm(_): CsrfForm<Nothing>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let login = security::login(&mut conn, tenant.id, me.account.id).await?;
    if !login.otp_enabled {
        security::start_two_factor(&mut conn, tenant.id, me.account.id).await?;
    }
    Ok(see_other("/settings/two_factor"))
}

#[derive(serde::Deserialize)]
pub struct EnableForm {
    #[serde(default)]
    code: String,
}

/// `POST /settings/two_factor/enable`: the first code turns it on; the
/// recovery codes are shown in the answer, once.
pub async fn enable(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    CsrfForm(form): CsrfForm<EnableForm>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let result = security::enable_two_factor(&mut conn, tenant.id, me.account.id, &form.code).await;
    drop(conn);
    let mut errors = FieldErrors::new();
    match result {
        Ok(codes) => {
            let notice = "Two-factor authentication is on.";
            return settings_page(&state, &tenant, &me, &errors, Some(&codes), Some(notice), StatusCode::OK).await;
        }
        Err(SecurityError::WrongCode) => errors
            .insert("code", "That code is not right. Check your app's clock, and type the code it shows now.".into()),
        Err(SecurityError::NotSettingUp) => return Ok(see_other("/settings/two_factor")),
        Err(SecurityError::Service(error)) => return Err(error.into()),
        Err(other) => return Err(crate::WebError::Internal(other.to_string()).into()),
    };
    settings_page(&state, &tenant, &me, &errors, None, None, StatusCode::UNPROCESSABLE_ENTITY).await
}

#[derive(serde::Deserialize)]
pub struct DisableForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    current_password: String,
}

/// `POST /settings/two_factor/disable`: needs the password and a code (or a recovery code).
pub async fn disable(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    CsrfForm(form): CsrfForm<DisableForm>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let result =
        security::disable_two_factor(&mut conn, tenant.id, me.account.id, &form.current_password, &form.code).await;
    drop(conn);
    let mut errors = FieldErrors::new();
    match result {
        Ok(()) => return Ok(see_other("/settings/two_factor?done=1")),
        Err(SecurityError::WrongPassword) => {
            errors.insert("current_password", "This is not your current password.".into());
        }
        Err(SecurityError::WrongCode) => {
            errors.insert("disable_code", "That code is not right, or was already used.".into());
        }
        Err(SecurityError::Service(error)) => return Err(error.into()),
        Err(other) => return Err(crate::WebError::Internal(other.to_string()).into()),
    }
    settings_page(&state, &tenant, &me, &errors, None, None, StatusCode::UNPROCESSABLE_ENTITY).await
}
