//! Lists: checked input, then the store write, one transaction per action.
//! Members must be accounts the owner follows (or asked to follow), as in
//! Mastodon; anything else is refused with 422.

use crate::Actor;
use crate::error::ServiceError;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_store::AccountId;
use kereru_store::accounts;
use kereru_store::lists::{self, List, ListFields, MAX_LISTS};

/// Longest title accepted (Mastodon has no limit; a bound keeps rows sane).
const MAX_TITLE: usize = 256;
/// How many accounts one request may add or remove.
const MAX_PER_REQUEST: usize = 250;

/// A new list, or the changes to one (unset fields stay).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListChange {
    pub title: Option<String>,
    pub replies_policy: Option<String>,
    pub exclusive: Option<bool>,
}

fn invalid(message: &str) -> ServiceError {
    ServiceError::Invalid(format!("Validation failed: {message}"))
}

fn fields_of(change: &ListChange, current: Option<&List>) -> Result<ListFields, ServiceError> {
    let title = match (&change.title, current) {
        (Some(t), _) => t.trim().to_string(),
        (None, Some(c)) => c.title.clone(),
        (None, None) => String::new(),
    };
    if title.is_empty() {
        return Err(invalid("Title can't be blank"));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(invalid("Title is too long"));
    }
    let replies_policy = match (&change.replies_policy, current) {
        (Some(p), _) => p.trim().to_string(),
        (None, Some(c)) => c.replies_policy.clone(),
        (None, None) => "list".to_string(),
    };
    if !matches!(replies_policy.as_str(), "followed" | "list" | "none") {
        return Err(invalid("Replies policy is not included in the list"));
    }
    let exclusive = change.exclusive.or(current.map(|c| c.exclusive)).unwrap_or(false);
    Ok(ListFields { title, replies_policy, exclusive })
}

pub async fn create(conn: &mut AsyncPgConnection, actor: &Actor<'_>, change: ListChange) -> Result<List, ServiceError> {
    let fields = fields_of(&change, None)?;
    let (tenant, me) = (actor.tenant.id, actor.account.id);
    conn.transaction(async |conn| -> Result<List, ServiceError> {
        if lists::count(conn, tenant, me).await? >= MAX_LISTS {
            return Err(invalid("You have reached the maximum number of lists"));
        }
        Ok(lists::create(conn, tenant, me, &fields).await?)
    })
    .await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: i64,
    change: ListChange,
) -> Result<List, ServiceError> {
    let (tenant, me) = (actor.tenant.id, actor.account.id);
    conn.transaction(async |conn| -> Result<List, ServiceError> {
        let current = lists::get(conn, tenant, me, id).await?.ok_or(ServiceError::NotFound)?;
        let fields = fields_of(&change, Some(&current))?;
        lists::update(conn, tenant, me, id, &fields).await?.ok_or(ServiceError::NotFound)
    })
    .await
}

pub async fn delete(conn: &mut AsyncPgConnection, actor: &Actor<'_>, id: i64) -> Result<(), ServiceError> {
    if lists::delete(conn, actor.tenant.id, actor.account.id, id).await? { Ok(()) } else { Err(ServiceError::NotFound) }
}

fn bounded(accounts: &[AccountId]) -> Result<(), ServiceError> {
    if accounts.len() > MAX_PER_REQUEST {
        return Err(ServiceError::Invalid(format!("At most {MAX_PER_REQUEST} accounts at once")));
    }
    Ok(())
}

/// Adds accounts to one of the actor's lists: all or none. An account this
/// tenant does not know is 404 (as Mastodon's `find`); one the actor does not
/// follow, or one on the list already, is 422.
pub async fn add_accounts(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: i64,
    accounts: &[AccountId],
) -> Result<(), ServiceError> {
    bounded(accounts)?;
    let (tenant, me) = (actor.tenant.id, actor.account.id);
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        let list = lists::get(conn, tenant, me, id).await?.ok_or(ServiceError::NotFound)?;
        for account in accounts {
            accounts::get_visible(conn, tenant, *account).await?.ok_or(ServiceError::NotFound)?;
            let follow =
                lists::follow_of(conn, me, *account).await?.ok_or_else(|| invalid("Account must be followed"))?;
            if lists::is_member(conn, list.id, *account).await? {
                return Err(invalid("Account has already been taken"));
            }
            lists::add_member(conn, tenant, list.id, *account, follow).await?;
        }
        Ok(())
    })
    .await
}

/// Removes accounts from one of the actor's lists (ones not on it are ignored).
pub async fn remove_accounts(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: i64,
    accounts: &[AccountId],
) -> Result<(), ServiceError> {
    bounded(accounts)?;
    let (tenant, me) = (actor.tenant.id, actor.account.id);
    let list = lists::get(conn, tenant, me, id).await?.ok_or(ServiceError::NotFound)?;
    lists::remove_members(conn, tenant, list.id, accounts).await?;
    Ok(())
}
