//! Accounts on other servers: found through WebFinger and their actor
//! document when a search asks to resolve, kept, and known per tenant.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use kereru_tests::{TestApp, World};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A stand-in for another fediverse server at remote.test, counting requests.
async fn remote_server(
    public_key_pem: String,
    hits: Arc<AtomicUsize>,
) -> (std::net::SocketAddr, actix_web::dev::ServerHandle) {
    let server = HttpServer::new(move || {
        let pem = public_key_pem.clone();
        let hits = hits.clone();
        App::new().default_service(web::to(move |req: HttpRequest| {
            let pem = pem.clone();
            hits.fetch_add(1, Ordering::SeqCst);
            async move {
                let actor = |name: &str, id: &str| {
                    json!({
                        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                        "id": id, "type": "Person", "preferredUsername": name,
                        "name": "Zoë <b>not bold</b>",
                        "summary": "<p>Hello <script>alert(1)</script><a href=\"javascript:x\">x</a></p>",
                        "inbox": format!("{id}/inbox"), "followers": format!("{id}/followers"),
                        "endpoints": {"sharedInbox": "http://remote.test/inbox"},
                        "url": format!("http://remote.test/@{name}"),
                        "icon": {"type": "Image", "url": "http://remote.test/zoe.png"},
                        "manuallyApprovesFollowers": false,
                        "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": pem},
                    })
                };
                let query = req.query_string().to_string();
                match req.path() {
                    "/.well-known/webfinger" => {
                        let user = query.split("acct:").nth(1).and_then(|r| r.split('@').next()).unwrap_or("");
                        if user == "zoe" || user == "evil" {
                            HttpResponse::Ok().content_type("application/jrd+json").json(json!({
                                "subject": format!("acct:{user}@remote.test"),
                                "links": [{"rel": "self", "type": "application/activity+json", "href": format!("http://remote.test/users/{user}")}],
                            }))
                        } else {
                            HttpResponse::NotFound().finish()
                        }
                    }
                    "/users/zoe" => HttpResponse::Ok().content_type("application/activity+json").body(actor("zoe", "http://remote.test/users/zoe").to_string()),
                    // Claims to be someone on another host: not to be trusted.
                    "/users/evil" => HttpResponse::Ok().content_type("application/activity+json").body(actor("evil", "http://other.test/users/evil").to_string()),
                    _ => HttpResponse::NotFound().finish(),
                }
            }
        }))
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    (addr, handle)
}

#[tokio::test]
async fn a_search_that_resolves_finds_a_remote_account_through_webfinger() {
    let pem = kereru_core::keys::generate_rsa_keypair(2048).unwrap().public_pem;
    let hits = Arc::new(AtomicUsize::new(0));
    let (remote_addr, remote) = remote_server(pem, hits.clone()).await;
    let mut settings = TestApp::settings();
    settings.fetch.resolve.insert("remote.test".into(), remote_addr);
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("b.test", "bob")
        .settings(settings)
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("b.test", "bob").await;

    // Without resolve=true nothing is fetched.
    assert_eq!(alice.get_json("/api/v2/search?q=zoe@remote.test&type=accounts").await["accounts"], json!([]));
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    let found = alice.get_json("/api/v2/search?q=@zoe@remote.test&type=accounts&resolve=true").await;
    let zoe = &found["accounts"][0];
    assert_eq!(zoe["acct"], "zoe@remote.test");
    assert_eq!(zoe["uri"], "http://remote.test/users/zoe");
    assert_eq!(zoe["url"], "http://remote.test/@zoe");
    assert_eq!(zoe["avatar"], "http://remote.test/zoe.png");
    let note = zoe["note"].as_str().unwrap();
    assert!(note.contains("Hello") && !note.contains("script") && !note.contains("javascript"), "{note}");
    let after_first = hits.load(Ordering::SeqCst);
    assert_eq!(after_first, 2, "one WebFinger and one actor request");

    // Known now: lookup and the account's id work on a.test, from the cache.
    assert_eq!(alice.get_json("/api/v1/accounts/lookup?acct=zoe@remote.test").await["id"], zoe["id"]);
    alice.get_json("/api/v2/search?q=zoe@remote.test&type=accounts&resolve=true").await;
    assert_eq!(hits.load(Ordering::SeqCst), after_first, "fresh accounts are not fetched again");
    // ...but not on b.test, which never looked.
    assert_eq!(bob.get("/api/v1/accounts/lookup?acct=zoe@remote.test").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        bob.get(&format!("/api/v1/accounts/{}", zoe["id"].as_str().unwrap())).await.status(),
        StatusCode::NOT_FOUND
    );

    // Following a remote account waits for its server's Accept.
    let rel = alice.post_json(&format!("/api/v1/accounts/{}/follow", zoe["id"].as_str().unwrap()), &[]).await;
    assert_eq!(rel["requested"], true);
    assert_eq!(rel["following"], false);

    // An actor served for another origin, or an unknown handle, resolves to nothing.
    assert_eq!(
        alice.get_json("/api/v2/search?q=evil@remote.test&type=accounts&resolve=true").await["accounts"],
        json!([])
    );
    assert_eq!(
        alice.get_json("/api/v2/search?q=nobody@remote.test&type=accounts&resolve=true").await["accounts"],
        json!([])
    );
    let response: Value = alice.get_json("/api/v2/search?q=zoe@unmapped.test&type=accounts&resolve=true").await;
    assert_eq!(response["accounts"], json!([]), "a host outside the resolve table is refused, not looked up");
    remote.stop(true).await;
    world.stop().await;
}
