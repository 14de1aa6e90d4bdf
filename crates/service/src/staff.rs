//! Who may administer and moderate what: every admin and moderation action
//! starts here. A role reaches its own tenant only (host admins: every tenant,
//! acting from the tenant they signed in on: [`authorize_on`], [`reaches`]).

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

/// `account` (a login of `home`) acting on tenant `target`: its reach on
/// `home` must meet `need` and reach `target` ([`reaches`]); 403 otherwise.
/// Host admins act on every tenant from wherever they signed in.
pub async fn authorize_on(
    conn: &mut AsyncPgConnection,
    home: DomainId,
    account: AccountId,
    target: DomainId,
    need: Need,
) -> Result<Staff, ServiceError> {
    let staff = authorize(conn, home, account, need).await?;
    if reaches(&staff, target, need) { Ok(staff) } else { Err(ServiceError::Forbidden(NOT_ALLOWED.into())) }
}

/// Whether `staff` meets `need` on tenant `target`: a tenant's staff on their
/// own tenant only, a host admin on every tenant.
pub fn reaches(staff: &Staff, target: DomainId, need: Need) -> bool {
    meets(staff, need) && (staff.tenant == target || staff.host_admin)
}

pub fn meets(staff: &Staff, need: Need) -> bool {
    match need {
        Need::Moderate => staff.can_moderate(),
        Need::Administer => staff.can_administer(),
        Need::HostAdmin => staff.host_admin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kereru_store::roles::Role;

    fn staff(role: Role, host_admin: bool) -> Staff {
        Staff { tenant: DomainId(1), account: AccountId(7), role, host_admin }
    }

    #[test]
    fn a_tenants_staff_reach_their_own_tenant_only() {
        let moderator = staff(Role::Moderator, false);
        assert!(reaches(&moderator, DomainId(1), Need::Moderate));
        assert!(!reaches(&moderator, DomainId(2), Need::Moderate));
        assert!(!reaches(&moderator, DomainId(1), Need::Administer));
        let admin = staff(Role::Admin, false);
        assert!(reaches(&admin, DomainId(1), Need::Administer));
        assert!(!reaches(&admin, DomainId(2), Need::Moderate));
        assert!(!reaches(&staff(Role::User, false), DomainId(1), Need::Moderate));
    }

    #[test]
    fn a_host_admin_reaches_every_tenant() {
        let root = staff(Role::User, true);
        assert!(reaches(&root, DomainId(2), Need::Moderate));
        assert!(reaches(&root, DomainId(2), Need::Administer));
        assert!(reaches(&root, DomainId(3), Need::HostAdmin));
    }
}
