//! The database a command works on: the configured server, or this node's
//! private PostgreSQL cluster under the data directory.

use crate::config::Config;
use anyhow::Context;
use kereru_store::Pool;
use kereru_store::cluster::{PostgresBinaries, PrivateCluster};

/// The database name inside a private cluster.
const PRIVATE_DATABASE: &str = "kereru";

pub struct Database {
    pub pool: Pool,
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
                    PrivateCluster::open(&root, &bins)
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
        Ok(Database { pool, cluster })
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
