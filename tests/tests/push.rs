//! Web Push end to end (issue 15): subscriptions through the client API, and
//! notifications pushed to a push service on loopback
//! (`tests/webpush_receiver.py`, Python's `cryptography`: an implementation
//! independent of the server's ring) that verifies the VAPID JWT and decrypts
//! the payload with the subscriber's private key, for both encodings Mastodon
//! sends. Alerts and policy decide what is pushed; a 410 removes the
//! subscription; a revoked token's subscription goes; other tenants' tokens
//! see nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_delivery::http::{FetchSettings, Fetcher};
use kereru_delivery::push::{PushSettings, PushWorker};
use kereru_tests::World;
use kereru_tests::session::Session;
use serde_json::{Value, json};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

/// The Python push service, and what it prints.
struct Receiver {
    _child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    port: u16,
    p256dh: String,
    auth: String,
}

impl Receiver {
    async fn start() -> Receiver {
        // Debian's python3 with python3-cryptography (scripts/ensure-test-deps).
        let python = if std::path::Path::new("/usr/bin/python3").exists() { "/usr/bin/python3" } else { "python3" };
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/webpush_receiver.py");
        let mut child = tokio::process::Command::new(python)
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs the push receiver");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the receiver starts")
            .unwrap()
            .expect("the receiver prints its keys (is python3-cryptography installed?)");
        let hello: Value = serde_json::from_str(&first).unwrap();
        Receiver {
            _child: child,
            lines,
            port: u16::try_from(hello["port"].as_u64().unwrap()).unwrap(),
            p256dh: hello["p256dh"].as_str().unwrap().to_string(),
            auth: hello["auth"].as_str().unwrap().to_string(),
        }
    }

    fn endpoint(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The next push the receiver got, checked: VAPID verified and the payload decrypted.
    async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(15), self.lines.next_line())
            .await
            .expect("a push arrives")
            .unwrap()
            .unwrap();
        let push: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(push["vapid"], "verified", "{push}");
        assert!(push["payload"].is_object(), "decrypted: {push}");
        push
    }

    /// Nothing arrives for a while.
    async fn quiet(&mut self) {
        if let Ok(line) = tokio::time::timeout(Duration::from_millis(1500), self.lines.next_line()).await {
            panic!("no push expected, got {line:?}");
        }
    }
}

fn start_worker(pool: kereru_store::Pool) -> tokio::sync::oneshot::Sender<()> {
    let fetcher = Fetcher::new(&FetchSettings {
        allow_private_addresses: true,
        system_dns: false,
        timeout: Duration::from_secs(5),
        ..FetchSettings::default()
    })
    .unwrap();
    let settings = PushSettings {
        poll_interval: Duration::from_millis(25),
        retry_base: Duration::from_millis(50),
        ..PushSettings::new(kereru_core::Scheme::Http)
    };
    let worker = PushWorker::new(pool, Arc::new(fetcher), settings);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    stop
}

async fn subscribe(session: &Session, receiver: &Receiver, path: &str, extra: &[(&str, &str)]) -> (u16, Value) {
    let endpoint = receiver.endpoint(path);
    let mut form = vec![
        ("subscription[endpoint]", endpoint.as_str()),
        ("subscription[keys][p256dh]", receiver.p256dh.as_str()),
        ("subscription[keys][auth]", receiver.auth.as_str()),
    ];
    form.extend_from_slice(extra);
    let response = session.post("/api/v1/push/subscription", &form).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn call(session: &Session, method: reqwest::Method, host: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = session
        .client
        .request(method, format!("http://{host}/api/v1/push/subscription"))
        .bearer_auth(&session.token)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn mention(from: &Session, to: &str, text: &str) -> String {
    from.toot(&format!("@{to} {text}"), "public").await
}

#[tokio::test]
async fn notifications_are_pushed_encrypted_and_signed_as_mastodon_pushes_them() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("b.test", "carol")
        .start()
        .await;
    let mut receiver = Receiver::start().await;
    let stop = start_worker(world.pool.clone());
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let carol = world.login("b.test", "carol").await;

    // The tenant's VAPID key, the same wherever it is shown.
    let v2: Value = world.app.client().get("http://a.test/api/v2/instance").send().await.unwrap().json().await.unwrap();
    let server_key = v2["configuration"]["vapid"]["public_key"].as_str().unwrap().to_string();
    assert_eq!(server_key.len(), 88, "65 bytes, URL-safe base64 with padding: {server_key}");
    let b2: Value = world.app.client().get("http://b.test/api/v2/instance").send().await.unwrap().json().await.unwrap();
    assert_ne!(b2["configuration"]["vapid"]["public_key"], server_key, "each tenant has its own key");
    assert_eq!(alice.get_json("/api/v1/apps/verify_credentials").await["vapid_key"], server_key);

    // Bad input: 400 for a missing parameter, 422 for bad keys or endpoint; nothing stored.
    let (status, _) =
        call(&alice, reqwest::Method::POST, "a.test", &[("subscription[endpoint]", "https://x.test/")]).await;
    assert_eq!(status, 400);
    let (status, body) = subscribe(&alice, &receiver, "/ok/a", &[("subscription[keys][p256dh]", "AAAA")]).await;
    assert_eq!(status, 422, "{body}");
    let bad = [("subscription[endpoint]", "ftp://x.test/")];
    let mut form = vec![
        ("subscription[keys][p256dh]", receiver.p256dh.as_str()),
        ("subscription[keys][auth]", receiver.auth.as_str()),
    ];
    form.extend_from_slice(&bad);
    assert_eq!(alice.post("/api/v1/push/subscription", &form).await.status(), 422);
    assert_eq!(alice.get("/api/v1/push/subscription").await.status(), 404);

    // A standard (RFC 8291) subscription for mentions and favourites, not follows.
    let (status, sub) = subscribe(
        &alice,
        &receiver,
        "/ok/standard",
        &[
            ("subscription[standard]", "true"),
            ("data[alerts][mention]", "1"),
            ("data[alerts][favourite]", "true"),
            ("data[alerts][follow]", "0"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{sub}");
    assert_eq!(sub["endpoint"], receiver.endpoint("/ok/standard"));
    assert_eq!(sub["alerts"], json!({"mention": true, "follow": false, "favourite": true}));
    assert_eq!(
        (&sub["policy"], &sub["standard"], &sub["server_key"]),
        (&json!("all"), &json!(true), &json!(server_key))
    );
    assert!(sub["id"].is_u64(), "a number, as Mastodon's: {sub}");
    assert_eq!(alice.get_json("/api/v1/push/subscription").await, sub);

    // Tenant isolation: alice's token means nothing on b.test; carol's nothing on a.test;
    // carol has no subscription of her own; another token of alice's has none either.
    assert_eq!(call(&alice, reqwest::Method::GET, "b.test", &[]).await.0, 401);
    assert_eq!(call(&carol, reqwest::Method::GET, "a.test", &[]).await.0, 401);
    assert_eq!(call(&carol, reqwest::Method::DELETE, "a.test", &[]).await.0, 401);
    assert_eq!(carol.get("/api/v1/push/subscription").await.status(), 404);
    let alice_phone = world.login("a.test", "alice").await;
    let (status, body) = call(&alice_phone, reqwest::Method::GET, "a.test", &[]).await;
    assert_eq!((status, body), (404, json!({"error": "Not Found"})), "one subscription per token");

    // A mention is pushed: aes128gcm, VAPID `vapid t=,k=` with the tenant's key, Mastodon's payload.
    let status_id = mention(&bob, "alice", "lunch?").await;
    let push = receiver.next().await;
    assert_eq!(push["path"], "/ok/standard");
    assert_eq!(push["encoding"], "aes128gcm");
    assert_eq!((&push["ttl"], &push["urgency"]), (&json!("172800"), &json!("normal")));
    assert_eq!(push["content_type"], "application/octet-stream");
    let key_bytes = |k: &str| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(k.trim_end_matches('=')).unwrap()
    };
    assert_eq!(key_bytes(push["server_key"].as_str().unwrap()), key_bytes(&server_key), "signed with the tenant's key");
    let payload = &push["payload"];
    let notifications = alice.get_json("/api/v1/notifications").await;
    assert_eq!(payload["notification_id"], notifications[0]["id"], "{payload}");
    assert_eq!(payload["notification_type"], "mention");
    assert_eq!(payload["access_token"], alice.token.as_str());
    assert_eq!(payload["preferred_locale"], "en");
    assert_eq!(payload["title"], "bob mentioned you");
    assert_eq!(payload["body"], "@alice lunch?");
    assert!(payload["icon"].as_str().unwrap().starts_with("http://a.test/"), "{payload}");

    // A follow is not pushed (its alert is off); a favourite is.
    assert_eq!(bob.post(&format!("/api/v1/accounts/{}/follow", alice.account_id), &[]).await.status(), 200);
    let own = alice.toot("my post", "public").await;
    assert_eq!(bob.post(&format!("/api/v1/statuses/{own}/favourite"), &[]).await.status(), 200);
    let push = receiver.next().await;
    assert_eq!(push["payload"]["notification_type"], "favourite", "the follow was skipped: {push}");
    assert_eq!(push["payload"]["title"], "bob favorited your post");

    // Policy `followed`: alice doesn't follow bob, so his mention is not pushed; PUT replaces data.
    let (status, sub) = call(
        &alice,
        reqwest::Method::PUT,
        "a.test",
        &[("data[alerts][mention]", "true"), ("data[policy]", "followed")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!((&sub["alerts"], &sub["policy"]), (&json!({"mention": true}), &json!("followed")));
    mention(&bob, "alice", "are you there?").await;
    receiver.quiet().await;
    // Once she follows him it is.
    assert_eq!(alice.post(&format!("/api/v1/accounts/{}/follow", bob.account_id), &[]).await.status(), 200);
    mention(&bob, "alice", "now?").await;
    assert_eq!(receiver.next().await["payload"]["body"], "@alice now?");
    // Mastodon.py sends the policy at the top level; taken too.
    let (_, sub) =
        call(&alice, reqwest::Method::PUT, "a.test", &[("data[alerts][mention]", "1"), ("policy", "none")]).await;
    assert_eq!(sub["policy"], "none");
    mention(&bob, "alice", "hello?").await;
    receiver.quiet().await;

    // Mastodon's default encoding (standard false): aesgcm, `WebPush` JWT, keys in Crypto-Key.
    let (status, legacy) = subscribe(&alice_phone, &receiver, "/ok/legacy", &[("data[alerts][mention]", "1")]).await;
    assert_eq!((status, &legacy["standard"]), (200, &json!(false)));
    mention(&bob, "alice", "legacy").await;
    let push = receiver.next().await;
    assert_eq!((&push["path"], &push["encoding"]), (&json!("/ok/legacy"), &json!("aesgcm")));
    assert_eq!(push["payload"]["access_token"], alice_phone.token.as_str(), "each token its own");
    assert_eq!(push["payload"]["body"], "@alice legacy");

    // A push service that answers 410: the subscription is deleted.
    let alice_tablet = world.login("a.test", "alice").await;
    subscribe(&alice_tablet, &receiver, "/gone/tablet", &[("data[alerts][favourite]", "1")]).await;
    let another = alice.toot("another post", "public").await;
    assert_eq!(bob.post(&format!("/api/v1/statuses/{another}/favourite"), &[]).await.status(), 200);
    let push = receiver.next().await;
    assert_eq!(push["path"], "/gone/tablet");
    let mut gone = false;
    for _ in 0..100 {
        if alice_tablet.get("/api/v1/push/subscription").await.status() == 404 {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "a 410 removes the subscription");

    // A revoked token's subscription goes with it.
    {
        use diesel_async::RunQueryDsl;
        let mut conn = world.pool.get().await.unwrap();
        let revoked = diesel::sql_query(
            "UPDATE oauth_tokens SET revoked_at = now() WHERE id IN
                 (SELECT token_id FROM push_subscriptions WHERE endpoint LIKE '%/ok/legacy')",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        assert_eq!(revoked, 1);
        let left = diesel::sql_query("SELECT id FROM push_subscriptions WHERE endpoint LIKE '%/ok/legacy'")
            .execute(&mut conn)
            .await
            .unwrap();
        assert_eq!(left, 0, "the trigger removed it");
    }

    // DELETE: {} and then 404, as Mastodon.
    assert_eq!(call(&alice, reqwest::Method::DELETE, "a.test", &[]).await, (200, json!({})));
    assert_eq!(call(&alice, reqwest::Method::DELETE, "a.test", &[]).await.0, 404);
    assert_eq!(alice.get("/api/v1/push/subscription").await.status(), 404);
    mention(&bob, "alice", "nobody listening").await;
    receiver.quiet().await;
    let _ = status_id;

    drop(stop);
    world.stop().await;
}

#[tokio::test]
async fn a_token_without_the_push_scope_is_refused() {
    let world = World::new().tenant("a.test").user("a.test", "alice").start().await;
    let client = world.app.client();
    let registered = kereru_tests::oauth::register_app(
        &client,
        "a.test",
        &[("client_name", "no push"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", "read write")],
    )
    .await;
    let token = kereru_tests::oauth::access_token(
        kereru_tests::oauth::password_grant(
            &client,
            "a.test",
            &registered,
            "alice",
            kereru_tests::seed::PASSWORD,
            "read write",
        )
        .await,
    )
    .await;
    let response = client.get("http://a.test/api/v1/push/subscription").bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 403);
    world.stop().await;
}
