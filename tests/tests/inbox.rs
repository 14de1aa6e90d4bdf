//! The inbox against hostile input, and what it promises: a stand-in for a
//! remote server (remote.test, with its own keys) signs activities and
//! posts them to a real Kererū with two tenants. Bad requests get a clear
//! status and change nothing; accepted ones are stored before the 202 and
//! processed once; embedded objects from another origin are fetched from
//! there; a rotated key is fetched again; followers-only objects are served
//! to signed fetches of followers only.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kereru_store::schema::{favourites, follows, inbound_activities, statuses};
use kereru_tests::remote::{RemoteActor, fresh_signer};
use kereru_tests::{FederatedWorld, Session, World};
use serde_json::{Value, json};
use std::sync::Arc;

/// a.test with alice and c.test with carol; remote.test and other.test are
/// the remote stand-in; slow.test accepts connections and never answers.
async fn start() -> FederatedWorld {
    World::new()
        .tenant("a.test")
        .tenant("c.test")
        .user("a.test", "alice")
        .user("c.test", "carol")
        .start_federated(&["remote.test", "other.test"], &["slow.test"])
        .await
}

async fn favourites(world: &FederatedWorld) -> i64 {
    let mut conn = world.pool.get().await.unwrap();
    favourites::table.count().get_result(&mut conn).await.unwrap()
}

async fn follows(world: &FederatedWorld) -> i64 {
    let mut conn = world.pool.get().await.unwrap();
    follows::table.count().get_result(&mut conn).await.unwrap()
}

/// Alice follows `actor` (on remote.test) through the client API, and its server accepts.
async fn follow_accepted(world: &FederatedWorld, alice: &Session, actor: &RemoteActor) {
    let relationship = world.follow_accepted(alice, ALICE, actor).await;
    assert_eq!(relationship["requested"], true, "a remote follow waits for the Accept");
}

fn follow(actor: &RemoteActor, id: &str, object: &str) -> String {
    json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{}#follows/{id}", actor.id), "type": "Follow", "actor": actor.id, "object": object}).to_string()
}

const ALICE: &str = "http://a.test/users/alice";
const ALICE_INBOX: &str = "http://a.test/users/alice/inbox";

#[tokio::test]
async fn bad_requests_to_an_inbox_get_a_clear_status_and_change_nothing() {
    let world = start().await;
    let mallory = world.remote.actor("remote.test", "mallory");
    let client = world.app.client();
    let valid = follow(&mallory, "1", ALICE);

    // Unsigned.
    let unsigned = client
        .post(world.app.url("a.test", "/users/alice/inbox"))
        .header("Content-Type", "application/activity+json")
        .body(valid.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    let body: Value = unsigned.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("not signed"), "{body}");

    // Signed with a key that is not the actor's (same key id, another key pair).
    let forger = fresh_signer(mallory.signer.key_id());
    assert_eq!(world.post(ALICE_INBOX, &valid, &forger).await, 401);
    // Not JSON, and JSON that is not an activity.
    assert_eq!(world.post(ALICE_INBOX, "{not json", &mallory.signer).await, 400);
    let note = json!({"id": "http://remote.test/notes/1", "type": "Note", "content": "hi", "attributedTo": mallory.id});
    assert_eq!(world.post(ALICE_INBOX, &note.to_string(), &mallory.signer).await, 400);
    // Signed by mallory, claiming to be someone else.
    let zoe = world.remote.actor("other.test", "zoe");
    assert_eq!(world.post(ALICE_INBOX, &follow(&zoe, "2", ALICE), &mallory.signer).await, 401);
    // An activity whose id is on another server than its actor.
    let foreign = json!({"id": "http://other.test/follows/1", "type": "Follow", "actor": mallory.id, "object": ALICE});
    assert_eq!(world.post(ALICE_INBOX, &foreign.to_string(), &mallory.signer).await, 400);
    // Over 1 MiB.
    let big = json!({"id": format!("{}#big", mallory.id), "type": "Follow", "actor": mallory.id, "object": ALICE, "padding": "x".repeat(1024 * 1024)});
    assert_eq!(world.post(ALICE_INBOX, &big.to_string(), &mallory.signer).await, 413);
    // An inbox of nobody.
    assert_eq!(world.post("http://a.test/users/nobody/inbox", &valid, &mallory.signer).await, 404);
    // A blocked domain, however well signed.
    world.block("a.test", "remote.test").await;
    assert_eq!(world.post(ALICE_INBOX, &valid, &mallory.signer).await, 403);
    // ...for that tenant only: c.test still takes it.
    assert_eq!(
        world.post("http://c.test/inbox", &follow(&mallory, "3", "http://c.test/users/carol"), &mallory.signer).await,
        202
    );

    assert_eq!(world.stored().await, 1, "only the last, valid activity was stored");
    world.process().await;
    assert_eq!(follows(&world).await, 1);
    world.stop().await;
}

#[tokio::test]
async fn an_accepted_activity_is_stored_before_the_answer_and_processed_once() {
    let world = start().await;
    let mallory = world.remote.actor("remote.test", "mallory");
    let activity = follow(&mallory, "1", ALICE);
    assert_eq!(world.post(ALICE_INBOX, &activity, &mallory.signer).await, 202);
    // Stored, not yet processed: nothing runs the processor in this app.
    assert_eq!(world.stored().await, 1);
    assert_eq!(follows(&world).await, 0);
    // The same activity again (a redelivery), also through the shared inbox.
    assert_eq!(world.post(ALICE_INBOX, &activity, &mallory.signer).await, 202);
    assert_eq!(world.post("http://a.test/inbox", &activity, &mallory.signer).await, 202);
    assert_eq!(world.stored().await, 1, "one row per tenant and activity id");
    world.process().await;
    world.process().await;
    assert_eq!(follows(&world).await, 1);
    let alice = world.login("a.test", "alice").await;
    let notifications = alice.get_json("/api/v1/notifications").await;
    let follows: Vec<&Value> = notifications.as_array().unwrap().iter().filter(|n| n["type"] == "follow").collect();
    assert_eq!(follows.len(), 1, "{notifications}");
    assert_eq!(follows[0]["account"]["acct"], "mallory@remote.test");
    // The Accept is queued for mallory's inbox, signed as alice.
    let mut conn = world.app.database.pool().get().await.unwrap();
    let accepts: Vec<String> = kereru_store::schema::deliveries::table
        .select(kereru_store::schema::deliveries::inbox)
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(accepts, vec!["http://remote.test/users/mallory/inbox".to_string()]);

    // Finished activities are pruned after the retention; queued ones never are.
    assert_eq!(world.post(ALICE_INBOX, &follow(&mallory, "2", ALICE), &mallory.signer).await, 202);
    diesel::sql_query("UPDATE inbound_activities SET processed_at = now() - interval '3 days' WHERE state = 'done'")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(kereru_store::inbound::prune(&mut conn, 48, 1000).await.unwrap(), 1);
    let left: Vec<String> = inbound_activities::table.select(inbound_activities::state).load(&mut conn).await.unwrap();
    assert_eq!(left, vec!["queued".to_string()]);
    drop(conn);
    world.stop().await;
}

#[tokio::test]
async fn objects_are_trusted_from_their_origin_only_and_deletes_from_their_author_only() {
    let world = start().await;
    let mallory = world.remote.actor("remote.test", "mallory");
    let zoe = world.remote.actor("other.test", "zoe");
    let alice = world.login("a.test", "alice").await;
    follow_accepted(&world, &alice, &mallory).await;
    // Zoe's note, as her server serves it.
    let zoe_note_id = "http://other.test/users/zoe/statuses/1";
    world.remote.put(
        "other.test",
        "/users/zoe/statuses/1",
        json!({"id": zoe_note_id, "type": "Note", "attributedTo": zoe.id, "content": "<p>the real words</p>",
               "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": []}),
    );
    // Mallory announces it, embedding a forged copy: the copy is not trusted, the origin is asked.
    let announce = json!({"id": format!("{}/statuses/9/activity", mallory.id), "type": "Announce", "actor": mallory.id,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {"id": zoe_note_id, "type": "Note", "attributedTo": zoe.id, "content": "<p>forged words</p>",
                   "to": ["https://www.w3.org/ns/activitystreams#Public"]}});
    assert_eq!(world.post(ALICE_INBOX, &announce.to_string(), &mallory.signer).await, 202);
    // Mallory also creates a note claiming to be on another origin: refused when processed.
    let create = json!({"id": format!("{}/statuses/10/activity", mallory.id), "type": "Create", "actor": mallory.id,
        "object": {"id": "http://other.test/notes/1", "type": "Note", "attributedTo": mallory.id, "content": "x",
                   "to": ["https://www.w3.org/ns/activitystreams#Public"]}});
    assert_eq!(world.post(ALICE_INBOX, &create.to_string(), &mallory.signer).await, 202);
    world.process().await;
    let mut conn = world.app.database.pool().get().await.unwrap();
    let content: String =
        statuses::table.filter(statuses::uri.eq(zoe_note_id)).select(statuses::content).first(&mut conn).await.unwrap();
    assert!(content.contains("the real words") && !content.contains("forged"), "{content}");
    let foreign: i64 = statuses::table
        .filter(statuses::uri.eq("http://other.test/notes/1"))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(foreign, 0);
    let state: String = inbound_activities::table
        .filter(inbound_activities::activity_uri.eq(format!("{}/statuses/10/activity", mallory.id)))
        .select(inbound_activities::state)
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(state, "failed", "its origin does not have it: given up, not retried");

    // Mallory deletes zoe's note: ignored. Zoe deletes it: gone.
    let delete = |actor: &RemoteActor, n: u32| {
        json!({"id": format!("{}#delete/{n}", actor.id), "type": "Delete", "actor": actor.id,
               "object": {"id": zoe_note_id, "type": "Tombstone"}})
        .to_string()
    };
    assert_eq!(world.post(ALICE_INBOX, &delete(&mallory, 1), &mallory.signer).await, 202);
    world.process().await;
    assert_eq!(world.statuses_with_uri(zoe_note_id).await, 1, "a Delete of someone else's object is ignored");
    assert_eq!(world.post(ALICE_INBOX, &delete(&zoe, 2), &zoe.signer).await, 202);
    world.process().await;
    assert_eq!(world.statuses_with_uri(zoe_note_id).await, 0);
    drop(conn);
    world.stop().await;
}

#[tokio::test]
async fn a_rotated_key_is_fetched_again_and_an_old_one_no_longer_verifies() {
    let world = start().await;
    let mallory = world.remote.actor("remote.test", "mallory");
    assert_eq!(world.post(ALICE_INBOX, &follow(&mallory, "1", ALICE), &mallory.signer).await, 202);
    // Mallory's server rotates the key; the cached one is older than the refetch guard only after a while,
    // so age the cache as time would.
    let rotated = mallory.rotated();
    world.remote.publish(&rotated);
    {
        let mut conn = world.app.database.pool().get().await.unwrap();
        diesel::sql_query("UPDATE accounts SET fetched_at = now() - interval '2 minutes' WHERE uri IS NOT NULL")
            .execute(&mut conn)
            .await
            .unwrap();
    }
    assert_eq!(world.post(ALICE_INBOX, &follow(&mallory, "2", ALICE), &rotated.signer).await, 202);
    // The old key is now refused (the fresh copy is not fetched again at once).
    assert_eq!(world.post(ALICE_INBOX, &follow(&mallory, "3", ALICE), &mallory.signer).await, 401);
    assert_eq!(world.stored().await, 2);
    world.stop().await;
}

#[tokio::test]
async fn activities_act_on_the_receiving_tenant_only() {
    let world = start().await;
    let mallory = world.remote.actor("remote.test", "mallory");
    let carol = world.login("c.test", "carol").await;
    let posted = carol.post_json("/api/v1/statuses", &[("status", "carol's words")]).await;
    let uri = posted["uri"].as_str().unwrap();
    // A Like of carol's status, sent to a.test's inbox, does nothing; sent to c.test's, it counts.
    let like = |n: u32| {
        json!({"id": format!("{}#likes/{n}", mallory.id), "type": "Like", "actor": mallory.id, "object": uri})
            .to_string()
    };
    assert_eq!(world.post("http://a.test/inbox", &like(1), &mallory.signer).await, 202);
    world.process().await;
    assert_eq!(favourites(&world).await, 0);
    // A Follow of carol through a.test's inbox neither.
    assert_eq!(
        world.post("http://a.test/inbox", &follow(&mallory, "1", "http://c.test/users/carol"), &mallory.signer).await,
        202
    );
    world.process().await;
    assert_eq!(follows(&world).await, 0);
    assert_eq!(world.post("http://c.test/inbox", &like(2), &mallory.signer).await, 202);
    world.process().await;
    assert_eq!(favourites(&world).await, 1);
    world.stop().await;
}

#[tokio::test]
async fn followers_only_statuses_are_served_to_signed_fetches_of_followers_only() {
    let world = start().await;
    let mallory = world.remote.actor("remote.test", "mallory");
    let zoe = world.remote.actor("other.test", "zoe");
    assert_eq!(world.post(ALICE_INBOX, &follow(&zoe, "1", ALICE), &zoe.signer).await, 202);
    world.process().await;
    let alice = world.login("a.test", "alice").await;
    let private = alice.post_json("/api/v1/statuses", &[("status", "for followers"), ("visibility", "private")]).await;
    let public = alice.post_json("/api/v1/statuses", &[("status", "for all")]).await;
    let private_uri = private["uri"].as_str().unwrap();
    let public_uri = public["uri"].as_str().unwrap();

    let unsigned = world.sender.get_activity_json(public_uri, None).await.unwrap();
    assert_eq!(unsigned.body["type"], "Note");
    assert_eq!(unsigned.body["id"], public_uri);
    assert!(unsigned.body["content"].as_str().unwrap().contains("for all"));
    assert!(world.sender.get_activity_json(private_uri, None).await.is_err(), "unsigned: not found");
    assert!(world.sender.get_activity_json(private_uri, Some(&mallory.signer)).await.is_err(), "not a follower");
    let seen = world.sender.get_activity_json(private_uri, Some(&zoe.signer)).await.unwrap();
    assert!(seen.body["content"].as_str().unwrap().contains("for followers"));
    assert_eq!(seen.body["to"], json!(["http://a.test/users/alice/followers"]));

    // The outbox shows the public one only; followers lists zoe.
    let outbox = world.sender.get_activity_json("http://a.test/users/alice/outbox?page=true", None).await.unwrap();
    let items = outbox.body["orderedItems"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", outbox.body);
    assert_eq!(items[0]["object"]["id"], public_uri);
    let followers =
        world.sender.get_activity_json("http://a.test/users/alice/followers?page=true", None).await.unwrap();
    assert_eq!(followers.body["orderedItems"], json!([zoe.id]));
    let collection = world.sender.get_activity_json("http://a.test/users/alice/followers", None).await.unwrap();
    assert_eq!(collection.body["totalItems"], 1);
    assert!(collection.body["first"].is_string());
    // With hide_collections the count stays, the pages go.
    let response = world
        .app
        .client()
        .patch(world.app.url("a.test", "/api/v1/accounts/update_credentials"))
        .bearer_auth(&alice.token)
        .form(&[("hide_collections", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["hide_collections"], true);
    let hidden = world.sender.get_activity_json("http://a.test/users/alice/followers?page=true", None).await.unwrap();
    assert_eq!(hidden.body["totalItems"], 1);
    assert!(hidden.body.get("first").is_none() && hidden.body.get("orderedItems").is_none(), "{}", hidden.body);
    world.stop().await;
}

#[tokio::test]
async fn blocks_reports_and_moves_from_remote_actors() {
    let world = start().await;
    let mallory = world.remote.actor("remote.test", "mallory");
    let zoe = world.remote.actor("other.test", "zoe");
    let alice = world.login("a.test", "alice").await;
    follow_accepted(&world, &alice, &mallory).await;
    let posted = alice.post_json("/api/v1/statuses", &[("status", "reportable")]).await;

    // A report about alice and her status, for a.test's moderators.
    let flag = json!({"id": format!("{}#flags/1", mallory.id), "type": "Flag", "actor": mallory.id,
        "object": [ALICE, posted["uri"]], "content": "spam"});
    assert_eq!(world.post("http://a.test/inbox", &flag.to_string(), &mallory.signer).await, 202);
    world.process().await;
    let mut conn = world.app.database.pool().get().await.unwrap();
    use kereru_store::schema::reports;
    let report: (String, Vec<i64>) =
        reports::table.select((reports::comment, reports::status_ids)).first(&mut conn).await.unwrap();
    assert_eq!(report.0, "spam");
    assert_eq!(report.1, vec![posted["id"].as_str().unwrap().parse::<i64>().unwrap()]);

    // Mallory moves to zoe, who names mallory as an alias: alice now asks to follow zoe instead.
    let mut zoe_doc = zoe.document();
    zoe_doc["alsoKnownAs"] = json!([mallory.id]);
    world.remote.put("other.test", "/users/zoe", zoe_doc);
    let moved = json!({"id": format!("{}#moves/1", mallory.id), "type": "Move", "actor": mallory.id,
        "object": mallory.id, "target": zoe.id});
    assert_eq!(world.post(ALICE_INBOX, &moved.to_string(), &mallory.signer).await, 202);
    world.process().await;
    let rows: Vec<(String, String)> = follows::table
        .inner_join(
            kereru_store::schema::accounts::table.on(kereru_store::schema::accounts::id.eq(follows::target_account_id)),
        )
        .select((kereru_store::schema::accounts::username, follows::state))
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows, vec![("zoe".to_string(), "requested".to_string())]);
    let queued: Vec<String> = kereru_store::schema::deliveries::table
        .select(kereru_store::schema::deliveries::inbox)
        .load(&mut conn)
        .await
        .unwrap();
    assert!(queued.contains(&"http://other.test/users/zoe/inbox".to_string()), "{queued:?}");

    // Zoe blocks alice: the follow request ends, and zoe's block is recorded.
    let block = json!({"id": format!("{}#blocks/1", zoe.id), "type": "Block", "actor": zoe.id, "object": ALICE});
    assert_eq!(world.post(ALICE_INBOX, &block.to_string(), &zoe.signer).await, 202);
    world.process().await;
    assert_eq!(follows(&world).await, 0);
    let blocks: i64 = kereru_store::schema::blocks::table.count().get_result(&mut conn).await.unwrap();
    assert_eq!(blocks, 1);
    drop(conn);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_whose_key_server_never_answers_do_not_starve_the_server() {
    let world = start().await;
    let slow = fresh_signer("http://slow.test/users/sloth#main-key");
    let world = Arc::new(world);
    // Twice as many as the app's database pool has connections, each waiting on slow.test.
    let mut posts = Vec::new();
    for n in 0..8 {
        let world = Arc::clone(&world);
        let slow = Arc::clone(&slow);
        posts.push(tokio::spawn(async move {
            let body = json!({"id": format!("http://slow.test/users/sloth#follows/{n}"), "type": "Follow",
                              "actor": "http://slow.test/users/sloth", "object": ALICE});
            world.post(ALICE_INBOX, &body.to_string(), &slow).await
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let instance = world.app.client().get(world.app.url("a.test", "/api/v1/instance")).send().await.unwrap();
    assert_eq!(instance.status().as_u16(), 200);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "the server waited {:?} for a connection",
        started.elapsed()
    );
    for post in posts {
        assert_eq!(post.await.unwrap(), 401, "a key that cannot be fetched verifies nothing");
    }
    assert_eq!(world.stored().await, 0);
}
