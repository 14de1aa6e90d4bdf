//! rel=me verification of profile fields: pages served on 127.0.0.1 under
//! names the outbound client's resolve table maps (never real DNS).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::{Session, TestApp, World, add_domain, add_user, fresh_database};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Serves fixed HTML pages by path, one request per connection. A page
/// listed as held is answered only once the test releases it.
struct Site {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    paths: Arc<Mutex<Vec<String>>>,
    release: Arc<Semaphore>,
}

impl Site {
    async fn start(pages: &[(&str, &str)], held: &'static str) -> Site {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let site = Site {
            addr: listener.local_addr().unwrap(),
            connections: Arc::default(),
            paths: Arc::default(),
            release: Arc::new(Semaphore::new(0)),
        };
        let pages: Arc<HashMap<String, String>> =
            Arc::new(pages.iter().map(|(path, html)| (path.to_string(), html.to_string())).collect());
        let (connections, paths, release) = (site.connections.clone(), site.paths.clone(), site.release.clone());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                connections.fetch_add(1, Ordering::SeqCst);
                let (pages, paths, release) = (pages.clone(), paths.clone(), release.clone());
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 2048];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let path = head.split(' ').nth(1).unwrap_or_default().to_string();
                    paths.lock().unwrap().push(path.clone());
                    if path == held {
                        release.acquire().await.unwrap().forget();
                    }
                    let (status, body) = match pages.get(&path) {
                        Some(html) => ("200 OK", html.clone()),
                        None => ("404 Not Found", "<p>no such page</p>".to_string()),
                    };
                    let response = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        site
    }

    fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}

/// The app for tenant `a.test` with user alice, its outbound client mapping
/// `alice.site` to `site`.
async fn app_with_site(site: &Site, allow_private: bool) -> (TestApp, Session, kereru_delivery::http::FetchSettings) {
    let mut settings = TestApp::settings();
    settings.fetch.resolve.insert("alice.site".into(), site.addr);
    settings.fetch.allow_private_addresses = allow_private;
    let fetch = settings.fetch.clone();
    let world =
        World::new().tenant("a.test").user("a.test", "alice").user("a.test", "bob").settings(settings).start().await;
    let alice = world.login("a.test", "alice").await;
    (world.app, alice, fetch)
}

async fn save_fields(alice: &Session, fields: Value) -> Value {
    let response = alice
        .client
        .patch("http://a.test/api/v1/accounts/update_credentials")
        .bearer_auth(&alice.token)
        .json(&json!({ "fields_attributes": fields }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn verified_at(account: &Value) -> Vec<Option<String>> {
    account["fields"].as_array().unwrap().iter().map(|f| f["verified_at"].as_str().map(str::to_string)).collect()
}

#[tokio::test]
async fn a_page_linking_back_with_rel_me_verifies_its_field_and_others_stay_unverified() {
    let site = Site::start(
        &[
            ("/no-rel", r#"<html><body><a href="http://a.test/@alice">my profile</a></body></html>"#),
            (
                "/someone-else",
                r#"<a rel="me" href="http://a.test/@bob">bob</a><!-- <a rel="me" href="http://a.test/@alice"> -->"#,
            ),
            (
                "/links-back",
                r#"<!DOCTYPE html><html><head><link rel="authn me" href="http://a.test/@alice"></head></html>"#,
            ),
        ],
        "/links-back",
    )
    .await;
    let (app, alice, _) = app_with_site(&site, true).await;

    // Fields are checked in order, so once the last URL is verified the
    // earlier ones have been decided.
    let saved = save_fields(
        &alice,
        json!([
            {"name": "No rel", "value": "http://alice.site/no-rel"},
            {"name": "Other", "value": "http://alice.site/someone-else"},
            {"name": "Home", "value": "http://alice.site/links-back"},
            {"name": "Pronouns", "value": "she/her"},
        ]),
    )
    .await;
    // The response came while the linking page was still held: saving does
    // not wait for verification.
    assert_eq!(verified_at(&saved), [None, None, None, None]);

    site.release.add_permits(1);
    let deadline = Instant::now() + Duration::from_secs(20);
    let account = loop {
        let account = alice.get_json(&format!("/api/v1/accounts/{}", alice.account_id)).await;
        if account["fields"][2]["verified_at"].is_string() {
            break account;
        }
        assert!(Instant::now() < deadline, "the linking page never verified its field: {account}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let marks = verified_at(&account);
    assert_eq!(marks[0], None, "a plain link is not rel=me");
    assert_eq!(marks[1], None, "rel=me to another account does not count");
    assert_eq!(marks[3], None, "not a URL");
    assert!(marks[2].as_deref().unwrap().ends_with('Z'));
    let me = alice.get_json("/api/v1/accounts/verify_credentials").await;
    assert!(me["fields"][2]["verified_at"].is_string());
    assert_eq!(site.paths(), ["/no-rel", "/someone-else", "/links-back"], "each URL fetched once, in order");
    app.stop().await;
}

#[tokio::test]
async fn the_actor_url_also_counts_as_a_link_back() {
    let site = Site::start(&[("/actor", r#"<a href="http://a.test/users/alice" rel="me">fedi</a>"#)], "").await;
    let (app, alice, _) = app_with_site(&site, true).await;
    save_fields(&alice, json!([{"name": "Site", "value": "http://alice.site/actor"}])).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !alice.get_json("/api/v1/accounts/verify_credentials").await["fields"][0]["verified_at"].is_string() {
        assert!(Instant::now() < deadline, "never verified");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn a_page_on_a_refused_address_is_never_fetched() {
    let site = Site::start(&[("/links-back", r#"<a rel="me" href="http://a.test/@alice">me</a>"#)], "").await;
    let (app, alice, fetch) = app_with_site(&site, false).await;
    save_fields(&alice, json!([{"name": "Site", "value": "http://alice.site/links-back"}])).await;

    // The resolver refuses the loopback address it maps to; once it has,
    // the verification has nothing left to do.
    let deadline = Instant::now() + Duration::from_secs(20);
    while fetch.counters.refused() == 0 {
        assert!(Instant::now() < deadline, "the fetch was never refused");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let me = alice.get_json("/api/v1/accounts/verify_credentials").await;
    assert_eq!(me["fields"][0]["verified_at"], Value::Null);
    assert_eq!(site.connections.load(Ordering::SeqCst), 0, "the page was never requested");
    assert_eq!(fetch.counters.requests(), 1, "one attempt, stopped at the resolver");
    app.stop().await;
}

#[tokio::test]
async fn only_the_value_that_was_checked_is_marked() {
    let db = fresh_database().await;
    let pool = db.pool();
    let a = add_domain(&pool, "a.test", None).await;
    let alice = add_user(&pool, &a, "alice").await;
    let mut conn = pool.get().await.unwrap();
    let saved = vec![("Site".to_string(), "https://new.test/".to_string())];
    let change = kereru_store::profiles::ProfileUpdate { fields: Some(saved), ..Default::default() };
    kereru_store::profiles::update(&mut conn, alice.id, change).await.unwrap();

    use kereru_store::profiles::{fields, mark_field_verified};
    assert!(!mark_field_verified(&mut conn, alice.id, 0, "https://old.test/").await.unwrap(), "changed meanwhile");
    assert!(!mark_field_verified(&mut conn, alice.id, 1, "https://new.test/").await.unwrap(), "no such position");
    assert_eq!(fields(&mut conn, alice.id).await.unwrap()[0].verified_at, None);
    assert!(mark_field_verified(&mut conn, alice.id, 0, "https://new.test/").await.unwrap());
    assert!(fields(&mut conn, alice.id).await.unwrap()[0].verified_at.is_some());

    let bob = add_user(&pool, &a, "bob").await;
    assert!(!mark_field_verified(&mut conn, bob.id, 0, "https://new.test/").await.unwrap(), "another account's field");
}
