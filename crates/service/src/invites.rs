//! Invite links: made by a tenant's admins or, where the tenant allows it,
//! by any of its users; listed and expired by whoever made them.

use crate::ServiceError;
use chrono::{Duration, Utc};
use kereru_store::account_security;
use kereru_store::invites::{self, Invite};
use kereru_store::{AccountId, DomainId, PgConn};

/// The longest an invite may last, and the most uses it may allow.
pub const MAX_DAYS: i64 = 365;
pub const MAX_USES: i32 = 1000;

/// Whether `account` may make invites on `tenant`.
pub async fn may_invite(conn: &mut PgConn, tenant: DomainId, account: AccountId) -> Result<bool, ServiceError> {
    let login = account_security::login(conn, tenant, account).await?.ok_or(ServiceError::NotFound)?;
    Ok(login.role.can_administer() || invites::users_may_invite(conn, tenant).await?)
}

/// Makes an invite: `max_uses` (none: unlimited) and `expires_in_days` (none: never).
pub async fn create(
    conn: &mut PgConn,
    tenant: DomainId,
    account: AccountId,
    max_uses: Option<i32>,
    expires_in_days: Option<i64>,
) -> Result<Invite, ServiceError> {
    if !may_invite(conn, tenant, account).await? {
        return Err(ServiceError::Forbidden("Only this server's staff may make invites here.".into()));
    }
    if max_uses.is_some_and(|n| !(1..=MAX_USES).contains(&n)) {
        return Err(ServiceError::Invalid(format!("The number of uses must be between 1 and {MAX_USES}.")));
    }
    if expires_in_days.is_some_and(|d| !(1..=MAX_DAYS).contains(&d)) {
        return Err(ServiceError::Invalid(format!("An invite lasts between 1 and {MAX_DAYS} days.")));
    }
    let expires_at = expires_in_days.map(|days| Utc::now() + Duration::days(days));
    Ok(invites::create(conn, tenant, account, max_uses, expires_at).await?)
}

/// Ends one of `account`'s invites now.
pub async fn expire(conn: &mut PgConn, tenant: DomainId, account: AccountId, id: i64) -> Result<(), ServiceError> {
    if invites::expire(conn, tenant, account, id).await? { Ok(()) } else { Err(ServiceError::NotFound) }
}
