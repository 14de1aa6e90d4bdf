//! Follow, and the answers to ours: Accept, Reject, Undo of a Follow.

use super::{Incoming, ProcessError, Processed, done, ignored, local_actor};
use crate::events::Event;
use crate::federation::outbound;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kereru_core::activitystreams::Reference;
use kereru_store::accounts::{self, Account};
use kereru_store::ids::AccountId;
use kereru_store::notifications;
use kereru_store::relationships::{self, FollowState};
use kereru_store::schema::follows;

/// A remote actor follows a local account: accepted at once unless the
/// account is locked (then a request it answers), refused if either blocks.
pub async fn follow(conn: &mut AsyncPgConnection, incoming: &Incoming<'_>) -> Result<Processed, ProcessError> {
    let Some(target_uri) = incoming.object_id() else { return ignored("Follow of nothing") };
    let Some(target) = local_actor(conn, incoming, target_uri).await? else {
        return ignored("Follow of an account that is not this tenant's");
    };
    let follower = incoming.actor;
    let scheme = incoming.context.scheme;
    if relationships::blocked_either_way(conn, follower.id, target.id).await? {
        outbound::answer_follow(conn, scheme, &target, follower, Some(incoming.activity_uri), false).await?;
        return done("refused: a block", Vec::new());
    }
    let before = relationships::follow_state(conn, follower.id, target.id).await?;
    let wanted = if target.locked { FollowState::Requested } else { FollowState::Accepted };
    let state = relationships::upsert_follow(conn, follower.id, target.id, wanted, true, false).await?;
    relationships::set_follow_uri(conn, follower.id, target.id, incoming.activity_uri).await?;
    relationships::make_known(conn, incoming.tenant.id, &[follower.id]).await?;
    let mut events = Vec::new();
    if before.is_none() {
        let kind = if state == FollowState::Accepted { "follow" } else { "follow_request" };
        if let Some(n) = notifications::notify(conn, target.id, follower.id, kind, None).await? {
            events.push(Event::Notification { account_id: n.account_id.0, notification_id: n.id.0 });
        }
    }
    if state == FollowState::Accepted {
        // Sent again for a repeated Follow: the first Accept may have been lost.
        outbound::answer_follow(conn, scheme, &target, follower, Some(incoming.activity_uri), true).await?;
        return done("follow accepted", events);
    }
    done("follow requested", events)
}

/// The local follower an Accept or Reject is about: named by our Follow's
/// id, or by the embedded Follow's actor.
async fn our_follower(
    conn: &mut AsyncPgConnection,
    incoming: &Incoming<'_>,
    follow: &Reference,
) -> Result<Option<Account>, ProcessError> {
    if let Some(id) = follow.id() {
        let follower: Option<i64> = follows::table
            .filter(follows::uri.eq(id))
            .filter(follows::target_account_id.eq(incoming.actor.id.0))
            .select(follows::account_id)
            .first(conn)
            .await
            .optional()?;
        if let Some(follower) = follower {
            return Ok(accounts::get_unchecked(conn, AccountId(follower))
                .await?
                .filter(|a| a.domain_id == Some(incoming.tenant.id)));
        }
    }
    match follow.object() {
        Some(embedded) => {
            if embedded.object_ref().and_then(Reference::id) != Some(incoming.actor_uri) {
                return Ok(None);
            }
            match embedded.actor_id() {
                Some(actor) => local_actor(conn, incoming, actor).await,
                None => Ok(None),
            }
        }
        None => Ok(None),
    }
}

/// The remote actor accepted or rejected a local account's follow request.
pub async fn answer(
    conn: &mut AsyncPgConnection,
    incoming: &Incoming<'_>,
    accepted: bool,
) -> Result<Processed, ProcessError> {
    let Some(follow) = incoming.object() else { return ignored("an answer to nothing") };
    let Some(follower) = our_follower(conn, incoming, follow).await? else {
        return ignored("no follow of ours matches");
    };
    let target = incoming.actor.id;
    match relationships::follow_state(conn, follower.id, target).await? {
        None => ignored("the follow was withdrawn"),
        Some(_) if accepted => {
            relationships::accept_follow(conn, follower.id, target).await?;
            done("follow accepted", Vec::new())
        }
        Some(_) => {
            relationships::remove_follow(conn, follower.id, target).await?;
            done("follow rejected", Vec::new())
        }
    }
}

/// The remote actor stops following (or withdraws its request to) a local account.
pub async fn undo_follow(
    conn: &mut AsyncPgConnection,
    incoming: &Incoming<'_>,
    inner: &Reference,
) -> Result<Processed, ProcessError> {
    let follower = incoming.actor.id;
    let target = match inner.object().and_then(|follow| follow.object_ref()).and_then(Reference::id) {
        Some(target_uri) => local_actor(conn, incoming, target_uri).await?.map(|a| a.id),
        None => None,
    };
    let target = match target {
        Some(target) => Some(target),
        None => match inner.id() {
            Some(id) => follows::table
                .filter(follows::uri.eq(id))
                .filter(follows::account_id.eq(follower.0))
                .select(follows::target_account_id)
                .first::<i64>(conn)
                .await
                .optional()?
                .map(AccountId),
            None => None,
        },
    };
    let Some(target) = target else { return ignored("no follow matches") };
    // Only this tenant's accounts: another tenant's follow is that tenant's business.
    match accounts::get_unchecked(conn, target).await? {
        Some(account) if account.domain_id == Some(incoming.tenant.id) => {}
        _ => return ignored("no follow matches"),
    }
    if relationships::remove_follow(conn, follower, target).await? {
        notifications::withdraw(conn, target, follower, "follow", None).await?;
        notifications::withdraw(conn, target, follower, "follow_request", None).await?;
        return done("unfollowed", Vec::new());
    }
    ignored("no follow matches")
}
