//! Where the files are kept: ONE interface ([`MediaStore`]) over two
//! backends from the `object_store` crate, the local data directory (the
//! zero-config default: `<media_dir>/<domain id>/<name>`, the layout of
//! before) and any S3-compatible service (`[media] store = "s3"`). Every
//! key is `<domain id>/<name>`: a tenant's files are under its own prefix,
//! which is what a purged tenant's removal lists. Names are the random ones
//! [`crate::files`] gives; only those are ever read back, so no key can be
//! made up by a client.

use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("media storage: {0}")]
    Backend(#[from] object_store::Error),
    #[error("media storage: {0}")]
    Io(#[from] std::io::Error),
    /// The configuration cannot work (said before anything starts).
    #[error("media storage configuration: {0}")]
    Config(String),
}

/// The S3-compatible backend's settings (`[media]` with `store = "s3"`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    /// `http(s)://host:port`; empty: AWS itself (by region).
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `https://endpoint/bucket/key` rather than `https://bucket.endpoint/key` (MinIO, s3s, most self-hosted).
    pub path_style: bool,
}

impl std::fmt::Debug for S3Settings {
    // The secret never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("path_style", &self.path_style)
            .finish_non_exhaustive()
    }
}

/// Which backend, as the configuration says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Backend {
    /// The node's `<data_dir>/media` (or the directory given to [`MediaStore::open`]).
    #[default]
    Local,
    S3(S3Settings),
}

/// The store's settings: its backend and, optionally, the public base URL
/// (a CDN or the bucket's own web address) entity URLs point at instead of
/// `/system/media/...` on the tenant's host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreSettings {
    pub backend: Backend,
    pub public_base_url: Option<String>,
}

/// `[media] public_base_url`, once a store with one is opened: one
/// configuration per process, so entity URLs (rendered far from any state)
/// read it here. Never unset.
static PUBLIC_BASE_URL: std::sync::OnceLock<Arc<str>> = std::sync::OnceLock::new();

/// The public URL of a file when `[media] public_base_url` is set.
pub fn published_url(domain_id: i64, name: &str) -> Option<String> {
    PUBLIC_BASE_URL.get().map(|base| format!("{base}/{domain_id}/{name}"))
}

/// The one way files are written, read and removed. Cheap to clone.
#[derive(Debug, Clone)]
pub struct MediaStore {
    inner: Arc<dyn ObjectStore>,
    public_base_url: Option<Arc<str>>,
    /// What it is, for the log line at start.
    describe: Arc<str>,
}

impl MediaStore {
    /// The store `settings` describe; `media_dir` is the local backend's
    /// directory (made if missing). Nothing is contacted: see [`MediaStore::check`].
    pub fn open(settings: &StoreSettings, media_dir: &Path) -> Result<MediaStore, StorageError> {
        let store = match &settings.backend {
            Backend::Local => MediaStore::local(media_dir)?,
            Backend::S3(s3) => MediaStore::s3(s3)?,
        };
        let public_base_url = match settings.public_base_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                Some(Arc::from(url.trim_end_matches('/')))
            }
            Some(url) => {
                return Err(StorageError::Config(format!("public_base_url must be an http(s) URL, not {url:?}")));
            }
        };
        if let Some(base) = &public_base_url {
            let _ = PUBLIC_BASE_URL.set(Arc::clone(base));
        }
        Ok(MediaStore { public_base_url, ..store })
    }

    /// Files under `media_dir` (`<media_dir>/<domain id>/<name>`).
    pub fn local(media_dir: &Path) -> Result<MediaStore, StorageError> {
        std::fs::create_dir_all(media_dir)?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(media_dir)?;
        Ok(MediaStore {
            inner: Arc::new(store),
            public_base_url: None,
            describe: Arc::from(format!("the directory {}", media_dir.display())),
        })
    }

    /// Files in an S3-compatible bucket.
    pub fn s3(settings: &S3Settings) -> Result<MediaStore, StorageError> {
        let mut missing = Vec::new();
        for (key, value) in [
            ("bucket", &settings.bucket),
            ("region", &settings.region),
            ("access_key_id", &settings.access_key_id),
            ("secret_access_key", &settings.secret_access_key),
        ] {
            if value.trim().is_empty() {
                missing.push(key);
            }
        }
        if !missing.is_empty() {
            return Err(StorageError::Config(format!("store = \"s3\" needs {} in [media]", missing.join(", "))));
        }
        let endpoint = settings.endpoint.trim().trim_end_matches('/');
        if !endpoint.is_empty() && !endpoint.starts_with("https://") && !endpoint.starts_with("http://") {
            return Err(StorageError::Config(format!("endpoint must be an http(s) URL, not {endpoint:?}")));
        }
        // reqwest is built without a TLS provider of its own: ring's, as the rest of Kererū.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_access_key_id(&settings.access_key_id)
            .with_secret_access_key(&settings.secret_access_key)
            .with_virtual_hosted_style_request(!settings.path_style)
            // A few quick retries, not the default three minutes: an upload waits on it.
            .with_retry(object_store::RetryConfig {
                max_retries: 3,
                retry_timeout: std::time::Duration::from_secs(15),
                ..object_store::RetryConfig::default()
            });
        if !endpoint.is_empty() {
            builder = builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
        }
        let store = builder.build().map_err(|e| StorageError::Config(e.to_string()))?;
        let at = if endpoint.is_empty() { format!("region {}", settings.region) } else { endpoint.to_string() };
        Ok(MediaStore {
            inner: Arc::new(store),
            public_base_url: None,
            describe: Arc::from(format!("the S3 bucket {} at {at}", settings.bucket)),
        })
    }

    /// Reaches the backend once (a listing): a wrong endpoint, bucket or key
    /// is refused at start rather than at the first upload.
    pub async fn check(&self) -> Result<(), StorageError> {
        self.inner.list_with_delimiter(Some(&Key::from("0"))).await?;
        Ok(())
    }

    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// One tenant's files.
    pub fn tenant(&self, domain_id: i64) -> TenantFiles {
        TenantFiles { store: self.clone(), domain_id }
    }

    fn key(domain_id: i64, name: &str) -> Key {
        Key::from_iter([domain_id.to_string(), name.to_string()])
    }

    /// The URL a file is published at when a public base URL is configured
    /// (`<base>/<domain id>/<name>`); `None`: served by Kererū itself.
    pub fn public_url(&self, domain_id: i64, name: &str) -> Option<String> {
        self.public_base_url.as_deref().map(|base| format!("{base}/{domain_id}/{name}"))
    }

    /// Stores a new file (names are fresh and random: nothing is overwritten).
    pub async fn put(&self, domain_id: i64, name: &str, bytes: impl Into<Bytes>) -> Result<(), StorageError> {
        self.inner.put(&Self::key(domain_id, name), PutPayload::from(bytes.into())).await?;
        Ok(())
    }

    /// Stores the file at `path` under `name`.
    pub async fn put_file(&self, domain_id: i64, name: &str, path: &Path) -> Result<(), StorageError> {
        let bytes = tokio::fs::read(path).await?;
        self.put(domain_id, name, bytes).await
    }

    /// A file's bytes; `None` when there is none.
    pub async fn get(&self, domain_id: i64, name: &str) -> Result<Option<Bytes>, StorageError> {
        match self.inner.get(&Self::key(domain_id, name)).await {
            Ok(found) => Ok(Some(found.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Copies a file to the local `path` (for ffmpeg, which reads files).
    pub async fn fetch_to(&self, domain_id: i64, name: &str, path: &Path) -> Result<(), StorageError> {
        match self.get(domain_id, name).await? {
            Some(bytes) => Ok(tokio::fs::write(path, &bytes).await?),
            None => Err(StorageError::Io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("media file {domain_id}/{name} not found"),
            ))),
        }
    }

    /// Removes one file; one already gone is no error (removal is at least once).
    pub async fn delete(&self, domain_id: i64, name: &str) -> Result<(), StorageError> {
        match self.inner.delete(&Self::key(domain_id, name)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Removes files a failed request wrote; a file that cannot be removed is
    /// logged (it is unreferenced and unguessable).
    pub async fn delete_quietly(&self, domain_id: i64, names: &[String]) {
        for name in names {
            if let Err(error) = self.delete(domain_id, name).await {
                tracing::warn!("could not remove media file {domain_id}/{name}: {error}");
            }
        }
    }

    /// Removes every file under a tenant's prefix; how many there were.
    pub async fn delete_tenant(&self, domain_id: i64) -> Result<usize, StorageError> {
        let prefix = Key::from(domain_id.to_string());
        let keys: Vec<Key> = self.inner.list(Some(&prefix)).map_ok(|meta| meta.location).try_collect().await?;
        for key in &keys {
            match self.inner.delete(key).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(keys.len())
    }

    /// The names stored under a tenant's prefix (tests and the operations guide's checks).
    pub async fn list_tenant(&self, domain_id: i64) -> Result<Vec<String>, StorageError> {
        let prefix = Key::from(domain_id.to_string());
        let metas: Vec<_> = self.inner.list(Some(&prefix)).try_collect().await?;
        Ok(metas.into_iter().filter_map(|meta| meta.location.filename().map(str::to_string)).collect())
    }
}

/// One tenant's part of a [`MediaStore`]: what the service's media actions are given.
#[derive(Debug, Clone)]
pub struct TenantFiles {
    pub store: MediaStore,
    pub domain_id: i64,
}

impl TenantFiles {
    pub async fn put(&self, name: &str, bytes: impl Into<Bytes>) -> Result<(), StorageError> {
        self.store.put(self.domain_id, name, bytes).await
    }

    /// Stores a new file under a fresh random name.
    pub async fn store_new(&self, encoded: crate::Encoded) -> Result<kereru_core::media::StoredFile, StorageError> {
        crate::files::store_new(&self.store, self.domain_id, encoded).await
    }

    pub async fn put_file(&self, name: &str, path: &Path) -> Result<(), StorageError> {
        self.store.put_file(self.domain_id, name, path).await
    }

    pub async fn fetch_to(&self, name: &str, path: &Path) -> Result<(), StorageError> {
        self.store.fetch_to(self.domain_id, name, path).await
    }

    /// Removes files a failed action wrote, or a replaced one (logged when that fails).
    pub async fn delete_quietly(&self, names: &[String]) {
        self.store.delete_quietly(self.domain_id, names).await
    }
}

/// A scratch directory for files ffmpeg reads and writes, removed when dropped.
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    pub fn new() -> Result<Scratch, std::io::Error> {
        let dir = std::env::temp_dir().join(format!("kereru-media-{}", crate::files::new_name("work")));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch { dir })
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_files_keep_the_old_layout() {
        let dir = std::env::temp_dir().join(format!("kereru-store-test-{}", crate::files::new_name("d")));
        let store = MediaStore::local(&dir).unwrap();
        store.put(7, "a.png", b"png".to_vec()).await.unwrap();
        assert_eq!(std::fs::read(dir.join("7").join("a.png")).unwrap(), b"png");
        assert_eq!(store.get(7, "a.png").await.unwrap().unwrap(), Bytes::from_static(b"png"));
        assert_eq!(store.get(8, "a.png").await.unwrap(), None);
        assert_eq!(store.list_tenant(7).await.unwrap(), vec!["a.png".to_string()]);
        store.delete(7, "a.png").await.unwrap();
        store.delete(7, "a.png").await.unwrap();
        assert_eq!(store.get(7, "a.png").await.unwrap(), None);
        store.put(7, "b.png", b"x".to_vec()).await.unwrap();
        assert_eq!(store.delete_tenant(7).await.unwrap(), 1);
        assert!(store.list_tenant(7).await.unwrap().is_empty());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn s3_settings_missing_are_named() {
        let error = MediaStore::s3(&S3Settings { bucket: "b".into(), ..S3Settings::default() }).unwrap_err();
        assert!(error.to_string().contains("region, access_key_id, secret_access_key"), "{error}");
        let settings = StoreSettings { backend: Backend::Local, public_base_url: Some("cdn.example".into()) };
        assert!(MediaStore::open(&settings, &std::env::temp_dir()).is_err());
    }
}
