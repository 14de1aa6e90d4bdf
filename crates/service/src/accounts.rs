//! Signing up through the API: the account and the app's first token, as one action.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_store::StoreError;
use kereru_store::accounts::{self, AccountError, NewLocalAccount};
use kereru_store::ids::DomainId;
use kereru_store::oauth::{self, IssuedToken};

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// Taken username or e-mail, weak password, or a store failure.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// The application the signing-up token belongs to is gone.
    #[error("the token's application is unknown")]
    UnknownApplication,
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

/// Creates a local account on `tenant` and a user token for it from
/// `application_id`, in one transaction: no account is left without its token.
pub async fn register(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    application_id: i64,
    new: NewLocalAccount,
) -> Result<IssuedToken, RegisterError> {
    conn.transaction(async |conn| -> Result<IssuedToken, RegisterError> {
        let account = accounts::create_local(conn, tenant, new).await?;
        let app =
            oauth::application_by_id(conn, tenant, application_id).await?.ok_or(RegisterError::UnknownApplication)?;
        Ok(oauth::issue_token(conn, tenant, &app, Some(account.id), app.scopes.clone(), true).await?)
    })
    .await
}
