//! Who may administer and moderate what: every admin and moderation action
//! starts here. A role reaches its own tenant only (host admins: every tenant).

use crate::error::ServiceError;
use diesel_async::AsyncPgConnection;
use kereru_store::roles::{self, Staff};
use kereru_store::{AccountId, DomainId};

/// What an action needs of the person taking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Reports, account actions, the audit log: moderators and admins.
    Moderate,
    /// Settings, roles, domain blocks, IP and e-mail blocks: admins.
    Administer,
    /// Tenants, the delivery queue, host-wide blocks: host admins.
    HostAdmin,
}

/// Mastodon's answer to a person whose role does not reach.
pub const NOT_ALLOWED: &str = "This action is not allowed";

/// `account`'s reach on `tenant` when it meets `need`; 403 otherwise.
pub async fn authorize(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    need: Need,
) -> Result<Staff, ServiceError> {
    let staff = roles::staff(conn, tenant, account).await?;
    match staff {
        Some(staff) if meets(&staff, need) => Ok(staff),
        _ => Err(ServiceError::Forbidden(NOT_ALLOWED.into())),
    }
}

pub fn meets(staff: &Staff, need: Need) -> bool {
    match need {
        Need::Moderate => staff.can_moderate(),
        Need::Administer => staff.can_administer(),
        Need::HostAdmin => staff.host_admin,
    }
}
