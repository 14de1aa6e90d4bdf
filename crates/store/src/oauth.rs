//! OAuth 2 state: registered apps, authorization codes and access tokens.
//! Secrets are random 256-bit strings shown once; only their SHA-256 is
//! stored, so a database leak yields no usable credential.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, next_id};
use crate::schema::{oauth_applications, oauth_authorization_codes, oauth_tokens};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kereru_core::scopes::Scopes;

/// The redirect URI of apps that show the code for copy and paste.
pub const OOB_REDIRECT: &str = "urn:ietf:wg:oauth:2.0:oob";
/// Authorization codes are short-lived and single-use.
pub const CODE_LIFETIME_MINUTES: i64 = 10;

/// A new random secret: 32 bytes, URL-safe base64 (43 characters).
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn sha256(text: &str) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref().to_vec()
}

#[derive(Debug, Clone)]
pub struct Application {
    pub id: i64,
    pub domain_id: DomainId,
    pub name: String,
    pub website: Option<String>,
    pub redirect_uris: Vec<String>,
    pub scopes: Scopes,
    pub client_id: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = oauth_applications)]
struct ApplicationRow {
    id: i64,
    domain_id: i64,
    name: String,
    website: Option<String>,
    redirect_uris: String,
    scopes: String,
    client_id: String,
    client_secret_sha256: Vec<u8>,
    created_at: DateTime<Utc>,
}

impl ApplicationRow {
    fn into_application(self) -> Result<Application, StoreError> {
        Ok(Application {
            id: self.id,
            domain_id: DomainId(self.domain_id),
            name: self.name,
            website: self.website,
            redirect_uris: self.redirect_uris.lines().map(str::to_string).collect(),
            scopes: Scopes::parse(&self.scopes).map_err(|e| StoreError::Corrupt(format!("app {}: {e}", self.id)))?,
            client_id: self.client_id,
            created_at: self.created_at,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewApplication {
    pub name: String,
    pub website: Option<String>,
    /// Already validated by the caller: absolute URIs or [`OOB_REDIRECT`].
    pub redirect_uris: Vec<String>,
    pub scopes: Scopes,
}

/// Registers an app on one tenant; returns it with its client secret, which is not kept.
pub async fn create_application(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    new: NewApplication,
) -> Result<(Application, String), StoreError> {
    let id = next_id();
    let client_id = new_secret();
    let secret = new_secret();
    diesel::insert_into(oauth_applications::table)
        .values((
            oauth_applications::id.eq(id),
            oauth_applications::domain_id.eq(domain.0),
            oauth_applications::name.eq(&new.name),
            oauth_applications::website.eq(&new.website),
            oauth_applications::redirect_uris.eq(new.redirect_uris.join("\n")),
            oauth_applications::scopes.eq(new.scopes.to_string()),
            oauth_applications::client_id.eq(&client_id),
            oauth_applications::client_secret_sha256.eq(sha256(&secret)),
        ))
        .execute(conn)
        .await?;
    let app = application_by_id(conn, domain, id).await?.ok_or_else(|| StoreError::Corrupt("app vanished".into()))?;
    Ok((app, secret))
}

pub async fn application_by_id(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    id: i64,
) -> Result<Option<Application>, StoreError> {
    let row: Option<ApplicationRow> = oauth_applications::table
        .filter(oauth_applications::domain_id.eq(domain.0))
        .filter(oauth_applications::id.eq(id))
        .select(ApplicationRow::as_select())
        .first(conn)
        .await
        .optional()?;
    row.map(ApplicationRow::into_application).transpose()
}

/// The app with this client id on this tenant (an app of another tenant is not found).
pub async fn find_application(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    client_id: &str,
) -> Result<Option<Application>, StoreError> {
    load_application_row(conn, domain, client_id).await?.map(ApplicationRow::into_application).transpose()
}

async fn load_application_row(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    client_id: &str,
) -> Result<Option<ApplicationRow>, StoreError> {
    Ok(oauth_applications::table
        .filter(oauth_applications::domain_id.eq(domain.0))
        .filter(oauth_applications::client_id.eq(client_id))
        .select(ApplicationRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The app, if `client_secret` is its secret.
pub async fn authenticate_client(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    client_id: &str,
    client_secret: &str,
) -> Result<Option<Application>, StoreError> {
    let Some(row) = load_application_row(conn, domain, client_id).await? else { return Ok(None) };
    let presented = sha256(client_secret);
    if !constant_time_eq(&presented, &row.client_secret_sha256) {
        return Ok(None);
    }
    Ok(Some(row.into_application()?))
}

#[derive(Debug, Clone)]
pub struct NewCode {
    pub account: AccountId,
    pub redirect_uri: String,
    pub scopes: Scopes,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

/// Stores a single-use authorization code and returns it.
pub async fn create_code(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    app: &Application,
    new: NewCode,
) -> Result<String, StoreError> {
    let code = new_secret();
    diesel::insert_into(oauth_authorization_codes::table)
        .values((
            oauth_authorization_codes::code_sha256.eq(sha256(&code)),
            oauth_authorization_codes::application_id.eq(app.id),
            oauth_authorization_codes::account_id.eq(new.account.0),
            oauth_authorization_codes::domain_id.eq(domain.0),
            oauth_authorization_codes::redirect_uri.eq(&new.redirect_uri),
            oauth_authorization_codes::scopes.eq(new.scopes.to_string()),
            oauth_authorization_codes::code_challenge.eq(&new.code_challenge),
            oauth_authorization_codes::code_challenge_method.eq(&new.code_challenge_method),
            oauth_authorization_codes::expires_at.eq(Utc::now() + Duration::minutes(CODE_LIFETIME_MINUTES)),
        ))
        .execute(conn)
        .await?;
    Ok(code)
}

#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    #[error("the authorization code is invalid, expired or already used")]
    InvalidCode,
    #[error("redirect_uri does not match the one the code was issued for")]
    RedirectMismatch,
    #[error("the PKCE code_verifier does not match the code_challenge")]
    PkceMismatch,
    #[error("a code_verifier was sent for a code issued without code_challenge")]
    UnexpectedVerifier,
    /// The code was issued without a challenge, so only the client's secret can redeem it.
    #[error("client authentication is required for this code")]
    ClientAuthenticationRequired,
    #[error("the refresh token is invalid or revoked")]
    InvalidRefreshToken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for GrantError {
    fn from(error: diesel::result::Error) -> Self {
        GrantError::Store(StoreError::Database(error))
    }
}

/// How the client redeeming a code proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// With its client secret.
    Secret,
    /// With nothing but the PKCE verifier: only codes issued with a challenge qualify.
    PkceOnly,
}

/// Consumes a code (deleted whether or not the rest checks out, so it can't
/// be tried twice) and returns whom it was issued for and with what scopes.
/// A client without its secret ([`ClientAuth::PkceOnly`]) cannot touch a
/// code issued without a challenge: it is refused and the code stays.
pub async fn redeem_code(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    app: &Application,
    client: ClientAuth,
    code: &str,
    redirect_uri: &str,
    code_verifier: Option<&str>,
) -> Result<(AccountId, Scopes), GrantError> {
    type CodeRow = (i64, String, String, Option<String>, Option<String>, DateTime<Utc>);
    let codes = oauth_authorization_codes::table
        .filter(oauth_authorization_codes::code_sha256.eq(sha256(code)))
        .filter(oauth_authorization_codes::domain_id.eq(domain.0))
        .filter(oauth_authorization_codes::application_id.eq(app.id));
    if client == ClientAuth::PkceOnly {
        let without_challenge: i64 =
            codes.clone().filter(oauth_authorization_codes::code_challenge.is_null()).count().get_result(conn).await?;
        if without_challenge > 0 {
            return Err(GrantError::ClientAuthenticationRequired);
        }
    }
    let row: Option<CodeRow> = diesel::delete(codes)
        .returning((
            oauth_authorization_codes::account_id,
            oauth_authorization_codes::redirect_uri,
            oauth_authorization_codes::scopes,
            oauth_authorization_codes::code_challenge,
            oauth_authorization_codes::code_challenge_method,
            oauth_authorization_codes::expires_at,
        ))
        .get_result(conn)
        .await
        .optional()?;
    let (account, issued_redirect, scopes, challenge, method, expires_at) = row.ok_or(GrantError::InvalidCode)?;
    if expires_at < Utc::now() {
        return Err(GrantError::InvalidCode);
    }
    if issued_redirect != redirect_uri {
        return Err(GrantError::RedirectMismatch);
    }
    match (challenge, code_verifier) {
        (Some(challenge), Some(verifier)) => {
            if !pkce_matches(&challenge, method.as_deref().unwrap_or("plain"), verifier) {
                return Err(GrantError::PkceMismatch);
            }
        }
        (Some(_), None) => return Err(GrantError::PkceMismatch),
        // RFC 9700 §2.1.1: a verifier for a code issued without a challenge is a downgrade attempt.
        (None, Some(_)) => return Err(GrantError::UnexpectedVerifier),
        // Only a client that proved itself with its secret gets here (checked above).
        (None, None) if client == ClientAuth::Secret => {}
        (None, None) => return Err(GrantError::ClientAuthenticationRequired),
    }
    let scopes = Scopes::parse(&scopes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok((AccountId(account), scopes))
}

/// RFC 7636: S256 is `BASE64URL(SHA256(verifier)) == challenge`.
pub fn pkce_matches(challenge: &str, method: &str, verifier: &str) -> bool {
    let computed = match method {
        "S256" => URL_SAFE_NO_PAD.encode(sha256(verifier)),
        "plain" => verifier.to_string(),
        _ => return false,
    };
    constant_time_eq(computed.as_bytes(), challenge.as_bytes())
}

/// Equality whose time depends only on the lengths, not on where bytes differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A token as handed to the client, once.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub id: i64,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub scopes: Scopes,
    pub created_at: DateTime<Utc>,
}

pub async fn issue_token(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    app: &Application,
    account: Option<AccountId>,
    scopes: Scopes,
    with_refresh: bool,
) -> Result<IssuedToken, StoreError> {
    let id = next_id();
    let access_token = new_secret();
    let refresh_token = with_refresh.then(new_secret);
    let created_at: DateTime<Utc> = diesel::insert_into(oauth_tokens::table)
        .values((
            oauth_tokens::id.eq(id),
            oauth_tokens::token_sha256.eq(sha256(&access_token)),
            oauth_tokens::refresh_sha256.eq(refresh_token.as_deref().map(sha256)),
            oauth_tokens::application_id.eq(app.id),
            oauth_tokens::domain_id.eq(domain.0),
            oauth_tokens::account_id.eq(account.map(|a| a.0)),
            oauth_tokens::scopes.eq(scopes.to_string()),
        ))
        .returning(oauth_tokens::created_at)
        .get_result(conn)
        .await?;
    Ok(IssuedToken { id, access_token, refresh_token, scopes, created_at })
}

/// Swaps a refresh token for a new token pair; the old access token is revoked.
pub async fn refresh(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    app: &Application,
    refresh_token: &str,
) -> Result<IssuedToken, GrantError> {
    let old: Option<(i64, Option<i64>, String)> = diesel::update(
        oauth_tokens::table
            .filter(oauth_tokens::refresh_sha256.eq(sha256(refresh_token)))
            .filter(oauth_tokens::domain_id.eq(domain.0))
            .filter(oauth_tokens::application_id.eq(app.id))
            .filter(oauth_tokens::revoked_at.is_null()),
    )
    .set(oauth_tokens::revoked_at.eq(diesel::dsl::now))
    .returning((oauth_tokens::id, oauth_tokens::account_id, oauth_tokens::scopes))
    .get_result(conn)
    .await
    .optional()?;
    let (_, account, scopes) = old.ok_or(GrantError::InvalidRefreshToken)?;
    let scopes = Scopes::parse(&scopes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(issue_token(conn, domain, app, account.map(AccountId), scopes, true).await?)
}

/// Revokes a token of this app (by its access or refresh token). Unknown tokens are no error (RFC 7009).
pub async fn revoke(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    app: &Application,
    token: &str,
) -> Result<(), StoreError> {
    let hash = sha256(token);
    diesel::update(
        oauth_tokens::table
            .filter(oauth_tokens::domain_id.eq(domain.0))
            .filter(oauth_tokens::application_id.eq(app.id))
            .filter(oauth_tokens::token_sha256.eq(&hash).or(oauth_tokens::refresh_sha256.eq(&hash)))
            .filter(oauth_tokens::revoked_at.is_null()),
    )
    .set(oauth_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(())
}

/// What a valid bearer token grants on this tenant.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub token_id: i64,
    pub application_id: i64,
    pub account: Option<AccountId>,
    pub scopes: Scopes,
}

/// The grant of a live token presented on this tenant; `None` for unknown,
/// revoked, or another tenant's tokens.
pub async fn authenticate_token(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    token: &str,
) -> Result<Option<TokenGrant>, StoreError> {
    let row: Option<(i64, i64, Option<i64>, String)> = oauth_tokens::table
        .filter(oauth_tokens::token_sha256.eq(sha256(token)))
        .filter(oauth_tokens::domain_id.eq(domain.0))
        .filter(oauth_tokens::revoked_at.is_null())
        .select((oauth_tokens::id, oauth_tokens::application_id, oauth_tokens::account_id, oauth_tokens::scopes))
        .first(conn)
        .await
        .optional()?;
    let Some((token_id, application_id, account, scopes)) = row else { return Ok(None) };
    let scopes = Scopes::parse(&scopes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Some(TokenGrant { token_id, application_id, account: account.map(AccountId), scopes }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_the_rfc_7636_example() {
        // RFC 7636, Appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(challenge, "S256", verifier));
        assert!(!pkce_matches(challenge, "S256", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK"));
        assert!(!pkce_matches(challenge, "plain", verifier));
        assert!(pkce_matches(verifier, "plain", verifier));
        assert!(!pkce_matches(challenge, "S512", verifier));
    }
}
