//! Securing an account: confirming its address, resetting and changing the
//! password, changing the address, and two-factor authentication (TOTP with
//! recovery codes). Each action is one function and one transaction, its
//! mail queued inside it. Nothing here tells whether an address has an
//! account: requests for unknown ones succeed and do nothing.

use crate::ServiceError;
use crate::account_mails::{self, Site};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_core::{Scheme, totp};
use kereru_store::account_security::{self as store, Login, Purpose};
use kereru_store::domains::Domain;
use kereru_store::password::{self, PasswordError};
use kereru_store::{AccountId, DomainId, StoreError};

/// Why a security action was refused; each names the form field at fault.
#[derive(Debug, thiserror::Error)]
pub enum SecurityError {
    #[error("The password is not right.")]
    WrongPassword,
    #[error("That code is not right, or was already used.")]
    WrongCode,
    #[error("This link is invalid or expired. Ask for a new one.")]
    InvalidLink,
    #[error("{0}")]
    WeakPassword(#[from] PasswordError),
    #[error("{0}")]
    InvalidEmail(String),
    #[error("This e-mail address is already used on this server.")]
    EmailTaken,
    #[error("Two-factor authentication is not being set up.")]
    NotSettingUp,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for SecurityError {
    fn from(error: StoreError) -> Self {
        SecurityError::Service(error.into())
    }
}

impl From<diesel::result::Error> for SecurityError {
    fn from(error: diesel::result::Error) -> Self {
        SecurityError::Service(error.into())
    }
}

/// Why a correct password does not sign someone in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotYet {
    /// The address was never confirmed.
    Unconfirmed,
    /// The staff has not approved the sign-up yet.
    AwaitingApproval,
    /// The staff disabled the login or suspended the account.
    Disabled,
}

impl NotYet {
    pub fn message(self) -> &'static str {
        match self {
            NotYet::Unconfirmed => {
                "Please confirm your e-mail address first: open the link in the mail we sent you. \
                 No mail? Ask for a new one below."
            }
            NotYet::AwaitingApproval => {
                "Your account is waiting for approval by this server's staff. You will get an e-mail when it is approved."
            }
            NotYet::Disabled => "Your login is currently disabled",
        }
    }
}

/// Whether this login may sign in now (its password was right).
pub fn may_sign_in(login: &Login) -> Result<(), NotYet> {
    if login.disabled || login.suspended {
        Err(NotYet::Disabled)
    } else if !login.confirmed() {
        Err(NotYet::Unconfirmed)
    } else if !login.approved {
        Err(NotYet::AwaitingApproval)
    } else {
        Ok(())
    }
}

/// `account`'s login on `tenant`; `NotFound` if it has none.
pub async fn login(conn: &mut AsyncPgConnection, tenant: DomainId, account: AccountId) -> Result<Login, ServiceError> {
    store::login(conn, tenant, account).await?.ok_or(ServiceError::NotFound)
}

fn site(tenant: &Domain, scheme: Scheme) -> (String, String) {
    (tenant.name.clone(), tenant.urls(scheme).base())
}

/// What a confirmation link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    /// A sign-up's address; `approved` false while the staff has to approve.
    Address { approved: bool },
    /// A new address replaced the old one.
    NewEmail,
}

/// Follows a confirmation link (sign-up or e-mail change) of `tenant`.
pub async fn confirm(conn: &mut AsyncPgConnection, tenant: DomainId, token: &str) -> Result<Confirmed, SecurityError> {
    conn.transaction(async |conn| -> Result<Confirmed, SecurityError> {
        if let Some(found) = store::use_token(conn, tenant, Purpose::Confirmation, token).await? {
            store::confirm(conn, tenant, found.account).await?;
            let login = login(conn, tenant, found.account).await?;
            return Ok(Confirmed::Address { approved: login.approved });
        }
        if let Some(found) = store::use_token(conn, tenant, Purpose::EmailChange, token).await? {
            if let Some(owner) = store::account_by_email(conn, tenant, &found.email).await?
                && owner != found.account
            {
                return Err(SecurityError::EmailTaken);
            }
            store::set_email(conn, tenant, found.account, &found.email).await?;
            return Ok(Confirmed::NewEmail);
        }
        Err(SecurityError::InvalidLink)
    })
    .await
}

/// Approves a sign-up that waits for the tenant's staff and mails its owner;
/// `Ok(false)` when it was not waiting (already approved). `NotFound` for an
/// account that is not this tenant's.
pub async fn approve(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    scheme: Scheme,
    account: AccountId,
) -> Result<bool, ServiceError> {
    let (name, base_url) = site(tenant, scheme);
    conn.transaction(async |conn| -> Result<bool, ServiceError> {
        let login = store::login(conn, tenant.id, account).await?.ok_or(ServiceError::NotFound)?;
        if !store::approve(conn, tenant.id, account).await? {
            return Ok(false);
        }
        let username = store::username(conn, tenant.id, account).await?;
        let mail = account_mails::approved(Site { name: &name, base_url: &base_url }, &username);
        account_mails::send(conn, tenant.id, &login.email, &mail).await?;
        Ok(true)
    })
    .await
}

/// Sends a new confirmation link to `email` if it is an unconfirmed login's.
pub async fn resend_confirmation(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    scheme: Scheme,
    email: &str,
) -> Result<(), ServiceError> {
    let (name, base_url) = site(tenant, scheme);
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        let Some(account) = store::account_by_email(conn, tenant.id, email).await? else { return Ok(()) };
        let login = login(conn, tenant.id, account).await?;
        if login.confirmed() {
            return Ok(());
        }
        store::expire_tokens(conn, tenant.id, account, Purpose::Confirmation).await?;
        let token = store::issue_token(conn, tenant.id, account, Purpose::Confirmation, &login.email).await?;
        let username = store::username(conn, tenant.id, account).await?;
        let locale = account_mails::locale_of(login.locale.as_deref());
        let mail = account_mails::confirmation(Site { name: &name, base_url: &base_url }, locale, &username, &token);
        account_mails::send(conn, tenant.id, &login.email, &mail).await
    })
    .await
}

/// Sends a password reset link to `email` if it is a login's; does nothing otherwise.
pub async fn request_password_reset(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    scheme: Scheme,
    email: &str,
) -> Result<(), ServiceError> {
    let (name, base_url) = site(tenant, scheme);
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        let Some(account) = store::account_by_email(conn, tenant.id, email).await? else { return Ok(()) };
        let login = login(conn, tenant.id, account).await?;
        store::expire_tokens(conn, tenant.id, account, Purpose::PasswordReset).await?;
        let token = store::issue_token(conn, tenant.id, account, Purpose::PasswordReset, &login.email).await?;
        let username = store::username(conn, tenant.id, account).await?;
        let locale = account_mails::locale_of(login.locale.as_deref());
        let mail = account_mails::password_reset(Site { name: &name, base_url: &base_url }, locale, &username, &token);
        account_mails::send(conn, tenant.id, &login.email, &mail).await
    })
    .await
}

/// Whether `token` is a live password reset link of `tenant` (to show the form).
pub async fn reset_link_is_live(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    token: &str,
) -> Result<bool, ServiceError> {
    Ok(store::find_token(conn, tenant, Purpose::PasswordReset, token).await?.is_some())
}

/// Sets a new password through a reset link (used once). Every session and
/// OAuth token of the account ends; the address is confirmed (the mail came).
pub async fn reset_password(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    token: &str,
    new_password: &str,
) -> Result<AccountId, SecurityError> {
    password::check_strength(new_password)?;
    conn.transaction(async |conn| -> Result<AccountId, SecurityError> {
        let found =
            store::use_token(conn, tenant, Purpose::PasswordReset, token).await?.ok_or(SecurityError::InvalidLink)?;
        store::set_password(conn, tenant, found.account, new_password).await?;
        store::expire_tokens(conn, tenant, found.account, Purpose::PasswordReset).await?;
        store::confirm(conn, tenant, found.account).await?;
        store::end_sessions(conn, tenant, found.account, None, true).await?;
        Ok(found.account)
    })
    .await
}

/// Changes the password of a signed-in person (who knows the current one):
/// their other sessions and all OAuth tokens end, this session stays.
pub async fn change_password(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    this_session: i64,
    current: &str,
    new_password: &str,
) -> Result<(), SecurityError> {
    if !store::check_password(conn, tenant, account, current).await? {
        return Err(SecurityError::WrongPassword);
    }
    password::check_strength(new_password)?;
    conn.transaction(async |conn| -> Result<(), SecurityError> {
        store::set_password(conn, tenant, account, new_password).await?;
        store::end_sessions(conn, tenant, account, Some(this_session), true).await?;
        Ok(())
    })
    .await
}

/// Asks to change the address: the new one gets a confirmation link and
/// becomes the login's only when it is followed.
pub async fn change_email(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    scheme: Scheme,
    account: AccountId,
    password: &str,
    new_email: &str,
) -> Result<String, SecurityError> {
    let email = kereru_core::email::parse_email(new_email).map_err(|e| SecurityError::InvalidEmail(e.to_string()))?;
    if !store::check_password(conn, tenant.id, account, password).await? {
        return Err(SecurityError::WrongPassword);
    }
    let (name, base_url) = site(tenant, scheme);
    conn.transaction(async |conn| -> Result<String, SecurityError> {
        if store::email_taken(conn, tenant.id, &email).await? {
            return Err(SecurityError::EmailTaken);
        }
        store::expire_tokens(conn, tenant.id, account, Purpose::EmailChange).await?;
        let token = store::issue_token(conn, tenant.id, account, Purpose::EmailChange, &email).await?;
        let username = store::username(conn, tenant.id, account).await?;
        let mail = account_mails::email_change(Site { name: &name, base_url: &base_url }, &username, &token);
        account_mails::send(conn, tenant.id, &email, &mail).await?;
        Ok(email.clone())
    })
    .await
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Starts setting up two-factor authentication: a new secret, not yet in force.
pub async fn start_two_factor(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
) -> Result<String, ServiceError> {
    let secret = totp::new_secret();
    store::set_otp_secret(conn, tenant, account, Some(&secret)).await?;
    Ok(secret)
}

/// How many recovery codes enabling makes.
pub const RECOVERY_CODES: usize = 10;

fn recovery_digest(code: &str) -> String {
    let normalized: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase();
    kereru_store::oauth::sha256(&normalized).iter().map(|b| format!("{b:02x}")).collect()
}

fn new_recovery_code() -> String {
    let bytes: [u8; 5] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}", &hex[..5], &hex[5..])
}

/// Turns two-factor on once the authenticator's first code checks out;
/// returns the recovery codes (shown once, stored hashed).
pub async fn enable_two_factor(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    code: &str,
) -> Result<Vec<String>, SecurityError> {
    conn.transaction(async |conn| -> Result<Vec<String>, SecurityError> {
        let login = login(conn, tenant, account).await?;
        let secret = match (&login.otp_secret, login.otp_enabled) {
            (Some(secret), false) => secret.clone(),
            _ => return Err(SecurityError::NotSettingUp),
        };
        let step = totp::verify(&secret, code, unix_now(), None).ok_or(SecurityError::WrongCode)?;
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
        let digests = codes.iter().map(|c| recovery_digest(c)).collect::<Vec<_>>().join("\n");
        store::enable_otp(conn, tenant, account, step as i64, &digests).await?;
        Ok(codes)
    })
    .await
}

/// Turns two-factor off (needs the password and a current code).
pub async fn disable_two_factor(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    password: &str,
    code: &str,
) -> Result<(), SecurityError> {
    if !store::check_password(conn, tenant, account, password).await? {
        return Err(SecurityError::WrongPassword);
    }
    conn.transaction(async |conn| -> Result<(), SecurityError> {
        if !second_factor(conn, tenant, account, code).await? {
            return Err(SecurityError::WrongCode);
        }
        store::set_otp_secret(conn, tenant, account, None).await?;
        Ok(())
    })
    .await
}

/// Checks a code from the authenticator (good once) or an unused recovery
/// code (then spent). False for anything else.
pub async fn second_factor(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    code: &str,
) -> Result<bool, ServiceError> {
    let login = login(conn, tenant, account).await?;
    let (Some(secret), true) = (&login.otp_secret, login.otp_enabled) else { return Ok(false) };
    let last = login.otp_last_step.and_then(|s| u64::try_from(s).ok());
    if let Some(step) = totp::verify(secret, code, unix_now(), last) {
        // Decided by the database: of two requests with one code, one wins.
        return Ok(store::use_otp_step(conn, tenant, account, step as i64).await?);
    }
    let digest = recovery_digest(code);
    if code.trim().len() < 10 || !login.otp_recovery_codes.lines().any(|d| d == digest) {
        return Ok(false);
    }
    let remaining = login.otp_recovery_codes.lines().filter(|d| *d != digest).collect::<Vec<_>>().join("\n");
    Ok(store::replace_recovery_codes(conn, tenant, account, &login.otp_recovery_codes, &remaining).await?)
}

/// A sign-in whose password was right and whose code is still to come: a
/// token (for a hidden field, not a session) good for five minutes.
pub async fn begin_two_factor(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
) -> Result<String, ServiceError> {
    Ok(store::issue_token(conn, tenant, account, Purpose::TwoFactor, "").await?)
}

/// The account a pending two-factor sign-in is for, if its token is live.
pub async fn pending_two_factor(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    token: &str,
) -> Result<Option<AccountId>, ServiceError> {
    Ok(store::find_token(conn, tenant, Purpose::TwoFactor, token).await?.map(|t| t.account))
}

/// Finishes a pending two-factor sign-in with a code: the account, with the
/// pending token used up; `WrongCode` (the token stays, for another try) or
/// `InvalidLink` (expired).
pub async fn finish_two_factor(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    token: &str,
    code: &str,
) -> Result<AccountId, SecurityError> {
    conn.transaction(async |conn| -> Result<AccountId, SecurityError> {
        let account = pending_two_factor(conn, tenant, token).await?.ok_or(SecurityError::InvalidLink)?;
        if !second_factor(conn, tenant, account, code).await? {
            return Err(SecurityError::WrongCode);
        }
        store::use_token(conn, tenant, Purpose::TwoFactor, token).await?;
        Ok(account)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_compared_loosely_and_hashed() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(recovery_digest(&code), recovery_digest(&code.to_uppercase().replace('-', " ")));
        assert_ne!(recovery_digest(&code), recovery_digest(&new_recovery_code()));
    }
}
