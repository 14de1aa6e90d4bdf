//! Hostile input from other servers (part of the hostile-input suite:
//! `cargo test -p kereru-tests hostile`). Each test plays an attacker
//! against a real Kererū on loopback, with a stand-in for the remote
//! servers that counts every request Kererū makes to them, and asserts
//! the status and that nothing changed (and nothing was fetched).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use diesel_async::RunQueryDsl;
use kereru_core::keys::generate_rsa_keypair;
use kereru_core::signatures::{RequestParts, Signer};
use kereru_service::federation::KeyFetchSettings;
use kereru_tests::remote::fresh_signer;
use kereru_tests::{FederatedWorld, TestApp, World};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

const ALICE: &str = "http://a.test/users/alice";
const ALICE_INBOX: &str = "http://a.test/users/alice/inbox";
/// Key fetches allowed per key host and window in these tests.
const BUDGET: u32 = 10;

/// a.test with alice; remote.test, other.test and victim.test are the remote stand-in.
async fn start() -> FederatedWorld {
    start_with(|_| {}).await
}

async fn start_with(adjust: impl FnOnce(&mut kereru_web::WebSettings)) -> FederatedWorld {
    let mut settings = TestApp::settings();
    settings.key_fetch =
        KeyFetchSettings { per_host: BUDGET, window: Duration::from_secs(600), failure_ttl: Duration::from_secs(600) };
    adjust(&mut settings);
    World::new()
        .tenant("a.test")
        .user("a.test", "alice")
        .settings(settings)
        .start_federated(&["remote.test", "other.test", "victim.test"], &[])
        .await
}

/// An activity of a type Kererū does not act on.
fn unknown_type(actor: &str, n: u32) -> String {
    json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{actor}#reacts/{n}"),
           "type": "EmojiReact", "actor": actor, "object": ALICE, "content": "🔥"})
    .to_string()
}

#[tokio::test]
async fn hostile_an_unknown_activity_type_whose_actor_is_not_the_signer_is_401() {
    let world = start().await;
    let mallory = world.remote.actor("remote.test", "mallory");
    let zoe = world.remote.actor("other.test", "zoe");
    // Signed by mallory, in zoe's name: refused whatever the type.
    assert_eq!(world.post(ALICE_INBOX, &unknown_type(&zoe.id, 1), &mallory.signer).await, 401);
    let in_a_list = json!({"id": format!("{}#reacts/2", mallory.id), "type": "EmojiReact", "actor": [zoe.id, mallory.id], "object": ALICE});
    assert_eq!(world.post(ALICE_INBOX, &in_a_list.to_string(), &mallory.signer).await, 401);
    let as_object = json!({"id": format!("{}#reacts/3", mallory.id), "type": "EmojiReact", "actor": {"id": zoe.id}, "object": ALICE});
    assert_eq!(world.post(ALICE_INBOX, &as_object.to_string(), &mallory.signer).await, 401);
    // In mallory's own name it is accepted and, being of no known type, not stored.
    assert_eq!(world.post(ALICE_INBOX, &unknown_type(&mallory.id, 4), &mallory.signer).await, 202);
    assert_eq!(world.stored().await, 0);
    world.stop().await;
}

#[tokio::test]
async fn hostile_new_key_ids_cannot_make_kereru_flood_a_server_with_key_fetches() {
    let world = start().await;
    let pair = generate_rsa_keypair(2048).unwrap();
    let signer = |key_id: String| Arc::new(Signer::from_rsa_pkcs8_der(key_id, &pair.private_pkcs8_der).unwrap());
    let activity = unknown_type("http://victim.test/users/nobody", 1);

    // A key id that failed is not fetched again while its failure is remembered.
    let first = signer("http://victim.test/keys/0".into());
    assert_eq!(world.post(ALICE_INBOX, &activity, &first).await, 401);
    assert_eq!(world.post(ALICE_INBOX, &activity, &first).await, 401);
    assert_eq!(world.remote.requests("victim.test", "/keys/0"), 1, "the failure is cached");

    // 200 POSTs, each naming a new key on the victim: at most the budget is fetched.
    let mut statuses = HashMap::<u16, u32>::new();
    for i in 1..=200 {
        *statuses
            .entry(world.post(ALICE_INBOX, &activity, &signer(format!("http://victim.test/keys/{i}"))).await)
            .or_default() += 1;
    }
    let fetched = world.remote.requests_to_host("victim.test");
    assert_eq!(fetched, u64::from(BUDGET), "fetches to the victim: {fetched}; answers {statuses:?}");
    assert_eq!(statuses.get(&429), Some(&(200 - (BUDGET - 1))), "past the budget: 429 without a fetch; {statuses:?}");
    assert_eq!(statuses.get(&401), Some(&(BUDGET - 1)), "{statuses:?}");
    // Another host has its own budget.
    let mallory = world.remote.actor("remote.test", "mallory");
    assert_eq!(world.post(ALICE_INBOX, &unknown_type(&mallory.id, 2), &mallory.signer).await, 202);
    assert_eq!(world.stored().await, 0);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_many_concurrent_requests_for_a_stale_key_fetch_it_once() {
    let world = start().await;
    let mallory = world.remote.actor("remote.test", "mallory");
    assert_eq!(world.post(ALICE_INBOX, &unknown_type(&mallory.id, 0), &mallory.signer).await, 202);
    assert_eq!(world.remote.requests("remote.test", "/users/mallory"), 1);
    // Mallory's server rotates its key, and the cached copy is old enough to be fetched again.
    // Its server is slow, so that the requests overlap the fetch they cause.
    let rotated = mallory.rotated();
    world.remote.publish(&rotated);
    world.remote.delay("remote.test", "/users/mallory", Duration::from_millis(1500));
    {
        let mut conn = world.app.database.pool().get().await.unwrap();
        diesel::sql_query("UPDATE accounts SET fetched_at = now() - interval '10 minutes' WHERE uri IS NOT NULL")
            .execute(&mut conn)
            .await
            .unwrap();
    }
    const CONCURRENT: u32 = 400;
    let world = Arc::new(world);
    let posts = (0..CONCURRENT).map(|i| {
        let world = Arc::clone(&world);
        let signer = Arc::clone(&rotated.signer);
        let id = rotated.id.clone();
        tokio::spawn(async move { world.post(ALICE_INBOX, &unknown_type(&id, i + 1), &signer).await })
    });
    let answers: Vec<u16> = futures_util::future::join_all(posts).await.into_iter().map(|r| r.unwrap()).collect();
    assert!(answers.iter().all(|&s| s == 202), "{:?}", answers.iter().filter(|&&s| s != 202).collect::<Vec<_>>());
    assert_eq!(
        world.remote.requests("remote.test", "/users/mallory"),
        2,
        "{CONCURRENT} concurrent requests with the new key refetched the actor once"
    );
    let world = Arc::into_inner(world).unwrap_or_else(|| panic!("posts still hold the world"));
    world.stop().await;
}

#[tokio::test]
async fn hostile_a_blocked_servers_content_does_not_arrive_through_a_third_server() {
    let world = start().await;
    let alice = world.login("a.test", "alice").await;
    let booster = world.remote.actor("remote.test", "booster");
    world.follow_accepted(&alice, ALICE, &booster).await;
    // other.test hosts a note and an author; it is blocked for a.test.
    let author = world.remote.actor("other.test", "troll");
    let note_id = "http://other.test/users/troll/statuses/1";
    world.remote.put(
        "other.test",
        "/users/troll/statuses/1",
        json!({"@context": "https://www.w3.org/ns/activitystreams", "id": note_id, "type": "Note",
               "attributedTo": author.id, "content": "<p>blocked content</p>",
               "to": ["https://www.w3.org/ns/activitystreams#Public"], "published": "2026-12-01T00:00:00Z"}),
    );
    world.block("a.test", "other.test").await;
    let before = world.remote.requests_to_host("other.test");

    // A boost by a server that is not blocked, of the blocked server's note.
    let boost = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{}/statuses/9/activity", booster.id),
        "type": "Announce", "actor": booster.id, "object": note_id,
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [format!("{}/followers", booster.id)]});
    assert_eq!(world.post(ALICE_INBOX, &boost.to_string(), &booster.signer).await, 202);
    // A Create by the third server carrying (embedded) the blocked server's note.
    let carried = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{}/statuses/10/activity", booster.id),
        "type": "Create", "actor": booster.id,
        "object": {"id": note_id, "type": "Note", "attributedTo": author.id, "content": "<p>blocked content</p>",
                   "to": ["https://www.w3.org/ns/activitystreams#Public"]},
        "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    assert_eq!(world.post(ALICE_INBOX, &carried.to_string(), &booster.signer).await, 202);
    world.process().await;

    assert_eq!(world.remote.requests_to_host("other.test") - before, 0, "nothing was fetched from the blocked server");
    assert_eq!(world.statuses_with_uri(note_id).await, 0, "nothing of it was stored");
    let home: Value = alice.get_json("/api/v1/timelines/home").await;
    assert_eq!(home.as_array().unwrap().len(), 0, "{home}");
    // Its accounts are not looked up either.
    let found = alice.get_json("/api/v2/search?q=troll@other.test&resolve=true&type=accounts").await;
    assert_eq!(found["accounts"].as_array().unwrap().len(), 0, "{found}");
    assert_eq!(world.remote.requests_to_host("other.test") - before, 0);

    // The same boost of a server that is not blocked arrives (the test can fail).
    let fine_id = format!("{}/statuses/2", booster.id);
    world.remote.put(
        "remote.test",
        "/users/booster/statuses/2",
        json!({"@context": "https://www.w3.org/ns/activitystreams", "id": fine_id, "type": "Note",
               "attributedTo": booster.id, "content": "<p>fine</p>",
               "to": ["https://www.w3.org/ns/activitystreams#Public"]}),
    );
    let boost = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{}/statuses/11/activity", booster.id),
        "type": "Announce", "actor": booster.id, "object": fine_id,
        "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    assert_eq!(world.post(ALICE_INBOX, &boost.to_string(), &booster.signer).await, 202);
    world.process().await;
    assert_eq!(world.statuses_with_uri(&fine_id).await, 1);
    world.stop().await;
}

#[tokio::test]
async fn hostile_tampered_stale_and_foreign_signatures_are_401_and_store_nothing() {
    let world = start().await;
    let mallory = world.remote.actor("remote.test", "mallory");
    let client = world.app.client();
    let valid = unknown_type(&mallory.id, 1);
    let follow =
        json!({"id": format!("{}#follows/1", mallory.id), "type": "Follow", "actor": mallory.id, "object": ALICE})
            .to_string();
    // Signs a POST as remote servers do, for replaying with changes.
    let headers = |body: &str| -> Vec<(String, String)> {
        let request_headers = [("host", "a.test"), ("content-type", "application/activity+json")];
        let parts = RequestParts {
            method: "POST",
            scheme: "http",
            authority: "a.test",
            path_and_query: "/users/alice/inbox",
            headers: &request_headers,
            body: body.as_bytes(),
        };
        let mut signed: Vec<(String, String)> = mallory
            .signer
            .sign_cavage(&parts, SystemTime::now())
            .unwrap()
            .into_iter()
            .map(|(name, value)| (name.to_string(), value))
            .collect();
        signed.push(("content-type".into(), "application/activity+json".into()));
        signed
    };
    let send = |headers: Vec<(String, String)>, body: String| {
        let mut request = client.post(world.app.url("a.test", "/users/alice/inbox")).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // The same request, unchanged, is accepted (so each refusal below is the change's doing).
    assert_eq!(send(headers(&valid), valid.clone()).await, 202);
    // The body changed after signing (the digest no longer matches).
    let tampered = follow.replace("Follow", "Block");
    assert_eq!(send(headers(&follow), tampered).await, 401);
    // The digest header recomputed for the new body, the signature left as it was.
    let mut forged = headers(&follow);
    let other_digest = headers(&valid).into_iter().find(|(n, _)| n.eq_ignore_ascii_case("digest")).unwrap();
    forged.retain(|(n, _)| !n.eq_ignore_ascii_case("digest"));
    forged.push(other_digest);
    assert_eq!(send(forged, valid.clone()).await, 401);
    // A stale Date (an old capture replayed).
    let mut stale = headers(&follow);
    for (name, value) in &mut stale {
        if name.eq_ignore_ascii_case("date") {
            *value = "Mon, 01 Jan 2024 00:00:00 GMT".into();
        }
    }
    assert_eq!(send(stale, follow.clone()).await, 401);
    // A key id on the actor's server that is not the actor's key.
    let stranger = fresh_signer("http://remote.test/users/other#main-key");
    assert_eq!(world.post(ALICE_INBOX, &follow, &stranger).await, 401);
    // A key id on this very host (a local actor's key, which never signs over HTTP).
    let local = fresh_signer("http://a.test/users/alice#main-key");
    assert_eq!(world.post(ALICE_INBOX, &follow, &local).await, 401);
    // Deeply nested JSON: refused as a bad request, without a crash.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(world.post(ALICE_INBOX, &deep, &mallory.signer).await, 400);
    let nested_object = format!(
        r#"{{"id":"{}#deep","type":"Follow","actor":"{}","object":{}"x"{}}}"#,
        mallory.id,
        mallory.id,
        "{\"a\":".repeat(5_000),
        "}".repeat(5_000)
    );
    let status = world.post(ALICE_INBOX, &nested_object, &mallory.signer).await;
    assert_eq!(status, 400, "{status}");
    assert_eq!(world.stored().await, 0);
    // The server still works.
    assert_eq!(world.post(ALICE_INBOX, &follow, &mallory.signer).await, 202);
    assert_eq!(world.stored().await, 1);
    world.stop().await;
}

#[tokio::test]
async fn hostile_key_ids_pointing_at_private_addresses_are_never_fetched() {
    // This app refuses private addresses as production does; the names below resolve to loopback.
    let world = start_with(|settings| settings.fetch.allow_private_addresses = false).await;
    let pair = generate_rsa_keypair(2048).unwrap();
    for key_id in [
        "http://victim.test/users/x#main-key",
        "http://127.0.0.1:5432/users/x#main-key",
        "http://[::1]/users/x#main-key",
        "http://localhost/users/x#main-key",
        "file:///etc/passwd#main-key",
    ] {
        let signer = Arc::new(Signer::from_rsa_pkcs8_der(key_id, &pair.private_pkcs8_der).unwrap());
        assert_eq!(
            world.post(ALICE_INBOX, &unknown_type("http://victim.test/users/x", 1), &signer).await,
            401,
            "{key_id}"
        );
    }
    assert_eq!(world.remote.requests_to_host("victim.test"), 0, "no connection was made");
    assert_eq!(world.stored().await, 0);
    world.stop().await;
}
