//! Conversations (direct messages): kept up to date as direct statuses are
//! delivered and deleted, inside the transaction that delivers or deletes
//! them; read and removed by their owner.

use crate::Actor;
use crate::error::ServiceError;
use crate::events::Event;
use diesel_async::AsyncPgConnection;
use kereru_store::conversations;
use kereru_store::ids::{AccountId, DomainId};
use kereru_store::relationships;
use kereru_store::statuses::{self, Status, Visibility};

/// A direct status reached `recipients` (local accounts, with their tenants;
/// its author among them when local): each one's conversation in the thread
/// with the other participants gets it, unread for all but its author.
/// Returns the `conversation` events for their `direct` streams.
pub async fn delivered(
    conn: &mut AsyncPgConnection,
    status: &Status,
    recipients: &[(AccountId, DomainId)],
) -> Result<Vec<Event>, ServiceError> {
    if status.visibility() != Visibility::Direct || status.reblog_of_id.is_some() || recipients.is_empty() {
        return Ok(Vec::new());
    }
    let root = conversations::thread_root(conn, status.id).await?;
    let mut everyone: Vec<i64> =
        statuses::mentioned_accounts(conn, &[status.id]).await?.into_iter().map(|(_, a)| a.0).collect();
    everyone.push(status.account_id.0);
    everyone.sort_unstable();
    everyone.dedup();
    let mut events = Vec::new();
    for (recipient, tenant) in recipients {
        let author = *recipient == status.account_id;
        // Someone who blocks the author (or is blocked) gets no conversation from them.
        if !author && relationships::blocked_either_way(conn, *recipient, status.account_id).await? {
            continue;
        }
        let participants: Vec<i64> = everyone.iter().copied().filter(|a| *a != recipient.0).collect();
        let id = conversations::add_status(conn, *tenant, *recipient, root, &participants, status.id, !author).await?;
        events.push(Event::Conversation { account_id: recipient.0, conversation_id: id });
    }
    Ok(events)
}

/// A status is being deleted: it leaves every conversation it was in.
pub async fn deleted(conn: &mut AsyncPgConnection, status: &Status) -> Result<(), ServiceError> {
    if status.visibility() == Visibility::Direct {
        conversations::remove_status(conn, status.id).await?;
    }
    Ok(())
}

/// Marks one of the actor's conversations read; another's is not found.
pub async fn mark_read(conn: &mut AsyncPgConnection, actor: &Actor<'_>, id: i64) -> Result<(), ServiceError> {
    if conversations::mark_read(conn, actor.tenant.id, actor.account.id, id).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Removes one of the actor's conversations (its statuses stay); another's is not found.
pub async fn remove(conn: &mut AsyncPgConnection, actor: &Actor<'_>, id: i64) -> Result<(), ServiceError> {
    if conversations::remove(conn, actor.tenant.id, actor.account.id, id).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}
