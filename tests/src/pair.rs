//! Two Kererū servers federating over loopback, each with its own database
//! and app, delivery worker and inbound worker, as two real servers would.
//! Each app's outbound client reaches the other's hosts through a forwarder
//! started before either app, since an app's address is known only once it
//! runs and its client must know where the other is when it is built.
//!
//! ```ignore
//! let pair = Pair::start(World::new().tenant("a.test").user("a.test", "alice"), &["a.test"],
//!                        World::new().tenant("b.test").user("b.test", "bob"), &["b.test"]).await;
//! let alice = pair.a.login("a.test", "alice").await;
//! assert!(pair.until(|| async { ... }).await);
//! pair.stop().await;
//! ```

use crate::TestApp;
use crate::world::{World, WorldBuilder};
use kereru_core::Scheme;
use kereru_delivery::http::Fetcher;
use kereru_delivery::worker::{Worker, WorkerSettings};
use kereru_service::federation::inbound::worker::{InboundSettings, InboundWorker};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Accepts connections and relays them to an address set later.
struct Forwarder {
    addr: SocketAddr,
    target: Arc<OnceLock<SocketAddr>>,
    task: JoinHandle<()>,
}

impl Forwarder {
    async fn start() -> Forwarder {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("forwarder: {e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("forwarder: {e}"));
        let target: Arc<OnceLock<SocketAddr>> = Arc::new(OnceLock::new());
        let to = Arc::clone(&target);
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let Some(target) = to.get().copied() else { continue };
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Forwarder { addr, target, task }
    }
}

/// A server's workers, stopped by dropping (or sending to) `stop`.
struct Workers {
    stop: Vec<oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Workers {
    fn start(world: &World, settings: &kereru_delivery::http::FetchSettings) -> Workers {
        let fetcher = Arc::new(Fetcher::new(settings).unwrap_or_else(|e| panic!("fetcher: {e}")));
        let delivery = Worker::new(
            world.pool.clone(),
            Arc::clone(&fetcher),
            WorkerSettings {
                poll_interval: Duration::from_millis(50),
                retry_base: Duration::from_millis(200),
                retry_max: Duration::from_secs(1),
                stats_interval: Duration::ZERO,
                ..WorkerSettings::default()
            },
        );
        let inbound = InboundWorker::new(world.pool.clone(), fetcher, Scheme::Http, InboundSettings::default());
        let (stop_delivery, delivery_stopped) = oneshot::channel::<()>();
        let (stop_inbound, inbound_stopped) = oneshot::channel::<()>();
        let tasks = vec![
            tokio::spawn(delivery.run(async move {
                let _ = delivery_stopped.await;
            })),
            tokio::spawn(inbound.run(async move {
                let _ = inbound_stopped.await;
            })),
        ];
        Workers { stop: vec![stop_delivery, stop_inbound], tasks }
    }

    async fn stop(self) {
        for stop in self.stop {
            let _ = stop.send(());
        }
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
    }
}

/// Two servers, `a` and `b`, each reaching the other's hosts.
pub struct Pair {
    pub a: World,
    pub b: World,
    workers: Vec<Workers>,
    forwarders: Vec<Forwarder>,
}

impl Pair {
    /// Starts `a` (answering for `a_hosts`) and `b` (for `b_hosts`), with
    /// their workers running.
    pub async fn start(a: WorldBuilder, a_hosts: &[&str], b: WorldBuilder, b_hosts: &[&str]) -> Pair {
        let to_a = Forwarder::start().await;
        let to_b = Forwarder::start().await;
        let settings_for = |others: &[&str], forwarder: &Forwarder| {
            let mut settings = TestApp::settings();
            for host in others {
                settings.fetch.resolve.insert(host.to_string(), forwarder.addr);
            }
            settings
        };
        let a_settings = settings_for(b_hosts, &to_b);
        let b_settings = settings_for(a_hosts, &to_a);
        let (a_fetch, b_fetch) = (a_settings.fetch.clone(), b_settings.fetch.clone());
        let a = a.settings(a_settings).start().await;
        let b = b.settings(b_settings).start().await;
        let _ = to_a.target.set(a.app.addr);
        let _ = to_b.target.set(b.app.addr);
        let workers = vec![Workers::start(&a, &a_fetch), Workers::start(&b, &b_fetch)];
        Pair { a, b, workers, forwarders: vec![to_a, to_b] }
    }

    /// Waits (at most 30 s) until `check` holds, as deliveries and inbound
    /// processing run; whether it did.
    pub async fn until<F, Fut>(&self, mut check: F) -> bool
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if check().await {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn stop(self) {
        for workers in self.workers {
            workers.stop().await;
        }
        for forwarder in self.forwarders {
            forwarder.task.abort();
        }
        self.a.stop().await;
        self.b.stop().await;
    }
}
