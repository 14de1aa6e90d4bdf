//! A person's own safety tools over the client API: content filters (v2 and
//! v1 on the same tables) in each context, hide against warn, whole words,
//! statuses, expiry and other people's filters out of reach; personal
//! domain blocks hiding a server from timelines, notifications and
//! streaming and removing its followers; mutes with a duration and with
//! notifications.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kereru_store::schema::{deliveries, delivery_activities, filters, mutes};
use kereru_tests::{FederatedWorld, Session, World};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::{Instant, timeout_at};

async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn send_json(session: &Session, method: reqwest::Method, path: &str, body: Value) -> (StatusCode, Value) {
    let url = format!("http://{}{path}", session.host);
    json_of(session.client.request(method, &url).bearer_auth(&session.token).json(&body).send().await.unwrap()).await
}

/// The status with `id` in a page of statuses, if there.
fn find<'a>(page: &'a Value, id: &str) -> Option<&'a Value> {
    page.as_array().unwrap().iter().find(|s| s["id"] == id)
}

fn titles(status: &Value) -> Vec<String> {
    status["filtered"].as_array().unwrap().iter().map(|r| r["filter"]["title"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn filters_warn_or_hide_in_their_contexts_only() {
    let world = World::new().tenant("a.test").user("a.test", "alice").user("a.test", "bob").start().await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    alice.post_json(&format!("/api/v1/accounts/{}/follow", bob.account_id), &[]).await;
    let cat = bob.toot("a cat sat on the #mat", "public").await;
    let concat = bob.toot("concatenate the strings", "public").await;
    let hotdog = bob.toot("hotdogs for lunch", "public").await;
    let mine = alice.toot("my cat is asleep", "public").await;

    // A whole-word keyword "cat", warn, at home and in public timelines.
    let (status, filter) = send_json(
        &alice,
        reqwest::Method::POST,
        "/api/v2/filters",
        json!({"title": "No cats", "context": ["home", "public"], "filter_action": "warn",
               "keywords_attributes": [{"keyword": "cat", "whole_word": true}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{filter}");
    assert_eq!(filter["title"], "No cats");
    assert_eq!(filter["context"], json!(["home", "public"]));
    assert_eq!(filter["filter_action"], "warn");
    assert_eq!(filter["expires_at"], Value::Null);
    assert_eq!(filter["keywords"][0]["keyword"], "cat");
    assert_eq!(filter["keywords"][0]["whole_word"], true);
    let filter_id = filter["id"].as_str().unwrap().to_string();

    for path in ["/api/v1/timelines/home", "/api/v1/timelines/public", "/api/v1/timelines/tag/mat"] {
        let page = alice.get_json(path).await;
        let hit = find(&page, &cat).unwrap_or_else(|| panic!("{path}: {page}"));
        assert_eq!(titles(hit), vec!["No cats"], "{path}");
        assert_eq!(hit["filtered"][0]["keyword_matches"], json!(["cat"]), "{path}");
        assert_eq!(hit["filtered"][0]["status_matches"], Value::Null, "{path}");
        assert_eq!(hit["filtered"][0]["filter"]["id"], filter_id.as_str(), "{path}");
        if path != "/api/v1/timelines/tag/mat" {
            // Part of a word is not the word; one's own posts are never filtered.
            assert_eq!(titles(find(&page, &concat).unwrap()), Vec::<String>::new(), "{path}");
            assert_eq!(titles(find(&page, &mine).unwrap()), Vec::<String>::new(), "{path}");
        }
    }
    // Not in the thread or account contexts; not for anyone else.
    assert_eq!(titles(&alice.get_json(&format!("/api/v1/statuses/{cat}")).await), Vec::<String>::new());
    let profile = alice.get_json(&format!("/api/v1/accounts/{}/statuses", bob.account_id)).await;
    assert_eq!(titles(find(&profile, &cat).unwrap()), Vec::<String>::new());
    let bobs_view = bob.get_json("/api/v1/timelines/public").await;
    assert_eq!(titles(find(&bobs_view, &cat).unwrap()), Vec::<String>::new());

    // Hide, and in every context: gone from timelines, the status view, threads and notifications.
    let (status, changed) = send_json(
        &alice,
        reqwest::Method::PUT,
        &format!("/api/v2/filters/{filter_id}"),
        json!({"filter_action": "hide", "context": ["home", "public", "thread", "account", "notifications"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["keywords"].as_array().unwrap().len(), 1, "the keywords stay: {changed}");
    let mention = bob.toot("@alice look, a cat", "public").await;
    let reply = bob
        .post_json("/api/v1/statuses", &[("status", "the cat again"), ("in_reply_to_id", concat.as_str())])
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    for path in ["/api/v1/timelines/home", "/api/v1/timelines/public", "/api/v1/timelines/tag/mat"] {
        let page = alice.get_json(path).await;
        assert!(find(&page, &cat).is_none() && find(&page, &mention).is_none(), "{path}: {page}");
    }
    let home = alice.get_json("/api/v1/timelines/home").await;
    assert!(find(&home, &concat).is_some() && find(&home, &mine).is_some(), "{home}");
    let profile = alice.get_json(&format!("/api/v1/accounts/{}/statuses", bob.account_id)).await;
    assert!(find(&profile, &cat).is_none() && find(&profile, &concat).is_some());
    assert_eq!(alice.get(&format!("/api/v1/statuses/{cat}")).await.status(), StatusCode::NOT_FOUND);
    let context = alice.get_json(&format!("/api/v1/statuses/{concat}/context")).await;
    assert_eq!(context["descendants"], json!([]), "the reply mentions a cat: {context}");
    let bobs_context = bob.get_json(&format!("/api/v1/statuses/{concat}/context")).await;
    assert_eq!(bobs_context["descendants"][0]["id"], reply.as_str());
    let notifications = alice.get_json("/api/v1/notifications").await;
    assert!(notifications.as_array().unwrap().iter().all(|n| n["status"]["id"] != mention.as_str()), "{notifications}");

    // A status added to a filter matches by itself; a partial keyword matches inside words.
    let (status, other) = send_json(
        &alice,
        reqwest::Method::POST,
        "/api/v2/filters",
        json!({"title": "Food", "context": ["home"], "keywords_attributes": [{"keyword": "dog", "whole_word": false}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{other}");
    let other_id = other["id"].as_str().unwrap().to_string();
    let entry =
        alice.post_json(&format!("/api/v2/filters/{other_id}/statuses"), &[("status_id", concat.as_str())]).await;
    assert_eq!(entry["status_id"], concat.as_str());
    let home = alice.get_json("/api/v1/timelines/home").await;
    let hot = find(&home, &hotdog).unwrap();
    assert_eq!(titles(hot), vec!["Food"]);
    assert_eq!(hot["filtered"][0]["keyword_matches"], json!(["dog"]));
    assert_eq!(find(&home, &concat).unwrap()["filtered"][0]["status_matches"], json!([concat]));
    let listed = alice.get_json(&format!("/api/v2/filters/{other_id}/statuses")).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);

    // Keywords one by one, at both of Mastodon's paths.
    let added = alice
        .post_json(&format!("/api/v2/filters/{other_id}/keywords"), &[("keyword", "pizza"), ("whole_word", "false")])
        .await;
    let keyword_id = added["id"].as_str().unwrap().to_string();
    assert_eq!(added["whole_word"], false);
    let (status, _) = send_json(
        &alice,
        reqwest::Method::PUT,
        &format!("/api/v2/filters/keywords/{keyword_id}"),
        json!({"keyword": "pasta"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(alice.get_json(&format!("/api/v2/filter_keywords/{keyword_id}")).await["keyword"], "pasta");
    assert_eq!(alice.get_json(&format!("/api/v2/filters/{other_id}/keywords")).await.as_array().unwrap().len(), 2);
    assert_eq!(alice.delete(&format!("/api/v2/filters/keywords/{keyword_id}")).await.status(), StatusCode::OK);

    // Expired filters stop applying.
    {
        let mut conn = world.pool.get().await.unwrap();
        diesel::update(filters::table.filter(filters::id.eq(other_id.parse::<i64>().unwrap())))
            .set(filters::expires_at.eq(Some(chrono::Utc::now() - chrono::Duration::seconds(1))))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let home = alice.get_json("/api/v1/timelines/home").await;
    assert_eq!(titles(find(&home, &hotdog).unwrap()), Vec::<String>::new());
    let (status, soon) =
        send_json(&alice, reqwest::Method::PUT, &format!("/api/v2/filters/{other_id}"), json!({"expires_in": 3600}))
            .await;
    assert_eq!(status, StatusCode::OK);
    assert!(soon["expires_at"].is_string(), "{soon}");
    assert_eq!(titles(find(&alice.get_json("/api/v1/timelines/home").await, &hotdog).unwrap()), vec!["Food"]);

    // Bad input: 422 and nothing changes; another person's filters are not there.
    let before = alice.get_json("/api/v2/filters").await;
    assert_eq!(before.as_array().unwrap().len(), 2);
    for body in [
        json!({"context": ["home"]}),
        json!({"title": "x", "context": []}),
        json!({"title": "x", "context": ["everywhere"]}),
        json!({"title": "x", "context": ["home"], "filter_action": "explode"}),
        json!({"title": "x", "context": ["home"], "keywords_attributes": [{"keyword": " "}]}),
        json!({"title": "x", "context": ["home"], "expires_in": -3}),
    ] {
        let (status, error) = send_json(&alice, reqwest::Method::POST, "/api/v2/filters", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {error}");
        assert!(error["error"].is_string(), "{error}");
    }
    assert_eq!(alice.get_json("/api/v2/filters").await, before);
    assert_eq!(bob.get(&format!("/api/v2/filters/{filter_id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(bob.delete(&format!("/api/v2/filters/{filter_id}")).await.status(), StatusCode::NOT_FOUND);
    let (status, _) =
        send_json(&bob, reqwest::Method::PUT, &format!("/api/v2/filters/{filter_id}"), json!({"title": "mine"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(bob.get(&format!("/api/v2/filters/{filter_id}/keywords")).await.status(), StatusCode::NOT_FOUND);
    let (status, _) = send_json(
        &bob,
        reqwest::Method::POST,
        &format!("/api/v2/filters/{filter_id}/keywords"),
        json!({"keyword": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(bob.get_json("/api/v2/filters").await, json!([]));
    assert_eq!(alice.get_json("/api/v2/filters").await, before);

    // v1 sees each keyword as a filter; a v1 filter is a v2 filter with one keyword.
    let v1 = alice.get_json("/api/v1/filters").await;
    assert_eq!(v1.as_array().unwrap().len(), 2, "{v1}");
    assert_eq!(v1[0]["phrase"], "cat");
    assert_eq!(v1[0]["irreversible"], true);
    let created = alice
        .post_json(
            "/api/v1/filters",
            &[("phrase", "lunch"), ("context[]", "home"), ("irreversible", "true"), ("whole_word", "true")],
        )
        .await;
    assert_eq!(created["phrase"], "lunch");
    assert_eq!(created["context"], json!(["home"]));
    assert_eq!(created["whole_word"], true);
    let v1_id = created["id"].as_str().unwrap().to_string();
    assert!(find(&alice.get_json("/api/v1/timelines/home").await, &hotdog).is_none(), "hidden by the v1 filter");
    let v2 = alice.get_json("/api/v2/filters").await;
    assert!(v2.as_array().unwrap().iter().any(|f| f["title"] == "lunch" && f["filter_action"] == "hide"), "{v2}");
    let (status, updated) = send_json(
        &alice,
        reqwest::Method::PUT,
        &format!("/api/v1/filters/{v1_id}"),
        json!({"phrase": "dinner", "irreversible": false}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!((updated["phrase"].as_str(), updated["irreversible"].as_bool()), (Some("dinner"), Some(false)));
    assert_eq!(bob.delete(&format!("/api/v1/filters/{v1_id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(alice.delete(&format!("/api/v1/filters/{v1_id}")).await.status(), StatusCode::OK);
    assert_eq!(alice.get_json("/api/v2/filters").await.as_array().unwrap().len(), 2, "its filter went with it");

    // Deleting the v2 filter brings the statuses back.
    assert_eq!(alice.delete(&format!("/api/v2/filters/{filter_id}")).await.status(), StatusCode::OK);
    assert!(find(&alice.get_json("/api/v1/timelines/home").await, &cat).is_some());
    assert_eq!(alice.get(&format!("/api/v1/statuses/{cat}")).await.status(), StatusCode::OK);
    world.stop().await;
}

#[tokio::test]
async fn mutes_honor_their_duration_and_the_notifications_choice() {
    let world = World::new().tenant("a.test").user("a.test", "alice").user("a.test", "bob").start().await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    alice.post_json(&format!("/api/v1/accounts/{}/follow", bob.account_id), &[]).await;
    let rel = alice
        .post_json(
            &format!("/api/v1/accounts/{}/mute", bob.account_id),
            &[("notifications", "false"), ("duration", "3600")],
        )
        .await;
    assert_eq!((rel["muting"].as_bool(), rel["muting_notifications"].as_bool()), (Some(true), Some(false)));
    let hidden = bob.toot("@alice muted but mentioning #mutes", "public").await;
    for path in ["/api/v1/timelines/home", "/api/v1/timelines/public", "/api/v1/timelines/tag/mutes"] {
        assert!(find(&alice.get_json(path).await, &hidden).is_none(), "{path}");
    }
    // Still on bob's profile and by id, and for everyone else.
    assert!(find(&alice.get_json(&format!("/api/v1/accounts/{}/statuses", bob.account_id)).await, &hidden).is_some());
    assert_eq!(alice.get(&format!("/api/v1/statuses/{hidden}")).await.status(), StatusCode::OK);
    assert!(find(&bob.get_json("/api/v1/timelines/public").await, &hidden).is_some());
    let notifications = alice.get_json("/api/v1/notifications").await;
    assert!(
        notifications.as_array().unwrap().iter().any(|n| n["status"]["id"] == hidden.as_str()),
        "notifications kept: {notifications}"
    );
    let muted = alice.get_json("/api/v1/mutes").await;
    assert_eq!(muted[0]["id"], bob.account_id.as_str());
    assert!(muted[0]["mute_expires_at"].is_string(), "{muted}");
    let rel = alice.get_json(&format!("/api/v1/accounts/relationships?id[]={}", bob.account_id)).await;
    assert!(rel[0]["muting_expires_at"].is_string(), "{rel}");
    // With notifications muted too, a new mention makes none.
    alice.post_json(&format!("/api/v1/accounts/{}/mute", bob.account_id), &[("notifications", "true")]).await;
    let quiet = bob.toot("@alice again", "public").await;
    let notifications = alice.get_json("/api/v1/notifications").await;
    assert!(notifications.as_array().unwrap().iter().all(|n| n["status"]["id"] != quiet.as_str()), "{notifications}");
    // Once the mute expires, everything shows again.
    {
        let mut conn = world.pool.get().await.unwrap();
        diesel::update(mutes::table)
            .set(mutes::expires_at.eq(Some(chrono::Utc::now() - chrono::Duration::seconds(1))))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    assert!(find(&alice.get_json("/api/v1/timelines/home").await, &hidden).is_some());
    assert!(find(&alice.get_json("/api/v1/timelines/public").await, &hidden).is_some());
    assert_eq!(alice.get_json("/api/v1/mutes").await, json!([]));
    let rel = alice.get_json(&format!("/api/v1/accounts/relationships?id[]={}", bob.account_id)).await;
    assert_eq!(rel[0]["muting"], false);
    let loud = bob.toot("@alice after the mute", "public").await;
    let notifications = alice.get_json("/api/v1/notifications").await;
    assert!(notifications.as_array().unwrap().iter().any(|n| n["status"]["id"] == loud.as_str()), "{notifications}");
    world.stop().await;
}

/// An open server-sent event stream of the user's home.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(session: &Session) -> Stream {
        let url = format!("http://{}/api/v1/streaming/user", session.host);
        let response = session.client.get(&url).bearer_auth(&session.token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        Stream { response, buffer: String::new() }
    }

    /// Status ids of `update` events until one with `until` arrives (at most 10 s).
    async fn updates_until(&mut self, until: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen = Vec::new();
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if !block.lines().any(|l| l == "event: update") {
                    continue;
                }
                let data: String = block.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
                let status: Value = serde_json::from_str(&data).unwrap();
                let id = status["id"].as_str().unwrap().to_string();
                seen.push(id.clone());
                if id == until {
                    return seen;
                }
            }
            let chunk = timeout_at(deadline, self.response.chunk())
                .await
                .unwrap_or_else(|_| panic!("no update {until} within the wait; saw {seen:?}"));
            self.buffer.push_str(std::str::from_utf8(&chunk.unwrap().unwrap()).unwrap());
        }
    }
}

const ALICE: &str = "http://a.test/users/alice";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

async fn remote_note(world: &FederatedWorld, actor: &kereru_tests::remote::RemoteActor, n: u32, text: &str) -> String {
    let id = format!("{}/statuses/{n}", actor.id);
    let create = json!({"id": format!("{id}/activity"), "type": "Create", "actor": actor.id, "to": [PUBLIC],
        "cc": [format!("{}/followers", actor.id)],
        "object": {"id": id, "type": "Note", "attributedTo": actor.id, "content": format!("<p>{text}</p>"),
                   "to": [PUBLIC], "cc": [format!("{}/followers", actor.id)],
                   "tag": [{"type": "Hashtag", "name": "#news"}]}});
    assert_eq!(world.post(&format!("{ALICE}/inbox"), &create.to_string(), &actor.signer).await, 202);
    world.process().await;
    id
}

/// Mallory's local account id: the author of the first remote status alice's stream saw (not zoe's).
async fn notifications_before_block_account(alice: &Session, zoe_status: &str) -> String {
    let found = alice.get_json("/api/v2/search?q=mallory@remote.test&resolve=false&type=accounts").await;
    let id = found["accounts"][0]["id"].as_str().unwrap_or_else(|| panic!("{found} ({zoe_status})"));
    id.to_string()
}

/// The local id of the status with `uri` in a page, if there.
fn local_id(page: &Value, uri: &str) -> Option<String> {
    page.as_array().unwrap().iter().find(|s| s["uri"] == uri).map(|s| s["id"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn a_domain_block_hides_the_server_everywhere_and_removes_its_followers() {
    let world = World::new()
        .tenant("a.test")
        .user("a.test", "alice")
        .start_federated(&["remote.test", "other.test"], &[])
        .await;
    let mallory = world.remote.actor("remote.test", "mallory");
    let zoe = world.remote.actor("other.test", "zoe");
    let alice = world.login("a.test", "alice").await;
    world.follow_accepted(&alice, ALICE, &mallory).await;
    world.follow_accepted(&alice, ALICE, &zoe).await;
    // Both follow alice back; mallory favourites her post.
    for (actor, n) in [(&mallory, 1), (&zoe, 2)] {
        let follow =
            json!({"id": format!("{}#follows/{n}", actor.id), "type": "Follow", "actor": actor.id, "object": ALICE});
        assert_eq!(world.post(&format!("{ALICE}/inbox"), &follow.to_string(), &actor.signer).await, 202);
    }
    let post = alice.toot("hello fediverse", "public").await;
    let post_uri = alice.get_json(&format!("/api/v1/statuses/{post}")).await["uri"].as_str().unwrap().to_string();
    let like =
        json!({"id": format!("{}#likes/1", mallory.id), "type": "Like", "actor": mallory.id, "object": post_uri});
    assert_eq!(world.post(&format!("{ALICE}/inbox"), &like.to_string(), &mallory.signer).await, 202);
    world.process().await;

    let mut stream = Stream::open(&alice).await;
    let before = remote_note(&world, &mallory, 1, "news from remote").await;
    let from_zoe = remote_note(&world, &zoe, 1, "news from other").await;
    let home = alice.get_json("/api/v1/timelines/home").await;
    let before_id = local_id(&home, &before).unwrap_or_else(|| panic!("{home}"));
    let zoe_id = local_id(&home, &from_zoe).unwrap();
    assert!(stream.updates_until(&zoe_id).await.contains(&before_id), "mallory's note streams before the block");
    let followers = alice.get_json(&format!("/api/v1/accounts/{}/followers", alice.account_id)).await;
    assert_eq!(followers.as_array().unwrap().len(), 2, "{followers}");
    let notifications = alice.get_json("/api/v1/notifications").await;
    assert!(notifications.as_array().unwrap().iter().any(|n| n["type"] == "favourite"), "{notifications}");

    // Bad input first: nothing is blocked.
    for domain in ["", "not a host", "a.test"] {
        let response = alice.post("/api/v1/domain_blocks", &[("domain", domain)]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{domain:?}");
    }
    assert_eq!(alice.get_json("/api/v1/domain_blocks").await, json!([]));

    assert_eq!(alice.post_json("/api/v1/domain_blocks", &[("domain", "Remote.TEST")]).await, json!({}));
    let response = alice.get("/api/v1/domain_blocks").await;
    assert!(response.headers().get("link").is_some(), "paged with a Link header");
    assert_eq!(response.json::<Value>().await.unwrap(), json!(["remote.test"]));

    for path in ["/api/v1/timelines/home", "/api/v1/timelines/public", "/api/v1/timelines/tag/news"] {
        let page = alice.get_json(path).await;
        assert!(local_id(&page, &before).is_none(), "{path}: {page}");
        assert!(local_id(&page, &from_zoe).is_some(), "{path}: {page}");
    }
    let notifications = alice.get_json("/api/v1/notifications").await;
    assert!(notifications.as_array().unwrap().iter().all(|n| n["type"] != "favourite"), "{notifications}");
    let mallory_id = notifications_before_block_account(&alice, &zoe_id).await;
    let rel = alice.get_json(&format!("/api/v1/accounts/relationships?id[]={mallory_id}")).await;
    assert_eq!(rel[0]["domain_blocking"], true, "{rel}");
    // Mallory no longer follows alice, and her server is told with a Reject.
    let followers = alice.get_json(&format!("/api/v1/accounts/{}/followers", alice.account_id)).await;
    assert_eq!(followers.as_array().unwrap().len(), 1, "{followers}");
    assert_eq!(followers[0]["acct"], "zoe@other.test");
    {
        let mut conn = world.pool.get().await.unwrap();
        let bodies: Vec<String> = deliveries::table
            .inner_join(delivery_activities::table)
            .filter(deliveries::inbox.eq(format!("{}/inbox", mallory.id)))
            .select(delivery_activities::body)
            .load(&mut conn)
            .await
            .unwrap();
        assert!(
            bodies.iter().any(|b| b.contains("\"Reject\"") && b.contains(&mallory.id)),
            "a Reject of mallory's follow is queued: {bodies:?}"
        );
    }
    // A new note from the blocked server never streams; a later marker does.
    let after = remote_note(&world, &mallory, 2, "more news from remote").await;
    let marker = alice.toot("marker", "public").await;
    let seen = stream.updates_until(&marker).await;
    let all = alice.get_json("/api/v1/timelines/home").await;
    assert!(local_id(&all, &after).is_none(), "{all}");
    assert_eq!(seen, vec![marker.clone()], "only the marker streamed");
    // A new favourite from there makes no notification.
    let like =
        json!({"id": format!("{}#likes/2", mallory.id), "type": "Like", "actor": mallory.id, "object": post_uri});
    assert_eq!(world.post(&format!("{ALICE}/inbox"), &like.to_string(), &mallory.signer).await, 202);
    world.process().await;
    let mut conn = world.pool.get().await.unwrap();
    let count: i64 = kereru_store::schema::notifications::table
        .filter(kereru_store::schema::notifications::kind.eq("favourite"))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(count, 1, "only the favourite from before the block");
    drop(conn);

    // Unblocking brings the posts back.
    let url = "http://a.test/api/v1/domain_blocks?domain=remote.test";
    let response = alice.client.delete(url).bearer_auth(&alice.token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(alice.get_json("/api/v1/domain_blocks").await, json!([]));
    let home = alice.get_json("/api/v1/timelines/home").await;
    assert!(local_id(&home, &before).is_some() && local_id(&home, &after).is_some(), "{home}");
    world.stop().await;
}

#[tokio::test]
async fn the_filters_and_blocked_lists_pages_work_for_their_owner_only() {
    use kereru_tests::Browser;
    let world = World::new().tenant("a.test").user("a.test", "alice").user("a.test", "bob").start().await;
    let alice = Browser::new(&world.app, "a.test");
    alice.sign_in("alice").await;
    let bob = Browser::new(&world.app, "a.test");
    bob.sign_in("bob").await;
    let api = world.login("a.test", "alice").await;

    let list = alice.get("/settings/filters").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("You have no filters yet."), "{}", list.body);

    // A blank title and no context: the form again with what was typed, nothing saved.
    let refused =
        alice.submit("/settings/filters/new", "/settings/filters", &[("title", " "), ("keyword_0", "spoilers")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("role=\"alert\"") && refused.body.contains("value=\"spoilers\""), "{}", refused.body);
    assert_eq!(api.get_json("/api/v2/filters").await, json!([]));

    let saved = alice
        .submit(
            "/settings/filters/new",
            "/settings/filters",
            &[
                ("title", "Spoilers"),
                ("context_home", "1"),
                ("context_thread", "1"),
                ("filter_action", "hide"),
                ("expires_in", "86400"),
                ("keyword_0", "finale"),
                ("whole_word_0", "1"),
                ("keyword_1", "season"),
                ("keyword_2", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), Some("/settings/filters?saved=1"));
    let filters = api.get_json("/api/v2/filters").await;
    assert_eq!(filters[0]["title"], "Spoilers");
    assert_eq!(filters[0]["context"], json!(["home", "thread"]));
    assert_eq!(filters[0]["filter_action"], "hide");
    assert!(filters[0]["expires_at"].is_string());
    let keywords: Vec<(Value, Value)> = filters[0]["keywords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["keyword"].clone(), k["whole_word"].clone()))
        .collect();
    assert_eq!(keywords, vec![(json!("finale"), json!(true)), (json!("season"), json!(false))]);
    let id = filters[0]["id"].as_str().unwrap().to_string();
    let list = alice.get("/settings/filters").await;
    assert!(list.body.contains("Spoilers") && list.body.contains("finale") && list.body.contains("Hide completely"));

    // Someone else's filter is not there for them, by page or by form.
    assert_eq!(bob.get(&format!("/settings/filters/{id}/edit")).await.status, StatusCode::NOT_FOUND);
    let token = bob.get("/settings/filters").await.csrf_token();
    let tampered = bob
        .post(
            &format!("/settings/filters/{id}"),
            &[("authenticity_token", &token), ("title", "x"), ("context_home", "1")],
        )
        .await;
    assert_eq!(tampered.status, StatusCode::NOT_FOUND);
    let tampered = bob.post(&format!("/settings/filters/{id}/delete"), &[("authenticity_token", &token)]).await;
    assert_eq!(tampered.status, StatusCode::NOT_FOUND);
    assert_eq!(api.get_json("/api/v2/filters").await[0]["title"], "Spoilers");

    // Editing keeps the expiry unless asked, replaces the keywords, and switches to warn.
    let form = alice.get(&format!("/settings/filters/{id}/edit")).await;
    assert!(form.body.contains("value=\"finale\"") && form.body.contains("Keep:"), "{}", form.body);
    let edited = alice
        .submit(
            &format!("/settings/filters/{id}/edit"),
            &format!("/settings/filters/{id}"),
            &[
                ("title", "Spoilers!"),
                ("context_home", "1"),
                ("filter_action", "warn"),
                ("expires_in", ""),
                ("keyword_0", "episode"),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let after = api.get_json("/api/v2/filters").await;
    assert_eq!(after[0]["title"], "Spoilers!");
    assert_eq!(after[0]["filter_action"], "warn");
    assert_eq!(after[0]["expires_at"], filters[0]["expires_at"], "the expiry is kept");
    assert_eq!(after[0]["keywords"].as_array().unwrap().len(), 1);
    let deleted = alice.submit("/settings/filters", &format!("/settings/filters/{id}/delete"), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(api.get_json("/api/v2/filters").await, json!([]));

    // Blocked servers: bad input shows the error; a block shows in the list and in the API; unblock.
    let refused = alice.submit("/settings/domain_blocks", "/settings/domain_blocks", &[("domain", "not a host")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("value=\"not a host\""), "{}", refused.body);
    let blocked =
        alice.submit("/settings/domain_blocks", "/settings/domain_blocks", &[("domain", "spam.example")]).await;
    assert_eq!(blocked.status, StatusCode::SEE_OTHER);
    assert_eq!(api.get_json("/api/v1/domain_blocks").await, json!(["spam.example"]));
    assert!(alice.get("/settings/domain_blocks").await.body.contains("spam.example"));
    assert!(!bob.get("/settings/domain_blocks").await.body.contains("spam.example"));
    let unblocked =
        alice.submit("/settings/domain_blocks", "/settings/domain_blocks/remove", &[("domain", "spam.example")]).await;
    assert_eq!(unblocked.status, StatusCode::SEE_OTHER);
    assert_eq!(api.get_json("/api/v1/domain_blocks").await, json!([]));

    // Muted and blocked accounts are listed with their undo buttons.
    let bob_id = world.account("a.test", "bob").id.0.to_string();
    api.post_json(&format!("/api/v1/accounts/{bob_id}/mute"), &[]).await;
    let mutes = alice.get("/settings/mutes").await;
    assert!(mutes.body.contains(&format!("action=\"/accounts/{bob_id}/unmute\"")), "{}", mutes.body);
    let unmuted = alice
        .submit("/settings/mutes", &format!("/accounts/{bob_id}/unmute"), &[("return_to", "/settings/mutes")])
        .await;
    assert_eq!(unmuted.location(), Some("/settings/mutes"));
    assert!(alice.get("/settings/mutes").await.body.contains("You haven't muted anyone."));
    api.post_json(&format!("/api/v1/accounts/{bob_id}/block"), &[]).await;
    let blocks = alice.get("/settings/blocks").await;
    assert!(blocks.body.contains(&format!("action=\"/accounts/{bob_id}/unblock\"")), "{}", blocks.body);
    // Signed out: to the sign-in page.
    let anonymous = Browser::new(&world.app, "a.test");
    assert_eq!(anonymous.get("/settings/filters").await.status, StatusCode::SEE_OTHER);
    world.stop().await;
}

#[tokio::test]
async fn the_web_timelines_apply_filters_too() {
    use kereru_tests::Browser;
    let world = World::new().tenant("a.test").user("a.test", "alice").user("a.test", "bob").start().await;
    let api = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    api.post_json(&format!("/api/v1/accounts/{}/follow", bob.account_id), &[]).await;
    bob.toot("the finale was wild", "public").await;
    bob.toot("an ordinary day", "public").await;
    let alice = Browser::new(&world.app, "a.test");
    alice.sign_in("alice").await;
    let (status, filter) = send_json(
        &api,
        reqwest::Method::POST,
        "/api/v2/filters",
        json!({"title": "Spoilers", "context": ["home", "public"], "keywords_attributes": [{"keyword": "finale"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let home = alice.get("/home").await;
    assert!(home.body.contains("Filtered: Spoilers") && home.body.contains("an ordinary day"), "{}", home.body);
    let id = filter["id"].as_str().unwrap();
    let (status, _) =
        send_json(&api, reqwest::Method::PUT, &format!("/api/v2/filters/{id}"), json!({"filter_action": "hide"})).await;
    assert_eq!(status, StatusCode::OK);
    let home = alice.get("/home").await;
    assert!(!home.body.contains("finale") && home.body.contains("an ordinary day"), "{}", home.body);
    world.stop().await;
}

#[tokio::test]
async fn another_tenant_here_can_be_blocked_like_any_server() {
    let world =
        World::new().tenant("a.test").tenant("b.test").user("a.test", "alice").user("b.test", "bob").start().await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("b.test", "bob").await;
    let found = alice.get_json("/api/v2/search?q=bob@b.test&resolve=true&type=accounts").await;
    let bob_here = found["accounts"][0]["id"].as_str().unwrap_or_else(|| panic!("{found}")).to_string();
    alice.post_json(&format!("/api/v1/accounts/{bob_here}/follow"), &[]).await;
    let found = bob.get_json("/api/v2/search?q=alice@a.test&resolve=true&type=accounts").await;
    let alice_there = found["accounts"][0]["id"].as_str().unwrap().to_string();
    bob.post_json(&format!("/api/v1/accounts/{alice_there}/follow"), &[]).await;
    let uri = bob.post_json("/api/v1/statuses", &[("status", "hello from b"), ("visibility", "public")]).await["uri"]
        .as_str()
        .unwrap()
        .to_string();
    let seen = |page: &Value| page.as_array().unwrap().iter().any(|s| s["uri"] == uri.as_str());
    assert!(seen(&alice.get_json("/api/v1/timelines/home").await));
    let followers = alice.get_json(&format!("/api/v1/accounts/{}/followers", alice.account_id)).await;
    assert_eq!(followers.as_array().unwrap().len(), 1);

    alice.post_json("/api/v1/domain_blocks", &[("domain", "b.test")]).await;
    assert!(!seen(&alice.get_json("/api/v1/timelines/home").await));
    assert!(!seen(&alice.get_json("/api/v1/timelines/public").await));
    let followers = alice.get_json(&format!("/api/v1/accounts/{}/followers", alice.account_id)).await;
    assert_eq!(followers, json!([]), "bob no longer follows alice");
    let rel = alice.get_json(&format!("/api/v1/accounts/relationships?id[]={bob_here}")).await;
    assert_eq!(rel[0]["domain_blocking"], true, "{rel}");
    assert_eq!(rel[0]["following"], true, "alice's own follow stays, as Mastodon");
    world.stop().await;
}

#[tokio::test]
async fn a_filters_parts_are_written_only_through_their_owner() {
    use kereru_store::filters::{self as store, FilterFields};
    let world = World::new().tenant("a.test").user("a.test", "alice").user("a.test", "bob").seed().await;
    let alice = world.account("a.test", "alice").id;
    let bob = world.account("a.test", "bob").id;
    let mut conn = world.pool.get().await.unwrap();
    let fields = FilterFields {
        title: "Spoilers".into(),
        context: vec!["home".into()],
        action: "warn".into(),
        expires_at: None,
    };
    let id = store::create(&mut conn, alice, &fields, &[("finale".into(), true)]).await.unwrap();
    let keyword = store::get(&mut conn, alice, id).await.unwrap().unwrap().keywords[0].clone();

    // Bob naming Alice's keyword changes and removes nothing.
    assert!(store::update_keyword(&mut conn, bob, keyword.id, "changed", false).await.is_err());
    store::delete_keyword(&mut conn, bob, keyword.id).await.unwrap();
    let kept = store::get(&mut conn, alice, id).await.unwrap().unwrap();
    assert_eq!(kept.keywords.len(), 1);
    assert_eq!(kept.keywords[0].keyword, "finale");

    // Alice herself can.
    let changed = store::update_keyword(&mut conn, alice, keyword.id, "season finale", false).await.unwrap();
    assert_eq!(changed.keyword, "season finale");
    store::delete_keyword(&mut conn, alice, keyword.id).await.unwrap();
    assert!(store::get(&mut conn, alice, id).await.unwrap().unwrap().keywords.is_empty());
}
