//! Server-level blocks an admin keeps (issue #13): domain blocks with their
//! effects, the allow list, e-mail domain and IP blocks. Every change is one
//! transaction with its audit row ([`kereru_store::admin_actions`]); a
//! tenant's admins change their tenant's lists (`Scope` = `Some(tenant)`),
//! host admins and the command line the host-wide ones (`None`).

pub mod domain_blocks;
pub mod lists;

use crate::ServiceError;
use diesel_async::AsyncPgConnection;
use kereru_store::AccountId;
use kereru_store::admin_actions::{self, NewAdminAction};
use kereru_store::domain_blocks::Scope;

/// Who changes a list, as the audit log names them.
#[derive(Debug, Clone)]
pub struct Acting {
    /// `None`: the command line on the host.
    pub account: Option<AccountId>,
    /// `@name@host`, or `command line`.
    pub label: String,
}

impl Acting {
    pub fn command_line() -> Acting {
        Acting { account: None, label: "command line".into() }
    }

    pub fn account(account: AccountId, username: &str, host: &str) -> Acting {
        Acting { account: Some(account), label: format!("@{username}@{host}") }
    }
}

/// Records one act on a list in `scope` (inside the caller's transaction).
pub(crate) async fn audit(
    conn: &mut AsyncPgConnection,
    acting: &Acting,
    scope: Scope,
    action: &str,
    target: (&str, i64, &str),
    detail: &str,
) -> Result<(), ServiceError> {
    let (target_type, target_id, target_label) = target;
    admin_actions::record(
        conn,
        &NewAdminAction {
            tenant: scope,
            actor: acting.account,
            actor_label: &acting.label,
            action,
            target_type,
            target_id: Some(target_id),
            target_label,
            detail,
        },
    )
    .await?;
    Ok(())
}
