//! Server-side request forgery (part of the hostile-input suite): names
//! that resolve to loopback, and loopback literals, reached through every
//! path that makes Kererū fetch or post — WebFinger lookups, objects named
//! by inbound activities, delivery targets — are refused before any
//! connection, with private addresses refused as in production. Key ids
//! are in `hostile_federation.rs`, redirects in `crates/delivery/tests/fetch.rs`,
//! rel=me pages in `rel_me.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kereru_core::Scheme;
use kereru_delivery::http::{FetchSettings, Fetcher, Url};
use kereru_delivery::worker::{Worker, WorkerSettings};
use kereru_service::federation::inbound::worker::{InboundSettings, InboundWorker};
use kereru_store::schema::{deliveries, statuses};
use kereru_tests::inbox::{RawKind, RawPeer};
use kereru_tests::remote::RemoteServer;
use kereru_tests::{TestApp, World};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An outbound client as production has it (private addresses refused),
/// with `names` mapped to loopback listeners, as a hostile DNS would.
fn production_fetcher(names: &[(&str, std::net::SocketAddr)]) -> Arc<Fetcher> {
    kereru_tests::install_crypto_provider();
    Arc::new(
        Fetcher::new(&FetchSettings {
            allow_private_addresses: false,
            system_dns: false,
            resolve: names.iter().map(|(n, a)| (n.to_string(), *a)).collect(),
            timeout: Duration::from_secs(5),
            ..FetchSettings::default()
        })
        .unwrap(),
    )
}

#[tokio::test]
async fn hostile_webfinger_lookups_and_object_fetches_never_reach_private_addresses() {
    let remote = RemoteServer::start().await;
    let mut settings = TestApp::settings();
    settings.fetch.allow_private_addresses = false;
    settings.fetch.resolve.insert("internal.test".into(), remote.addr);
    let world = World::new().tenant("a.test").user("a.test", "alice").settings(settings).start().await;
    let app = &world.app;
    let alice = world.login("a.test", "alice").await;
    remote.put(
        "internal.test",
        "/.well-known/webfinger",
        json!({"subject": "acct:admin@internal.test",
               "links": [{"rel": "self", "type": "application/activity+json", "href": "http://internal.test/users/admin"}]}),
    );
    for query in ["admin@internal.test", "admin@127.0.0.1", "http://internal.test/users/admin", "admin@[::1]"] {
        let found = alice.get_json(&format!("/api/v2/search?q={query}&resolve=true")).await;
        assert_eq!(found["accounts"], json!([]), "{query}: {found}");
        assert_eq!(found["statuses"], json!([]), "{query}: {found}");
    }
    assert_eq!(remote.requests_to_host("internal.test"), 0, "no request reached the internal server");

    // An inbound boost naming an object on an internal address: the processor refuses to fetch it.
    let processor = InboundWorker::new(
        app.database.pool(),
        production_fetcher(&[("internal.test", remote.addr)]),
        Scheme::Http,
        InboundSettings::default(),
    );
    let booster = remote.actor("remote.test", "booster");
    {
        // As if the inbox had accepted it: a known sender, a stored activity.
        let mut conn = app.database.pool().get().await.unwrap();
        kereru_store::accounts::upsert_remote(
            &mut conn,
            &kereru_service::federation::actors::parse_actor(&booster.document(), &Url::parse(&booster.id).unwrap())
                .unwrap(),
        )
        .await
        .unwrap();
        let boost = json!({"id": format!("{}/statuses/1/activity", booster.id), "type": "Announce", "actor": booster.id,
            "object": "http://internal.test/secrets/1", "to": ["https://www.w3.org/ns/activitystreams#Public"]});
        kereru_store::inbound::store(
            &mut conn,
            &kereru_store::inbound::NewInbound {
                tenant: world.domain("a.test").id,
                inbox_account: None,
                activity_uri: &format!("{}/statuses/1/activity", booster.id),
                actor_uri: &booster.id,
                body: &boost.to_string(),
            },
        )
        .await
        .unwrap();
    }
    processor.round().await.unwrap();
    assert_eq!(remote.requests_to_host("internal.test"), 0);
    let mut conn = app.database.pool().get().await.unwrap();
    let stored: i64 = statuses::table
        .filter(statuses::uri.eq("http://internal.test/secrets/1"))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(stored, 0);
    drop(conn);
    remote.stop().await;
    world.stop().await;
}

#[tokio::test]
async fn hostile_delivery_targets_on_private_addresses_are_given_up_without_a_connection() {
    let peer = RawPeer::start(RawKind::Silent).await;
    let seeded = World::new().tenant("home.test").user("home.test", "alice").seed().await;
    let db = &seeded.database;
    let account = seeded.account("home.test", "alice");
    let actor = seeded.domain("home.test").urls(Scheme::Http).actor("alice");
    let inboxes = [
        "http://internal.test/inbox".to_string(),
        format!("http://127.0.0.1:{}/inbox", peer.addr.port()),
        format!("http://[::1]:{}/inbox", peer.addr.port()),
        "http://169.254.169.254/latest/meta-data".to_string(),
    ];
    {
        let mut conn = db.pool().get().await.unwrap();
        let activity = json!({"id": format!("{actor}/statuses/1/activity"), "type": "Create", "actor": actor,
            "object": {"type": "Note", "content": "hi"}});
        let urls: Vec<Url> = inboxes.iter().map(|i| Url::parse(i).unwrap()).collect();
        let id = activity["id"].as_str().unwrap().to_string();
        let enqueued = kereru_delivery::queue::enqueue(&mut conn, account.id, &id, &activity, &urls).await.unwrap();
        assert_eq!(enqueued.refused, 0, "well-formed URLs are queued; the address is checked when connecting");
    }
    let settings = WorkerSettings {
        poll_interval: Duration::from_millis(20),
        stats_interval: Duration::ZERO,
        prune_interval: Duration::ZERO,
        ..WorkerSettings::default()
    };
    let worker = Worker::new(db.pool(), production_fetcher(&[("internal.test", peer.addr)]), settings);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    let deadline = Instant::now() + Duration::from_secs(20);
    let states = loop {
        let mut conn = db.pool().get().await.unwrap();
        let states: Vec<(String, String, Option<String>)> = deliveries::table
            .select((deliveries::inbox, deliveries::state, deliveries::last_error))
            .load(&mut conn)
            .await
            .unwrap();
        if states.iter().all(|(_, state, _)| state == "given_up") || Instant::now() > deadline {
            break states;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let _ = stop.send(());
    task.await.unwrap();
    assert_eq!(states.len(), inboxes.len());
    for (inbox, state, error) in &states {
        assert_eq!(state, "given_up", "{inbox}: {error:?}");
        assert!(error.as_deref().unwrap_or("").contains("refused"), "{inbox}: {error:?}");
    }
    assert_eq!(
        std::sync::atomic::AtomicU64::load(&peer.connections, std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing connected to the peer"
    );
}
