//! A person's private note on another account (`POST /api/v1/accounts/:id/note`).

use super::known_account;
use crate::Actor;
use crate::error::ServiceError;
use diesel_async::AsyncPgConnection;
use kereru_store::account_notes::{self, MAX_NOTE};
use kereru_store::ids::AccountId;

/// Sets (or, with an empty comment, clears) the actor's note on `target`.
pub async fn set(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    target: AccountId,
    comment: &str,
) -> Result<(), ServiceError> {
    let target = known_account(conn, actor, target).await?;
    let comment = comment.trim();
    if comment.chars().count() > MAX_NOTE {
        return Err(ServiceError::Invalid(format!(
            "Validation failed: Comment is too long (maximum is {MAX_NOTE} characters)"
        )));
    }
    account_notes::set(conn, actor.tenant.id, actor.account.id, target.id, comment).await?;
    Ok(())
}
