//! The keys hosting providers authenticate to the provisioning API with.
//! A key is 32 random bytes shown once (`kereru_pk_<base64url>`); only its
//! SHA-256 is stored, and a presented key is found by that digest and then
//! compared in constant time.

use crate::error::StoreError;
use crate::ids::next_id;
use crate::oauth::{constant_time_eq, new_secret, sha256};
use crate::schema::provider_keys;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// What every key starts with, so that secret scanners and people recognise one.
pub const KEY_PREFIX: &str = "kereru_pk_";

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = provider_keys)]
pub struct ProviderKey {
    pub id: i64,
    pub name: String,
    pub read_only: bool,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("a key named {0} exists already (revoke it first, or choose another name)")]
    NameTaken(String),
    #[error("no live key named {0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for KeyError {
    fn from(error: diesel::result::Error) -> Self {
        KeyError::Store(StoreError::Database(error))
    }
}

/// Stores a new key named `name`; returns it with the key itself (to print once).
pub async fn create(
    conn: &mut AsyncPgConnection,
    name: &str,
    read_only: bool,
) -> Result<(ProviderKey, String), KeyError> {
    let secret = format!("{KEY_PREFIX}{}", new_secret());
    let result = diesel::insert_into(provider_keys::table)
        .values((
            provider_keys::id.eq(next_id()),
            provider_keys::name.eq(name),
            provider_keys::key_sha256.eq(sha256(&secret)),
            provider_keys::read_only.eq(read_only),
        ))
        .returning(ProviderKey::as_returning())
        .get_result(conn)
        .await;
    match result {
        Ok(key) => Ok((key, secret)),
        Err(error) => {
            let error = StoreError::Database(error);
            match error.unique_violation() {
                Some(_) => Err(KeyError::NameTaken(name.to_string())),
                None => Err(error.into()),
            }
        }
    }
}

/// Every key, live and revoked, oldest first.
pub async fn list(conn: &mut AsyncPgConnection) -> Result<Vec<ProviderKey>, StoreError> {
    Ok(provider_keys::table.select(ProviderKey::as_select()).order(provider_keys::id.asc()).load(conn).await?)
}

/// Revokes the live key named `name`: from now on it gets 401.
pub async fn revoke(conn: &mut AsyncPgConnection, name: &str) -> Result<ProviderKey, KeyError> {
    diesel::update(
        provider_keys::table.filter(provider_keys::name.eq(name)).filter(provider_keys::revoked_at.is_null()),
    )
    .set(provider_keys::revoked_at.eq(Utc::now()))
    .returning(ProviderKey::as_returning())
    .get_result(conn)
    .await
    .optional()?
    .ok_or_else(|| KeyError::NotFound(name.to_string()))
}

/// The live key `presented` is, if any; notes when it was last used.
pub async fn authenticate(conn: &mut AsyncPgConnection, presented: &str) -> Result<Option<ProviderKey>, StoreError> {
    if !presented.starts_with(KEY_PREFIX) || presented.len() > 200 {
        return Ok(None);
    }
    let digest = sha256(presented);
    let found: Option<(Vec<u8>, ProviderKey)> = provider_keys::table
        .filter(provider_keys::key_sha256.eq(&digest))
        .filter(provider_keys::revoked_at.is_null())
        .select((provider_keys::key_sha256, ProviderKey::as_select()))
        .first(conn)
        .await
        .optional()?;
    let Some((stored, key)) = found else { return Ok(None) };
    // The index found it by digest; compare again without an early exit.
    if !constant_time_eq(&stored, &digest) {
        return Ok(None);
    }
    // At most once a minute, so that a busy key does not write on every request.
    let stale = key.last_used_at.is_none_or(|at| Utc::now() - at > chrono::Duration::minutes(1));
    if stale {
        diesel::update(provider_keys::table.find(key.id))
            .set(provider_keys::last_used_at.eq(Utc::now()))
            .execute(conn)
            .await?;
    }
    Ok(Some(key))
}
