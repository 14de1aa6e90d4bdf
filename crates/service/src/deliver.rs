//! Local delivery: what a remote server would receive, tenants on this host
//! receive directly. A status reaches its author's tenant, the tenants of
//! the author's accepted followers (unless it is direct), and the tenants of
//! the accounts it mentions; there it becomes known, with its author.

use crate::error::ServiceError;
use crate::events::Event;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kereru_store::ids::{AccountId, DomainId, StatusId};
use kereru_store::notifications;
use kereru_store::relationships;
use kereru_store::schema::{accounts, follows};
use kereru_store::statuses::{self, Status, Visibility};

/// Accepted followers of `author` with their tenants.
async fn followers_with_tenants(
    conn: &mut AsyncPgConnection,
    author: AccountId,
) -> Result<Vec<(i64, i64, bool)>, ServiceError> {
    // Remote followers (no tenant here) are the delivery queue's, not local delivery's.
    let rows: Vec<(i64, Option<i64>, bool)> = follows::table
        .inner_join(accounts::table.on(accounts::id.eq(follows::account_id)))
        .filter(follows::target_account_id.eq(author))
        .filter(follows::state.eq("accepted"))
        .select((follows::account_id, accounts::domain_id, follows::notify))
        .load(conn)
        .await?;
    Ok(rows.into_iter().filter_map(|(follower, tenant, notify)| Some((follower, tenant?, notify))).collect())
}

/// Delivers `status` (by `author_tenant`'s account) to every tenant it
/// concerns, notifies who should be, and returns the events.
pub async fn status(
    conn: &mut AsyncPgConnection,
    status: &Status,
    mentioned: &[(AccountId, DomainId)],
) -> Result<Vec<Event>, ServiceError> {
    let mut tenants: Vec<i64> = status.domain_id.into_iter().map(|d| d.0).collect();
    let mut home_of: Vec<i64> = vec![status.account_id.0];
    let followers = if status.visibility() == Visibility::Direct {
        Vec::new()
    } else {
        followers_with_tenants(conn, status.account_id).await?
    };
    for (follower, tenant, _) in &followers {
        tenants.push(*tenant);
        home_of.push(*follower);
    }
    for (account, tenant) in mentioned {
        tenants.push(tenant.0);
        if status.visibility() == Visibility::Direct {
            home_of.push(account.0);
        }
    }
    // A boost carries the status it boosts to the same places.
    let boosted = match status.reblog_of_id {
        Some(id) => statuses::get_unchecked(conn, id).await?,
        None => None,
    };
    if let Some(original) = &boosted {
        tenants.extend(original.domain_id.map(|d| d.0));
    }
    tenants.sort_unstable();
    tenants.dedup();
    // A public post enters the home of whoever follows one of its tags, on the tenants it reaches.
    if status.visibility() == Visibility::Public && status.reblog_of_id.is_none() {
        home_of.extend(kereru_store::tags::followers_of_status(conn, &tenants, status.id).await?);
    }
    home_of.sort_unstable();
    home_of.dedup();
    let tenant_ids: Vec<DomainId> = tenants.iter().copied().map(DomainId).collect();
    statuses::add_receipts(conn, status.id, &tenant_ids).await?;
    let mut known = vec![status.account_id];
    if let Some(original) = &boosted {
        statuses::add_receipts(conn, original.id, &tenant_ids).await?;
        known.push(original.account_id);
    }
    known.extend(mentioned.iter().map(|(a, _)| *a));
    for tenant in &tenant_ids {
        relationships::make_known(conn, *tenant, &known).await?;
    }

    let mut events = vec![Event::StatusCreated {
        status_id: status.id.0,
        tenants: tenants.clone(),
        home_of,
        public: status.visibility() == Visibility::Public && status.reblog_of_id.is_none(),
        home_of_all: false,
    }];
    let author = status.account_id;
    // A direct status enters the conversations of its author and of those it mentions here.
    let mut participants: Vec<(AccountId, DomainId)> = status.domain_id.map(|d| (author, d)).into_iter().collect();
    participants.extend(mentioned.iter().copied());
    events.extend(crate::social::conversations::delivered(conn, status, &participants).await?);
    let mut notify = |n: Option<notifications::Notification>| {
        if let Some(n) = n {
            events.push(Event::Notification { account_id: n.account_id.0, notification_id: n.id.0 });
        }
    };
    match &boosted {
        Some(original) => {
            notify(notifications::notify(conn, original.account_id, author, "reblog", Some(original.id)).await?);
        }
        None => {
            for (account, _) in mentioned {
                notify(notifications::notify(conn, *account, author, "mention", Some(status.id)).await?);
            }
            let mentioned_ids: Vec<i64> = mentioned.iter().map(|(a, _)| a.0).collect();
            for (follower, _, wants) in &followers {
                if *wants && !mentioned_ids.contains(follower) {
                    notify(notifications::notify(conn, AccountId(*follower), author, "status", Some(status.id)).await?);
                }
            }
        }
    }
    Ok(events)
}

/// Whose streams hear that `status` is deleted: its author, its accepted
/// followers unless it is direct, and the accounts it mentions. Called
/// before the row goes, since the mentions go with it.
pub async fn audience(conn: &mut AsyncPgConnection, status: &Status) -> Result<Vec<i64>, ServiceError> {
    let mut accounts = vec![status.account_id.0];
    if status.visibility() != Visibility::Direct {
        accounts.extend(
            followers_with_tenants(conn, status.account_id).await?.into_iter().map(|(follower, _, _)| follower),
        );
    }
    accounts.extend(statuses::mentioned_accounts(conn, &[status.id]).await?.into_iter().map(|(_, account)| account.0));
    accounts.sort_unstable();
    accounts.dedup();
    Ok(accounts)
}

/// The `StatusDeleted` event for `status`, to be built before it is deleted.
pub async fn deleted(conn: &mut AsyncPgConnection, status: &Status) -> Result<Event, ServiceError> {
    Ok(Event::StatusDeleted {
        status_id: status.id.0,
        tenants: holders(conn, status.id).await?,
        public: status.visibility() == Visibility::Public && status.reblog_of_id.is_none(),
        home_of: audience(conn, status).await?,
        home_of_all: false,
    })
}

/// The tenants that hold a status, for update and delete events.
pub async fn holders(conn: &mut AsyncPgConnection, status: StatusId) -> Result<Vec<i64>, ServiceError> {
    use kereru_store::schema::status_receipts;
    Ok(status_receipts::table
        .filter(status_receipts::status_id.eq(status))
        .select(status_receipts::domain_id)
        .load(conn)
        .await?)
}
