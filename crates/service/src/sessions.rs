//! Browser sessions: signing in and out of the web interface, and ending a
//! session from the settings' session list. The password (and its rate
//! limit) is checked before these are called; they only open and close.

use crate::ServiceError;
use kereru_store::web_sessions::{self, WebSession};
use kereru_store::{AccountId, DomainId, PgConn};

/// Opens a session for `account` on `tenant`; the token goes into the cookie.
pub async fn sign_in(
    conn: &mut PgConn,
    tenant: DomainId,
    account: AccountId,
    user_agent: &str,
    ip: &str,
) -> Result<(String, WebSession), ServiceError> {
    Ok(web_sessions::create(conn, tenant, account, user_agent, ip).await?)
}

/// Ends the session this cookie token opens, if any.
pub async fn sign_out(conn: &mut PgConn, tenant: DomainId, token: &str) -> Result<(), ServiceError> {
    web_sessions::delete_by_token(conn, tenant, token).await?;
    Ok(())
}

/// Ends one of `account`'s sessions; `NotFound` when it is not theirs on this tenant.
pub async fn revoke(conn: &mut PgConn, tenant: DomainId, account: AccountId, id: i64) -> Result<(), ServiceError> {
    if web_sessions::delete(conn, tenant, account, id).await? { Ok(()) } else { Err(ServiceError::NotFound) }
}
