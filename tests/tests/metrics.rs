//! Operations (issue #16): the Prometheus scrape moves with what happens (a
//! post, a delivery, an inbound activity, a refused signature), its text
//! passes `promtool check metrics`, requests carry an id, and `/ready` says
//! whether the database is ready for this binary.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use diesel_async::RunQueryDsl;
use kereru_delivery::http::{FetchSettings, Fetcher};
use kereru_delivery::worker::{Worker, WorkerSettings};
use kereru_tests::federation::FederatedWorld;
use kereru_tests::remote::fresh_signer;
use kereru_tests::{World, install_crypto_provider};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const ALICE: &str = "http://a.test/users/alice";

/// The metrics listener as `kereru serve` opens it, on the world's database.
fn metrics_listener(world: &World) -> (SocketAddr, actix_web::dev::ServerHandle) {
    use actix_web::{App, HttpServer, web};
    let state = web::Data::new(kereru_web::metrics::MetricsState { pool: world.pool.clone() });
    let server = HttpServer::new(move || App::new().app_data(state.clone()).configure(kereru_web::metrics::routes))
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")
        .unwrap();
    let addr = server.addrs()[0];
    let running = server.run();
    let handle = running.handle();
    tokio::spawn(running);
    (addr, handle)
}

async fn scrape_text(addr: SocketAddr) -> String {
    let response = reqwest::Client::builder().no_proxy().build().unwrap().get(format!("http://{addr}/metrics"));
    let response = response.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    response.text().await.unwrap()
}

/// Every sample of a scrape: `name{labels}` → value.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            (series.to_string(), value.parse().unwrap())
        })
        .collect()
}

fn value(samples: &HashMap<String, f64>, series: &str) -> f64 {
    samples.get(series).copied().unwrap_or(0.0)
}

/// `promtool check metrics` (Debian's `prometheus`, installed by scripts/ensure-test-deps) accepts `text`.
fn promtool_accepts(text: &str) {
    use std::io::Write;
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus; run scripts/ensure-test-deps)");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn worker_settings() -> WorkerSettings {
    WorkerSettings {
        concurrency: 2,
        per_host: 2,
        batch: 8,
        poll_interval: Duration::from_millis(20),
        lease: Duration::from_secs(30),
        retry_base: Duration::from_millis(50),
        retry_max: Duration::from_millis(400),
        horizon: Duration::from_secs(3600),
        host_failure_threshold: 1000,
        stats_interval: Duration::ZERO,
        keep_finished: Duration::ZERO,
        prune_interval: Duration::ZERO,
    }
}

/// Runs the delivery worker, sending remote.test to the remote stand-in,
/// until nothing is queued (or 20 s).
async fn deliver_all(world: &FederatedWorld) {
    install_crypto_provider();
    let resolve = [("remote.test".to_string(), world.remote.addr)].into_iter().collect();
    let fetcher = Arc::new(
        Fetcher::new(&FetchSettings {
            allow_private_addresses: true,
            system_dns: false,
            resolve,
            timeout: Duration::from_secs(5),
            ..FetchSettings::default()
        })
        .unwrap(),
    );
    let worker = Worker::new(world.pool.clone(), fetcher, worker_settings());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut conn = world.pool.get().await.unwrap();
        let queued = kereru_store::operations::figures(&mut conn).await.unwrap().delivery_queue_depth;
        if queued == 0 || Instant::now() > deadline {
            break;
        }
        drop(conn);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    let _ = task.await;
}

#[tokio::test]
async fn a_post_a_delivery_an_inbound_activity_and_a_refused_signature_each_move_a_counter() {
    let world = World::new().tenant("a.test").user("a.test", "alice").start_federated(&["remote.test"], &[]).await;
    let (metrics, handle) = metrics_listener(&world);
    let mallory = world.remote.actor("remote.test", "mallory");
    // mallory's server takes whatever is delivered to it.
    world.remote.put("remote.test", "/inbox", json!({}));
    world.remote.put("remote.test", "/users/mallory/inbox", json!({}));
    let alice = world.login("a.test", "alice").await;

    let before_text = scrape_text(metrics).await;
    promtool_accepts(&before_text);
    let before = samples(&before_text);

    // An inbound activity: mallory follows alice (accepted, stored, processed).
    let follow = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{}#follows/1", mallory.id),
                        "type": "Follow", "actor": mallory.id, "object": ALICE})
    .to_string();
    assert_eq!(world.post("http://a.test/users/alice/inbox", &follow, &mallory.signer).await, 202);
    // A refused signature: the same key id, another key pair.
    let forger = fresh_signer(mallory.signer.key_id());
    assert_eq!(world.post("http://a.test/users/alice/inbox", &follow, &forger).await, 401);
    world.process().await;
    // A post, delivered to her new follower (with the Accept of the follow).
    alice.toot("hello metrics", "public").await;
    let queued = samples(&scrape_text(metrics).await);
    assert!(value(&queued, "kereru_delivery_queue_depth") >= 2.0, "the Accept and the Create wait: {queued:?}");
    deliver_all(&world).await;

    let after_text = scrape_text(metrics).await;
    promtool_accepts(&after_text);
    let after = samples(&after_text);
    let moved = |series: &str| {
        let (was, is) = (value(&before, series), value(&after, series));
        assert!(is > was, "{series} did not move: {was} then {is}\n{after_text}");
    };
    moved(r#"kereru_http_requests_total{method="POST",route="/api/v1/statuses",status="200"}"#);
    moved(r#"kereru_http_request_duration_seconds_count{method="POST",route="/api/v1/statuses",status="200"}"#);
    moved(r#"kereru_http_requests_total{method="POST",route="/users/{username}/inbox",status="202"}"#);
    moved(r#"kereru_deliveries_total{outcome="delivered"}"#);
    moved(r#"kereru_inbound_activities_total{outcome="accepted",reason="stored"}"#);
    moved(r#"kereru_inbound_activities_total{outcome="refused",reason="bad_signature"}"#);
    moved("kereru_inbound_processing_lag_seconds_count");
    assert!(value(&after, "kereru_delivery_queue_depth") == 0.0, "{after_text}");
    assert!(value(&after, "kereru_db_pool_max_connections") >= 1.0, "{after_text}");
    assert!(value(&after, r#"kereru_db_pool_connections{state="idle"}"#) >= 1.0, "{after_text}");
    // The route is the pattern, never the raw path (no user, id or host in a label).
    assert!(!after_text.contains("/users/alice"), "{after_text}");
    assert!(!after_text.contains("a.test") && !after_text.contains("remote.test"), "{after_text}");
    // Two deliveries made, recorded by the remote stand-in.
    assert!(
        world.remote.requests("remote.test", "/users/mallory/inbox") + world.remote.requests("remote.test", "/inbox")
            >= 2
    );

    handle.stop(true).await;
    world.stop().await;
}

#[tokio::test]
async fn streaming_connections_are_counted_while_open() {
    // A server-sent stream learns that its client left on its next write: a heartbeat soon.
    let world =
        World::new().tenant("a.test").user("a.test", "alice").heartbeat(Duration::from_millis(200)).start().await;
    let (metrics, handle) = metrics_listener(&world);
    let alice = world.login("a.test", "alice").await;
    let open = |text: &str| value(&samples(text), "kereru_streaming_connections");
    let before = open(&scrape_text(metrics).await);
    let mut stream = alice.get("/api/v1/streaming/user").await;
    assert_eq!(stream.status(), 200);
    // The first bytes: the stream is open.
    assert!(stream.chunk().await.unwrap().is_some());
    assert_eq!(open(&scrape_text(metrics).await), before + 1.0);
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(10);
    while open(&scrape_text(metrics).await) > before && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(open(&scrape_text(metrics).await), before, "the closed stream is no longer counted");
    handle.stop(true).await;
    world.stop().await;
}

#[tokio::test]
async fn requests_carry_an_id_echoed_back() {
    let world = World::new().tenant("a.test").start().await;
    let client = world.app.client();
    let url = world.app.url("a.test", "/api/v1/instance");
    let kept = client.get(&url).header("X-Request-Id", "lb-42.a:b").send().await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], "lb-42.a:b");
    // None, or one not safe to pass on: a new one (a UUID).
    for sent in [None, Some("two words"), Some("\"quoted\"")] {
        let mut request = client.get(&url);
        if let Some(sent) = sent {
            request = request.header("X-Request-Id", sent);
        }
        let response = request.send().await.unwrap();
        let id = response.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(id.len(), 36, "{id}");
        assert_ne!(Some(id.as_str()), sent);
    }
    // Errors too, even for hosts that are no tenant.
    let unknown = world.app.client().get(world.app.url("a.test", "/nothing/here")).send().await.unwrap();
    assert!(unknown.headers().contains_key("x-request-id"));
    world.stop().await;
}

#[tokio::test]
async fn ready_only_with_every_migration_applied() {
    let world = World::new().tenant("a.test").start().await;
    let (metrics, handle) = metrics_listener(&world);
    let client = world.app.client();
    let plain = reqwest::Client::builder().no_proxy().build().unwrap();
    let ready = world.app.client().get(world.app.url("a.test", "/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<Value>().await.unwrap(), json!({"status": "ready"}));
    assert_eq!(plain.get(format!("http://{metrics}/ready")).send().await.unwrap().status(), 200);
    // On any host, as /health.
    let elsewhere = client.get(world.app.url("a.test", "/ready")).header("Host", "unknown.test").send().await.unwrap();
    assert_eq!(elsewhere.status(), 200);

    // A migration this binary embeds is missing: not ready, on both listeners.
    let mut conn = world.pool.get().await.unwrap();
    let removed: Vec<Version> = diesel::sql_query(
        "DELETE FROM __diesel_schema_migrations
          WHERE version = (SELECT max(version) FROM __diesel_schema_migrations) RETURNING version",
    )
    .load(&mut conn)
    .await
    .unwrap();
    assert_eq!(removed.len(), 1);
    let unready = client.get(world.app.url("a.test", "/ready")).send().await.unwrap();
    assert_eq!(unready.status(), 503);
    let body: Value = unready.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert!(body["reason"].as_str().unwrap().contains(&removed[0].version), "{body}");
    assert_eq!(plain.get(format!("http://{metrics}/ready")).send().await.unwrap().status(), 503);
    handle.stop(true).await;
    world.stop().await;
}

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}
