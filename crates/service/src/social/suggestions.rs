//! Dismissing a follow suggestion (`DELETE /api/v1/suggestions/:id`).

use super::known_account;
use crate::Actor;
use crate::error::ServiceError;
use diesel_async::AsyncPgConnection;
use kereru_store::ids::AccountId;
use kereru_store::suggestions;

/// `target` is no longer suggested to the actor.
pub async fn dismiss(conn: &mut AsyncPgConnection, actor: &Actor<'_>, target: AccountId) -> Result<(), ServiceError> {
    let target = known_account(conn, actor, target).await?;
    suggestions::dismiss(conn, actor.tenant.id, actor.account.id, target.id).await?;
    Ok(())
}
