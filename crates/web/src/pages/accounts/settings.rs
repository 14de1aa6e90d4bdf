//! `/settings/password` and `/settings/email`: a signed-in person changes
//! their password (their other sessions and app tokens end) or their
//! address (the new one becomes theirs once its confirmation link is followed).

use super::FieldErrors;
use crate::pages::csrf::CsrfForm;
use crate::pages::session::Me;
use crate::pages::{Page, PageError, see_other};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use kereru_service::account_security::SecurityError;

/// "the password must …" → "The password must ….".
pub fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

#[derive(serde::Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn password_page(
    state: &AppState,
    tenant: &Tenant,
    me: &Me,
    errors: &FieldErrors,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    Page::new("settings/password.html", tenant, &me.viewer)
        .insert("nav", "settings")
        .insert("section", "password")
        .insert("errors", errors)
        .insert("notice", &notice)
        .insert("min_password", &kereru_store::password::MIN_PASSWORD_LEN)
        .status(status)
        .render(state)
}

/// `GET /settings/password`
pub async fn password_form(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let notice = query.done.as_ref().map(|_| "Your password is changed. Your other sessions and apps were signed out.");
    password_page(&state, &tenant, &me, &FieldErrors::new(), notice, StatusCode::OK)
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
}

/// `POST /settings/password`
pub async fn password(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    let mut errors = FieldErrors::new();
    if form.password != form.password_confirmation {
        errors.insert("password_confirmation", "The two new passwords differ.".into());
        return password_page(&state, &tenant, &me, &errors, None, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let mut conn = state.pool.get().await?;
    let changed = kereru_service::account_security::change_password(
        &mut conn,
        tenant.id,
        me.account.id,
        me.session.id,
        &form.current_password,
        &form.password,
    )
    .await;
    match changed {
        Ok(()) => Ok(see_other("/settings/password?done=1")),
        Err(SecurityError::WrongPassword) => {
            errors.insert("current_password", "This is not your current password.".into());
            password_page(&state, &tenant, &me, &errors, None, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(SecurityError::WeakPassword(error)) => {
            errors.insert("password", sentence(&error.to_string()));
            password_page(&state, &tenant, &me, &errors, None, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(SecurityError::Service(error)) => Err(error.into()),
        Err(other) => Err(crate::WebError::Internal(other.to_string()).into()),
    }
}

async fn email_page(
    state: &AppState,
    tenant: &Tenant,
    me: &Me,
    typed: &str,
    errors: &FieldErrors,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let login = kereru_service::account_security::login(&mut conn, tenant.id, me.account.id).await?;
    Page::new("settings/email.html", tenant, &me.viewer)
        .insert("nav", "settings")
        .insert("section", "email")
        .insert("current_email", &login.email)
        .insert("email", typed)
        .insert("errors", errors)
        .insert("notice", &notice)
        .status(status)
        .render(state)
}

/// `GET /settings/email`
pub async fn email_form(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let notice = query
        .done
        .as_ref()
        .map(|_| "We sent a confirmation link to the new address. It becomes your address once you open the link.");
    email_page(&state, &tenant, &me, "", &FieldErrors::new(), notice, StatusCode::OK).await
}

#[derive(serde::Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    current_password: String,
}

/// `POST /settings/email`
pub async fn email(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let result = kereru_service::account_security::change_email(
        &mut conn,
        &tenant.domain,
        tenant.urls.scheme,
        me.account.id,
        &form.current_password,
        &form.email,
    )
    .await;
    drop(conn);
    let mut errors = FieldErrors::new();
    match result {
        Ok(_) => return Ok(see_other("/settings/email?done=1")),
        Err(SecurityError::WrongPassword) => {
            errors.insert("current_password", "This is not your current password.".into());
        }
        Err(SecurityError::InvalidEmail(_)) => {
            errors.insert("email", "Enter an e-mail address like name@example.org.".into());
        }
        Err(SecurityError::EmailTaken) => {
            errors.insert("email", "This e-mail address is already used on this server.".into());
        }
        Err(SecurityError::Service(error)) => return Err(error.into()),
        Err(other) => return Err(crate::WebError::Internal(other.to_string()).into()),
    }
    email_page(&state, &tenant, &me, &form.email, &errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
}
