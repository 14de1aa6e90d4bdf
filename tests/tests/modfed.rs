//! Moderation across servers (issue #13, "modfed"): deleting a local account
//! federates a signed `Delete` of its actor and leaves a tombstone (410); a
//! remote `Delete` of an actor removes that account's follows and posts
//! here; limited federation refuses every server off the allow list, in and
//! out, for the tenant that turned it on only.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kereru_delivery::http::{FetchSettings, Fetcher};
use kereru_delivery::worker::{Worker, WorkerSettings};
use kereru_store::roles::Role;
use kereru_store::schema::{accounts, admin_actions, deliveries, delivery_activities, follows, statuses};
use kereru_tests::inbox::{Answer, MockInboxes};
use kereru_tests::oauth::{access_token, password_grant, register_app};
use kereru_tests::remote::RemoteActor;
use kereru_tests::seed::PASSWORD;
use kereru_tests::session::Session;
use kereru_tests::web::Browser;
use kereru_tests::{TestApp, World, install_crypto_provider};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

async fn staff_session(app: &TestApp, host: &str, username: &str) -> Session {
    let client = app.client();
    let scopes = "read write follow admin:read admin:write";
    let registered = register_app(
        &client,
        host,
        &[("client_name", "modfed"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", scopes)],
    )
    .await;
    let token = access_token(password_grant(&client, host, &registered, username, PASSWORD, scopes).await).await;
    let mut session = Session { client, host: host.to_string(), token, account_id: String::new() };
    let me = session.get_json("/api/v1/accounts/verify_credentials").await;
    session.account_id = me["id"].as_str().unwrap().to_string();
    session
}

fn worker_settings() -> WorkerSettings {
    WorkerSettings {
        concurrency: 4,
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

/// Runs the delivery worker against `inboxes` until `done` holds (or 20 s).
async fn deliver(world: &World, inboxes: &MockInboxes, done: impl Fn(&MockInboxes) -> bool) {
    install_crypto_provider();
    let fetcher = Arc::new(
        Fetcher::new(&FetchSettings {
            allow_private_addresses: true,
            system_dns: false,
            resolve: inboxes.resolve.clone(),
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
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
    while !done(inboxes) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    let _ = task.await;
}

/// Queued activities of `type_` with the inboxes each goes to.
async fn queued(world: &World, type_: &str) -> Vec<(Value, Vec<String>)> {
    let mut conn = world.pool.get().await.unwrap();
    let rows: Vec<(i64, String)> = delivery_activities::table
        .select((delivery_activities::id, delivery_activities::body))
        .order(delivery_activities::id.asc())
        .load(&mut conn)
        .await
        .unwrap();
    let mut out = Vec::new();
    for (id, body) in rows {
        let value: Value = serde_json::from_str(&body).unwrap();
        if value["type"] != type_ {
            continue;
        }
        let mut inboxes: Vec<String> = deliveries::table
            .filter(deliveries::activity_id.eq(id))
            .select(deliveries::inbox)
            .load(&mut conn)
            .await
            .unwrap();
        inboxes.sort();
        out.push((value, inboxes));
    }
    out
}

fn follow(actor: &RemoteActor, n: u32, object: &str) -> String {
    json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{}#follows/{n}", actor.id),
           "type": "Follow", "actor": actor.id, "object": object})
    .to_string()
}

/// Makes `actor` findable by handle and resolves it from `session`; its id here.
async fn resolve(world: &kereru_tests::federation::FederatedWorld, session: &Session, actor: &RemoteActor) -> String {
    world.remote.put(
        &actor.host,
        "/.well-known/webfinger",
        json!({"subject": format!("acct:{}@{}", actor.name, actor.host),
               "links": [{"rel": "self", "type": "application/activity+json", "href": actor.id}]}),
    );
    let found =
        session.get_json(&format!("/api/v2/search?q={}@{}&resolve=true&type=accounts", actor.name, actor.host)).await;
    found["accounts"][0]["id"].as_str().unwrap_or_else(|| panic!("{} not found: {found}", actor.id)).to_string()
}

#[tokio::test]
async fn a_deleted_account_federates_a_signed_delete_and_its_actor_is_gone() {
    let follower_host = MockInboxes::host(0);
    let mentioned_host = MockInboxes::host(1);
    let world = World::new()
        .tenant("a.test")
        .user("a.test", "alice")
        .staff("a.test", "boss", Role::Admin)
        .start_federated(&[&follower_host, &mentioned_host], &[])
        .await;
    let alice_actor = "http://a.test/users/alice";
    // bob (on inbox-0.test) follows alice; alice writes to carol (on inbox-1.test).
    let bob = world.remote.actor(&follower_host, "bob");
    assert_eq!(world.post("http://a.test/users/alice/inbox", &follow(&bob, 1, alice_actor), &bob.signer).await, 202);
    world.process().await;
    let alice = world.login("a.test", "alice").await;
    let carol = world.remote.actor(&mentioned_host, "carol");
    resolve(&world, &alice, &carol).await;
    alice.toot(&format!("hello @carol@{mentioned_host}"), "direct").await;

    // alice's key, as other servers know it.
    let doc: Value = world
        .app
        .client()
        .get(alice_actor)
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key_id = doc["publicKey"]["id"].as_str().unwrap().to_string();
    let pem = doc["publicKey"]["publicKeyPem"].as_str().unwrap().to_string();

    let boss = staff_session(&world.app, "a.test", "boss").await;
    let alice_id = alice.account_id.clone();
    boss.post_json(&format!("/api/v1/admin/accounts/{alice_id}/action"), &[("type", "suspend")]).await;
    let deleted = boss.delete(&format!("/api/v1/admin/accounts/{alice_id}")).await;
    assert_eq!(deleted.status(), StatusCode::OK);

    // One Delete of the actor, to everyone, for the follower's and the mentioned server's inboxes.
    let deletes = queued(&world, "Delete").await;
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    let (delete, inboxes) = &deletes[0];
    assert_eq!(delete["actor"], alice_actor);
    assert_eq!(delete["object"], alice_actor);
    assert_eq!(delete["to"], json!([PUBLIC]));
    assert_eq!(inboxes, &vec![MockInboxes::inbox(0), MockInboxes::inbox(1)]);

    // The actor is gone for good; the account is nowhere, the name not reusable.
    let gone = world.app.client().get(alice_actor).header("Accept", "application/activity+json").send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::GONE);
    let other = world
        .app
        .client()
        .get("http://a.test/users/nobody")
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND, "an unknown name stays 404");
    assert_eq!(boss.get(&format!("/api/v1/admin/accounts/{alice_id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(boss.get("/api/v1/accounts/lookup?acct=alice").await.status(), StatusCode::NOT_FOUND);
    let listed = boss.get_json("/api/v1/admin/accounts?local=true").await;
    assert!(!listed.to_string().contains("\"alice\""), "{listed}");
    {
        let mut conn = world.pool.get().await.unwrap();
        let left: i64 = statuses::table
            .filter(statuses::account_id.eq(alice_id.parse::<i64>().unwrap()))
            .count()
            .get_result(&mut conn)
            .await
            .unwrap();
        assert_eq!(left, 0, "her posts are gone");
        let follows_left: i64 = follows::table
            .filter(follows::target_account_id.eq(alice_id.parse::<i64>().unwrap()))
            .count()
            .get_result(&mut conn)
            .await
            .unwrap();
        assert_eq!(follows_left, 0, "her followers are gone");
    }

    // Both servers receive it, signed with alice's own key.
    let inboxes = MockInboxes::start(2, 1, 1, Arc::new(|_, _| Answer::status(202)));
    inboxes.trust(&key_id, &pem);
    deliver(&world, &inboxes, |i| i.accepted(0) >= 1 && i.accepted(1) >= 1).await;
    assert_eq!(inboxes.accepted(0), 1, "the follower's server got the Delete");
    assert_eq!(inboxes.accepted(1), 1, "the mentioned account's server got the Delete");
    assert_eq!(inboxes.bad_signatures(), 0);
    inboxes.stop().await;
    world.stop().await;
}

#[tokio::test]
async fn a_remote_delete_of_an_actor_removes_its_follows_and_posts_here() {
    let world = World::new().tenant("a.test").user("a.test", "alice").start_federated(&["remote.test"], &[]).await;
    let alice_actor = "http://a.test/users/alice";
    let alice = world.login("a.test", "alice").await;
    let bob = world.remote.actor("remote.test", "bob");
    world.follow_accepted(&alice, alice_actor, &bob).await;
    assert_eq!(world.post("http://a.test/users/alice/inbox", &follow(&bob, 1, alice_actor), &bob.signer).await, 202);
    let note = json!({"id": format!("{}/statuses/1/activity", bob.id), "type": "Create", "actor": bob.id,
        "object": {"id": format!("{}/statuses/1", bob.id), "type": "Note", "attributedTo": bob.id,
                   "content": "<p>hi</p>", "to": [PUBLIC]}});
    assert_eq!(world.post("http://a.test/inbox", &note.to_string(), &bob.signer).await, 202);
    world.process().await;
    assert_eq!(world.statuses_with_uri(&format!("{}/statuses/1", bob.id)).await, 1);
    let me = alice.get_json(&format!("/api/v1/accounts/{}", alice.account_id)).await;
    assert_eq!(me["followers_count"], 1, "{me}");
    assert_eq!(me["following_count"], 1, "{me}");

    // Someone else cannot delete bob.
    let mallory = world.remote.actor("remote.test", "mallory");
    let forged = json!({"id": format!("{}#delete", mallory.id), "type": "Delete", "actor": mallory.id,
                        "object": bob.id, "to": [PUBLIC]});
    world.post("http://a.test/inbox", &forged.to_string(), &mallory.signer).await;
    world.process().await;
    assert_eq!(world.statuses_with_uri(&format!("{}/statuses/1", bob.id)).await, 1, "a forged Delete changes nothing");

    let delete = json!({"id": format!("{}#delete", bob.id), "type": "Delete", "actor": bob.id,
                        "object": bob.id, "to": [PUBLIC]});
    assert_eq!(world.post("http://a.test/inbox", &delete.to_string(), &bob.signer).await, 202);
    world.process().await;
    assert_eq!(world.statuses_with_uri(&format!("{}/statuses/1", bob.id)).await, 0, "his posts are gone");
    let me = alice.get_json(&format!("/api/v1/accounts/{}", alice.account_id)).await;
    assert_eq!(me["followers_count"], 0, "{me}");
    assert_eq!(me["following_count"], 0, "{me}");
    let mut conn = world.pool.get().await.unwrap();
    let left: i64 = accounts::table.filter(accounts::uri.eq(&bob.id)).count().get_result(&mut conn).await.unwrap();
    assert_eq!(left, 0);
    drop(conn);
    world.stop().await;
}

#[tokio::test]
async fn limited_federation_refuses_servers_off_the_allow_list_in_and_out() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("b.test", "bea")
        .staff("a.test", "boss", Role::Admin)
        .staff("a.test", "mod", Role::Moderator)
        .staff("b.test", "boss", Role::Admin)
        .start_federated(&["friend.test", "stranger.test"], &[])
        .await;
    let alice_actor = "http://a.test/users/alice";
    let friend = world.remote.actor("friend.test", "fred");
    let stranger = world.remote.actor("stranger.test", "sam");
    // Before: both follow alice.
    for (n, actor) in [(1, &friend), (2, &stranger)] {
        assert_eq!(
            world.post("http://a.test/users/alice/inbox", &follow(actor, n, alice_actor), &actor.signer).await,
            202
        );
    }
    world.process().await;

    // A moderator cannot switch it; an admin of a.test can, on the settings page.
    let moderator = Browser::new(&world.app, "a.test");
    moderator.sign_in("mod").await;
    let refused = moderator.get("/admin/settings").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let admin = Browser::new(&world.app, "a.test");
    admin.sign_in("boss").await;
    let page = admin.get("/admin/settings").await;
    assert!(page.body.contains("name=\"limited_federation\""), "{}", page.body);
    assert!(
        !page
            .body
            .contains("name=\"limited_federation\" value=\"on\" aria-describedby=\"limited_federation-hint\" checked")
    );
    let token = page.csrf_token();
    let forged = moderator
        .post("/admin/settings/federation", &[("authenticity_token", "nope"), ("limited_federation", "on")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let saved = admin
        .post("/admin/settings/federation", &[("authenticity_token", token.as_str()), ("limited_federation", "on")])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = admin.get("/admin/settings").await;
    assert!(page.body.contains("aria-describedby=\"limited_federation-hint\" checked"), "{}", page.body);
    {
        let mut conn = world.pool.get().await.unwrap();
        let rows: Vec<(Option<i64>, String)> = admin_actions::table
            .filter(admin_actions::action.eq("enable_limited_federation"))
            .select((admin_actions::domain_id, admin_actions::actor_label))
            .load(&mut conn)
            .await
            .unwrap();
        assert_eq!(rows, vec![(Some(world.domain("a.test").id.0), "@boss@a.test".to_string())]);
        kereru_store::domain_allows::create(&mut conn, Some(world.domain("a.test").id), "friend.test").await.unwrap();
    }

    // Inbound: the stranger is refused at a.test's inboxes, the friend is not; b.test is not limited.
    assert_eq!(
        world.post("http://a.test/users/alice/inbox", &follow(&stranger, 3, alice_actor), &stranger.signer).await,
        403
    );
    assert_eq!(world.post("http://a.test/inbox", &follow(&stranger, 4, alice_actor), &stranger.signer).await, 403);
    assert_eq!(
        world.post("http://a.test/users/alice/inbox", &follow(&friend, 5, alice_actor), &friend.signer).await,
        202
    );
    assert_eq!(
        world
            .post("http://b.test/users/bea/inbox", &follow(&stranger, 6, "http://b.test/users/bea"), &stranger.signer)
            .await,
        202
    );
    world.process().await;

    // Outbound: alice's post is queued for the friend's server only.
    let alice = world.login("a.test", "alice").await;
    alice.toot("only friends hear this", "public").await;
    let creates = queued(&world, "Create").await;
    assert_eq!(creates.len(), 1, "{creates:?}");
    assert_eq!(creates[0].1, vec!["http://friend.test/inbox".to_string()]);

    // Lookups: the stranger's accounts are not fetched for a.test.
    world.remote.put(
        "stranger.test",
        "/.well-known/webfinger",
        json!({"subject": "acct:zed@stranger.test",
               "links": [{"rel": "self", "type": "application/activity+json", "href": "http://stranger.test/users/zed"}]}),
    );
    world.remote.actor("stranger.test", "zed");
    let found = alice.get_json("/api/v2/search?q=zed@stranger.test&resolve=true&type=accounts").await;
    assert!(found["accounts"].as_array().unwrap().is_empty(), "{found}");
    let bea = world.login("b.test", "bea").await;
    let found = bea.get_json("/api/v2/search?q=zed@stranger.test&resolve=true&type=accounts").await;
    assert_eq!(found["accounts"].as_array().unwrap().len(), 1, "b.test still federates: {found}");

    // Switched off again: the stranger is heard.
    {
        let mut conn = world.pool.get().await.unwrap();
        let by = kereru_service::limited_federation::Switcher::CommandLine;
        assert!(
            kereru_service::limited_federation::set(&mut conn, world.domain("a.test").id, "a.test", by, false)
                .await
                .unwrap()
        );
    }
    assert_eq!(
        world.post("http://a.test/users/alice/inbox", &follow(&stranger, 7, alice_actor), &stranger.signer).await,
        202
    );
    world.stop().await;
}
