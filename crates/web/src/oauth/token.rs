//! `POST /oauth/token`: every grant Mastodon clients use.

use super::{authenticated_client, client_credentials, invalid_client};
use crate::auth::LoginFailure;
use crate::error::WebError;
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_core::scopes::Scopes;
use kereru_store::oauth::{self, ClientAuth, GrantError, IssuedToken};

fn oauth_error(status: u16, code: &'static str, description: impl Into<String>) -> WebError {
    WebError::OAuth { status, code, description: description.into() }
}

fn invalid_grant(description: impl Into<String>) -> WebError {
    oauth_error(400, "invalid_grant", description)
}

impl From<GrantError> for WebError {
    fn from(error: GrantError) -> Self {
        match error {
            GrantError::Store(e) => WebError::from(e),
            GrantError::ClientAuthenticationRequired => invalid_client(),
            other => invalid_grant(other.to_string()),
        }
    }
}

fn token_json(token: &IssuedToken) -> HttpResponse {
    let mut body = serde_json::json!({
        "access_token": token.access_token,
        "token_type": "Bearer",
        "scope": token.scopes.to_string(),
        "created_at": token.created_at.timestamp(),
    });
    if let Some(refresh) = &token.refresh_token {
        body["refresh_token"] = refresh.clone().into();
    }
    HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(body)
}

/// Requested scopes, defaulting to `read`, never beyond the app's.
fn requested_scopes(params: &Params, granted: &Scopes) -> Result<Scopes, WebError> {
    let scopes = Scopes::parse(params.str("scope").or(params.str("scopes")).unwrap_or("read"))
        .map_err(|e| oauth_error(400, "invalid_scope", e.to_string()))?;
    if !scopes.within(granted) {
        return Err(oauth_error(400, "invalid_scope", "The requested scope is invalid, unknown, or malformed."));
    }
    Ok(scopes)
}

pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let grant_type = params.str("grant_type").unwrap_or("");
    match grant_type {
        "authorization_code" => {
            let code = params.str("code").ok_or_else(|| invalid_grant("code is missing"))?;
            let redirect_uri = params.str("redirect_uri").unwrap_or(oauth::OOB_REDIRECT);
            let verifier = params.str("code_verifier");
            let (client_id, secret) = client_credentials(&req, &params);
            // A presented secret must be right: a wrong one never falls back to PKCE.
            let (app, client) = match secret {
                Some(_) => (authenticated_client(&state, &tenant, &req, &params).await?, ClientAuth::Secret),
                // Without a secret, only the verifier of a code issued with a challenge identifies the client.
                None => {
                    let client_id = client_id.ok_or_else(invalid_client)?;
                    let mut conn = state.pool.get().await?;
                    let app =
                        oauth::find_application(&mut conn, tenant.id, &client_id).await?.ok_or_else(invalid_client)?;
                    (app, ClientAuth::PkceOnly)
                }
            };
            let mut conn = state.pool.get().await?;
            let (account, scopes) =
                oauth::redeem_code(&mut conn, tenant.id, &app, client, code, redirect_uri, verifier).await?;
            let token = oauth::issue_token(&mut conn, tenant.id, &app, Some(account), scopes, true).await?;
            Ok(token_json(&token))
        }
        "refresh_token" => {
            let app = authenticated_client(&state, &tenant, &req, &params).await?;
            let refresh = params.str("refresh_token").ok_or_else(|| invalid_grant("refresh_token is missing"))?;
            let mut conn = state.pool.get().await?;
            let token = oauth::refresh(&mut conn, tenant.id, &app, refresh).await?;
            Ok(token_json(&token))
        }
        "client_credentials" => {
            let app = authenticated_client(&state, &tenant, &req, &params).await?;
            let scopes = requested_scopes(&params, &app.scopes)?;
            let mut conn = state.pool.get().await?;
            let token = oauth::issue_token(&mut conn, tenant.id, &app, None, scopes, false).await?;
            Ok(token_json(&token))
        }
        "password" if state.settings.password_grant => {
            let app = authenticated_client(&state, &tenant, &req, &params).await?;
            let scopes = requested_scopes(&params, &app.scopes)?;
            let username = params.str("username").ok_or_else(|| invalid_grant("username is missing"))?;
            let password = params.str("password").ok_or_else(|| invalid_grant("password is missing"))?;
            crate::auth::refuse_blocked_address(&mut state.pool.get().await?, &tenant, &req).await?;
            let account = match crate::auth::login(&state, &tenant, username, password).await {
                Ok(account) => account,
                Err(LoginFailure::Invalid) => {
                    return Err(invalid_grant(
                        "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
                    ));
                }
                Err(LoginFailure::TooMany(wait)) => {
                    return Err(WebError::TooManyRequests(LoginFailure::too_many_message(wait)));
                }
                Err(LoginFailure::Error(error)) => return Err(error),
            };
            match crate::auth::gate(&state, &tenant, &account).await? {
                // A pending approval still gets its token, which the API refuses until approved.
                crate::auth::Gate::Open
                | crate::auth::Gate::NotYet(kereru_service::account_security::NotYet::AwaitingApproval) => {}
                crate::auth::Gate::NotYet(not_yet) => return Err(invalid_grant(not_yet.message())),
                // As Mastodon: this grant has no place for a second factor.
                crate::auth::Gate::NeedsCode => {
                    return Err(invalid_grant(
                        "This account uses two-factor authentication: log in through the authorization page instead.",
                    ));
                }
            }
            let mut conn = state.pool.get().await?;
            let token = oauth::issue_token(&mut conn, tenant.id, &app, Some(account.id), scopes, true).await?;
            Ok(token_json(&token))
        }
        _ => Err(oauth_error(
            400,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        )),
    }
}
