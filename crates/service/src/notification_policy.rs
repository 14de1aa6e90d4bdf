//! A person's notification policy and the requests it holds: changing the
//! policy, accepting and dismissing requests. Each is one transaction.

use crate::Actor;
use crate::error::ServiceError;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_store::notification_policy::{self, ACTIONS, Policy};
use kereru_store::notification_requests::{self, Request};

/// Changes to a policy; unset fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyChange {
    pub for_not_following: Option<String>,
    pub for_not_followers: Option<String>,
    pub for_new_accounts: Option<String>,
    pub for_private_mentions: Option<String>,
    pub for_limited_accounts: Option<String>,
}

fn apply(field: &mut String, change: Option<String>, name: &str) -> Result<(), ServiceError> {
    if let Some(value) = change {
        let value = value.trim().to_string();
        if !ACTIONS.contains(&value.as_str()) {
            return Err(ServiceError::Invalid(format!("Validation failed: {name} is not included in the list")));
        }
        *field = value;
    }
    Ok(())
}

/// Applies `change` to the actor's policy; the policy as it is now.
pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    change: PolicyChange,
) -> Result<Policy, ServiceError> {
    let me = actor.account.id;
    conn.transaction(async |conn| -> Result<Policy, ServiceError> {
        let mut policy = notification_policy::get(conn, me).await?;
        apply(&mut policy.for_not_following, change.for_not_following, "For not following")?;
        apply(&mut policy.for_not_followers, change.for_not_followers, "For not followers")?;
        apply(&mut policy.for_new_accounts, change.for_new_accounts, "For new accounts")?;
        apply(&mut policy.for_private_mentions, change.for_private_mentions, "For private mentions")?;
        apply(&mut policy.for_limited_accounts, change.for_limited_accounts, "For limited accounts")?;
        notification_policy::save(conn, me, &policy).await?;
        Ok(policy)
    })
    .await
}

/// Accepts (`accept`) or dismisses the actor's requests `ids`; others' and unknown ids are skipped.
/// How many of them were the actor's.
pub async fn settle(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    ids: &[i64],
    accept: bool,
) -> Result<usize, ServiceError> {
    let me = actor.account.id;
    let tenant = actor.tenant.id;
    conn.transaction(async |conn| -> Result<usize, ServiceError> {
        let requests: Vec<Request> = notification_requests::own(conn, tenant, me, ids).await?;
        for request in &requests {
            if accept {
                notification_requests::accept(conn, me, request).await?;
            } else {
                notification_requests::dismiss(conn, me, request).await?;
            }
        }
        Ok(requests.len())
    })
    .await
}

/// Dismisses the actor's notifications in the group `key` (none there: nothing happens, as Mastodon).
pub async fn dismiss_group(conn: &mut AsyncPgConnection, actor: &Actor<'_>, key: &str) -> Result<(), ServiceError> {
    let Some(key) = kereru_store::notification_groups::parse(key) else { return Ok(()) };
    let me = actor.account.id;
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        kereru_store::notification_groups::dismiss(conn, me, &key).await?;
        Ok(())
    })
    .await
}
