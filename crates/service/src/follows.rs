//! Following, follow requests, blocking and muting.

use crate::Actor;
use crate::error::ServiceError;
use crate::events::Event;
use crate::federation::outbound;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use kereru_store::accounts::{self, Account};
use kereru_store::ids::{AccountId, DomainId};
use kereru_store::notifications;
use kereru_store::relationships::{self, FollowState};
use kereru_store::schema::statuses;
use kereru_store::statuses as status_store;

/// How many of a newly followed account's latest statuses reach the follower's tenant,
/// as Mastodon merges them into the new follower's home.
const BACKFILL: i64 = 40;

/// The target as the actor's tenant knows it; never the actor.
async fn target(conn: &mut AsyncPgConnection, actor: &Actor<'_>, id: AccountId) -> Result<Account, ServiceError> {
    accounts::get_visible(conn, actor.tenant.id, id).await?.ok_or(ServiceError::NotFound)
}

pub async fn follow(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    target_id: AccountId,
    show_reblogs: bool,
    notify: bool,
) -> Result<Vec<Event>, ServiceError> {
    let target = target(conn, actor, target_id).await?;
    if target.id == actor.account.id {
        return Err(ServiceError::Forbidden("You cannot follow yourself".into()));
    }
    if relationships::blocked_either_way(conn, actor.account.id, target.id).await? {
        return Err(ServiceError::Forbidden("This action is not allowed".into()));
    }
    let me = actor.account.id;
    let result = conn
        .transaction(async |conn| -> Result<Vec<Event>, ServiceError> {
            let before = relationships::follow_state(conn, me, target.id).await?;
            if before.is_none() && !target.is_local() {
                kereru_store::quotas::check_remote_follows(conn, actor.tenant.id).await?;
            }
            // A remote account answers with Accept or Reject through its server:
            // until then the follow is a request, whatever the account's setting.
            let wanted =
                if target.locked || !target.is_local() { FollowState::Requested } else { FollowState::Accepted };
            let state = relationships::upsert_follow(conn, me, target.id, wanted, show_reblogs, notify).await?;
            // The target's tenant receives the follow, and so learns the follower.
            if let Some(tenant) = target.domain_id {
                relationships::make_known(conn, tenant, &[me]).await?;
            }
            let mut events = Vec::new();
            if before.is_none() && target.is_local() {
                let kind = if state == FollowState::Accepted { "follow" } else { "follow_request" };
                if let Some(n) = notifications::notify(conn, target.id, me, kind, None).await? {
                    events.push(Event::Notification { account_id: n.account_id.0, notification_id: n.id.0 });
                }
            }
            if state == FollowState::Accepted && before != Some(FollowState::Accepted) {
                backfill(conn, actor.tenant.id, target.id).await?;
            }
            // A remote account hears of it through its server, until it answers.
            if !target.is_local() && state == FollowState::Requested {
                let follow_id = kereru_store::ids::next_id();
                if let Some(uri) = outbound::follow(conn, actor.scheme, actor.account, &target, follow_id).await? {
                    relationships::set_follow_uri(conn, me, target.id, &uri).await?;
                }
            }
            Ok(events)
        })
        .await;
    crate::quota_notice::after(conn, actor.tenant.id, result).await
}

/// The followed account's recent statuses reach the follower's tenant.
async fn backfill(conn: &mut AsyncPgConnection, tenant: DomainId, author: AccountId) -> Result<(), ServiceError> {
    let recent: Vec<kereru_store::StatusId> = statuses::table
        .filter(statuses::account_id.eq(author.0))
        .filter(statuses::visibility.ne(kereru_store::statuses::Visibility::Direct))
        .order(statuses::id.desc())
        .limit(BACKFILL)
        .select(statuses::id)
        .load(conn)
        .await?;
    for id in recent {
        status_store::add_receipts(conn, id, &[tenant]).await?;
    }
    Ok(())
}

pub async fn unfollow(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    target_id: AccountId,
) -> Result<(), ServiceError> {
    let target = target(conn, actor, target_id).await?;
    if !target.is_local() && relationships::follow_state(conn, actor.account.id, target.id).await?.is_some() {
        let uri = relationships::follow_uri(conn, actor.account.id, target.id).await?;
        outbound::unfollow(conn, actor.scheme, actor.account, &target, uri.as_deref()).await?;
    }
    if relationships::remove_follow(conn, actor.account.id, target.id).await? {
        notifications::withdraw(conn, target.id, actor.account.id, "follow", None).await?;
        notifications::withdraw(conn, target.id, actor.account.id, "follow_request", None).await?;
    }
    Ok(())
}

/// The actor (a locked account) accepts `follower`'s request.
pub async fn authorize(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    follower: AccountId,
) -> Result<Vec<Event>, ServiceError> {
    let follower = target(conn, actor, follower).await?;
    if !relationships::accept_follow(conn, follower.id, actor.account.id).await? {
        return Err(ServiceError::NotFound);
    }
    if !follower.is_local() {
        let uri = relationships::follow_uri(conn, follower.id, actor.account.id).await?;
        outbound::answer_follow(conn, actor.scheme, actor.account, &follower, uri.as_deref(), true).await?;
    }
    notifications::withdraw(conn, actor.account.id, follower.id, "follow_request", None).await?;
    if let Some(tenant) = follower.domain_id {
        backfill(conn, tenant, actor.account.id).await?;
    }
    let mut events = Vec::new();
    if let Some(n) = notifications::notify(conn, actor.account.id, follower.id, "follow", None).await? {
        events.push(Event::Notification { account_id: n.account_id.0, notification_id: n.id.0 });
    }
    Ok(events)
}

pub async fn reject(conn: &mut AsyncPgConnection, actor: &Actor<'_>, follower: AccountId) -> Result<(), ServiceError> {
    let follower = target(conn, actor, follower).await?;
    if relationships::follow_state(conn, follower.id, actor.account.id).await? != Some(FollowState::Requested) {
        return Err(ServiceError::NotFound);
    }
    if !follower.is_local() {
        let uri = relationships::follow_uri(conn, follower.id, actor.account.id).await?;
        outbound::answer_follow(conn, actor.scheme, actor.account, &follower, uri.as_deref(), false).await?;
    }
    relationships::remove_follow(conn, follower.id, actor.account.id).await?;
    notifications::withdraw(conn, actor.account.id, follower.id, "follow_request", None).await?;
    Ok(())
}

/// Ends another account's follow of the actor (Mastodon's "remove from followers").
pub async fn remove_from_followers(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    follower: AccountId,
) -> Result<(), ServiceError> {
    let follower = target(conn, actor, follower).await?;
    relationships::remove_follow(conn, follower.id, actor.account.id).await?;
    Ok(())
}

/// Blocking ends follows both ways.
pub async fn block(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    target_id: AccountId,
    on: bool,
) -> Result<(), ServiceError> {
    let target = target(conn, actor, target_id).await?;
    if target.id == actor.account.id {
        return Err(ServiceError::Forbidden("You cannot block yourself".into()));
    }
    if on {
        relationships::remove_follow(conn, actor.account.id, target.id).await?;
        relationships::remove_follow(conn, target.id, actor.account.id).await?;
        relationships::block(conn, actor.account.id, target.id).await?;
    } else {
        relationships::unblock(conn, actor.account.id, target.id).await?;
    }
    if !target.is_local() {
        outbound::block(conn, actor.scheme, actor.account, &target, on).await?;
    }
    Ok(())
}

pub async fn mute(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    target_id: AccountId,
    on: bool,
    notifications_too: bool,
    duration_seconds: Option<i64>,
) -> Result<(), ServiceError> {
    let target = target(conn, actor, target_id).await?;
    if target.id == actor.account.id {
        return Err(ServiceError::Forbidden("You cannot mute yourself".into()));
    }
    if on {
        let expires = duration_seconds.filter(|s| *s > 0).map(|s| chrono::Utc::now() + chrono::Duration::seconds(s));
        relationships::mute(conn, actor.account.id, target.id, notifications_too, expires).await?;
    } else {
        relationships::unmute(conn, actor.account.id, target.id).await?;
    }
    Ok(())
}
