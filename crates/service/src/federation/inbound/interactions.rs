//! Like, Block (and their Undo), Flag and Move from remote actors.

use super::{Incoming, ProcessError, Processed, done, ignored, local_actor, local_status};
use crate::events::Event;
use crate::federation::{actors, outbound};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kereru_core::activitystreams::{Object, Reference};
use kereru_store::accounts::Account;
use kereru_store::ids::next_id;
use kereru_store::relationships::FollowState;
use kereru_store::schema::accounts as accounts_table;
use kereru_store::schema::follows;
use kereru_store::{interactions, notifications, relationships};

/// A remote actor favourites a status of this tenant's.
pub async fn like(conn: &mut AsyncPgConnection, incoming: &Incoming<'_>) -> Result<Processed, ProcessError> {
    let Some(id) = incoming.object_id() else { return ignored("Like of nothing") };
    let Some(status) = local_status(conn, incoming.tenant, id).await? else {
        return ignored("Like of a status that is not this tenant's");
    };
    let liker = incoming.actor.id;
    if relationships::blocked_either_way(conn, liker, status.account_id).await? {
        return ignored("a block");
    }
    relationships::make_known(conn, incoming.tenant.id, &[liker]).await?;
    let mut events = Vec::new();
    if interactions::favourite(conn, liker, status.id).await?
        && let Some(n) = notifications::notify(conn, status.account_id, liker, "favourite", Some(status.id)).await?
    {
        events.push(Event::Notification { account_id: n.account_id.0, notification_id: n.id.0 });
    }
    done("favourited", events)
}

pub async fn undo_like(
    conn: &mut AsyncPgConnection,
    incoming: &Incoming<'_>,
    inner: &Reference,
) -> Result<Processed, ProcessError> {
    let Some(id) = inner.object().and_then(Object::object_ref).and_then(Reference::id) else {
        return ignored("Undo of a Like without its object");
    };
    let Some(status) = local_status(conn, incoming.tenant, id).await? else { return ignored("no like matches") };
    let liker = incoming.actor.id;
    if interactions::unfavourite(conn, liker, status.id).await? {
        notifications::withdraw(conn, status.account_id, liker, "favourite", Some(status.id)).await?;
        return done("unfavourited", Vec::new());
    }
    ignored("no like matches")
}

/// A remote actor blocks a local account: follows end both ways.
pub async fn block(conn: &mut AsyncPgConnection, incoming: &Incoming<'_>) -> Result<Processed, ProcessError> {
    let Some(id) = incoming.object_id() else { return ignored("Block of nothing") };
    let Some(target) = local_actor(conn, incoming, id).await? else {
        return ignored("Block of an account that is not this tenant's");
    };
    let blocker = incoming.actor.id;
    relationships::remove_follow(conn, blocker, target.id).await?;
    relationships::remove_follow(conn, target.id, blocker).await?;
    relationships::block(conn, blocker, target.id).await?;
    done("blocked", Vec::new())
}

pub async fn undo_block(
    conn: &mut AsyncPgConnection,
    incoming: &Incoming<'_>,
    inner: &Reference,
) -> Result<Processed, ProcessError> {
    let Some(id) = inner.object().and_then(Object::object_ref).and_then(Reference::id) else {
        return ignored("Undo of a Block without its object");
    };
    let Some(target) = local_actor(conn, incoming, id).await? else { return ignored("no block matches") };
    relationships::unblock(conn, incoming.actor.id, target.id).await?;
    done("unblocked", Vec::new())
}

/// A report about this tenant's accounts (and their statuses) for its moderators.
pub async fn flag(conn: &mut AsyncPgConnection, incoming: &Incoming<'_>) -> Result<Processed, ProcessError> {
    let ids: Vec<String> = incoming
        .activity
        .object
        .as_ref()
        .map(|objects| objects.iter().filter_map(Reference::id).map(str::to_string).collect())
        .unwrap_or_default();
    let mut target = None;
    let mut status_ids = Vec::new();
    for id in &ids {
        if let Some(account) = local_actor(conn, incoming, id).await? {
            target.get_or_insert(account.id);
        } else if let Some(status) = local_status(conn, incoming.tenant, id).await? {
            target.get_or_insert(status.account_id);
            status_ids.push(status.id);
        }
    }
    let Some(target) = target else { return ignored("a report about nobody on this tenant") };
    if rejects_reports(conn, incoming).await? {
        return ignored("reports from this server are rejected");
    }
    let comment = Object::text(&incoming.activity.content).unwrap_or("");
    let uri = incoming.activity_uri;
    match crate::reports::receive(conn, incoming.tenant.id, incoming.actor.id, target, &status_ids, comment, uri).await
    {
        Ok(Some(_)) => done("report stored", Vec::new()),
        Ok(None) => ignored("this report was already stored"),
        Err(e) => Err(e.into()),
    }
}

/// Whether the tenant's (or the whole host's) block of the sender's server,
/// or of a parent domain of it, rejects its reports.
async fn rejects_reports(conn: &mut AsyncPgConnection, incoming: &Incoming<'_>) -> Result<bool, ProcessError> {
    let Some(host) = incoming.actor.remote_host.as_deref() else { return Ok(false) };
    let policy = kereru_store::domain_blocks::policy(conn, incoming.tenant.id, host).await?;
    Ok(policy.is_some_and(|policy| policy.rejects_reports()))
}

/// The actor moved: recorded when the target names the actor among its
/// aliases (`alsoKnownAs`), and this tenant's followers of the actor
/// follow the target instead.
pub async fn move_account(conn: &mut AsyncPgConnection, incoming: &Incoming<'_>) -> Result<Processed, ProcessError> {
    if incoming.object_id() != Some(incoming.actor_uri) {
        return ignored("Move of another actor");
    }
    let Some(target) = incoming.activity.target.as_ref().and_then(|t| t.first()).and_then(Reference::id) else {
        return ignored("Move without a target");
    };
    if super::blocked(conn, incoming.tenant.id, target).await? {
        return ignored("Move to a server blocked here");
    }
    let fetched = incoming
        .context
        .fetcher
        .get_activity_json(target, incoming.signer)
        .await
        .map_err(|e| super::fetch_failure(target, e))?;
    let aliases: Vec<&str> = match fetched.body.get("alsoKnownAs") {
        Some(serde_json::Value::String(one)) => vec![one.as_str()],
        Some(serde_json::Value::Array(many)) => many.iter().filter_map(|v| v.as_str()).collect(),
        _ => Vec::new(),
    };
    if !aliases.contains(&incoming.actor_uri) {
        return ignored("the target does not name the actor as an alias");
    }
    let target_account = actors::parse_actor(&fetched.body, &fetched.url)?;
    let target_account = kereru_store::accounts::upsert_remote(conn, &target_account).await?;
    diesel::update(accounts_table::table.find(incoming.actor.id.0))
        .set(accounts_table::moved_to_uri.eq(target))
        .execute(conn)
        .await?;
    // This tenant's followers follow the target instead, as Mastodon moves them.
    let followers: Vec<Account> = follows::table
        .inner_join(accounts_table::table.on(accounts_table::id.eq(follows::account_id)))
        .filter(follows::target_account_id.eq(incoming.actor.id.0))
        .filter(accounts_table::domain_id.eq(incoming.tenant.id.0))
        .select(Account::as_select())
        .load(conn)
        .await?;
    let scheme = incoming.context.scheme;
    for follower in &followers {
        relationships::remove_follow(conn, follower.id, incoming.actor.id).await?;
        if relationships::blocked_either_way(conn, follower.id, target_account.id).await? {
            continue;
        }
        relationships::upsert_follow(conn, follower.id, target_account.id, FollowState::Requested, true, false).await?;
        if let Some(uri) = outbound::follow(conn, scheme, follower, &target_account, next_id()).await? {
            relationships::set_follow_uri(conn, follower.id, target_account.id, &uri).await?;
        }
    }
    relationships::make_known(conn, incoming.tenant.id, &[target_account.id]).await?;
    done(format!("move recorded, {} followers moved", followers.len()), Vec::new())
}
