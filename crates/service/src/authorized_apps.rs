//! Revoking an app a person authorized: every token of theirs it holds.

use crate::ServiceError;
use kereru_store::{AccountId, DomainId, PgConn, authorized_apps};

/// Ends `account`'s tokens of app `app` on `tenant`; `NotFound` when it holds none.
pub async fn revoke(conn: &mut PgConn, tenant: DomainId, account: AccountId, app: i64) -> Result<(), ServiceError> {
    if authorized_apps::revoke(conn, tenant, account, app).await? > 0 { Ok(()) } else { Err(ServiceError::NotFound) }
}
