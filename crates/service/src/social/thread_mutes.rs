//! Muting a conversation (`POST /api/v1/statuses/:id/mute|unmute`): no more
//! notifications from the thread the status is in.

use crate::Actor;
use crate::error::ServiceError;
use diesel_async::AsyncPgConnection;
use kereru_store::ids::StatusId;
use kereru_store::{conversations, statuses, thread_mutes};

/// Mutes (or unmutes) the thread of a status the actor may see; others' private statuses are not found.
pub async fn set(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    status: StatusId,
    muted: bool,
) -> Result<(), ServiceError> {
    let status = statuses::visible_one(conn, actor.tenant.id, Some(actor.account.id), status)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let root = conversations::thread_root(conn, status.id).await?;
    if muted {
        thread_mutes::mute(conn, actor.tenant.id, actor.account.id, root).await?;
    } else {
        thread_mutes::unmute(conn, actor.account.id, root).await?;
    }
    Ok(())
}
