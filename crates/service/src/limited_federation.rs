//! Switching a tenant's limited federation mode (Mastodon's
//! LIMITED_FEDERATION_MODE: only the hosts on its allow list federate; see
//! `kereru_store::limited_federation` for what it refuses), by one of its
//! admins (`/admin/settings`) or from the command line (`kereru domain
//! update HOST --limited-federation true|false`). One transaction with its
//! audit row.

use crate::ServiceError;
use crate::staff::{self, Need};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_store::admin_actions::{self, NewAdminAction};
use kereru_store::{AccountId, DomainId, limited_federation};

/// Who switches it.
#[derive(Debug, Clone, Copy)]
pub enum Switcher<'a> {
    /// An admin of the tenant (checked inside the transaction), labelled `@name@host`.
    Admin {
        account: AccountId,
        label: &'a str,
    },
    CommandLine,
}

/// Turns `tenant`'s limited federation on or off; whether it changed
/// (nothing is recorded when it did not).
pub async fn set(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    tenant_label: &str,
    by: Switcher<'_>,
    on: bool,
) -> Result<bool, ServiceError> {
    conn.transaction(async |conn| -> Result<bool, ServiceError> {
        let (actor, actor_label) = match by {
            Switcher::Admin { account, label } => {
                staff::authorize(conn, tenant, account, Need::Administer).await?;
                (Some(account), label)
            }
            Switcher::CommandLine => (None, "command line"),
        };
        if !limited_federation::set(conn, tenant, on).await? {
            return Ok(false);
        }
        admin_actions::record(
            conn,
            &NewAdminAction {
                tenant: Some(tenant),
                actor,
                actor_label,
                action: if on { "enable_limited_federation" } else { "disable_limited_federation" },
                target_type: "tenant",
                target_id: Some(tenant.0),
                target_label: tenant_label,
                detail: if on { "only allowed domains federate" } else { "every domain not blocked federates" },
            },
        )
        .await?;
        Ok(true)
    })
    .await
}
