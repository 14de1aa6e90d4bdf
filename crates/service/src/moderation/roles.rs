//! Granting and revoking roles: a tenant's moderators and admins, and the
//! deployment's host admins. From the command line (`kereru admin grant`)
//! or an admin's page; a tenant never loses its last admin. Each change is
//! one transaction with its audit row.

use crate::error::ServiceError;
use crate::staff::{self, NOT_ALLOWED, Need};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_store::admin_actions::{self, NewAdminAction};
use kereru_store::roles::{self, Role, Staff};
use kereru_store::{AccountId, DomainId};

/// Who changes a role: the command line on the host, or a staff member (with their audit label).
#[derive(Debug, Clone)]
pub enum Granter<'a> {
    CommandLine,
    Staff { staff: Staff, label: &'a str },
}

impl Granter<'_> {
    fn label(&self) -> &str {
        match self {
            Granter::CommandLine => "command line",
            Granter::Staff { label, .. } => label,
        }
    }

    fn account(&self) -> Option<AccountId> {
        match self {
            Granter::CommandLine => None,
            Granter::Staff { staff, .. } => Some(staff.account),
        }
    }
}

/// Why a role change was refused.
#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    #[error("{0} has no login on this domain")]
    NoLogin(String),
    #[error("{0} is the last admin of this domain: make someone else admin first")]
    LastAdmin(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<kereru_store::StoreError> for RoleError {
    fn from(error: kereru_store::StoreError) -> Self {
        RoleError::Service(error.into())
    }
}

impl From<diesel::result::Error> for RoleError {
    fn from(error: diesel::result::Error) -> Self {
        RoleError::Service(error.into())
    }
}

/// Sets `account`'s (called `label` in the log) role on `tenant`; whether it changed.
pub async fn set_role(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    by: &Granter<'_>,
    account: AccountId,
    label: &str,
    role: Role,
) -> Result<bool, RoleError> {
    if let Granter::Staff { staff, .. } = by
        && (!staff::reaches(staff, tenant, Need::Administer) || staff.account == account)
    {
        return Err(ServiceError::Forbidden(NOT_ALLOWED.into()).into());
    }
    conn.transaction(async |conn| -> Result<bool, RoleError> {
        let current = roles::staff(conn, tenant, account).await?.ok_or_else(|| RoleError::NoLogin(label.into()))?;
        if current.role == role {
            return Ok(false);
        }
        if current.role == Role::Admin && roles::admin_count(conn, tenant).await? <= 1 {
            return Err(RoleError::LastAdmin(label.into()));
        }
        roles::set_role(conn, tenant, account, role).await?;
        let detail = format!("{} → {}", current.role, role);
        record(conn, Some(tenant), by, "change_role", account, label, &detail).await?;
        Ok(true)
    })
    .await
}

/// Makes `account` (a login of `tenant`) a host admin or not; whether it changed. The command line only.
pub async fn set_host_admin(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    label: &str,
    host_admin: bool,
) -> Result<bool, RoleError> {
    conn.transaction(async |conn| -> Result<bool, RoleError> {
        let current = roles::staff(conn, tenant, account).await?.ok_or_else(|| RoleError::NoLogin(label.into()))?;
        if current.host_admin == host_admin {
            return Ok(false);
        }
        roles::set_host_admin(conn, tenant, account, host_admin).await?;
        let action = if host_admin { "grant_host_admin" } else { "revoke_host_admin" };
        record(conn, None, &Granter::CommandLine, action, account, label, "").await?;
        Ok(true)
    })
    .await
}

async fn record(
    conn: &mut AsyncPgConnection,
    tenant: Option<DomainId>,
    by: &Granter<'_>,
    action: &str,
    account: AccountId,
    label: &str,
    detail: &str,
) -> Result<(), RoleError> {
    admin_actions::record(
        conn,
        &NewAdminAction {
            tenant,
            actor: by.account(),
            actor_label: by.label(),
            action,
            target_type: "account",
            target_id: Some(account.0),
            target_label: label,
            detail,
        },
    )
    .await?;
    Ok(())
}
