//! The audit log: every administrative and moderation act, who did it and to
//! what. Written in the same transaction as the act; never edited.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, next_id};
use crate::schema::admin_actions;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// One act to record. `tenant` is `None` for a host-wide act (tenants, host blocks).
#[derive(Debug, Clone)]
pub struct NewAdminAction<'a> {
    pub tenant: Option<DomainId>,
    /// Who acted: `None` for the command line on the host.
    pub actor: Option<AccountId>,
    /// How the log names the actor: `@name@host`, or `command line`.
    pub actor_label: &'a str,
    /// What was done, as a verb: `suspend`, `resolve_report`, `create_domain_block`, ...
    pub action: &'a str,
    /// What kind of object: `account`, `report`, `domain_block`, `tenant`, ...
    pub target_type: &'a str,
    pub target_id: Option<i64>,
    /// How the log names the object (kept: the object may be gone later).
    pub target_label: &'a str,
    pub detail: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = admin_actions)]
pub struct AdminAction {
    pub id: i64,
    pub domain_id: Option<i64>,
    pub account_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<i64>,
    pub target_label: String,
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

pub async fn record(conn: &mut AsyncPgConnection, act: &NewAdminAction<'_>) -> Result<i64, StoreError> {
    let id = next_id();
    diesel::insert_into(admin_actions::table)
        .values((
            admin_actions::id.eq(id),
            admin_actions::domain_id.eq(act.tenant.map(|t| t.0)),
            admin_actions::account_id.eq(act.actor.map(|a| a.0)),
            admin_actions::actor_label.eq(act.actor_label),
            admin_actions::action.eq(act.action),
            admin_actions::target_type.eq(act.target_type),
            admin_actions::target_id.eq(act.target_id),
            admin_actions::target_label.eq(act.target_label),
            admin_actions::detail.eq(act.detail),
        ))
        .execute(conn)
        .await?;
    Ok(id)
}

/// Which part of the log to read: one tenant's, the host-wide acts, or everything (host admins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogScope {
    Tenant(DomainId),
    HostWide,
    Everything,
}

/// The newest acts first, `limit` of them, older than `before` when given.
pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: LogScope,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AdminAction>, StoreError> {
    let mut query = admin_actions::table.select(AdminAction::as_select()).order(admin_actions::id.desc()).into_boxed();
    query = match scope {
        LogScope::Tenant(tenant) => query.filter(admin_actions::domain_id.eq(tenant.0)),
        LogScope::HostWide => query.filter(admin_actions::domain_id.is_null()),
        LogScope::Everything => query,
    };
    if let Some(before) = before {
        query = query.filter(admin_actions::id.lt(before));
    }
    Ok(query.limit(limit.clamp(1, 200)).load(conn).await?)
}
