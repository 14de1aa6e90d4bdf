//! Profile changes: what `update_credentials` does, as one action.

use crate::Actor;
use crate::error::ServiceError;
use crate::federation::outbound;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_store::accounts::{self, Account};
use kereru_store::profiles::{self, ProfileError, ProfileUpdate};
use kereru_store::statuses::Visibility;

/// A profile change and new posting defaults; `None` leaves a part as it is.
#[derive(Debug, Clone, Default)]
pub struct CredentialsUpdate {
    pub profile: ProfileUpdate,
    pub default_visibility: Option<Visibility>,
    pub default_sensitive: Option<bool>,
    /// `Some(None)` clears the default language.
    pub default_language: Option<Option<String>>,
}

/// Changes the actor's profile and posting defaults and queues the Update
/// other servers hear of it by, in one transaction: a refused change (too
/// long a name, too many fields) changes nothing and sends nothing.
pub async fn update_credentials(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    change: CredentialsUpdate,
) -> Result<Account, ServiceError> {
    let me = actor.account.id;
    let result = conn
        .transaction(async |conn| -> Result<Account, ServiceError> {
            profiles::update(conn, me, change.profile).await.map_err(|e| match e {
                ProfileError::Invalid(_) => ServiceError::Invalid(e.to_string()),
                ProfileError::Store(s) => ServiceError::Store(s),
            })?;
            let (visibility, sensitive, language) =
                (change.default_visibility, change.default_sensitive, change.default_language);
            profiles::set_posting_defaults(conn, me, visibility, sensitive, language).await?;
            let updated = accounts::get_unchecked(conn, me).await?.ok_or(ServiceError::NotFound)?;
            // Other servers hear of the new profile (through the delivery queue).
            outbound::profile_updated(conn, actor.scheme, actor.tenant, &updated).await?;
            Ok(updated)
        })
        .await;
    crate::quota_notice::after(conn, actor.tenant.id, result).await
}
