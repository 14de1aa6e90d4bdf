//! `kereru deliver`: a delivery worker and nothing else (the worker role of
//! a multi-node deployment), and the worker `serve` runs beside HTTP.

use crate::config::Config;
use crate::database::Database;
use kereru_delivery::push::{PushSettings, PushWorker};
use kereru_delivery::webhooks::WebhookWorker;
use kereru_delivery::worker::Worker;
use kereru_store::Pool;
use std::sync::Arc;

/// A worker on `pool` with `[delivery]` and `[federation]` settings.
pub fn worker(config: &Config, pool: Pool) -> anyhow::Result<Arc<Worker>> {
    use kereru_delivery::http::{FetchSettings, Fetcher};
    let base = super::serve::fetch_settings(config)?;
    let idle = std::time::Duration::from_secs(config.delivery.idle_connection_seconds);
    let one_shot = Fetcher::new(&FetchSettings { idle_timeout: std::time::Duration::ZERO, ..base.clone() })?;
    let keep_alive = Fetcher::new(&FetchSettings { idle_timeout: idle, ..base })?;
    let settings = config.delivery.worker_settings();
    let grace = config.node.shutdown_grace();
    Ok(Worker::with_shutdown_grace(pool, Arc::new(one_shot), Arc::new(keep_alive), settings, grace))
}

/// The provider webhooks' worker on `pool`, sending through the `[federation]` outbound client.
pub fn webhook_worker(config: &Config, pool: Pool) -> anyhow::Result<Arc<WebhookWorker>> {
    let fetcher = kereru_delivery::http::Fetcher::new(&super::serve::fetch_settings(config)?)?;
    let grace = config.node.shutdown_grace();
    Ok(WebhookWorker::with_shutdown_grace(pool, Arc::new(fetcher), config.provider.webhook_settings(), grace))
}

/// The Web Push worker on `pool`, sending through the `[federation]` outbound client.
pub fn push_worker(config: &Config, pool: Pool) -> anyhow::Result<Arc<PushWorker>> {
    use anyhow::Context;
    let fetcher = kereru_delivery::http::Fetcher::new(&super::serve::fetch_settings(config)?)?;
    let scheme = config.public_scheme().context("invalid http.public_scheme")?;
    let grace = config.node.shutdown_grace();
    Ok(PushWorker::with_shutdown_grace(pool, Arc::new(fetcher), PushSettings::new(scheme), grace))
}

pub async fn run(config: Config) -> anyhow::Result<()> {
    let database = Database::open(&config).await?;
    let worker = match worker(&config, database.pool.clone()) {
        Ok(worker) => worker,
        Err(error) => {
            database.close().await?;
            return Err(error);
        }
    };
    // The metrics listener, when `[metrics] listen` is set.
    let metrics = match super::metrics::start(&config, database.pool.clone()) {
        Ok(metrics) => metrics,
        Err(error) => {
            database.close().await?;
            return Err(error);
        }
    };
    // The provider webhooks are sent here too: they are deliveries of their own kind.
    let webhooks = match webhook_worker(&config, database.pool.clone()) {
        Ok(webhooks) => webhooks,
        Err(error) => {
            database.close().await?;
            return Err(error);
        }
    };
    let (stop_webhooks, webhooks_stopped) = tokio::sync::oneshot::channel::<()>();
    let webhooks = tokio::spawn(webhooks.run(async move {
        let _ = webhooks_stopped.await;
    }));
    // And Web Push: pushes to people's push services.
    let pushes = match push_worker(&config, database.pool.clone()) {
        Ok(pushes) => pushes,
        Err(error) => {
            database.close().await?;
            return Err(error);
        }
    };
    let (stop_pushes, pushes_stopped) = tokio::sync::oneshot::channel::<()>();
    let pushes = tokio::spawn(pushes.run(async move {
        let _ = pushes_stopped.await;
    }));
    // Watched before the line below, so a SIGTERM right after it stops us gracefully.
    let stop = super::serve::stop_requested();
    tracing::info!("delivery worker started");
    // Scripts and tests wait for this line to know the worker runs.
    println!("kereru delivering");
    worker.run(stop).await;
    drop(stop_webhooks);
    if let Err(error) = webhooks.await {
        tracing::warn!("webhook worker: {error}");
    }
    drop(stop_pushes);
    if let Err(error) = pushes.await {
        tracing::warn!("push worker: {error}");
    }
    if let Some(handle) = metrics {
        handle.stop(true).await;
    }
    tracing::info!("delivery worker stopped");
    database.close().await
}
