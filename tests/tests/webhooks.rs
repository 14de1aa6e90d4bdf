//! Provider webhooks end to end: a receiver on loopback gets signed events
//! it can verify with the webhook's secret; a failing receiver is retried
//! with backoff until it answers; tenant.suspended fires on a suspension and
//! report.created on a report; tenant.dns_ready and tenant.certificate_issued
//! fire once per host with Pebble (DNS through pebble-challtestsrv).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use kereru_core::HostName;
use kereru_delivery::http::{FetchSettings, Fetcher};
use kereru_delivery::webhooks::{WebhookSettings, WebhookWorker};
use kereru_service::tenants::{self, By};
use kereru_service::webhooks::{self as service, WebhookInput};
use kereru_store::domains::{self, DomainState};
use kereru_store::webhooks::queue;
use kereru_tests::World;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One POST the receiver got.
#[derive(Debug, Clone)]
struct Received {
    at: Instant,
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

/// The receiver's state: what it got, and the statuses it answers.
type ReceiverState = web::Data<(Arc<Mutex<Vec<Received>>>, Vec<u16>)>;

/// A webhook receiver on 127.0.0.1: answers each POST with the next status
/// of `answers` (the last one repeats) and keeps what it got.
struct Receiver {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Received>>>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    async fn start(answers: Vec<u16>) -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let state = web::Data::new((Arc::clone(&got), answers));
        let server = HttpServer::new(move || {
            App::new().app_data(state.clone()).default_service(web::to(
                |req: HttpRequest, body: web::Bytes, state: ReceiverState| async move {
                    let header = |name: &str| {
                        req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
                    };
                    let mut got = state.0.lock().unwrap();
                    got.push(Received {
                        at: Instant::now(),
                        id: header("kereru-webhook-id"),
                        timestamp: header("kereru-webhook-timestamp"),
                        signature: header("kereru-webhook-signature"),
                        body: String::from_utf8_lossy(&body).into_owned(),
                    });
                    let answers = &state.1;
                    let status = answers[(got.len() - 1).min(answers.len() - 1)];
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
                },
            ))
        })
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")
        .unwrap();
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver { addr, got, handle }
    }

    fn url(&self) -> String {
        format!("http://{}/hooks", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    async fn wait_for(&self, count: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.received();
            if got.len() >= count {
                return got;
            }
            assert!(Instant::now() < deadline, "the receiver got {} of {count} requests: {got:?}", got.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn stop(self) {
        self.handle.stop(true).await;
    }
}

/// A webhook worker on `pool` reaching loopback, with quick polling and retries.
fn start_worker(pool: kereru_store::Pool, retry_base: Duration) -> tokio::sync::oneshot::Sender<()> {
    let fetcher = Fetcher::new(&FetchSettings {
        allow_private_addresses: true,
        system_dns: false,
        timeout: Duration::from_secs(5),
        ..FetchSettings::default()
    })
    .unwrap();
    let settings =
        WebhookSettings { poll_interval: Duration::from_millis(25), retry_base, ..WebhookSettings::default() };
    let worker = WebhookWorker::new(pool, Arc::new(fetcher), settings);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    stop
}

async fn register(pool: &kereru_store::Pool, url: &str, events: &[&str]) -> (i64, String) {
    let mut conn = pool.get().await.unwrap();
    let input = WebhookInput {
        url: url.to_string(),
        events: events.iter().map(|e| e.to_string()).collect(),
        description: "test".into(),
    };
    let registered = service::create(&mut conn, "test", &input).await.unwrap();
    (registered.webhook.id, registered.secret)
}

async fn suspend(pool: &kereru_store::Pool, host: &str) {
    let mut conn = pool.get().await.unwrap();
    let domain = domains::require_by_host(&mut conn, &HostName::parse(host).unwrap()).await.unwrap();
    tenants::set_state(&mut conn, By::CommandLine, domain.id, DomainState::Suspended).await.unwrap();
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_verifies_signed_events_and_gets_only_those_it_asked_for() {
    let world = World::new().tenant("a.test").tenant("b.test").seed().await;
    let pool = world.pool.clone();
    let all = Receiver::start(vec![204]).await;
    let reports_only = Receiver::start(vec![200]).await;
    let (_, secret) = register(&pool, &all.url(), &[]).await;
    register(&pool, &reports_only.url(), &["report.created"]).await;
    let stop = start_worker(pool.clone(), Duration::from_millis(100));

    suspend(&pool, "b.test").await;
    let got = all.wait_for(1, Duration::from_secs(10)).await;
    let event = &got[0];
    let timestamp: i64 = event.timestamp.parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 30, "a current timestamp: {timestamp}");
    assert!(
        kereru_core::webhooks::verify(&secret, timestamp, event.body.as_bytes(), &event.signature),
        "the signature verifies with the secret: {event:?}"
    );
    assert!(!kereru_core::webhooks::verify("whsec_wrong", timestamp, event.body.as_bytes(), &event.signature));
    let body = json(&event.body);
    assert_eq!(body["type"], "tenant.suspended");
    assert_eq!(body["id"], event.id.as_str(), "the body's id is the Kereru-Webhook-Id header");
    assert_eq!(body["data"]["tenant"], "b.test");
    assert_eq!(body["data"]["tenant_id"], world.domain("b.test").id.0.to_string());
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));

    // Suspending again changes no state: no second event.
    suspend(&pool, "b.test").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(all.received().len(), 1, "{:?}", all.received());
    assert!(reports_only.received().is_empty(), "a webhook for reports only got {:?}", reports_only.received());

    let _ = stop.send(());
    all.stop().await;
    reports_only.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_is_retried_with_backoff_and_never_holds_up_the_action() {
    let world = World::new().tenant("a.test").tenant("b.test").seed().await;
    let pool = world.pool.clone();
    // Two failures (a 500, then a 503 without Retry-After), then success.
    let receiver = Receiver::start(vec![500, 503, 200]).await;
    let (webhook, secret) = register(&pool, &receiver.url(), &["tenant.suspended"]).await;
    let base = Duration::from_millis(400);
    let stop = start_worker(pool.clone(), base);

    let started = Instant::now();
    suspend(&pool, "b.test").await;
    assert!(started.elapsed() < Duration::from_secs(2), "the suspension does not wait for the receiver");

    let got = receiver.wait_for(3, Duration::from_secs(15)).await;
    assert!(got.iter().all(|r| r.id == got[0].id), "every attempt carries the event's id: {got:?}");
    assert!(got.iter().all(|r| r.body == got[0].body), "every attempt sends the same body");
    for attempt in &got {
        let timestamp: i64 = attempt.timestamp.parse().unwrap();
        assert!(kereru_core::webhooks::verify(&secret, timestamp, attempt.body.as_bytes(), &attempt.signature));
    }
    // Backoff: at least half the base after the first failure, half of twice the base after the second.
    let first_wait = got[1].at - got[0].at;
    let second_wait = got[2].at - got[1].at;
    assert!(first_wait >= base / 2, "first retry after {first_wait:?}");
    assert!(second_wait >= base, "second retry after {second_wait:?}");

    let deadline = Instant::now() + Duration::from_secs(5);
    let delivery = loop {
        let mut conn = pool.get().await.unwrap();
        let recent = queue::recent(&mut conn, webhook, 10).await.unwrap();
        assert_eq!(recent.len(), 1, "{recent:?}");
        if recent[0].state == "done" {
            break recent[0].clone();
        }
        assert!(Instant::now() < deadline, "not done: {recent:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!((delivery.attempts, delivery.last_status), (3, Some(200)), "{delivery:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 3, "nothing is sent after success");

    let _ = stop.send(());
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_never_succeeds_is_given_up_and_private_urls_are_refused_by_default() {
    let world = World::new().tenant("a.test").tenant("b.test").seed().await;
    let pool = world.pool.clone();
    let receiver = Receiver::start(vec![500]).await;
    let (webhook, _) = register(&pool, &receiver.url(), &[]).await;
    let fetcher =
        Fetcher::new(&FetchSettings { allow_private_addresses: true, system_dns: false, ..FetchSettings::default() })
            .unwrap();
    let settings = WebhookSettings {
        poll_interval: Duration::from_millis(20),
        retry_base: Duration::from_millis(20),
        max_attempts: 3,
        ..WebhookSettings::default()
    };
    let worker = WebhookWorker::new(pool.clone(), Arc::new(fetcher), settings.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    suspend(&pool, "b.test").await;
    receiver.wait_for(3, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(receiver.received().len(), 3, "max_attempts bounds the attempts");
    let mut conn = pool.get().await.unwrap();
    let recent = queue::recent(&mut conn, webhook, 10).await.unwrap();
    assert_eq!(recent[0].state, "given_up", "{recent:?}");
    assert_eq!(recent[0].last_status, Some(500));
    let _ = stop.send(());

    // With the default address policy a loopback receiver is refused and given up at once.
    let (private, _) = register(&pool, &receiver.url(), &[]).await;
    service::test(&mut conn, private).await.unwrap();
    let strict = Fetcher::new(&FetchSettings { system_dns: false, ..FetchSettings::default() }).unwrap();
    let worker = WebhookWorker::new(pool.clone(), Arc::new(strict), settings);
    let deadline = Instant::now() + Duration::from_secs(10);
    let recent = loop {
        worker.round().await;
        let recent = queue::recent(&mut conn, private, 10).await.unwrap();
        if recent.first().is_some_and(|d| d.state != "queued") {
            break recent;
        }
        assert!(Instant::now() < deadline, "{recent:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!((recent[0].state.as_str(), recent[0].attempts), ("given_up", 1), "{recent:?}");
    assert!(recent[0].last_error.as_deref().unwrap_or("").contains("refused"), "{recent:?}");
    assert_eq!(receiver.received().len(), 3, "the refused URL was never contacted");
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_fires_report_created_and_a_test_event_reaches_one_webhook() {
    let world = World::new().tenant("a.test").user("a.test", "alice").user("a.test", "bob").start().await;
    let pool = world.pool.clone();
    let receiver = Receiver::start(vec![200]).await;
    let other = Receiver::start(vec![200]).await;
    let (webhook, _) = register(&pool, &receiver.url(), &["report.created"]).await;
    register(&pool, &other.url(), &["report.created"]).await;
    let stop = start_worker(pool.clone(), Duration::from_millis(100));

    let alice = world.login("a.test", "alice").await;
    let bob_id = world.account("a.test", "bob").id.0.to_string();
    let response = alice.post("/api/v1/reports", &[("account_id", &bob_id), ("comment", "private words")]).await;
    assert_eq!(response.status(), 200);
    let report: serde_json::Value = response.json().await.unwrap();
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    let body = json(&got[0].body);
    assert_eq!(body["type"], "report.created");
    assert_eq!(body["data"]["tenant"], "a.test");
    assert_eq!(body["data"]["report_id"], report["id"]);
    assert_eq!(body["data"]["origin"], "local");
    assert!(!got[0].body.contains("private words"), "what the reporter wrote stays with the moderators");
    assert!(!got[0].body.contains("alice"), "who reported stays with the moderators");
    other.wait_for(1, Duration::from_secs(10)).await;

    // The test event goes to the webhook named, whatever its filter.
    let mut conn = pool.get().await.unwrap();
    service::test(&mut conn, webhook).await.unwrap();
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(json(&got[1].body)["type"], "webhook.test");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(other.received().len(), 1, "the other webhook got no test event");
    assert!(matches!(service::test(&mut conn, 987_654).await, Err(kereru_service::ServiceError::NotFound)));

    // Removed: nothing more is queued for it.
    service::remove(&mut conn, "test", webhook).await.unwrap();
    let response = alice.post("/api/v1/reports", &[("account_id", &bob_id)]).await;
    assert_eq!(response.status(), 200);
    other.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(receiver.received().len(), 2);

    let _ = stop.send(());
    receiver.stop().await;
    other.stop().await;
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_exceeded_fires_once_a_day_per_tenant_and_quota() {
    let world = World::new().tenant("a.test").tenant("b.test").seed().await;
    let pool = world.pool.clone();
    let receiver = Receiver::start(vec![200]).await;
    register(&pool, &receiver.url(), &["quota.exceeded"]).await;
    let stop = start_worker(pool.clone(), Duration::from_millis(100));
    let (a, b) = (world.domain("a.test").id, world.domain("b.test").id);
    let mut conn = pool.get().await.unwrap();
    use kereru_store::webhooks::events::quota_exceeded;
    assert!(quota_exceeded(&mut conn, a, "posts_per_day", 10).await.unwrap());
    assert!(!quota_exceeded(&mut conn, a, "posts_per_day", 10).await.unwrap(), "once a day");
    assert!(quota_exceeded(&mut conn, a, "max_accounts", 5).await.unwrap(), "another quota");
    assert!(quota_exceeded(&mut conn, b, "posts_per_day", 10).await.unwrap(), "another tenant");
    let got = receiver.wait_for(3, Duration::from_secs(10)).await;
    let mut seen: Vec<(String, String, i64)> = got
        .iter()
        .map(|r| {
            let body = json(&r.body);
            assert_eq!(body["type"], "quota.exceeded");
            let data = &body["data"];
            (
                data["tenant"].as_str().unwrap().to_string(),
                data["quota"].as_str().unwrap().to_string(),
                data["limit"].as_i64().unwrap(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("a.test".to_string(), "max_accounts".to_string(), 5),
            ("a.test".to_string(), "posts_per_day".to_string(), 10),
            ("b.test".to_string(), "posts_per_day".to_string(), 10)
        ]
    );
    let _ = stop.send(());
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dns_ready_and_certificate_issued_fire_once_per_host_with_pebble() {
    use kereru_acme::ChallengeKind;
    use kereru_tests::pebble::{Pebble, PebbleOptions};
    use kereru_tests::tls::{TlsNode, settings};
    let database = kereru_tests::fresh_database().await;
    let pool = database.pool();
    kereru_tests::add_domain(&pool, "near.test", None).await;
    kereru_tests::add_domain(&pool, "far.test", None).await;
    let receiver = Receiver::start(vec![200]).await;
    register(&pool, &receiver.url(), &["tenant.dns_ready", "tenant.certificate_issued"]).await;
    let stop = start_worker(pool.clone(), Duration::from_millis(100));

    let mut passive = settings("https://unused.invalid/dir", None, "front");
    passive.issue = false;
    let front = TlsNode::start(&database, passive).await;
    let pebble = Pebble::start(PebbleOptions {
        http_port: front.http.port(),
        tls_port: front.https.port(),
        validity_seconds: None,
        eab: None,
    })
    .await;
    pebble.set_a_record("far.test", &["127.0.0.2"]).await;
    let mut issuing = settings(&pebble.directory, Some(pebble.listener_root.clone()), "issuer");
    issuing.challenges = vec![ChallengeKind::Http01];
    issuing.public_addresses = vec!["127.0.0.1".parse().unwrap()];
    issuing.resolver = Some(pebble.dns);
    let issuer = kereru_acme::CertManager::new(issuing, database.pool()).start().await;
    assert!(
        kereru_acme::manager::wait_for_certificate(&front.resolver, "near.test", Duration::from_secs(60)).await,
        "no certificate for near.test; pebble log:\n{}",
        pebble.log()
    );
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    // A few more issuer rounds: far.test keeps failing its DNS check, near.test is not due.
    tokio::time::sleep(Duration::from_secs(3)).await;
    issuer.stop();
    let got_after = receiver.received();
    assert_eq!(got_after.len(), got.len(), "nothing more fired: {got_after:?}");
    let events: Vec<serde_json::Value> = got_after.iter().map(|r| json(&r.body)).collect();
    let types: Vec<(&str, &str)> =
        events.iter().map(|e| (e["type"].as_str().unwrap(), e["data"]["host"].as_str().unwrap())).collect();
    assert_eq!(
        types,
        [("tenant.dns_ready", "near.test"), ("tenant.certificate_issued", "near.test")],
        "DNS first, then the certificate, once each; nothing for far.test"
    );
    assert_eq!(events[0]["data"]["tenant"], "near.test");
    assert_eq!(events[0]["data"]["addresses"], serde_json::json!(["127.0.0.1"]));
    assert_eq!(events[0]["data"]["checked"], true);
    assert_eq!(events[1]["data"]["renewal"], false);
    let not_after = chrono::DateTime::parse_from_rfc3339(events[1]["data"]["not_after"].as_str().unwrap()).unwrap();
    assert!(not_after > chrono::Utc::now());

    // The first pass is recorded: another passing check does not fire again.
    let mut conn = pool.get().await.unwrap();
    let addresses = ["127.0.0.1".to_string()];
    let again = kereru_store::webhooks::events::dns_ready(&mut conn, "near.test", &addresses, true).await;
    assert!(!again.unwrap());

    let _ = stop.send(());
    front.stop().await;
    receiver.stop().await;
}

/// A world whose provider API answers on provider.test, with a read-write and a read-only key.
async fn provider_world() -> (World, String, String) {
    let mut settings = kereru_tests::TestApp::settings();
    settings.provider.host = Some(HostName::parse("provider.test").unwrap());
    let world = World::new().tenant("a.test").host("provider.test").settings(settings).start().await;
    let mut conn = world.pool.get().await.unwrap();
    let (_, write) = kereru_service::provider::keys::create(&mut conn, "shop", false).await.unwrap();
    let (_, read) = kereru_service::provider::keys::create(&mut conn, "dashboard", true).await.unwrap();
    (world, write, read)
}

async fn call(
    world: &World,
    method: reqwest::Method,
    host: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&str>,
) -> (u16, serde_json::Value) {
    let url = world.app.url(host, &format!("/api/provider/v1{path}"));
    let mut request = world.app.client().request(method, url);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if let Some(body) = body {
        request = request.header("Content-Type", "application/json").body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_api_registers_tests_and_removes_webhooks_with_keys_on_the_provider_host_only() {
    use reqwest::Method;
    let (world, write, read) = provider_world().await;
    let receiver = Receiver::start(vec![200]).await;
    let stop = start_worker(world.pool.clone(), Duration::from_millis(100));
    let p = "provider.test";
    let new = serde_json::json!({ "url": receiver.url(), "events": ["tenant.suspended"], "description": "billing" });
    let new = new.to_string();

    // Keys: none 401, read-only 403 on writes; nothing stored.
    assert_eq!(call(&world, Method::POST, p, "/webhooks", None, Some(&new)).await.0, 401);
    assert_eq!(call(&world, Method::POST, p, "/webhooks", Some("kereru_pk_nonsense"), Some(&new)).await.0, 401);
    let (status, body) = call(&world, Method::POST, p, "/webhooks", Some(&read), Some(&new)).await;
    assert_eq!(status, 403, "{body}");
    // Not on a tenant's host, whatever the key.
    assert_eq!(call(&world, Method::POST, "a.test", "/webhooks", Some(&write), Some(&new)).await.0, 404);
    assert_eq!(call(&world, Method::GET, "a.test", "/webhooks", Some(&write), None).await.0, 404);
    let (_, listed) = call(&world, Method::GET, p, "/webhooks", Some(&read), None).await;
    assert_eq!(listed, serde_json::json!([]));

    // Bad input names the field.
    let bad_url = serde_json::json!({ "url": "ftp://shop.example/hooks" }).to_string();
    let (status, body) = call(&world, Method::POST, p, "/webhooks", Some(&write), Some(&bad_url)).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("url")), "{body}");
    let bad_event = serde_json::json!({ "url": receiver.url(), "events": ["tenant.eaten"] }).to_string();
    let (status, body) = call(&world, Method::POST, p, "/webhooks", Some(&write), Some(&bad_event)).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("events")), "{body}");
    assert_eq!(call(&world, Method::POST, p, "/webhooks", Some(&write), Some("{not json")).await.0, 400);

    // Created: the secret once.
    let (status, created) = call(&world, Method::POST, p, "/webhooks", Some(&write), Some(&new)).await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap().to_string();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["events"], serde_json::json!(["tenant.suspended"]));
    let (_, listed) = call(&world, Method::GET, p, "/webhooks", Some(&read), None).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0].get("secret").is_none(), "the secret is never shown again: {listed}");
    let (status, shown) = call(&world, Method::GET, p, &format!("/webhooks/{id}"), Some(&read), None).await;
    assert_eq!(status, 200);
    assert!(shown.get("secret").is_none());

    // The test event reaches it, signed with that secret, and shows as delivered.
    assert_eq!(call(&world, Method::POST, p, &format!("/webhooks/{id}/test"), Some(&read), None).await.0, 403);
    let (status, queued) = call(&world, Method::POST, p, &format!("/webhooks/{id}/test"), Some(&write), None).await;
    assert_eq!(status, 202, "{queued}");
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].id, queued["event_id"].as_str().unwrap());
    let timestamp: i64 = got[0].timestamp.parse().unwrap();
    assert!(kereru_core::webhooks::verify(&secret, timestamp, got[0].body.as_bytes(), &got[0].signature));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, shown) = call(&world, Method::GET, p, &format!("/webhooks/{id}"), Some(&read), None).await;
        if shown["deliveries"][0]["state"] == "done" {
            assert_eq!(shown["deliveries"][0]["type"], "webhook.test");
            assert_eq!(shown["deliveries"][0]["last_status"], 200);
            break;
        }
        assert!(Instant::now() < deadline, "{shown}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Removed; unknown ids are 404.
    assert_eq!(call(&world, Method::DELETE, p, &format!("/webhooks/{id}"), Some(&read), None).await.0, 403);
    assert_eq!(call(&world, Method::DELETE, p, &format!("/webhooks/{id}"), Some(&write), None).await.0, 204);
    assert_eq!(call(&world, Method::GET, p, &format!("/webhooks/{id}"), Some(&read), None).await.0, 404);
    assert_eq!(call(&world, Method::DELETE, p, &format!("/webhooks/{id}"), Some(&write), None).await.0, 404);
    assert_eq!(call(&world, Method::POST, p, "/webhooks/abc/test", Some(&write), None).await.0, 404);
    // Audited host-wide, naming the key.
    let mut conn = world.pool.get().await.unwrap();
    use kereru_store::admin_actions::{LogScope, list};
    let log = list(&mut conn, LogScope::HostWide, None, 20).await.unwrap();
    let acts: Vec<(&str, &str)> = log
        .iter()
        .filter(|a| a.target_type == "webhook")
        .map(|a| (a.action.as_str(), a.actor_label.as_str()))
        .collect();
    assert_eq!(acts, [("remove_webhook", "provider key shop"), ("create_webhook", "provider key shop")]);

    let _ = stop.send(());
    receiver.stop().await;
    world.stop().await;
}

#[test]
fn every_webhook_route_is_in_the_openapi_document() {
    let document: serde_json::Value = serde_json::from_str(kereru_web::provider::openapi::DOCUMENT).unwrap();
    for (method, path) in kereru_web::provider::webhooks::ROUTES {
        let operation = &document["paths"][path][method.to_ascii_lowercase()];
        assert!(operation.is_object(), "{method} {path} is not in docs/provider-openapi.json");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspending_or_deleting_a_tenant_through_the_provider_api_fires_tenant_suspended_once() {
    use reqwest::Method;
    let (world, write, _) = provider_world().await;
    let receiver = Receiver::start(vec![200]).await;
    register(&world.pool, &receiver.url(), &["tenant.suspended"]).await;
    let stop = start_worker(world.pool.clone(), Duration::from_millis(100));
    let p = "provider.test";
    let created = serde_json::json!({ "account_host": "c.test" }).to_string();
    let (status, body) = call(&world, Method::POST, p, "/tenants", Some(&write), Some(&created)).await;
    assert_eq!(status, 201, "{body}");

    let (status, body) = call(&world, Method::POST, p, "/tenants/a.test/suspend", Some(&write), None).await;
    assert_eq!(status, 200, "{body}");
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    let (status, body) = call(&world, Method::DELETE, p, "/tenants/c.test", Some(&write), None).await;
    assert_eq!(status, 200, "{body}");
    let got_after_delete = receiver.wait_for(2, Duration::from_secs(10)).await;
    // Deleting the suspended a.test suspends nothing new.
    let (status, body) = call(&world, Method::DELETE, p, "/tenants/a.test", Some(&write), None).await;
    assert_eq!(status, 200, "{body}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 2, "{:?}", receiver.received());
    let first = json(&got[0].body);
    assert_eq!((first["data"]["tenant"].as_str(), first["data"]["reason"].as_str()), (Some("a.test"), Some("suspend")));
    let second = json(&got_after_delete[1].body);
    assert_eq!(
        (second["data"]["tenant"].as_str(), second["data"]["reason"].as_str()),
        (Some("c.test"), Some("suspend"))
    );

    let _ = stop.send(());
    receiver.stop().await;
    world.stop().await;
}
