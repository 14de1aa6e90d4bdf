//! What the worker keeps between deliveries: a semaphore per remote host
//! (the per-host limit in this process), and each sender's parsed signer and
//! each activity's body, loaded once however many deliveries want them.

use super::Worker;
use super::attempt::AttemptError;
use crate::queue;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kereru_core::signatures::Signer;
use kereru_store::schema::accounts;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use tokio::sync::{OnceCell, Semaphore};

/// Cached bodies and signers kept before the caches are emptied.
const CACHE_LIMIT: usize = 4096;

/// The per-host semaphores, `per_host` permits each.
pub(super) struct HostSlots {
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl HostSlots {
    pub(super) fn new(per_host: usize) -> Self {
        HostSlots { per_host, hosts: Mutex::new(HashMap::new()) }
    }

    /// Whether a delivery to `host` is in flight or waiting right now.
    pub(super) fn in_flight(&self, host: &str) -> bool {
        let hosts = self.hosts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        hosts.get(host).is_some_and(|semaphore| Arc::strong_count(semaphore) > 1)
    }

    pub(super) fn semaphore(&self, host: &str) -> Arc<Semaphore> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if hosts.len() > CACHE_LIMIT {
            // Forget idle hosts (no one holds or waits on their semaphore).
            hosts.retain(|_, semaphore| Arc::strong_count(semaphore) > 1);
        }
        Arc::clone(hosts.entry(host.to_string()).or_insert_with(|| Arc::new(Semaphore::new(self.per_host))))
    }
}

/// Values loaded at most once per key while cached: concurrent callers
/// share one load. Emptied when it grows past [`CACHE_LIMIT`].
pub(super) struct OnceCache<K, V> {
    cells: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
}

impl<K, V> Default for OnceCache<K, V> {
    fn default() -> Self {
        OnceCache { cells: Mutex::new(HashMap::new()) }
    }
}

impl<K: Eq + Hash, V> OnceCache<K, V> {
    fn cell(&self, key: K) -> Arc<OnceCell<V>> {
        let mut cells = self.cells.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if cells.len() > CACHE_LIMIT {
            cells.clear();
        }
        Arc::clone(cells.entry(key).or_default())
    }
}

impl Worker {
    pub(super) async fn signer(&self, account: i64, key_id: &str) -> Result<Arc<Signer>, AttemptError> {
        let cell = self.signers.cell((account, key_id.to_string()));
        let signer = cell
            .get_or_try_init(|| async {
                let mut conn = self.pool.get().await.map_err(|e| AttemptError::Store(e.to_string()))?;
                // Only local accounts have a private key (remote ones are NULL).
                let der: Option<Vec<u8>> = accounts::table
                    .find(account)
                    .select(accounts::private_key_pkcs8)
                    .first(&mut conn)
                    .await
                    .map_err(|e| AttemptError::Store(e.to_string()))?;
                let der = der.ok_or_else(|| AttemptError::Key(format!("account {account} has no private key")))?;
                let key_id = key_id.to_string();
                let signer = tokio::task::spawn_blocking(move || Signer::from_rsa_pkcs8_der(key_id, &der))
                    .await
                    .map_err(|e| AttemptError::Key(e.to_string()))?
                    .map_err(|e| AttemptError::Key(e.to_string()))?;
                Ok::<_, AttemptError>(Arc::new(signer))
            })
            .await?;
        Ok(Arc::clone(signer))
    }

    pub(super) async fn body(&self, activity: i64) -> Result<Arc<str>, AttemptError> {
        let cell = self.bodies.cell(activity);
        let body = cell
            .get_or_try_init(|| async {
                let mut conn = self.pool.get().await.map_err(|e| AttemptError::Store(e.to_string()))?;
                let found =
                    queue::bodies(&mut conn, &[activity]).await.map_err(|e| AttemptError::Store(e.to_string()))?;
                let (_, body) = found.into_iter().next().ok_or(AttemptError::NoActivity)?;
                Ok::<_, AttemptError>(Arc::<str>::from(body))
            })
            .await?;
        Ok(Arc::clone(body))
    }
}
