//! Bearer-token authentication for the client API. A token is valid only on
//! the tenant it was issued on: on any other host it is simply unknown.

use crate::error::WebError;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use kereru_core::scopes::Scope;
use kereru_store::accounts::{self, Account};
use kereru_store::oauth::{self, TokenGrant};
use std::future::Future;
use std::pin::Pin;

/// An authenticated request: the token's grant and, for user tokens, the account.
#[derive(Debug, Clone)]
pub struct Auth {
    pub grant: TokenGrant,
    pub account: Option<Account>,
}

/// Authentication where it is optional; a token that is present but invalid is still a 401.
#[derive(Debug, Clone)]
pub struct MaybeAuth(pub Option<Auth>);

impl MaybeAuth {
    /// The account looking, if a user token came with the request.
    pub fn viewer(&self) -> Option<kereru_store::AccountId> {
        self.0.as_ref().and_then(|a| a.account.as_ref()).map(|a| a.id)
    }
}

impl Auth {
    /// 403 unless the token's scopes grant `scope`, as Mastodon answers.
    pub fn require(&self, scope: Scope) -> Result<(), WebError> {
        if self.grant.scopes.grants(scope) {
            Ok(())
        } else {
            Err(WebError::Forbidden("This action is outside the authorized scopes".into()))
        }
    }

    /// The account acting, with `scope` checked; app-only tokens get Mastodon's 422.
    pub fn user(&self, scope: Scope) -> Result<&Account, WebError> {
        self.require(scope)?;
        self.account
            .as_ref()
            .ok_or_else(|| WebError::Unprocessable("This method requires an authenticated user".into()))
    }
}

/// The bearer token: `Authorization: Bearer ...`, else `?access_token=` (for
/// streaming clients that cannot set headers).
pub(crate) fn presented_token(req: &HttpRequest) -> Option<String> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, token) = value.trim().split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string());
    }
    let query: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).ok()?;
    query.into_iter().find(|(k, _)| k == "access_token").map(|(_, v)| v)
}

async fn authenticate(req: HttpRequest) -> Result<Option<Auth>, WebError> {
    authenticate_login(req, true).await
}

/// Checks the token; with `require_ready`, a user token's login must also be
/// confirmed and approved (as Mastodon's `require_user!`).
async fn authenticate_login(req: HttpRequest, require_ready: bool) -> Result<Option<Auth>, WebError> {
    let Some(token) = presented_token(&req) else { return Ok(None) };
    let invalid = || WebError::Unauthorized("The access token is invalid".into());
    if token.is_empty() || token.len() > 256 {
        return Err(invalid());
    }
    let tenant = req.extensions().get::<Tenant>().cloned().ok_or_else(|| WebError::Internal("no tenant".into()))?;
    let state = req.app_data::<web::Data<AppState>>().ok_or_else(|| WebError::Internal("no state".into()))?;
    let mut conn = state.pool.get().await?;
    let grant = oauth::authenticate_token(&mut conn, tenant.id, &token).await?.ok_or_else(invalid)?;
    refuse_blocked_address(&mut conn, &tenant, &req).await?;
    let account = match grant.account {
        Some(id) => Some(accounts::get_local(&mut conn, tenant.id, id).await?.ok_or_else(invalid)?),
        None => None,
    };
    // As Mastodon: a user token works once its login's address is confirmed and the sign-up approved.
    if let Some(account) = &account {
        let login =
            kereru_store::account_security::login(&mut conn, tenant.id, account.id).await?.ok_or_else(invalid)?;
        if require_ready && !login.confirmed() {
            return Err(WebError::Forbidden("Your login is missing a confirmed e-mail address".into()));
        }
        if require_ready && !login.approved {
            return Err(WebError::Forbidden("Your login is currently pending approval".into()));
        }
        // Disabled by the staff, or suspended: the token stays but is refused, as Mastodon does.
        if login.disabled || login.suspended {
            return Err(WebError::Forbidden("Your login is currently disabled".into()));
        }
    }
    // From now on this token's requests count against its own rate-limit window.
    state.limiter.token_is_valid(&token, std::time::Instant::now());
    Ok(Some(Auth { grant, account }))
}

/// The answer to a client whose address an admin refused (`no_access` IP block).
pub const ADDRESS_REFUSED: &str = "Access from your address is not allowed on this server";

/// 403 when the client's address (as the rate limiter sees it) has a
/// `no_access` IP block on this tenant or host-wide: no sign-in, no API.
pub async fn refuse_blocked_address(
    conn: &mut kereru_store::Connection,
    tenant: &Tenant,
    req: &HttpRequest,
) -> Result<(), WebError> {
    let address = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    let severity = kereru_service::blocks::lists::ip_severity(conn, tenant.id, &address).await?;
    if severity == Some(kereru_store::ip_blocks::IpSeverity::NoAccess) {
        return Err(WebError::Forbidden(ADDRESS_REFUSED.into()));
    }
    Ok(())
}

impl FromRequest for Auth {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            authenticate(req).await?.ok_or_else(|| WebError::Unauthorized("The access token is invalid".into()))
        })
    }
}

impl FromRequest for MaybeAuth {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(MaybeAuth(authenticate(req).await?)) })
    }
}

/// A token whose login may still be unconfirmed or awaiting approval (never
/// disabled): for the few endpoints Mastodon lets such a person call, as
/// asking for the confirmation mail again.
#[derive(Debug, Clone)]
pub struct PendingAuth(pub Auth);

impl FromRequest for PendingAuth {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let auth = authenticate_login(req, false).await?;
            Ok(PendingAuth(auth.ok_or_else(|| WebError::Unauthorized("The access token is invalid".into()))?))
        })
    }
}

/// Why a login (OAuth's password grant, the authorization page) got no account.
#[derive(Debug)]
pub enum LoginFailure {
    /// Wrong login or password.
    Invalid,
    /// This account's failed logins spent their budget; try again after this long.
    TooMany(std::time::Duration),
    Error(WebError),
}

impl From<kereru_store::StoreError> for LoginFailure {
    fn from(error: kereru_store::StoreError) -> Self {
        LoginFailure::Error(error.into())
    }
}

impl From<kereru_store::pool::PoolError> for LoginFailure {
    fn from(error: kereru_store::pool::PoolError) -> Self {
        LoginFailure::Error(error.into())
    }
}

impl LoginFailure {
    /// The 429 message for [`LoginFailure::TooMany`].
    pub fn too_many_message(wait: std::time::Duration) -> String {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        format!("Too many failed logins for this account. Try again in {minutes} minute(s).")
    }
}

/// Checks `login` and `password` on `tenant`, within the account's budget of
/// failed attempts ([`crate::rate_limit::LoginGuard`]): counted per account
/// whatever address the attempts come from.
pub async fn login(state: &AppState, tenant: &Tenant, login: &str, password: &str) -> Result<Account, LoginFailure> {
    let mut conn = state.pool.get().await?;
    let who = match accounts::login_account(&mut conn, tenant.id, login).await? {
        Some(id) => id.0.to_string(),
        // Unknown logins are limited too, so that the answer's timing and status tell nothing.
        None => format!("login:{}", login.trim().to_lowercase()),
    };
    let attempt = state.logins.attempt(tenant.id.0, &who).map_err(LoginFailure::TooMany)?;
    match accounts::authenticate(&mut conn, tenant.id, login, password).await? {
        Some(account) => {
            state.logins.succeeded(attempt);
            Ok(account)
        }
        None => Err(LoginFailure::Invalid),
    }
}

/// What stands between a right password and a signed-in person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    /// Unconfirmed address, or awaiting the staff's approval.
    NotYet(kereru_service::account_security::NotYet),
    /// Two-factor authentication is on: a code must follow.
    NeedsCode,
}

/// The gate for `account` after its password checked out (web sign-in, the
/// OAuth authorization page, the password grant).
pub async fn gate(state: &AppState, tenant: &Tenant, account: &Account) -> Result<Gate, WebError> {
    use kereru_service::account_security::{login, may_sign_in};
    let mut conn = state.pool.get().await?;
    let login = login(&mut conn, tenant.id, account.id).await?;
    Ok(match may_sign_in(&login) {
        Err(not_yet) => Gate::NotYet(not_yet),
        Ok(()) if login.otp_enabled => Gate::NeedsCode,
        Ok(()) => Gate::Open,
    })
}
