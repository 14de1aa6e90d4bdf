//! Tenant resolution as a boundary: unknown, suspended and malformed hosts,
//! oversized requests and unknown routes each get a clear answer and no data.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_core::HostName;
use kereru_store::domains::{self, DomainState};
use kereru_tests::{TestApp, World, raw_status};
use reqwest::StatusCode;

#[tokio::test]
async fn unknown_and_suspended_hosts_answer_404_json_for_apis_and_html_for_pages() {
    let world = World::new().tenant("a.test").user("a.test", "alice").host("unknown.test").start().await;
    let app = &world.app;
    let pool = &world.pool;
    let a = world.domain("a.test");
    let client = app.client();

    let check = |host: &'static str| {
        let client = client.clone();
        let app_url = |path: &str| app.url(host, path);
        let (api, page) = (app_url("/.well-known/webfinger?resource=acct:alice@a.test"), app_url("/"));
        async move {
            let response = client.get(api).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{host}");
            let body: serde_json::Value = response.json().await.unwrap();
            assert!(body["error"].is_string(), "{host}: {body}");
            let response = client.get(page).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{host}");
            assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        }
    };
    check("unknown.test").await;

    // Serving before the suspension, not after, and again after activation.
    assert_eq!(client.get(app.url("a.test", "/")).send().await.unwrap().status(), StatusCode::OK);
    let mut conn = pool.get().await.unwrap();
    domains::set_state(&mut conn, a.id, DomainState::Suspended).await.unwrap();
    check("a.test").await;
    domains::set_state(&mut conn, a.id, DomainState::Active).await.unwrap();
    assert_eq!(client.get(app.url("a.test", "/users/alice")).send().await.unwrap().status(), StatusCode::OK);
    world.stop().await;
}

#[tokio::test]
async fn malformed_host_headers_are_refused_with_400_and_ip_hosts_with_404() {
    let app = World::new().tenant("a.test").start().await.app;
    let request =
        |host: &str| format!("GET /.well-known/nodeinfo HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    assert_eq!(raw_status(app.addr, &request("a.test")).await, 200);
    assert_eq!(raw_status(app.addr, &request("A.TEST:8080")).await, 200);
    for bad in ["a_b.test", "a.test:notaport", "a.test:", "..", "a..test", "-a.test", "a.test:1:2"] {
        assert_eq!(raw_status(app.addr, &request(bad)).await, 400, "Host: {bad}");
    }
    assert_eq!(raw_status(app.addr, "GET / HTTP/1.0\r\n\r\n").await, 400, "no Host at all");
    assert_eq!(raw_status(app.addr, &request("127.0.0.1")).await, 404);
    assert_eq!(raw_status(app.addr, &request("[::1]:80")).await, 404);
    app.stop().await;
}

#[tokio::test]
async fn oversized_bodies_are_refused_before_they_are_read() {
    let app = World::new().tenant("a.test").start().await.app;
    let big = format!(
        "POST /inbox HTTP/1.1\r\nHost: a.test\r\nContent-Type: application/activity+json\r\nContent-Length: {}\r\n\r\n{{",
        64 * 1024 * 1024
    );
    assert_eq!(raw_status(app.addr, &big).await, 413);
    app.stop().await;
}

#[tokio::test]
async fn unknown_routes_on_a_tenant_are_404_json_for_api_paths_and_html_elsewhere() {
    let app = World::new().tenant("a.test").start().await.app;
    let client = app.client();
    let response = client.get(app.url("a.test", "/api/v1/nothing")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"].is_string());
    let response = client.get(app.url("a.test", "/nothing/here")).header("Accept", "text/html").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.text().await.unwrap().contains("404"));
    app.stop().await;
}

#[tokio::test]
async fn idn_tenants_are_stored_and_served_in_ascii_form() {
    let world = World::new().tenant("Bücher.test").user("Bücher.test", "reader").start().await;
    let (app, pool) = (&world.app, &world.pool);
    let domain = world.domain("Bücher.test");
    assert_eq!(domain.account_host.as_str(), "xn--bcher-kva.test");
    let client = app.client();
    let response = client
        .get(app.url("xn--bcher-kva.test", "/.well-known/webfinger?resource=acct:reader@xn--bcher-kva.test"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut conn = pool.get().await.unwrap();
    let found = domains::find_by_host(&mut conn, &HostName::parse("bücher.test").unwrap()).await.unwrap();
    assert_eq!(found.map(|d| d.id), Some(domain.id));
    world.stop().await;
}

#[tokio::test]
async fn the_api_is_rate_limited_per_token_with_mastodons_headers() {
    let mut settings = TestApp::settings();
    settings.rate_limit =
        kereru_web::rate_limit::RateLimit { requests: 8, window: std::time::Duration::from_secs(300) };
    let world =
        World::new().tenant("a.test").user("a.test", "alice").user("a.test", "bob").settings(settings).start().await;
    // Logging in takes a few API requests of its own, on other keys (no token yet, then each token).
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let mut remaining = Vec::new();
    let mut last = None;
    for _ in 0..10 {
        let response = alice.get("/api/v1/timelines/home").await;
        remaining.push(response.headers().get("x-ratelimit-remaining").map(|v| v.to_str().unwrap().to_string()));
        assert_eq!(response.headers()["x-ratelimit-limit"], "8");
        assert!(response.headers().contains_key("x-ratelimit-reset"));
        last = Some(response.status());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            let body: serde_json::Value = response.json().await.unwrap();
            assert!(body["error"].is_string());
            break;
        }
    }
    assert_eq!(last, Some(StatusCode::TOO_MANY_REQUESTS), "{remaining:?}");
    // Counting down to zero, then refused.
    let counts: Vec<u32> = remaining.iter().flatten().map(|v| v.parse().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[1] <= w[0]), "{counts:?}");
    assert_eq!(counts.last(), Some(&0));
    // Another token has its own budget; pages outside the API are not limited.
    assert_eq!(bob.get("/api/v1/timelines/home").await.status(), StatusCode::OK);
    assert_eq!(alice.get("/.well-known/nodeinfo").await.status(), StatusCode::OK);
    world.stop().await;
}

#[tokio::test]
async fn api_paths_accept_a_trailing_slash() {
    let app = World::new().tenant("a.test").start().await.app;
    let client = app.client();
    for path in ["/api/v1/instance/", "/api/v2/instance/", "/.well-known/nodeinfo/"] {
        assert_eq!(client.get(app.url("a.test", path)).send().await.unwrap().status(), StatusCode::OK, "{path}");
    }
    app.stop().await;
}
