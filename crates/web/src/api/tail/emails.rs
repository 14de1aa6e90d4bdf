//! `POST /api/v1/emails/confirmations` (send the confirmation mail again,
//! maybe to a corrected address) and `GET /api/v1/emails/check_confirmation`,
//! as Mastodon's: a person whose address is still unconfirmed may call them
//! ([`PendingAuth`]), and only through the application they signed up with.

use crate::auth::PendingAuth;
use crate::error::WebError;
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_core::scopes::Scope;
use kereru_service::email_confirmations::{self as service, ResendError};
use serde_json::json;

/// Answers `{}`; 403 from another application or once confirmed, 422 for a bad `email`.
pub async fn resend(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: PendingAuth,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let PendingAuth(auth) = auth;
    let account = auth.user(Scope::WriteAccounts)?;
    // The same budget as the web's "send the link again" per address: no mail bombing through the API.
    if !crate::pages::accounts::allowed(&state.password_resets, &format!("mail-account:{}", account.id.0)) {
        return Err(WebError::TooManyRequests("Too many requests. Please try again in half an hour.".into()));
    }
    let new_email = params.str("email");
    let mut conn = state.pool.get().await?;
    let result = service::resend(
        &mut conn,
        &tenant.domain,
        tenant.urls.scheme,
        account.id,
        auth.grant.application_id,
        new_email,
    )
    .await;
    match result {
        Ok(()) => Ok(HttpResponse::Ok().json(json!({}))),
        Err(error @ (ResendError::NotSignUpApplication | ResendError::AlreadyConfirmed)) => {
            Err(WebError::Forbidden(error.to_string()))
        }
        Err(error @ ResendError::InvalidEmail(_)) => Err(WebError::Unprocessable(error.to_string())),
        Err(ResendError::Service(error)) => Err(error.into()),
    }
}

/// `true` once the address is confirmed.
pub async fn check(state: web::Data<AppState>, tenant: Tenant, auth: PendingAuth) -> Result<HttpResponse, WebError> {
    let PendingAuth(auth) = auth;
    let account = auth.user(Scope::ReadAccounts)?;
    let mut conn = state.pool.get().await?;
    let confirmed = service::is_confirmed(&mut conn, &tenant.domain, account.id).await?;
    Ok(HttpResponse::Ok().json(confirmed))
}
