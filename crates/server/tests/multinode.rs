//! Several `kereru serve` nodes on one PostgreSQL server reached by
//! `[database] url` (for the kill and rolling-restart tests, a server of the
//! test's own over TCP with a password: `kereru_tests::TcpPostgres`),
//! as a hosting provider runs them behind a load balancer: a fan-out to
//! many loopback inboxes and signed inbound traffic while one node is
//! SIGKILLed, a rolling restart (SIGTERM each node in turn) under load, and
//! nodes split by `[node] roles`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

mod common;

use common::*;
use kereru_core::signatures::Signer;
use kereru_core::{HostName, Scheme, Username};
use kereru_delivery::http::{FetchSettings, Fetcher, Url};
use kereru_delivery::queue;
use kereru_store::accounts::{self, NewLocalAccount};
use kereru_store::domains::{self, DomainState, NewDomain, Registrations};
use kereru_tests::inbox::{Answer, MockInboxes};
use kereru_tests::remote::{RemoteActor, RemoteServer};
use kereru_tests::s3::{ACCESS_KEY, BUCKET, S3Server, SECRET_KEY};
use kereru_tests::{TcpPostgres, TestDatabase, fresh_database, scratch_dir};
use serde_json::{Value, json};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const HOST: &str = "home.test";
const REMOTE: &str = "remote.test";
const PASSWORD: &str = "a long enough password";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The sending account.
struct Sender {
    account: kereru_store::ids::AccountId,
    actor: String,
}

/// The tenant home.test with alice (whose key the mock inboxes trust).
async fn tenant(db: &TestDatabase, inboxes: &MockInboxes) -> Sender {
    let mut conn = db.pool().get().await.unwrap();
    let domain = domains::create(
        &mut conn,
        NewDomain {
            account_host: HostName::parse(HOST).unwrap(),
            service_host: None,
            state: DomainState::Active,
            registrations: Registrations::Open,
            name: None,
            owner_email: None,
        },
    )
    .await
    .unwrap();
    let account = accounts::create_local(
        &mut conn,
        domain.id,
        NewLocalAccount {
            username: Username::parse("alice").unwrap(),
            email: "alice@mail.example".into(),
            password: PASSWORD.into(),
            role: kereru_store::roles::Role::User,
            approved: true,
            signup_reason: None,
            locale: None,
        },
    )
    .await
    .unwrap();
    let urls = domain.urls(Scheme::Http);
    inboxes.trust(&urls.actor_key_id("alice"), &account.public_key_pem);
    Sender { account: account.id, actor: urls.actor("alice") }
}

/// Queues activity `number` of `sender` to all of `inboxes` (a fan-out, as a post to remote followers makes).
async fn fan_out(db: &TestDatabase, sender: &Sender, number: u32, inboxes: &MockInboxes) {
    let mut conn = db.pool().get().await.unwrap();
    let actor = &sender.actor;
    let id = format!("{actor}/statuses/{number}/activity");
    let activity = json!({"id": id, "type": "Create", "actor": actor, "object": {"type": "Note", "content": "hi"}});
    let targets: Vec<Url> = (0..inboxes.len()).map(|i| Url::parse(&MockInboxes::inbox(i)).unwrap()).collect();
    let queued = queue::enqueue(&mut conn, sender.account, &id, &activity, &targets).await.unwrap();
    assert_eq!(queued.queued, inboxes.len());
}

/// The configuration every node shares (each has a data directory of its own).
fn config_file(dir: &Path, inboxes: &MockInboxes, remote: SocketAddr, lease: u64, extra: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("kereru.toml");
    let mut file = std::fs::File::create(&path).unwrap();
    writeln!(
        file,
        "{extra}\n[oauth]\npassword_grant = true\n[rate_limit]\nrequests = 1000000\n\
         [delivery]\nlease_seconds = {lease}\nconcurrency = 4\nbatch = 4\nper_host = 2\npoll_interval_ms = 20\nretry_base_ms = 100\n\
         stats_interval_seconds = 0\n[federation]\nallow_private_addresses = true\n[federation.resolve]\n\
         \"{REMOTE}\" = \"{remote}\""
    )
    .unwrap();
    for (host, addr) in &inboxes.resolve {
        writeln!(file, "\"{host}\" = \"{addr}\"").unwrap();
    }
    path
}

/// One `kereru serve` process.
struct Node {
    served: Served,
    port: u16,
    dir: PathBuf,
    config: PathBuf,
    database_url: String,
}

impl Node {
    fn start(label: &str, config: &Path, database_url: &str) -> Node {
        let dir = scratch_dir(label);
        let port = free_port();
        let served = Node::serve_on(&dir, config, database_url, port);
        Node { served, port, dir, config: config.to_path_buf(), database_url: database_url.into() }
    }

    fn serve_on(dir: &Path, config: &Path, database_url: &str, port: u16) -> Served {
        let mut command = kereru(dir, Some(database_url));
        command.arg("--config").arg(config);
        let listen = format!("127.0.0.1:{port}");
        Served::start_listening(command, &["serve", "--http", &listen], "kereru listening on http://")
    }

    /// Starts this node again (after a stop), on the same port.
    fn restart(&mut self) {
        self.served = Node::serve_on(&self.dir, &self.config, &self.database_url, self.port);
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    fn base(&self) -> String {
        format!("http://{HOST}:{}", self.port)
    }

    fn client(&self) -> reqwest::Client {
        self.served.client(&[HOST])
    }

    /// A client posting signed activities to this node's inboxes.
    fn sender(&self) -> Fetcher {
        Fetcher::new(&FetchSettings {
            allow_private_addresses: true,
            system_dns: false,
            resolve: [(HOST.to_string(), self.addr())].into(),
            timeout: Duration::from_secs(30),
            ..FetchSettings::default()
        })
        .unwrap()
    }
}

/// An access token for alice, from `node`.
async fn token(node: &Node) -> String {
    let client = node.client();
    let base = node.base();
    let app: Value = client
        .post(format!("{base}/api/v1/apps"))
        .form(&[("client_name", "multinode"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", "read write")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token: Value = client
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", app["client_id"].as_str().unwrap()),
            ("client_secret", app["client_secret"].as_str().unwrap()),
            ("username", "alice@mail.example"),
            ("password", PASSWORD),
            ("scope", "read write"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["access_token"].as_str().unwrap_or_else(|| panic!("no token: {token}")).to_string()
}

/// A signed `Create` of a public note by `actor`, number `i`.
fn create(actor: &RemoteActor, i: usize) -> String {
    let id = &actor.id;
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/statuses/{i}/activity"), "type": "Create", "actor": id, "to": [PUBLIC],
        "object": {"id": format!("{id}/statuses/{i}"), "type": "Note", "attributedTo": id,
                   "content": format!("<p>inbound {i}</p>"), "to": [PUBLIC],
                   "published": "2026-12-05T08:00:00Z"},
    })
    .to_string()
}

/// Posts activity `i` to the shared inbox through `sender`; the answer's status (0: no connection).
async fn post_inbound(sender: &Fetcher, actor: &RemoteActor, signer: &Arc<Signer>, i: usize) -> u16 {
    let inbox = format!("http://{HOST}/inbox");
    match sender.post_activity(&inbox, Arc::from(create(actor, i)), Arc::clone(signer)).await {
        Ok(answer) => answer.status,
        Err(_) => 0,
    }
}

async fn totals(db: &TestDatabase) -> queue::Totals {
    let mut conn = db.pool().get().await.unwrap();
    queue::stats(&mut conn, 5).await.unwrap().totals
}

/// Inbound activities by state.
async fn inbound_states(db: &TestDatabase) -> std::collections::BTreeMap<String, i64> {
    let mut conn = db.pool().get().await.unwrap();
    kereru_store::inbound::counts(&mut conn).await.unwrap().into_iter().collect()
}

async fn wait_for<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    check().await
}

/// The local public stream on `node` (server-sent events), read on a task
/// of its own: every chunk goes into the returned buffer.
async fn public_stream(node: &Node, token: &str) -> Arc<std::sync::Mutex<String>> {
    let seen = Arc::new(std::sync::Mutex::new(String::new()));
    let mut response = node
        .client()
        .get(format!("{}/api/v1/streaming/public/local", node.base()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let buffer = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok(Some(chunk)) = response.chunk().await {
            buffer.lock().unwrap().push_str(&String::from_utf8_lossy(&chunk));
        }
    });
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_lose_nothing_when_one_is_killed_mid_fan_out() {
    // A PostgreSQL server of the test's own, reached over TCP with a password.
    let postgres = TcpPostgres::start().await;
    let db = postgres.database();
    let n = 50;
    let inboxes = MockInboxes::start(n, 8, 2, Arc::new(|_, _| Answer::status(202).after(Duration::from_millis(500))));
    let sender = tenant(&db, &inboxes).await;
    let remote = RemoteServer::start().await;
    let actor = remote.actor(REMOTE, "bob");
    let dir = scratch_dir("multinode-kill");
    // Media on a real S3-compatible store that every node reaches.
    let s3 = S3Server::start().await;
    let media = format!(
        "[media]\nstore = \"s3\"\nbucket = \"{BUCKET}\"\nendpoint = \"{}\"\naccess_key_id = \"{ACCESS_KEY}\"\n\
         secret_access_key = \"{SECRET_KEY}\"\npath_style = true",
        s3.endpoint
    );
    let config = config_file(&dir, &inboxes, remote.addr, 15, &media);
    let mut nodes: Vec<Node> =
        ["node-a", "node-b", "node-c"].iter().map(|label| Node::start(label, &config, &db.url)).collect();

    // A streaming client on node A; a post made through node B reaches it.
    let token = token(&nodes[0]).await;
    let stream = public_stream(&nodes[0], &token).await;
    let posted: Value = nodes[1]
        .client()
        .post(format!("{}/api/v1/statuses", nodes[1].base()))
        .bearer_auth(&token)
        .form(&[("status", "made through node B"), ("visibility", "public")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let status_id = posted["id"].as_str().unwrap_or_else(|| panic!("not posted: {posted}")).to_string();
    let streamed = wait_for(Duration::from_secs(30), || {
        let stream = Arc::clone(&stream);
        let status_id = status_id.clone();
        async move { stream.lock().unwrap().contains(&format!("\"id\":\"{status_id}\"")) }
    })
    .await;
    assert!(streamed, "node A's stream shows the post made through B: {}", stream.lock().unwrap());

    // A file uploaded through node A is served by node C (from the bucket; neither node's disk).
    let image = png();
    let boundary = "multinode-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&image);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let uploaded: Value = nodes[0]
        .client()
        .post(format!("{}/api/v2/media", nodes[0].base()))
        .bearer_auth(&token)
        .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = uploaded["url"].as_str().unwrap_or_else(|| panic!("not uploaded: {uploaded}"));
    let path = url.split_once("/system/media/").map(|(_, name)| name).unwrap_or_else(|| panic!("url {url}"));
    let served = nodes[2].client().get(format!("{}/system/media/{path}", nodes[2].base())).send().await.unwrap();
    assert_eq!(served.status().as_u16(), 200, "node C serves the file uploaded through node A");
    let served = served.bytes().await.unwrap();
    assert!(served.starts_with(b"\x89PNG"), "node C serves the stored PNG ({} bytes)", served.len());
    let on_disk = |node: &Node| walk_files(&node.dir).iter().any(|file| file.ends_with(path));
    assert!(!nodes.iter().any(on_disk), "the file is in the bucket, not on a node's disk");

    // The fan-out (two activities to every inbox) and inbound traffic to every node.
    fan_out(&db, &sender, 1, &inboxes).await;
    fan_out(&db, &sender, 2, &inboxes).await;
    let senders: Vec<Fetcher> = nodes.iter().map(Node::sender).collect();
    let mut accepted_inbound = 0;
    for i in 0..30 {
        let status = post_inbound(&senders[i % 3], &actor, &actor.signer, i).await;
        assert_eq!(status, 202, "inbound {i} through node {}", i % 3);
        accepted_inbound += 1;
    }
    assert!(
        wait_for(Duration::from_secs(60), || async { inboxes.total(|c| &c.accepted) >= 10 }).await,
        "the nodes deliver"
    );
    // Node C dies mid fan-out.
    let mut killed = nodes.remove(2);
    killed.served.child.kill().unwrap(); // SIGKILL
    killed.served.child.wait().unwrap();
    let at_kill = totals(&db).await;
    assert!(at_kill.done < 2 * n as i64, "killed mid fan-out: {at_kill:?}");
    // The survivors take more inbound traffic.
    for i in 30..45 {
        let status = post_inbound(&senders[i % 2], &actor, &actor.signer, i).await;
        assert_eq!(status, 202, "inbound {i} through node {}", i % 2);
        accepted_inbound += 1;
    }
    // The rows node C held wait out their 15 s lease; then A and B send them.
    let delivered = wait_for(Duration::from_secs(90), || async { totals(&db).await.done == 2 * n as i64 }).await;
    assert!(delivered, "every delivery made: {:?}", totals(&db).await);
    for i in 0..n {
        assert!(inboxes.accepted(i) >= 2, "inbox {i} got both activities: {}", inboxes.accepted(i));
    }
    let requests = inboxes.total(|c| &c.requests);
    let duplicates = requests - 2 * n as u64;
    println!("deliveries: {} made, {duplicates} sent twice (in flight on node C at the kill)", 2 * n);
    assert!(
        duplicates <= 4,
        "only what node C had in flight (at most its concurrency, 4) was sent twice: {duplicates}"
    );
    assert_eq!(inboxes.bad_signatures(), 0);
    // Every accepted inbound activity is processed (a row node C held waits out its 120 s lease).
    let processed = wait_for(Duration::from_secs(150), || async {
        let states = inbound_states(&db).await;
        states.get("queued").copied().unwrap_or(0) == 0 && states.values().sum::<i64>() == accepted_inbound
    })
    .await;
    let states = inbound_states(&db).await;
    assert!(processed, "{accepted_inbound} accepted, all processed: {states:?}");
    assert_eq!(states.get("failed"), None, "{states:?}");

    // A figure for the operations guide, not an assertion: each node's peak resident memory.
    for (node, label) in nodes.iter().zip(["A", "B"]) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", node.served.child.id())).unwrap_or_default();
        let peak = status.lines().find(|line| line.starts_with("VmHWM:")).unwrap_or("VmHWM: ?");
        println!("node {label}: peak RSS {}", peak.trim_start_matches("VmHWM:").trim());
    }
    for node in nodes {
        assert!(node.served.terminate(), "a surviving node stops cleanly");
    }
    inboxes.stop().await;
    remote.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rolling_restart_under_load_loses_nothing_and_waits_out_no_lease() {
    let postgres = TcpPostgres::start().await;
    let db = postgres.database();
    let n = 40;
    // Inboxes slower than the shutdown grace: a node stopping always has
    // deliveries in flight that it must hand back.
    let inboxes = MockInboxes::start(n, 8, 4, Arc::new(|_, _| Answer::status(202).after(Duration::from_millis(2500))));
    let sender = tenant(&db, &inboxes).await;
    let remote = RemoteServer::start().await;
    let actor = remote.actor(REMOTE, "bob");
    let dir = scratch_dir("multinode-rolling");
    // Leases far longer than the test may take: a row not handed back at a stop would stall it.
    let config = config_file(&dir, &inboxes, remote.addr, 600, "[node]\nshutdown_seconds = 1\n");
    let mut nodes: Vec<Node> =
        ["roll-a", "roll-b", "roll-c"].iter().map(|label| Node::start(label, &config, &db.url)).collect();
    fan_out(&db, &sender, 1, &inboxes).await;
    fan_out(&db, &sender, 2, &inboxes).await;
    let ports: Vec<u16> = nodes.iter().map(|node| node.port).collect();

    // Inbound traffic all along, to whichever node answers.
    let stop_traffic = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let traffic = tokio::spawn({
        let stop = Arc::clone(&stop_traffic);
        let actor = actor.clone();
        let senders: Vec<Fetcher> = ports
            .iter()
            .map(|port| {
                Fetcher::new(&FetchSettings {
                    allow_private_addresses: true,
                    system_dns: false,
                    resolve: [(HOST.to_string(), SocketAddr::from(([127, 0, 0, 1], *port)))].into(),
                    timeout: Duration::from_secs(30),
                    ..FetchSettings::default()
                })
                .unwrap()
            })
            .collect();
        async move {
            let mut accepted = 0i64;
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                for sender in &senders {
                    if post_inbound(sender, &actor, &actor.signer, i).await == 202 {
                        accepted += 1;
                        i += 1;
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            accepted
        }
    });

    // SIGTERM each node in turn while deliveries are in flight; each exits 0 and comes back.
    let started = Instant::now();
    for node in &mut nodes {
        assert!(
            wait_for(Duration::from_secs(30), || async { totals(&db).await.in_flight > 0 }).await,
            "deliveries in flight before the stop"
        );
        let served = std::mem::replace(&mut node.served, Served::placeholder());
        let stopping = Instant::now();
        assert!(served.terminate(), "node on {} exits 0 on SIGTERM", node.port);
        let took = stopping.elapsed();
        assert!(took < Duration::from_secs(15), "the stop is bounded by the grace: {took:?}");
        node.restart();
    }
    println!("rolling restart of 3 nodes took {:?}", started.elapsed());
    stop_traffic.store(true, std::sync::atomic::Ordering::SeqCst);
    let accepted_inbound = traffic.await.unwrap();
    assert!(accepted_inbound > 0, "inbound traffic was accepted during the restart");

    // Nothing waits out a 600 s lease: every delivery is made well before.
    let delivered = wait_for(Duration::from_secs(120), || async { totals(&db).await.done == 2 * n as i64 }).await;
    assert!(delivered, "every delivery made: {:?}", totals(&db).await);
    for i in 0..n {
        assert!(inboxes.accepted(i) >= 2, "inbox {i} got both activities: {}", inboxes.accepted(i));
    }
    let duplicates = inboxes.total(|c| &c.requests) - 2 * n as u64;
    println!("deliveries: {} made, {duplicates} sent again after being handed back mid-request", 2 * n);
    // Each stop abandons at most its node's concurrency (4) of requests in flight.
    assert!(duplicates <= 12, "{duplicates}");
    // Every inbound activity accepted is processed, none waits out its 120 s lease.
    let processed = wait_for(Duration::from_secs(60), || async {
        let states = inbound_states(&db).await;
        states.get("queued").copied().unwrap_or(0) == 0 && states.values().sum::<i64>() == accepted_inbound
    })
    .await;
    let states = inbound_states(&db).await;
    assert!(processed, "{accepted_inbound} accepted, all processed: {states:?}");
    assert_eq!(states.get("failed"), None, "{states:?}");
    for node in nodes {
        assert!(node.served.terminate(), "stops cleanly");
    }
    inboxes.stop().await;
    remote.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn roles_split_the_work_and_a_node_without_web_opens_no_listener() {
    let db = fresh_database().await;
    let n = 10;
    let inboxes = MockInboxes::start(n, 2, 2, Arc::new(|_, _| Answer::status(202)));
    let sender = tenant(&db, &inboxes).await;
    let remote = RemoteServer::start().await;
    let dir = scratch_dir("multinode-roles");
    let web_config = config_file(&dir.join("web"), &inboxes, remote.addr, 15, "[node]\nroles = [\"web\"]\n");
    let worker_config = config_file(
        &dir.join("worker"),
        &inboxes,
        remote.addr,
        15,
        "[node]\nroles = [\"deliver\", \"inbound\", \"mail\", \"jobs\"]\n",
    );
    // A web-only node serves, and delivers nothing.
    let web = Node::start("roles-web", &web_config, &db.url);
    let answer = web.client().get(format!("{}/api/v1/instance", web.base())).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    fan_out(&db, &sender, 1, &inboxes).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(inboxes.total(|c| &c.requests), 0, "a web-only node sends no deliveries");
    // A worker node opens no listener (not even on the port it is given) and delivers.
    let port = free_port();
    let mut command = kereru(&scratch_dir("roles-worker"), Some(&db.url));
    command.arg("--config").arg(&worker_config);
    let listen = format!("127.0.0.1:{port}");
    let worker = Served::start_printing(command, &["serve", "--http", &listen], "kereru running: ");
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "no listener on {port}");
    let delivered = wait_for(Duration::from_secs(30), || async { totals(&db).await.done == n as i64 }).await;
    assert!(delivered, "the worker node delivers: {:?}", totals(&db).await);
    assert!(worker.terminate(), "a worker node stops cleanly on SIGTERM");
    assert!(web.served.terminate(), "a web node stops cleanly on SIGTERM");
    // Unknown roles are refused with the key named.
    let bad = config_file(&dir.join("bad"), &inboxes, remote.addr, 15, "[node]\nroles = [\"web\", \"cron\"]\n");
    let mut command = kereru(&dir, Some(&db.url));
    command.arg("--config").arg(&bad);
    fails(command, &["serve"], "", "node.roles");
    inboxes.stop().await;
    remote.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// The certificate a TLS handshake for `host` at `addr` shows, once served.
async fn served_leaf(root: &reqwest::Certificate, host: &str, addr: SocketAddr) -> Option<Vec<u8>> {
    kereru_tests::install_crypto_provider();
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([root.clone()])
        .tls_info(true)
        .resolve(host, addr)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let response = client.get(format!("https://{host}/.well-known/host-meta")).send().await.ok()?;
    assert_eq!(response.status(), 200, "{host} at {addr}");
    let info = response.extensions().get::<reqwest::tls::TlsInfo>()?;
    info.peer_certificate().map(<[u8]>::to_vec)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_issuer_node_without_web_orders_each_certificate_once_and_every_web_node_serves_it() {
    use kereru_tests::pebble::{Pebble, PebbleOptions, free_port};
    let db = fresh_database().await;
    let web_ports = [(free_port(), free_port()), (free_port(), free_port())];
    // Pebble validates HTTP-01 on the first web node, which answers from the database.
    let pebble = Pebble::start(PebbleOptions {
        http_port: web_ports[0].0,
        tls_port: web_ports[0].1,
        validity_seconds: None,
        eab: None,
    })
    .await;
    let tls = |http: u16, tls: u16, roles: &str| {
        format!(
            "[node]\nroles = {roles}\n[http]\nlisten = \"127.0.0.1:{http}\"\npublic_scheme = \"https\"\n\
             [tls]\nenabled = true\nlisten = \"127.0.0.1:{tls}\"\n\
             [acme]\ndirectory = \"{}\"\nextra_root = \"{}\"\ncontact = [\"mailto:admin@kereru.test\"]\n\
             challenges = [\"http-01\"]\ncheck_interval_seconds = 1\nsync_interval_seconds = 1\n",
            pebble.directory,
            pebble.listener_root.display(),
        )
    };
    let hosts = ["q1.test", "q2.test"];
    let command = |label: &str, config: &str| {
        let data = scratch_dir(label);
        let path = data.join("kereru.toml");
        std::fs::write(&path, config).unwrap();
        let mut command = kereru(&data, Some(&db.url));
        command.arg("--config").arg(&path);
        command
    };
    for host in hosts {
        ok(command("acme-add", &tls(1, 2, "[\"web\"]")), &["domain", "add", host], "");
    }
    let mut web = Vec::new();
    for (n, (http, tls_port)) in web_ports.iter().enumerate() {
        let config = tls(*http, *tls_port, "[\"web\"]");
        web.push(Served::start_listening(
            command(&format!("acme-web-{n}"), &config),
            &["serve"],
            "kereru listening on https://",
        ));
    }
    let issuer_config = tls(free_port(), free_port(), "[\"acme-issuer\", \"deliver\", \"inbound\", \"jobs\"]");
    let issuer = Served::start_printing(command("acme-issuer", &issuer_config), &["serve"], "kereru running: ");
    let root = reqwest::Certificate::from_pem(pebble.issuing_root_pem().await.as_bytes()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    for host in hosts {
        let mut leaves = Vec::new();
        for served in &web {
            let leaf = loop {
                if let Some(leaf) = served_leaf(&root, host, served.addr).await {
                    break leaf;
                }
                assert!(
                    Instant::now() < deadline,
                    "{host} not served at {} within 90 s\n{}",
                    served.addr,
                    pebble.log()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            leaves.push(leaf);
        }
        assert_eq!(leaves[0], leaves[1], "{host}: both web nodes serve the one certificate");
    }
    let mut conn = db.pool().get().await.unwrap();
    let placed = kereru_acme::db::orders(&mut conn).await.unwrap();
    let issuer_pid = format!(":{}:", issuer.child.id());
    for host in hosts {
        let for_host: Vec<_> = placed.iter().filter(|o| o.host == host).collect();
        assert_eq!(for_host.len(), 1, "{host}: one order: {placed:?}");
        assert!(for_host[0].node.contains(&issuer_pid), "ordered by the issuer node, not a web node: {placed:?}");
    }
    assert_eq!(pebble.log().lines().filter(|l| l.contains("POST /order-plz")).count(), hosts.len());
    assert!(issuer.terminate(), "the issuer node stops cleanly");
    for served in web {
        assert!(served.terminate(), "a web node stops cleanly");
    }
}

/// A small PNG, made here (not a fixture), for the upload through one node.
fn png() -> Vec<u8> {
    use image::{DynamicImage, Rgb, RgbImage};
    let image = RgbImage::from_fn(16, 16, |x, y| Rgb([(x * 16) as u8, (y * 16) as u8, 90]));
    let mut bytes = Vec::new();
    DynamicImage::ImageRgb8(image).write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    bytes
}

/// Every file under `dir`, recursively.
fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() { pending.push(path) } else { files.push(path) }
        }
    }
    files
}
