//! The test harness: a throwaway PostgreSQL cluster per test process (made
//! with `initdb`, removed when the process exits, however it exits), a fresh
//! database per test cloned from a migrated template, and the app served on
//! loopback for real HTTP clients.
//!
//! End-to-end tests set up through [`World`]: tenants, accounts and a
//! running app in one builder; [`Session`] logs in as one account; the
//! `oauth` helpers get tokens as client apps do; [`FederatedWorld`] adds
//! other servers (the `remote` stand-in) that post to the app's inboxes.

pub mod dns;
pub mod fake_ca;
pub mod federation;
pub mod inbox;
pub mod mail;
pub mod oauth;
pub mod pair;
pub mod pebble;
pub mod remote;
pub mod s3;
pub mod seed;
pub mod session;
pub mod tcp_postgres;
pub mod tls;
pub mod web;
pub mod world;

pub use federation::FederatedWorld;
pub use seed::{PASSWORD, add_domain, add_user, new_domain};
pub use session::Session;
pub use tcp_postgres::TcpPostgres;
pub use web::Browser;
pub use world::{Seeded, World, WorldBuilder};

use kereru_store::Pool;
use kereru_store::cluster::{PostgresBinaries, PrivateCluster, SupervisedCluster};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

const TEMPLATE: &str = "kereru_template";

struct SharedCluster {
    cluster: SupervisedCluster,
}

static CLUSTER: OnceLock<Result<SharedCluster, String>> = OnceLock::new();

/// A directory under the system temp dir, unique to this process and call.
pub fn scratch_dir(label: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("kereru-{label}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

fn shared_cluster() -> &'static SharedCluster {
    let result = CLUSTER.get_or_init(|| {
        // Started and migrated on a thread with its own runtime, so that no
        // test's runtime owns a connection the others use.
        std::thread::spawn(|| -> Result<SharedCluster, String> {
            let bins = PostgresBinaries::discover().map_err(|e| e.to_string())?;
            // Not pre-created: the watcher removes exactly this directory at exit.
            let root = std::env::temp_dir().join(format!("kereru-test-pg-{}", std::process::id()));
            let cluster = PrivateCluster::open_supervised(&root, &bins).map_err(|e| e.to_string())?;
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            runtime.block_on(async {
                kereru_store::pool::ensure_database(&cluster.url("postgres"), TEMPLATE)
                    .await
                    .map_err(|e| e.to_string())?;
                kereru_store::pool::run_migrations(&cluster.url(TEMPLATE)).await.map_err(|e| e.to_string())?;
                Ok::<(), String>(())
            })?;
            Ok(SharedCluster { cluster })
        })
        .join()
        .unwrap_or_else(|_| Err("cluster start-up thread panicked".into()))
    });
    match result {
        Ok(shared) => shared,
        Err(error) => panic!("test PostgreSQL cluster: {error}"),
    }
}

/// A database of its own for one test, with every migration applied.
/// Clones name the same database (several apps on one database are several nodes).
#[derive(Debug, Clone)]
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    /// A new pool on this database. Make one per runtime: a connection
    /// belongs to the runtime that opened it.
    pub fn pool(&self) -> Pool {
        kereru_store::pool::connect(&self.url, 4).unwrap_or_else(|e| panic!("pool: {e}"))
    }
}

pub async fn fresh_database() -> TestDatabase {
    let shared = shared_cluster();
    let name = format!("t_{}_{:08x}", std::process::id(), rand::random::<u32>());
    let maintenance = shared.cluster.url("postgres");
    let statement = format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}");
    run_sql(&maintenance, &statement).await;
    TestDatabase { url: shared.cluster.url(&name), name }
}

/// Runs one SQL statement; for the harness's own setup, never for test data
/// (tests go through the code under test).
async fn run_sql(url: &str, sql: &str) {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    let mut conn = AsyncPgConnection::establish(url).await.unwrap_or_else(|e| panic!("connect {url}: {e}"));
    diesel::sql_query(sql).execute(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Kererū's web app served in this process on 127.0.0.1, with a client that
/// resolves any tenant host name to it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub database: TestDatabase,
    /// Where this app stores uploaded media (a scratch directory, removed by `stop`).
    pub media_dir: PathBuf,
    /// This app's streaming hub, listening on the database before `start` returns.
    pub hub: kereru_web::streaming::Hub,
    handle: actix_web::dev::ServerHandle,
    hosts: Vec<String>,
}

impl TestApp {
    /// The settings tests run with: plain HTTP, the password grant on, and
    /// an outbound client that may reach loopback but never asks real DNS
    /// (names outside `fetch.resolve` are refused; a test maps its peers
    /// with `settings.fetch.resolve.insert(name, addr)` before `start_with`).
    pub fn settings() -> kereru_web::WebSettings {
        kereru_web::WebSettings {
            public_scheme: kereru_core::Scheme::Http,
            max_body_bytes: 1024 * 1024,
            max_inbox_bytes: 1024 * 1024,
            password_grant: true,
            rate_limit: kereru_web::rate_limit::RateLimit::default(),
            media_dir: scratch_dir("media"),
            media_store: kereru_media::store::StoreSettings::default(),
            av_tools: kereru_service::media_av::Tools::find(),
            fetch: kereru_delivery::http::FetchSettings {
                allow_private_addresses: true,
                system_dns: false,
                ..kereru_delivery::http::FetchSettings::default()
            },
            key_fetch: kereru_service::federation::KeyFetchSettings::default(),
            login_failures: kereru_web::rate_limit::RateLimit {
                requests: 10,
                window: std::time::Duration::from_secs(300),
            },
            // Generous: tests sign up many people from one address; the limit's own test lowers them.
            sign_ups_per_address: kereru_web::rate_limit::RateLimit {
                requests: 100,
                window: kereru_web::rate_limit::ACCOUNT_REQUESTS_WINDOW,
            },
            password_resets_per_address: kereru_web::rate_limit::RateLimit {
                requests: 100,
                window: kereru_web::rate_limit::ACCOUNT_REQUESTS_WINDOW,
            },
            hosting: kereru_web::state::Hosting::default(),
            provider: kereru_web::provider::ProviderSettings::default(),
        }
    }

    pub async fn start(database: TestDatabase, hosts: &[&str]) -> TestApp {
        Self::start_with(database, hosts, Self::settings()).await
    }

    pub async fn start_with(database: TestDatabase, hosts: &[&str], settings: kereru_web::WebSettings) -> TestApp {
        Self::start_with_heartbeat(database, hosts, settings, kereru_web::streaming::HEARTBEAT).await
    }

    /// As [`TestApp::start_with`], with server-sent event streams sending a
    /// heartbeat comment every `heartbeat`.
    pub async fn start_with_heartbeat(
        database: TestDatabase,
        hosts: &[&str],
        settings: kereru_web::WebSettings,
        heartbeat: std::time::Duration,
    ) -> TestApp {
        use actix_web::{App, HttpServer, web};
        let media_dir = settings.media_dir.clone();
        let hub = kereru_web::streaming::Hub::listen(&database.url, heartbeat).unwrap_or_else(|e| panic!("hub: {e}"));
        // Events published before the listener listens would be lost to this app's streams.
        assert!(
            hub.wait_listening(std::time::Duration::from_secs(10)).await,
            "the streaming listener did not start within 10 s"
        );
        let state = web::Data::new(
            kereru_web::AppState::new(database.pool(), settings)
                .unwrap_or_else(|e| panic!("state: {e}"))
                .with_hub(hub.clone()),
        );
        let server = HttpServer::new(move || App::new().app_data(state.clone()).configure(kereru_web::routes))
            .workers(1)
            .disable_signals()
            .bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        TestApp { addr, database, media_dir, hub, handle, hosts: hosts.iter().map(|h| h.to_string()).collect() }
    }

    /// A client that sends requests for the given hosts to this app, as DNS would.
    pub fn client(&self) -> reqwest::Client {
        self.client_builder().build().unwrap_or_else(|e| panic!("client: {e}"))
    }

    /// As [`TestApp::client`], with requests coming from `local` (another
    /// client address to the server, e.g. `127.0.0.2`).
    pub fn client_from(&self, local: std::net::IpAddr) -> reqwest::Client {
        self.client_builder().local_address(local).build().unwrap_or_else(|e| panic!("client: {e}"))
    }

    /// As [`TestApp::client`], keeping cookies as a browser does (one jar per client).
    pub fn browser_client(&self) -> reqwest::Client {
        self.client_builder().cookie_store(true).build().unwrap_or_else(|e| panic!("client: {e}"))
    }

    fn client_builder(&self) -> reqwest::ClientBuilder {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none());
        for host in &self.hosts {
            builder = builder.resolve(host, self.addr);
        }
        builder
    }

    /// `http://HOST/path`: with [`TestApp::client`], which sends HOST to this
    /// app's port, exactly the URLs the app publishes dereference.
    pub fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}{path}")
    }

    pub async fn stop(self) {
        // Open streams end first, as in `kereru serve`; a graceful stop would wait for them.
        self.hub.close();
        self.handle.stop(true).await;
        let _ = std::fs::remove_dir_all(&self.media_dir);
    }
}

/// reqwest is built without a default TLS provider (one rustls, on ring):
/// install ring's once per process.
pub fn install_crypto_provider() {
    // Err means one is installed already, which is all we need.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A document from the shared fixtures (`../shared/fixtures` beside the repository).
pub fn fixture(path: &str) -> serde_json::Value {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
    let text = std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("fixture {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// Sends raw bytes and returns the status code of the answer, for requests
/// an HTTP client library refuses to make (bad Host headers, lying lengths).
pub async fn raw_status(addr: SocketAddr, request: &str) -> u16 {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream.write_all(request.as_bytes()).await.unwrap_or_else(|e| panic!("send to {addr}: {e}"));
    read_status(&mut stream, std::time::Duration::from_secs(10)).await
}

/// Reads an answer's status line from `stream`, waiting at most `within`.
pub async fn read_status(stream: &mut tokio::net::TcpStream, within: std::time::Duration) -> u16 {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 1024];
    let mut read = 0;
    // Enough for the status line; bounded by the buffer and the timeout.
    while read < 12 {
        let n = tokio::time::timeout(within, stream.read(&mut buf[read..]))
            .await
            .unwrap_or_else(|_| panic!("no answer within {within:?}"))
            .unwrap_or_else(|e| panic!("read: {e}"));
        if n == 0 {
            break;
        }
        read += n;
    }
    let head = String::from_utf8_lossy(&buf[..read]);
    head.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"))
}
