//! The database a command works on: the configured server, or this node's
//! private PostgreSQL cluster under the data directory.

use crate::config::Config;
use anyhow::Context;
use kereru_store::Pool;
use kereru_store::cluster::{ClusterError, PostgresBinaries, PrivateCluster};
use std::path::{Path, PathBuf};

/// The database name inside a private cluster.
const PRIVATE_DATABASE: &str = "kereru";

pub struct Database {
    pub pool: Pool,
    /// The server's URL, for connections outside the pool (the streaming listener).
    pub url: String,
    cluster: Option<PrivateCluster>,
}

impl Database {
    /// Connects (starting the private cluster if that is the configuration)
    /// and applies pending migrations.
    pub async fn open(config: &Config) -> anyhow::Result<Database> {
        let (url, cluster): (String, Option<PrivateCluster>) = match &config.database.url {
            Some(url) => (url.clone(), None),
            None => {
                let root = config.data_dir.join("postgres");
                let bin_dir = config.database.postgres_bin_dir.clone();
                let cluster = tokio::task::spawn_blocking(move || {
                    let bins = match bin_dir {
                        Some(dir) => PostgresBinaries::in_dir(&dir)?,
                        None => PostgresBinaries::discover()?,
                    };
                    open_private_cluster(&root, &bins)
                })
                .await
                .context("cluster start-up thread failed")??;
                kereru_store::pool::ensure_database(&cluster.url("postgres"), PRIVATE_DATABASE).await?;
                (cluster.url(PRIVATE_DATABASE), Some(cluster))
            }
        };
        let migrated = kereru_store::pool::run_migrations(&url).await;
        let database_for_cleanup = |cluster: Option<PrivateCluster>| async move {
            if let Some(cluster) = cluster {
                let _ = tokio::task::spawn_blocking(move || cluster.close()).await;
            }
        };
        let applied = match migrated {
            Ok(applied) => applied,
            Err(error) => {
                database_for_cleanup(cluster).await;
                return Err(error.into());
            }
        };
        for version in applied {
            tracing::info!(version, "applied migration");
        }
        let pool = kereru_store::pool::connect(&url, config.database.pool_size)?;
        Ok(Database { pool, url, cluster })
    }

    /// Closes the pool and, if this was the last process using the private
    /// cluster, stops it.
    pub async fn close(self) -> anyhow::Result<()> {
        self.pool.close();
        if let Some(cluster) = self.cluster {
            tokio::task::spawn_blocking(move || cluster.close()).await.context("cluster shutdown thread failed")??;
        }
        Ok(())
    }
}

/// Where clusters go when the data directory is out of the `postgres` user's reach.
const FALLBACK_CLUSTERS: &str = "/var/lib/kereru/clusters";

/// Opens the private cluster at `root` (`<data_dir>/postgres`). When we run as
/// root and the `postgres` user cannot reach the data directory (a checkout
/// under `/root`, say), the cluster is made under [`FALLBACK_CLUSTERS`]
/// instead and `root` becomes a symlink to it, so zero-config runs work from
/// anywhere and later runs find the same cluster.
fn open_private_cluster(root: &Path, bins: &PostgresBinaries) -> Result<PrivateCluster, ClusterError> {
    match PrivateCluster::open(root, bins) {
        Err(ClusterError::NotTraversable { dir }) if root.symlink_metadata().is_err() => {
            let target = fallback_root()?;
            tracing::info!(
                unreachable = %dir.display(),
                cluster = %target.display(),
                "the postgres user cannot reach the data directory; keeping the cluster elsewhere"
            );
            if let Some(parent) = root.parent() {
                std::fs::create_dir_all(parent).map_err(|error| io_error("creating the data directory", error))?;
            }
            std::os::unix::fs::symlink(&target, root).map_err(|error| io_error("linking the cluster", error))?;
            PrivateCluster::open(root, bins)
        }
        other => other,
    }
}

fn fallback_root() -> Result<PathBuf, ClusterError> {
    let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    let target = Path::new(FALLBACK_CLUSTERS).join(format!("{millis}-{}", std::process::id()));
    std::fs::create_dir_all(&target).map_err(|error| io_error("creating the fallback cluster directory", error))?;
    Ok(target)
}

fn io_error(action: &str, error: std::io::Error) -> ClusterError {
    ClusterError::Io { action: action.to_string(), error }
}
