//! The social parts of the client API (issue 15): endorsements, private notes
//! on accounts, follow suggestions, conversations (direct messages) and muted
//! threads. One action = one function = one transaction, as everywhere.

pub mod account_notes;
pub mod conversations;
pub mod endorsements;
pub mod suggestions;
pub mod thread_mutes;

use crate::Actor;
use crate::error::ServiceError;
use diesel_async::AsyncPgConnection;
use kereru_store::accounts::{self, Account};
use kereru_store::ids::AccountId;

/// An account the actor's tenant knows, else not found (another tenant's ids name nothing here).
async fn known_account(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    target: AccountId,
) -> Result<Account, ServiceError> {
    accounts::get_visible(conn, actor.tenant.id, target).await?.ok_or(ServiceError::NotFound)
}
