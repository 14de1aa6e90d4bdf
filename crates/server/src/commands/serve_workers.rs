//! The background workers of `kereru serve`, each started when the node has
//! its role (`[node] roles`, see [`crate::node`]) and the older per-worker
//! switches allow it, and all stopped together by one signal.

use crate::config::Config;
use crate::node::{Role, Roles};
use anyhow::Context;
use kereru_core::Scheme;
use kereru_delivery::http::Fetcher;
use kereru_store::Pool;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The running workers and the signal that stops them.
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

/// What starting the workers needs from `serve`.
pub struct Needs<'a> {
    pub config: &'a Config,
    pub pool: Pool,
    pub database_url: &'a str,
    pub roles: Roles,
    pub scheme: Scheme,
    /// The outbound client (the web state's one on a web node).
    pub fetcher: Arc<Fetcher>,
    pub av_tools: Option<kereru_service::media_av::Tools>,
    /// Where media files are kept (`[media]`).
    pub media: kereru_media::MediaStore,
}

impl Workers {
    pub fn new() -> Workers {
        Workers { stop: watch::channel(false).0, tasks: Vec::new() }
    }

    /// A future that resolves when the workers are told to stop.
    fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut stop = self.stop.subscribe();
        async move {
            let _ = stop.wait_for(|stop| *stop).await;
        }
    }

    fn spawn(&mut self, name: &'static str, task: impl std::future::Future<Output = ()> + Send + 'static) {
        self.tasks.push((name, tokio::spawn(task)));
    }

    /// The inbound processor when the node has the inbound role and
    /// `[federation] inbound_in_serve` is on; its wake for this node's inbox.
    pub fn start_inbound(&mut self, needs: &Needs<'_>) -> Option<Arc<tokio::sync::Notify>> {
        let config = needs.config;
        if !(needs.roles.has(Role::Inbound) && config.federation.inbound_in_serve) {
            return None;
        }
        use kereru_service::federation::inbound::worker::{InboundSettings, InboundWorker};
        let settings = InboundSettings {
            concurrency: config.federation.inbound_concurrency,
            keep_finished_hours: i32::try_from(config.delivery.keep_finished_hours).unwrap_or(i32::MAX),
            shutdown_grace: config.node.shutdown_grace(),
            ..Default::default()
        };
        let worker = InboundWorker::new(needs.pool.clone(), Arc::clone(&needs.fetcher), needs.scheme, settings);
        let wake = Arc::clone(&worker.wake);
        let stopped = self.stopped();
        self.spawn("inbound processor", worker.run(stopped));
        Some(wake)
    }

    /// Every other worker the node's roles ask for.
    pub fn start_rest(&mut self, needs: Needs<'_>) -> anyhow::Result<()> {
        let Needs { config, pool, database_url, roles, scheme, fetcher, av_tools, media } = needs;
        if roles.has(Role::Deliver) {
            if config.delivery.workers_in_serve {
                let worker = super::deliver::worker(config, pool.clone())?;
                let stopped = self.stopped();
                self.spawn("delivery worker", worker.run(stopped));
                let pushes = super::deliver::push_worker(config, pool.clone())?;
                let stopped = self.stopped();
                self.spawn("push worker", pushes.run(stopped));
            }
            if config.provider.webhooks_in_serve {
                let webhooks = super::deliver::webhook_worker(config, pool.clone())?;
                let stopped = self.stopped();
                self.spawn("webhook worker", webhooks.run(stopped));
            }
        }
        if roles.has(Role::Mail) {
            // Checked before anything starts: a bad [mail] is an error at start-up.
            let settings = config.mail_settings();
            let mailer = kereru_mail::Mailer::new(&settings).context("[mail]")?;
            let listener = kereru_mail::listener(database_url)?;
            tracing::info!("{}", mailer.transport.describe(&settings));
            let stopped = self.stopped();
            let settings = kereru_mail::WorkerSettings::default();
            self.spawn("mail worker", kereru_mail::run(pool.clone(), listener, mailer, settings, stopped));
        }
        if roles.has(Role::Jobs) {
            self.start_jobs(config, &pool, scheme, fetcher, &media);
        }
        if roles.has(Role::Media)
            && let Some(tools) = av_tools
        {
            // Video and audio uploads still pending are finished here (when ffmpeg is here).
            let stopped = self.stopped();
            self.spawn("media worker", kereru_service::media_av::worker::run(pool.clone(), media, tools, stopped));
        }
        Ok(())
    }

    /// Timed and background jobs; any number of nodes may run them at once.
    fn start_jobs(
        &mut self,
        config: &Config,
        pool: &Pool,
        scheme: Scheme,
        fetcher: Arc<Fetcher>,
        media: &kereru_media::MediaStore,
    ) {
        // Link preview cards of new statuses.
        let stopped = self.stopped();
        self.spawn("cards worker", kereru_service::cards::worker::run(pool.clone(), fetcher, stopped));
        // Tenants deleted through the provider API go once their grace period is over.
        let stopped = self.stopped();
        self.spawn("tenant purge", super::provider::purge_loop(pool.clone(), media.clone(), stopped));
        // Files of deleted statuses, accounts and tenants (queued by the database as their rows go),
        // and uploads never attached after a day, removed from the store.
        let stopped = self.stopped();
        self.spawn("media file removal", kereru_service::media_files::run(pool.clone(), media.clone(), stopped));
        // Self-service claims: the verifier looks at waiting claims' DNS records.
        if config.provider.self_service {
            let checks = kereru_service::claims::Checks {
                resolver: config.acme.resolver.as_deref().and_then(|r| r.parse().ok()),
                public_addresses: config.acme.public_addresses.clone(),
            };
            let stopped = self.stopped();
            self.spawn("claims verifier", kereru_service::claims::verify::run(pool.clone(), checks, scheme, stopped));
        }
        // Scheduled statuses published at their time, and polls ended at theirs.
        let stopped = self.stopped();
        self.spawn("scheduled statuses", kereru_service::scheduled::run(pool.clone(), scheme, stopped));
        let stopped = self.stopped();
        self.spawn("poll expiry", kereru_service::polls::run(pool.clone(), scheme, stopped));
    }

    /// Tells every worker to stop and waits for them (each bounds its own
    /// wait for work in flight by `[node] shutdown_seconds`, then hands
    /// claimed rows back to their queues).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for (name, task) in self.tasks {
            if let Err(error) = task.await {
                tracing::warn!("{name}: {error}");
            }
        }
    }
}
