//! Asking for the confirmation mail again through the client API
//! (`POST /api/v1/emails/confirmations`), as Mastodon's
//! `Api::V1::Emails::ConfirmationsController`: only the application the
//! person signed up through may ask, only while the address is unconfirmed,
//! and it may correct the address first. One transaction, the mail queued in it.

use crate::ServiceError;
use crate::account_mails::{self, Site};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_core::Scheme;
use kereru_store::account_security::{self as security, Purpose};
use kereru_store::domains::Domain;
use kereru_store::{AccountId, StoreError, email_confirmations, email_domain_blocks};

/// Why the mail was not sent again (Mastodon's answers: 403, then 422 for the address).
#[derive(Debug, thiserror::Error)]
pub enum ResendError {
    #[error("This method is only available to the application the user originally signed-up with")]
    NotSignUpApplication,
    #[error("This method is only available while the e-mail is awaiting confirmation")]
    AlreadyConfirmed,
    #[error("Validation failed: Email {0}")]
    InvalidEmail(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for ResendError {
    fn from(error: StoreError) -> Self {
        ResendError::Service(error.into())
    }
}

impl From<diesel::result::Error> for ResendError {
    fn from(error: diesel::result::Error) -> Self {
        ResendError::Service(error.into())
    }
}

/// Whether `account`'s address on `tenant` is confirmed (`GET /api/v1/emails/check_confirmation`).
pub async fn is_confirmed(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    account: AccountId,
) -> Result<bool, ServiceError> {
    Ok(crate::account_security::login(conn, tenant.id, account).await?.confirmed())
}

/// Sends `account` (asking through `application`) a new confirmation link,
/// to `new_email` when given (it replaces the unconfirmed address); earlier
/// links stop working.
pub async fn resend(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    scheme: Scheme,
    account: AccountId,
    application: i64,
    new_email: Option<&str>,
) -> Result<(), ResendError> {
    let base_url = tenant.urls(scheme).base();
    conn.transaction(async |conn| -> Result<(), ResendError> {
        let login = crate::account_security::login(conn, tenant.id, account).await?;
        if email_confirmations::of(conn, tenant.id, account).await? != Some(application) {
            return Err(ResendError::NotSignUpApplication);
        }
        if login.confirmed() {
            return Err(ResendError::AlreadyConfirmed);
        }
        let mut email = login.email.clone();
        if let Some(new_email) = new_email {
            let parsed = kereru_core::email::parse_email(new_email)
                .map_err(|_| ResendError::InvalidEmail("is invalid".into()))?;
            if parsed != login.email {
                if security::email_taken(conn, tenant.id, &parsed).await? {
                    return Err(ResendError::InvalidEmail("has already been taken".into()));
                }
                if email_domain_blocks::is_blocked(conn, tenant.id, &parsed).await? {
                    return Err(ResendError::InvalidEmail("is not allowed".into()));
                }
                email_confirmations::correct_unconfirmed(conn, tenant.id, account, &parsed).await?;
                email = parsed;
            }
        }
        security::expire_tokens(conn, tenant.id, account, Purpose::Confirmation).await?;
        let token = security::issue_token(conn, tenant.id, account, Purpose::Confirmation, &email).await?;
        let username = security::username(conn, tenant.id, account).await?;
        let locale = account_mails::locale_of(login.locale.as_deref());
        let mail =
            account_mails::confirmation(Site { name: &tenant.name, base_url: &base_url }, locale, &username, &token);
        account_mails::send(conn, tenant.id, &email, &mail).await?;
        Ok(())
    })
    .await
}
