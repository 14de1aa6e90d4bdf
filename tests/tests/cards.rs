//! Link preview cards and translation over real HTTP: a status answers
//! without its card, the worker fetches the first link's page (through the
//! SSRF-safe client, cached per URL) and the card shows in the Status and at
//! `/api/v1/statuses/{id}/card`; private statuses' cards stay private; and
//! `POST /api/v1/statuses/{id}/translate` answers as a Mastodon without a
//! translation backend.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_delivery::http::Fetcher;
use kereru_tests::{PASSWORD, TestApp, World, oauth};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PAGE: &str = r#"<!doctype html><html lang="en"><head>
<title>Fallback title</title>
<meta property="og:title" content="Kererū spotted in Wellington">
<meta property="og:description" content="A wood pigeon, up close.">
<meta property="og:image" content="/pigeon.jpg">
<meta property="og:site_name" content="Bird News">
</head><body><p>Story</p></body></html>"#;

/// A web server on loopback answering every request with [`PAGE`]; counts requests.
async fn page_server() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = stream.read(&mut buffer).await;
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{PAGE}",
                    PAGE.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    (addr, hits)
}

async fn token(client: &Client, app: &TestApp, host: &str, login: &str) -> String {
    let form = [("client_name", "Cards"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", "read write")];
    let registered = oauth::register_app(client, host, &form).await;
    let response = oauth::password_grant(client, host, &registered, login, PASSWORD, "read write").await;
    assert_eq!(response.status(), StatusCode::OK);
    let _ = app;
    response.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string()
}

async fn post(client: &Client, app: &TestApp, token: &str, text: &str, visibility: &str) -> Value {
    let response = client
        .post(app.url("a.test", "/api/v1/statuses"))
        .bearer_auth(token)
        .form(&[("status", text), ("visibility", visibility)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn get(client: &Client, url: String, token: &str) -> (StatusCode, Value) {
    let response = client.get(url).bearer_auth(token).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_first_links_card_is_fetched_after_posting_cached_and_shown_to_who_sees_the_status() {
    let (addr, hits) = page_server().await;
    let mut settings = TestApp::settings();
    settings.fetch.resolve.insert("news.example".into(), addr);
    let fetcher = Fetcher::new(&settings.fetch).unwrap();
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("b.test", "carol")
        .settings(settings)
        .start()
        .await;
    let client = world.app.client();
    let app = &world.app;
    let alice = token(&client, app, "a.test", "alice").await;
    let bob = token(&client, app, "a.test", "bob").await;
    let carol = token(&client, app, "b.test", "carol").await;

    // Mentions and hashtags are not the link; the status answers without its card.
    let posted = post(&client, app, &alice, "@bob #birds look: http://news.example/story", "public").await;
    assert!(posted["card"].is_null());
    let id = posted["id"].as_str().unwrap().to_string();
    assert_eq!(kereru_service::cards::worker::round(&world.pool, &fetcher).await.unwrap(), 1);
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    let (status, shown) = get(&client, app.url("a.test", &format!("/api/v1/statuses/{id}")), &bob).await;
    assert_eq!(status, StatusCode::OK);
    let card = &shown["card"];
    assert_eq!(card["url"], "http://news.example/story");
    assert_eq!(card["title"], "Kererū spotted in Wellington");
    assert_eq!(card["description"], "A wood pigeon, up close.");
    assert_eq!(card["image"], "http://news.example/pigeon.jpg");
    assert_eq!(card["provider_name"], "Bird News");
    assert_eq!(card["type"], "link");
    assert_eq!(card["language"], "en");
    let (status, alone) = get(&client, app.url("a.test", &format!("/api/v1/statuses/{id}/card")), &bob).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&alone, card);

    // Another status linking there takes the cached card: no second request.
    let private = post(&client, app, &alice, "again http://news.example/story", "private").await;
    let private_id = private["id"].as_str().unwrap().to_string();
    assert_eq!(kereru_service::cards::worker::round(&world.pool, &fetcher).await.unwrap(), 1);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    let (_, shown) = get(&client, app.url("a.test", &format!("/api/v1/statuses/{private_id}")), &alice).await;
    assert_eq!(shown["card"]["title"], "Kererū spotted in Wellington");
    // A private status's card is no one else's: bob does not follow alice; carol is on another tenant.
    let card_path = format!("/api/v1/statuses/{private_id}/card");
    assert_eq!(get(&client, app.url("a.test", &card_path), &bob).await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&client, app.url("b.test", &card_path), &carol).await.0, StatusCode::NOT_FOUND);
    // A status without a link has no card.
    let plain = post(&client, app, &alice, "no links here", "public").await;
    let plain_card = format!("/api/v1/statuses/{}/card", plain["id"].as_str().unwrap());
    assert_eq!(get(&client, app.url("a.test", &plain_card), &alice).await.1, serde_json::json!({}));
    assert_eq!(kereru_service::cards::worker::round(&world.pool, &fetcher).await.unwrap(), 0);

    // Translation: no backend, as Mastodon answers; others' private statuses are not found either.
    let translate = |host: &str, id: &str| app.url(host, &format!("/api/v1/statuses/{id}/translate"));
    let response = client.post(translate("a.test", &id)).bearer_auth(&bob).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "Not Found");
    let response = client.post(translate("a.test", &private_id)).bearer_auth(&bob).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "Record not found");
    let response = client.post(translate("b.test", &private_id)).bearer_auth(&carol).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = client.post(translate("a.test", &id)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    world.app.stop().await;
}

#[tokio::test]
async fn a_link_to_a_private_address_is_not_fetched_by_the_guarded_client() {
    let (addr, hits) = page_server().await;
    let world = World::new().tenant("a.test").user("a.test", "alice").start().await;
    let client = world.app.client();
    let alice = token(&client, &world.app, "a.test", "alice").await;
    let mut settings = TestApp::settings().fetch;
    settings.allow_private_addresses = false;
    let guarded = Fetcher::new(&settings).unwrap();
    let posted = post(&client, &world.app, &alice, &format!("internal: http://{addr}/admin"), "public").await;
    assert_eq!(kereru_service::cards::worker::round(&world.pool, &guarded).await.unwrap(), 1);
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    let id = posted["id"].as_str().unwrap();
    let (_, shown) = get(&client, world.app.url("a.test", &format!("/api/v1/statuses/{id}")), &alice).await;
    assert!(shown["card"].is_null());
    world.app.stop().await;
}
