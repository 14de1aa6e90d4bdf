//! Lists over the client API: create, update, delete, members (only accounts
//! one follows; unfollowing removes them), the list timeline with its replies
//! policy and home's filters, exclusive lists leaving home, the `list` stream
//! (its owner's only), and other people's and other tenants' lists out of reach.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::{Session, World};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::{Instant, timeout_at};

async fn status_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn put(session: &Session, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let url = format!("http://{}{path}", session.host);
    status_of(session.client.put(&url).bearer_auth(&session.token).form(form).send().await.unwrap()).await
}

async fn delete_form(session: &Session, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let url = format!("http://{}{path}", session.host);
    status_of(session.client.delete(&url).bearer_auth(&session.token).form(form).send().await.unwrap()).await
}

async fn follow(session: &Session, id: &str) {
    session.post_json(&format!("/api/v1/accounts/{id}/follow"), &[]).await;
}

async fn reply(session: &Session, text: &str, to: &str) -> String {
    let body = session.post_json("/api/v1/statuses", &[("status", text), ("in_reply_to_id", to)]).await;
    body["id"].as_str().unwrap().to_string()
}

fn member_ids(page: &Value) -> Vec<String> {
    page.as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn lists_are_made_changed_and_filled_with_followed_accounts_only() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("a.test", "carol")
        .user("a.test", "mallory")
        .user("b.test", "zoe")
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let carol = world.login("a.test", "carol").await;
    let mallory = world.login("a.test", "mallory").await;
    let zoe = world.login("b.test", "zoe").await;

    assert_eq!(alice.get_json("/api/v1/lists").await, json!([]));
    let list = alice.post_json("/api/v1/lists", &[("title", "Birds"), ("replies_policy", "list")]).await;
    assert_eq!(list["title"], "Birds");
    assert_eq!(list["replies_policy"], "list");
    assert_eq!(list["exclusive"], false);
    let id = list["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/lists/{id}");
    assert_eq!(alice.get_json(&path).await, list);
    assert_eq!(alice.get_json("/api/v1/lists").await, json!([list]));

    // Bad input is 422 with Mastodon's message shape.
    for form in [vec![("title", " ")], vec![("title", "x"), ("replies_policy", "everyone")]] {
        let (status, body) = status_of(alice.post("/api/v1/lists", &form).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}: {body}");
        assert!(body["error"].as_str().unwrap().starts_with("Validation failed"), "{body}");
    }
    let (status, updated) =
        put(&alice, &path, &[("title", "Doves"), ("replies_policy", "none"), ("exclusive", "true")]).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated, json!({"id": id, "title": "Doves", "replies_policy": "none", "exclusive": true}));
    // Unset fields stay.
    let (_, kept) = put(&alice, &path, &[("title", "Pigeons")]).await;
    assert_eq!(kept, json!({"id": id, "title": "Pigeons", "replies_policy": "none", "exclusive": true}));

    // Only accounts alice follows; twice is refused; an unknown account is 404.
    let members = format!("{path}/accounts");
    let (status, body) = status_of(alice.post(&members, &[("account_ids[]", &bob.account_id)]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    follow(&alice, &bob.account_id).await;
    follow(&alice, &carol.account_id).await;
    let added =
        alice.post_json(&members, &[("account_ids[]", &bob.account_id), ("account_ids[]", &carol.account_id)]).await;
    assert_eq!(added, json!({}));
    let (status, _) = status_of(alice.post(&members, &[("account_ids[]", &bob.account_id)]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = status_of(alice.post(&members, &[("account_ids[]", "12345")]).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let mut listed = member_ids(&alice.get_json(&members).await);
    listed.sort();
    let mut expected = vec![bob.account_id.clone(), carol.account_id.clone()];
    expected.sort();
    assert_eq!(listed, expected);
    // Paged by account id, with a Link header; limit=0 is everything.
    let response = alice.get(&format!("{members}?limit=1")).await;
    assert!(response.headers().get("link").is_some());
    assert_eq!(member_ids(&response.json().await.unwrap()).len(), 1);
    assert_eq!(member_ids(&alice.get_json(&format!("{members}?limit=0")).await).len(), 2);
    let on = alice.get_json(&format!("/api/v1/accounts/{}/lists", bob.account_id)).await;
    assert_eq!(on[0]["id"], id.as_str());
    assert_eq!(alice.get_json(&format!("/api/v1/accounts/{}/lists", mallory.account_id)).await, json!([]));

    // Unfollowing takes an account off every list, as Mastodon.
    alice.post_json(&format!("/api/v1/accounts/{}/unfollow", carol.account_id), &[]).await;
    assert_eq!(member_ids(&alice.get_json(&members).await), vec![bob.account_id.clone()]);
    let (status, body) = delete_form(&alice, &members, &[("account_ids[]", &bob.account_id)]).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    assert_eq!(alice.get_json(&members).await, json!([]));
    alice.post_json(&members, &[("account_ids[]", &bob.account_id)]).await;

    // Someone else's list does not exist, on this tenant or another; nor with another tenant's token.
    let timeline = format!("/api/v1/timelines/list/{id}");
    let foreign_token = world.app.url("a.test", &path);
    let response = zoe.client.get(&foreign_token).bearer_auth(&zoe.token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    for other in [&mallory, &zoe] {
        for p in [&path, &members, &timeline, &format!("/api/v1/accounts/{}/lists", bob.account_id)] {
            let response = other.get(p).await;
            let ok = response.status() == StatusCode::NOT_FOUND
                || (p.contains("/accounts/") && other.host == "a.test" && response.status() == StatusCode::OK);
            assert!(ok, "{} GET {p}: {}", other.host, response.status());
        }
        let (status, _) = put(other, &path, &[("title", "mine now")]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{}", other.host);
        let (status, _) = status_of(other.post(&members, &[("account_ids[]", &bob.account_id)]).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{}", other.host);
        let (status, _) = delete_form(other, &members, &[("account_ids[]", &bob.account_id)]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{}", other.host);
        assert_eq!(other.delete(&path).await.status(), StatusCode::NOT_FOUND, "{}", other.host);
        assert_eq!(other.get_json("/api/v1/lists").await, json!([]));
    }
    // Mallory's lists never show alice's, and alice's member list is unchanged.
    assert_eq!(member_ids(&alice.get_json(&members).await), vec![bob.account_id.clone()]);
    // An account of another tenant that this one never heard of is 404 for account lists.
    let (status, _) = status_of(alice.get(&format!("/api/v1/accounts/{}/lists", zoe.account_id)).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    assert_eq!(status_of(alice.delete(&path).await).await, (StatusCode::OK, json!({})));
    assert_eq!(alice.get(&path).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(alice.get_json("/api/v1/lists").await, json!([]));
    world.stop().await;
}

#[tokio::test]
async fn a_list_timeline_applies_its_replies_policy_and_exclusive_lists_leave_home() {
    let world = World::new()
        .tenant("a.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("a.test", "carol")
        .user("a.test", "dave")
        .user("a.test", "erin")
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let carol = world.login("a.test", "carol").await;
    let dave = world.login("a.test", "dave").await;
    let erin = world.login("a.test", "erin").await;
    for who in [&bob, &carol, &dave] {
        follow(&alice, &who.account_id).await;
    }
    let list = alice.post_json("/api/v1/lists", &[("title", "Friends"), ("replies_policy", "list")]).await;
    let id = list["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/lists/{id}");
    alice
        .post_json(
            &format!("{path}/accounts"),
            &[("account_ids[]", &bob.account_id), ("account_ids[]", &carol.account_id)],
        )
        .await;

    let by_bob = bob.toot("bob says hi", "public").await;
    let by_carol = carol.toot("carol is on the list", "public").await;
    let by_dave = dave.toot("dave is not on the list", "public").await;
    let by_erin = erin.toot("erin is not followed", "public").await;
    let to_carol = reply(&bob, "@carol a member answers a member", &by_carol).await;
    let carol_to_dave = reply(&carol, "@dave a member answers a followed account", &by_dave).await;
    let bob_to_erin = reply(&bob, "@erin a member answers a stranger", &by_erin).await;
    let mine = alice.toot("alice writes", "public").await;
    let to_alice = reply(&bob, "@alice a member answers the owner", &mine).await;
    let private = bob.toot("followers only", "private").await;

    let timeline = format!("/api/v1/timelines/list/{id}");
    let ids = alice.timeline_ids(&timeline).await;
    assert_eq!(
        ids,
        vec![private.clone(), to_alice.clone(), to_carol.clone(), by_carol.clone(), by_bob.clone()],
        "policy list"
    );
    let _ = put(&alice, &path, &[("replies_policy", "followed")]).await;
    let ids = alice.timeline_ids(&timeline).await;
    assert_eq!(
        ids,
        vec![
            private.clone(),
            to_alice.clone(),
            carol_to_dave.clone(),
            to_carol.clone(),
            by_carol.clone(),
            by_bob.clone()
        ],
        "policy followed"
    );
    assert!(!ids.contains(&bob_to_erin));
    let _ = put(&alice, &path, &[("replies_policy", "none")]).await;
    let ids = alice.timeline_ids(&timeline).await;
    assert_eq!(ids, vec![private.clone(), to_alice.clone(), by_carol.clone(), by_bob.clone()], "policy none");
    // Paging as every timeline.
    let response = alice.get(&format!("{timeline}?limit=1")).await;
    let link = response.headers().get("link").unwrap().to_str().unwrap().to_string();
    assert!(link.contains(&format!("max_id={private}")), "{link}");
    let older = alice.timeline_ids(&format!("{timeline}?max_id={private}")).await;
    assert_eq!(older, vec![to_alice.clone(), by_carol.clone(), by_bob.clone()]);

    // Home's filters apply to lists.
    let filter = alice
        .post_json(
            "/api/v2/filters",
            &[
                ("title", "no greetings"),
                ("context[]", "home"),
                ("filter_action", "hide"),
                ("keywords_attributes[][keyword]", "hi"),
            ],
        )
        .await;
    assert!(!alice.timeline_ids(&timeline).await.contains(&by_bob), "hidden by the home filter");
    alice.delete(&format!("/api/v2/filters/{}", filter["id"].as_str().unwrap())).await;
    assert!(alice.timeline_ids(&timeline).await.contains(&by_bob));

    // Not exclusive: members stay in home. Exclusive: they leave it, others stay.
    let home = alice.timeline_ids("/api/v1/timelines/home?limit=40").await;
    assert!(home.contains(&by_bob) && home.contains(&by_dave), "{home:?}");
    let _ = put(&alice, &path, &[("exclusive", "true")]).await;
    let home = alice.timeline_ids("/api/v1/timelines/home?limit=40").await;
    assert!(!home.contains(&by_bob) && !home.contains(&to_alice), "{home:?}");
    assert!(home.contains(&by_dave) && home.contains(&mine), "{home:?}");
    assert!(alice.timeline_ids(&timeline).await.contains(&by_bob));
    // Bob's own home is not alice's business.
    assert!(bob.timeline_ids("/api/v1/timelines/home").await.contains(&by_bob));
    world.stop().await;
}

/// An open server-sent event stream.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(session: &Session, path: &str) -> Stream {
        let response = Stream::request(session, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        Stream { response, buffer: String::new() }
    }

    async fn request(session: &Session, path: &str) -> reqwest::Response {
        let url = format!("http://{}{path}", session.host);
        session.client.get(&url).bearer_auth(&session.token).send().await.unwrap()
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

#[tokio::test]
async fn the_list_stream_is_its_owners_and_exclusive_members_leave_the_user_stream() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("a.test", "dave")
        .user("a.test", "mallory")
        .user("b.test", "zoe")
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let dave = world.login("a.test", "dave").await;
    let mallory = world.login("a.test", "mallory").await;
    let zoe = world.login("b.test", "zoe").await;
    follow(&alice, &bob.account_id).await;
    follow(&alice, &dave.account_id).await;
    follow(&mallory, &bob.account_id).await;
    let list = alice.post_json("/api/v1/lists", &[("title", "Bob"), ("exclusive", "true")]).await;
    let id = list["id"].as_str().unwrap().to_string();
    alice.post_json(&format!("/api/v1/lists/{id}/accounts"), &[("account_ids[]", &bob.account_id)]).await;

    // Only the owner may open it; a list id that is not a number names nothing.
    let stream_path = format!("/api/v1/streaming/list?list={id}");
    for other in [&mallory, &zoe] {
        assert_eq!(Stream::request(other, &stream_path).await.status(), StatusCode::UNAUTHORIZED, "{}", other.host);
    }
    assert_eq!(Stream::request(&alice, "/api/v1/streaming/list?list=x").await.status(), StatusCode::UNAUTHORIZED);

    let mut listed = Stream::open(&alice, &stream_path).await;
    let mut user = Stream::open(&alice, "/api/v1/streaming/user").await;
    let mut mallorys = Stream::open(&mallory, "/api/v1/streaming/user").await;
    let from_bob = bob.toot("on the list", "public").await;
    let from_dave = dave.toot("not on the list", "public").await;
    let bob_again = bob.toot("on the list again", "public").await;
    // The list stream has bob's statuses only; alice's user stream has dave's only (bob's list is exclusive).
    assert_eq!(listed.updates_until(&bob_again).await, vec![from_bob.clone(), bob_again.clone()]);
    assert_eq!(user.updates_until(&from_dave).await, vec![from_dave.clone()]);
    // Mallory follows bob and has no list: her home streams him as before.
    assert_eq!(mallorys.updates_until(&bob_again).await, vec![from_bob, bob_again]);
    world.stop().await;
}
