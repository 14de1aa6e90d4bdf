//! Issue 14's provider script, end to end over HTTPS and nothing but HTTP
//! calls: a hosting provider makes a plan and a webhook, creates a tenant
//! with an owner, hears `tenant.dns_ready` and `tenant.certificate_issued`
//! (DNS through pebble-challtestsrv, the certificate from Pebble), the owner
//! activates their admin account from the mail, the plan refuses the post
//! over its limit, the usage figures are what happened, and a suspended
//! tenant's host is refused at the handshake (with `tenant.suspended` sent).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;
use kereru_acme::ChallengeKind;
use kereru_delivery::http::{FetchSettings, Fetcher};
use kereru_delivery::webhooks::{WebhookSettings, WebhookWorker};
use kereru_tests::pebble::{Pebble, PebbleOptions};
use kereru_tests::tls::{TlsNode, settings};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PROVIDER: &str = "provider.test";

/// (timestamp header, signature header, body) of every POST received.
type Got = Arc<Mutex<Vec<(String, String, String)>>>;

async fn receiver() -> (SocketAddr, Got, actix_web::dev::ServerHandle) {
    let got: Got = Arc::default();
    let state = web::Data::new(Arc::clone(&got));
    let server = HttpServer::new(move || {
        App::new().app_data(state.clone()).default_service(web::to(
            |req: HttpRequest, body: web::Bytes, got: web::Data<Got>| async move {
                let header =
                    |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                got.lock().unwrap().push((
                    header("kereru-webhook-timestamp"),
                    header("kereru-webhook-signature"),
                    String::from_utf8_lossy(&body).into_owned(),
                ));
                HttpResponse::Ok().finish()
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
    (addr, got, handle)
}

/// Waits for an event of `kind` about `host`, checking every event's signature with `secret`.
async fn wait_for_event(got: &Got, secret: &str, kind: &str, host: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        for (timestamp, signature, body) in got.lock().unwrap().iter() {
            let ts: i64 = timestamp.parse().unwrap();
            assert!(kereru_core::webhooks::verify(secret, ts, body.as_bytes(), signature), "a bad signature: {body}");
            let event: Value = serde_json::from_str(body).unwrap();
            if event["type"] == kind
                && event["data"]["host"].as_str().or(event["data"]["tenant"].as_str()) == Some(host)
            {
                return event;
            }
        }
        assert!(Instant::now() < deadline, "no {kind} for {host}; got {:?}", got.lock().unwrap());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn https_client(root_pem: &str, hosts: &[&str], addr: SocketAddr) -> reqwest::Client {
    kereru_tests::install_crypto_provider();
    let root = reqwest::Certificate::from_pem(root_pem.as_bytes()).unwrap();
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([root])
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10));
    for host in hosts {
        builder = builder.resolve(host, addr);
    }
    builder.build().unwrap()
}

struct Provider<'a> {
    client: &'a reqwest::Client,
    key: String,
}

impl Provider<'_> {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request =
            self.client.request(method, format!("https://{PROVIDER}/api/provider/v1{path}")).bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// The activation link mailed to `to`.
async fn activation_link(pool: &kereru_store::Pool, to: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct Mail {
        #[diesel(sql_type = Text)]
        body_text: String,
    }
    let mut conn = pool.get().await.unwrap();
    let mails: Vec<Mail> =
        diesel::sql_query("SELECT body_text FROM mail_outbox WHERE to_address = $1 ORDER BY id DESC")
            .bind::<Text, _>(to)
            .load(&mut conn)
            .await
            .unwrap();
    let body = &<[Mail]>::first(&mails).unwrap_or_else(|| panic!("no mail to {to}")).body_text;
    let path = body.find("/auth/password/edit?").unwrap_or_else(|| panic!("no link: {body}"));
    let start = body[..path].rfind("http").unwrap_or_else(|| panic!("no link: {body}"));
    body[start..].split_whitespace().next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_provider_script_provisions_a_tenant_end_to_end_over_https() {
    let database = kereru_tests::fresh_database().await;
    let pool = database.pool();
    let (_, key) = kereru_service::provider::keys::create(&mut pool.get().await.unwrap(), "shop", false).await.unwrap();
    let (hooks, got, hooks_handle) = receiver().await;
    let fetcher = Fetcher::new(&FetchSettings {
        allow_private_addresses: true,
        system_dns: false,
        timeout: Duration::from_secs(5),
        ..FetchSettings::default()
    })
    .unwrap();
    let worker = WebhookWorker::new(
        pool.clone(),
        Arc::new(fetcher),
        WebhookSettings { poll_interval: Duration::from_millis(25), ..WebhookSettings::default() },
    );
    let (stop_worker, worker_stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(worker.run(async move {
        let _ = worker_stopped.await;
    }));

    let mut web = kereru_tests::TestApp::settings();
    web.provider.host = Some(kereru_core::HostName::parse(PROVIDER).unwrap());
    let mut passive = settings("https://unused.invalid/dir", None, "front");
    passive.issue = false;
    passive.own_hosts = vec![PROVIDER.into()];
    let front = TlsNode::start_with(&database, passive, web).await;
    let pebble = Pebble::start(PebbleOptions {
        http_port: front.http.port(),
        tls_port: front.https.port(),
        validity_seconds: None,
        eab: None,
    })
    .await;
    let mut issuing = settings(&pebble.directory, Some(pebble.listener_root.clone()), "issuer");
    issuing.challenges = vec![ChallengeKind::Http01];
    issuing.own_hosts = vec![PROVIDER.into()];
    issuing.public_addresses = vec!["127.0.0.1".parse().unwrap()];
    issuing.resolver = Some(pebble.dns);
    let issuer = kereru_acme::CertManager::new(issuing, database.pool()).start().await;
    assert!(
        kereru_acme::manager::wait_for_certificate(&front.resolver, PROVIDER, Duration::from_secs(60)).await,
        "no certificate for the provider host; pebble log:\n{}",
        pebble.log()
    );
    let root = pebble.issuing_root_pem().await;
    let client = https_client(&root, &[PROVIDER, "shop.test"], front.https);
    let provider = Provider { client: &client, key };

    // The provider's set-up: a plan and a webhook.
    let (status, plan) =
        provider.call(reqwest::Method::POST, "/plans", Some(json!({ "name": "tiny", "posts_per_day": 1 }))).await;
    assert_eq!(status, 201, "{plan}");
    let events = ["tenant.dns_ready", "tenant.certificate_issued", "tenant.suspended"];
    let (status, hook) = provider
        .call(reqwest::Method::POST, "/webhooks", Some(json!({ "url": format!("http://{hooks}/k"), "events": events })))
        .await;
    assert_eq!(status, 201, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_string();

    // A tenant with its owner; DNS (challtestsrv answers 127.0.0.1) and then the certificate.
    let (status, tenant) = provider
        .call(
            reqwest::Method::POST,
            "/tenants",
            Some(json!({ "account_host": "shop.test", "plan": "tiny", "owner_email": "owner@mail.test" })),
        )
        .await;
    assert_eq!(status, 201, "{tenant}");
    let dns = wait_for_event(&got, &secret, "tenant.dns_ready", "shop.test").await;
    assert_eq!(dns["data"]["addresses"], json!(["127.0.0.1"]));
    wait_for_event(&got, &secret, "tenant.certificate_issued", "shop.test").await;
    assert!(kereru_acme::manager::wait_for_certificate(&front.resolver, "shop.test", Duration::from_secs(10)).await);
    let (_, shown) = provider.call(reqwest::Method::GET, "/tenants/shop.test", None).await;
    assert_eq!(shown["owner"]["activated"], false, "{shown}");

    // The owner activates their account from the mail, over HTTPS on their own host.
    let link = activation_link(&pool, "owner@mail.test").await;
    assert!(link.starts_with("https://shop.test/auth/password/edit?"), "{link}");
    let page = client.get(&link).send().await.unwrap().text().await.unwrap();
    let csrf = kereru_tests::web::csrf_token(&page).unwrap_or_else(|| panic!("no form: {page}"));
    let token = link.split("reset_password_token=").nth(1).unwrap().to_string();
    let set = client
        .post("https://shop.test/auth/password/edit")
        .form(&[
            ("authenticity_token", csrf.as_str()),
            ("reset_password_token", token.as_str()),
            ("password", "owner password 1"),
            ("password_confirmation", "owner password 1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 303, "{}", set.text().await.unwrap());
    let (_, shown) = provider.call(reqwest::Method::GET, "/tenants/shop.test", None).await;
    assert_eq!(shown["owner"]["activated"], true, "{shown}");

    // The owner posts from an app; the plan's posts_per_day refuses the second post.
    let app: Value = client
        .post("https://shop.test/api/v1/apps")
        .form(&[("client_name", "app"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", "read write")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let grant: Value = client
        .post("https://shop.test/oauth/token")
        .form(&[
            ("grant_type", "password"),
            ("client_id", app["client_id"].as_str().unwrap()),
            ("client_secret", app["client_secret"].as_str().unwrap()),
            ("username", "admin"),
            ("password", "owner password 1"),
            ("scope", "read write"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = grant["access_token"].as_str().unwrap_or_else(|| panic!("no token: {grant}")).to_string();
    let post = |text: &'static str| {
        client.post("https://shop.test/api/v1/statuses").bearer_auth(&token).form(&[("status", text)]).send()
    };
    assert_eq!(post("hello from my own domain").await.unwrap().status(), 200);
    let refused = post("one too many").await.unwrap();
    assert_eq!(refused.status(), 422);
    assert_eq!(refused.json::<Value>().await.unwrap()["quota"], "posts_per_day");

    // Usage is what happened.
    let (status, usage) = provider.call(reqwest::Method::GET, "/tenants/shop.test/usage", None).await;
    assert_eq!(status, 200, "{usage}");
    assert_eq!((usage["accounts"].as_i64(), usage["statuses"].as_i64()), (Some(1), Some(1)), "{usage}");
    assert_eq!(usage["posts_today"], 1, "{usage}");
    assert_eq!(usage["quotas"]["posts_per_day"], json!({ "limit": 1, "used": 1 }), "{usage}");

    // Suspended: the provider hears of it and the host gets no handshake.
    let (status, _) = provider.call(reqwest::Method::POST, "/tenants/shop.test/suspend", Some(json!({}))).await;
    assert_eq!(status, 200);
    wait_for_event(&got, &secret, "tenant.suspended", "shop.test").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while front.resolver.get("shop.test").is_some() {
        assert!(Instant::now() < deadline, "a suspended tenant is still served");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let fresh = https_client(&root, &["shop.test"], front.https);
    assert!(fresh.get("https://shop.test/").send().await.is_err(), "no handshake for a suspended tenant");

    issuer.stop();
    let _ = stop_worker.send(());
    front.stop().await;
    hooks_handle.stop(true).await;
}
