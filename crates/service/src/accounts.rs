//! Signing up, on the web or through the client API: the tenant's
//! registration mode and invites decide whether and how; the new login waits
//! for its address to be confirmed (the mail is queued in the same
//! transaction). The API's sign-up also gets its app's first token.

use crate::ServiceError;
use crate::account_mails::{self, Site};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_core::Scheme;
use kereru_store::StoreError;
use kereru_store::account_security::{self, Purpose};
use kereru_store::accounts::{self, Account, AccountError, NewLocalAccount};
use kereru_store::domains::{Domain, Registrations};
use kereru_store::invites;
use kereru_store::ip_blocks::IpSeverity;
use kereru_store::oauth::{self, IssuedToken};

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// Taken username or e-mail, weak password, or a store failure.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// The application the signing-up token belongs to is gone.
    #[error("the token's application is unknown")]
    UnknownApplication,
    /// Registrations are closed and no valid invite came with the request.
    #[error("Registrations are closed on this server")]
    Closed,
    /// The invite code is unknown, expired or used up.
    #[error("This invite is invalid, expired or used up")]
    InvalidInvite,
    /// Approval mode needs a reason to show the staff.
    #[error("Please say why you want to join")]
    ReasonRequired,
    /// The address's e-mail domain is blocked here (`email_domain_blocks`).
    #[error("is not allowed")]
    EmailDomainBlocked,
    /// The client's address may not sign up here (`ip_blocks`).
    #[error("Sign-ups from your address are not allowed on this server")]
    AddressBlocked,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl RegisterError {
    /// The plan's quota (max accounts) that refused the sign-up, if that is what happened.
    pub fn quota(&self) -> Option<&kereru_store::quotas::QuotaExceeded> {
        match self {
            RegisterError::Account(AccountError::Store(error)) => error.quota(),
            RegisterError::Service(error) => error.quota(),
            _ => None,
        }
    }
}

impl From<StoreError> for RegisterError {
    fn from(error: StoreError) -> Self {
        RegisterError::Account(AccountError::Store(error))
    }
}

impl From<diesel::result::Error> for RegisterError {
    fn from(error: diesel::result::Error) -> Self {
        RegisterError::from(StoreError::Database(error))
    }
}

/// A person signing up: the new login (its `approved` is decided here) and
/// the invite code they came with, if any.
#[derive(Debug, Clone)]
pub struct SignUp {
    pub account: NewLocalAccount,
    pub invite_code: Option<String>,
    /// The client's address (as the rate limiter counts it), for IP blocks.
    pub address: String,
}

/// What a sign-up made.
#[derive(Debug, Clone)]
pub struct SignedUp {
    pub account: Account,
    /// False when the account waits for the staff's approval.
    pub approved: bool,
}

/// Signs up on `tenant` as its registration mode and the invite allow:
/// closed needs a valid invite; approval makes a pending account unless an
/// invite came with it (and then needs a reason); the login is unconfirmed
/// and a confirmation mail is queued, all in one transaction.
pub async fn sign_up(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    scheme: Scheme,
    sign_up: SignUp,
) -> Result<SignedUp, RegisterError> {
    let result = conn.transaction(async |conn| create(conn, tenant, scheme, sign_up).await).await;
    crate::quota_notice::after(conn, tenant.id, result).await
}

async fn create(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    scheme: Scheme,
    sign_up: SignUp,
) -> Result<SignedUp, RegisterError> {
    let SignUp { mut account, invite_code, address } = sign_up;
    if kereru_store::email_domain_blocks::is_blocked(conn, tenant.id, account.email.as_str()).await? {
        return Err(RegisterError::EmailDomainBlocked);
    }
    let address_block = crate::blocks::lists::ip_severity(conn, tenant.id, &address).await?;
    if address_block.is_some_and(|s| s >= IpSeverity::SignUpBlock) {
        return Err(RegisterError::AddressBlocked);
    }
    let code = invite_code.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let invite = match code {
        Some(code) => Some(invites::use_one(conn, tenant.id, code).await?.ok_or(RegisterError::InvalidInvite)?),
        None => None,
    };
    let approved = match (tenant.registrations, &invite) {
        (_, Some(_)) | (Registrations::Open, None) => true,
        (Registrations::Approval, None) => false,
        (Registrations::Closed, None) => return Err(RegisterError::Closed),
    };
    // An address that needs approval makes a pending account (no reason asked).
    if address_block == Some(IpSeverity::SignUpRequiresApproval) && invite.is_none() {
        account.approved = false;
        account.role = kereru_store::roles::Role::User;
        return finish(conn, tenant, scheme, account, invite).await;
    }
    if !approved && account.signup_reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(RegisterError::ReasonRequired);
    }
    account.approved = approved;
    account.role = kereru_store::roles::Role::User;
    finish(conn, tenant, scheme, account, invite).await
}

async fn finish(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    scheme: Scheme,
    account: NewLocalAccount,
    invite: Option<invites::Invite>,
) -> Result<SignedUp, RegisterError> {
    let approved = account.approved;
    let email = account.email.clone();
    let locale = account_mails::locale_of(account.locale.as_deref());
    let created = accounts::create_local(conn, tenant.id, account).await?;
    account_security::set_unconfirmed(conn, tenant.id, created.id).await?;
    if let Some(invite) = &invite {
        account_security::set_invite(conn, tenant.id, created.id, invite.id).await?;
    }
    let token = account_security::issue_token(conn, tenant.id, created.id, Purpose::Confirmation, &email).await?;
    let base_url = tenant.urls(scheme).base();
    let site = Site { name: &tenant.name, base_url: &base_url };
    let mail = account_mails::confirmation(site, locale, &created.username, &token);
    account_mails::send(conn, tenant.id, &email, &mail).await?;
    Ok(SignedUp { account: created, approved })
}

/// Signs up through the client API ([`sign_up`]'s rules) and issues a user
/// token from `application_id`, in one transaction: no account is left
/// without its token.
pub async fn register(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    scheme: Scheme,
    application_id: i64,
    sign_up: SignUp,
) -> Result<IssuedToken, RegisterError> {
    let tenant_id = tenant.id;
    let result = conn
        .transaction(async |conn| -> Result<IssuedToken, RegisterError> {
            let app = oauth::application_by_id(conn, tenant_id, application_id)
                .await?
                .ok_or(RegisterError::UnknownApplication)?;
            let signed_up = create(conn, tenant, scheme, sign_up).await?;
            // Only this application may ask for the confirmation mail again.
            kereru_store::email_confirmations::record(conn, tenant_id, signed_up.account.id, app.id).await?;
            Ok(oauth::issue_token(conn, tenant_id, &app, Some(signed_up.account.id), app.scopes.clone(), true).await?)
        })
        .await;
    crate::quota_notice::after(conn, tenant_id, result).await
}
