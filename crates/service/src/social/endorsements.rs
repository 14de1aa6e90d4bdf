//! Featuring accounts on one's profile (Mastodon's endorsements, `pin`/`unpin`).

use super::known_account;
use crate::Actor;
use crate::error::ServiceError;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_store::endorsements::{self, MAX_ENDORSEMENTS};
use kereru_store::ids::AccountId;
use kereru_store::relationships::{self, FollowState};

/// Endorses `target`: only an account the actor follows, as Mastodon (422 otherwise).
pub async fn endorse(conn: &mut AsyncPgConnection, actor: &Actor<'_>, target: AccountId) -> Result<(), ServiceError> {
    let target = known_account(conn, actor, target).await?;
    let me = actor.account.id;
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        if relationships::follow_state(conn, me, target.id).await? != Some(FollowState::Accepted) {
            return Err(ServiceError::Invalid(
                "Validation failed: You must be already following the person you want to endorse".into(),
            ));
        }
        if endorsements::count(conn, me).await? >= MAX_ENDORSEMENTS {
            return Err(ServiceError::Invalid(format!(
                "Validation failed: You can only endorse up to {MAX_ENDORSEMENTS} accounts"
            )));
        }
        endorsements::add(conn, actor.tenant.id, me, target.id).await?;
        Ok(())
    })
    .await
}

/// Stops endorsing `target` (nothing if it wasn't).
pub async fn unendorse(conn: &mut AsyncPgConnection, actor: &Actor<'_>, target: AccountId) -> Result<(), ServiceError> {
    let target = known_account(conn, actor, target).await?;
    endorsements::remove(conn, actor.account.id, target.id).await?;
    Ok(())
}
