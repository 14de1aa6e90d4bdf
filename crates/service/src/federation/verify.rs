//! Who sent an inbound request: its HTTP signature (draft-cavage or RFC
//! 9421) verified with the key of a remote actor, fetched and cached; a
//! key that fails from the cache is fetched once more (key rotation).

use super::actors::{self, ActorError};
use super::key_fetches::{KeyFetchError, KeyFetches};
use kereru_core::HostName;
use kereru_core::signatures::{self, RequestParts, SignatureError, Signer, VerifyPolicy, VerifyingKey};
use kereru_delivery::http::Fetcher;
use kereru_store::Pool;
use kereru_store::accounts::{self, Account};
use kereru_store::domains::{self, Domain};
use kereru_store::{StoreError, domain_blocks};
use std::time::SystemTime;

/// A cached actor is fetched again for a failing signature only if it is older than this.
const REFETCH_AFTER_SECONDS: i64 = 60;

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the request is not signed")]
    Unsigned,
    #[error("the signature is not valid: {0}")]
    BadSignature(String),
    #[error("{0} is blocked here")]
    Blocked(String),
    #[error("the signing key is not one of a remote actor: {0}")]
    Key(String),
    #[error("too many key fetches from {0}; try again later")]
    TooManyKeyFetches(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ActorError> for VerifyError {
    fn from(error: ActorError) -> Self {
        match error {
            ActorError::Service(crate::ServiceError::Store(store)) => VerifyError::Store(store),
            other => VerifyError::Key(other.to_string()),
        }
    }
}

impl From<kereru_store::pool::PoolError> for VerifyError {
    fn from(error: kereru_store::pool::PoolError) -> Self {
        VerifyError::Store(StoreError::from(error))
    }
}

impl From<diesel::result::Error> for VerifyError {
    fn from(error: diesel::result::Error) -> Self {
        VerifyError::Store(StoreError::Database(error))
    }
}

/// The remote account that signed `request`, received by `tenant`.
/// `signer` signs the key fetch, for servers that require signed fetches.
/// Connections are taken from `pool` for each lookup and never held while
/// a remote server answers: a slow key server cannot starve the pool. Key
/// fetches go through `keys` (single-flight, negative cache, per-host budget).
pub async fn signer_of(
    pool: &Pool,
    fetcher: &Fetcher,
    keys: &KeyFetches,
    signer: Option<&Signer>,
    tenant: &Domain,
    request: &RequestParts<'_>,
) -> Result<Account, VerifyError> {
    let parsed = match signatures::parse(request) {
        Ok(parsed) => parsed,
        Err(SignatureError::NotSigned) => return Err(VerifyError::Unsigned),
        Err(other) => return Err(VerifyError::BadSignature(other.to_string())),
    };
    let key_id = parsed.key_id().to_string();
    let host = actors::host_of(&key_id).ok_or_else(|| VerifyError::Key(format!("{key_id} is not an http(s) URL")))?;
    let cached = {
        let mut conn = pool.get().await?;
        if domain_blocks::is_blocked(&mut conn, tenant.id, &host).await? {
            return Err(VerifyError::Blocked(host));
        }
        // This host's own tenants reach each other without HTTP; a signature
        // naming one of their keys did not come from them.
        if let Ok(name) = HostName::parse(&host)
            && domains::find_by_host(&mut conn, &name).await.ok().flatten().is_some()
        {
            return Err(VerifyError::Key(format!("{key_id} belongs to this host")));
        }
        actors::by_key_id_cached(&mut conn, &key_id).await?
    };
    let (account, fresh) = match cached {
        Some(account) => (account, false),
        None => (key_owner(pool, fetcher, keys, signer, &key_id, &host).await?, true),
    };
    let now = SystemTime::now();
    let policy = VerifyPolicy::default();
    let check = |account: &Account| -> Result<(), VerifyError> {
        let key = VerifyingKey::from_pem(&account.public_key_pem).map_err(|e| VerifyError::Key(e.to_string()))?;
        parsed.verify(request, &key, now, &policy).map_err(|e| VerifyError::BadSignature(e.to_string()))
    };
    match check(&account) {
        Ok(()) => Ok(account),
        Err(VerifyError::BadSignature(_) | VerifyError::Key(_)) if !fresh => {
            let refreshed = refreshed_actor(pool, fetcher, keys, signer, &account).await?;
            if refreshed.key_id.as_deref() != Some(key_id.as_str()) {
                return Err(VerifyError::Key(format!("{key_id} is no longer the actor's key")));
            }
            check(&refreshed)?;
            Ok(refreshed)
        }
        Err(other) => Err(other),
    }
}

impl From<KeyFetchError> for VerifyError {
    fn from(error: KeyFetchError) -> Self {
        match error {
            KeyFetchError::OverBudget(host) => VerifyError::TooManyKeyFetches(host),
            KeyFetchError::Failed(reason) => VerifyError::Key(reason),
            KeyFetchError::Unchanged => VerifyError::BadSignature("the signature does not verify".into()),
            KeyFetchError::Store(reason) => VerifyError::Store(StoreError::Corrupt(reason)),
        }
    }
}

fn store_failure(error: impl std::fmt::Display) -> KeyFetchError {
    KeyFetchError::Store(error.to_string())
}

/// The owner of a key not in the database: fetched (once, within budget) and kept.
async fn key_owner(
    pool: &Pool,
    fetcher: &Fetcher,
    keys: &KeyFetches,
    signer: Option<&Signer>,
    key_id: &str,
    host: &str,
) -> Result<Account, VerifyError> {
    let owner = keys
        .get(key_id, || async move {
            // Whoever fetched it before this request waited may have stored it.
            let mut conn = pool.get().await.map_err(store_failure)?;
            if let Some(known) = actors::by_key_id_cached(&mut conn, key_id).await.map_err(store_failure)? {
                return Ok(known);
            }
            drop(conn);
            keys.allow(host)?;
            let actor = actors::fetch_key_owner(fetcher, signer, key_id)
                .await
                .map_err(|e| KeyFetchError::Failed(e.to_string()))?;
            let mut conn = pool.get().await.map_err(store_failure)?;
            accounts::upsert_remote(&mut conn, &actor).await.map_err(store_failure)
        })
        .await?;
    Ok(owner)
}

/// `account` fetched again because a signature failed with its cached key
/// (key rotation): once per actor at a time, only when the cached copy is
/// older than [`REFETCH_AFTER_SECONDS`] and nobody refreshed it meanwhile.
async fn refreshed_actor(
    pool: &Pool,
    fetcher: &Fetcher,
    keys: &KeyFetches,
    signer: Option<&Signer>,
    account: &Account,
) -> Result<Account, VerifyError> {
    let uri = account.uri.clone().unwrap_or_default();
    let host = actors::host_of(&uri).ok_or_else(|| VerifyError::Key(format!("{uri} is not an http(s) URL")))?;
    let tried_key = account.public_key_pem.clone();
    let refreshed = keys
        .get(&uri, || async {
            let mut conn = pool.get().await.map_err(store_failure)?;
            if let Some((current, fetched_at)) = actors::cached(&mut conn, &uri).await.map_err(store_failure)? {
                if current.public_key_pem != tried_key {
                    return Ok(current);
                }
                if fetched_at.is_some_and(|at| (chrono::Utc::now() - at).num_seconds() <= REFETCH_AFTER_SECONDS) {
                    return Err(KeyFetchError::Unchanged);
                }
            }
            drop(conn);
            keys.allow(&host)?;
            let actor = actors::fetch(fetcher, signer, &uri).await.map_err(|e| KeyFetchError::Failed(e.to_string()))?;
            let mut conn = pool.get().await.map_err(store_failure)?;
            accounts::upsert_remote(&mut conn, &actor).await.map_err(store_failure)
        })
        .await?;
    Ok(refreshed)
}
