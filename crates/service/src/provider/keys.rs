//! Provider API keys: made and revoked from the host's command line only
//! (a key cannot make keys), each with a host-wide audit row.

use crate::ServiceError;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_store::admin_actions::{self, NewAdminAction};
use kereru_store::provider_keys::{self, KeyError, ProviderKey};

#[derive(Debug, thiserror::Error)]
pub enum KeyActionError {
    #[error("a key name is 1 to 64 letters, digits, '-', '_' or '.'")]
    BadName,
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<diesel::result::Error> for KeyActionError {
    fn from(error: diesel::result::Error) -> Self {
        KeyActionError::Service(ServiceError::from(error))
    }
}

fn check_name(name: &str) -> Result<(), KeyActionError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok { Ok(()) } else { Err(KeyActionError::BadName) }
}

async fn record(conn: &mut AsyncPgConnection, action: &str, key: &ProviderKey) -> Result<(), ServiceError> {
    let detail = if key.read_only { "read-only" } else { "read-write" };
    admin_actions::record(
        conn,
        &NewAdminAction {
            tenant: None,
            actor: None,
            actor_label: "command line",
            action,
            target_type: "provider_key",
            target_id: Some(key.id),
            target_label: &key.name,
            detail,
        },
    )
    .await?;
    Ok(())
}

/// Makes a key; returns it with the secret, which is never shown again.
pub async fn create(
    conn: &mut AsyncPgConnection,
    name: &str,
    read_only: bool,
) -> Result<(ProviderKey, String), KeyActionError> {
    check_name(name)?;
    conn.transaction(async |conn| -> Result<(ProviderKey, String), KeyActionError> {
        let (key, secret) = provider_keys::create(conn, name, read_only).await?;
        record(conn, "create_provider_key", &key).await?;
        Ok((key, secret))
    })
    .await
}

/// Revokes the live key named `name`: its requests get 401 from now on.
pub async fn revoke(conn: &mut AsyncPgConnection, name: &str) -> Result<ProviderKey, KeyActionError> {
    conn.transaction(async |conn| -> Result<ProviderKey, KeyActionError> {
        let key = provider_keys::revoke(conn, name).await?;
        record(conn, "revoke_provider_key", &key).await?;
        Ok(key)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_and_plain() {
        assert!(check_name("shop-billing_1.prod").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("has space").is_err());
        assert!(check_name(&"x".repeat(65)).is_err());
    }
}
