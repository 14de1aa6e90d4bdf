//! Hashtags over the client API: the Tag entity with `following` and
//! `featuring`, followed tags bringing public posts into home and the user
//! stream, featured tags on a profile with their figures, suggestions from
//! one's own posts, and other people's featured tags out of reach.

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

#[tokio::test]
async fn followed_tags_bring_public_posts_home() {
    let world = World::new()
        .tenant("a.test")
        .user("a.test", "alice")
        .user("a.test", "carol")
        .user("a.test", "mallory")
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let carol = world.login("a.test", "carol").await;
    let mallory = world.login("a.test", "mallory").await;

    let tag = alice.get_json("/api/v1/tags/Kereru").await;
    assert_eq!(tag["name"], "kereru");
    assert_eq!(tag["url"], "http://a.test/tags/kereru");
    assert_eq!(tag["following"], false);
    assert_eq!(tag["featuring"], false);
    assert_eq!(tag["history"].as_array().unwrap().len(), 7);
    // Anyone may look; not at a name that is no hashtag.
    let anonymous = world.app.client().get(world.app.url("a.test", "/api/v1/tags/kereru")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::OK);
    assert_eq!(alice.get("/api/v1/tags/not%20a%20tag").await.status(), StatusCode::NOT_FOUND);

    let before = carol.toot("before the follow #kereru", "public").await;
    let followed = alice.post_json("/api/v1/tags/kereru/follow", &[]).await;
    assert_eq!(followed["following"], true);
    assert!(!followed["id"].as_str().unwrap().is_empty());
    assert_eq!(alice.get_json("/api/v1/tags/kereru").await["following"], true);
    assert_eq!(mallory.get_json("/api/v1/tags/kereru").await["following"], false, "one person's follow only");
    let list = alice.get_json("/api/v1/followed_tags").await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["name"], "kereru");
    assert_eq!(mallory.get_json("/api/v1/followed_tags").await, json!([]));
    // The history counts the tenant's public uses today.
    assert_eq!(list[0]["history"][0]["uses"], "1", "{list}");
    assert_eq!(list[0]["history"][0]["accounts"], "1", "{list}");

    let mut stream = Stream::open(&alice, "/api/v1/streaming/user").await;
    let public = carol.toot("a wood pigeon #Kereru", "public").await;
    let unlisted = carol.toot("quietly #kereru", "unlisted").await;
    let marker = alice.toot("a marker", "public").await;
    assert_eq!(stream.updates_until(&marker).await, vec![public.clone(), marker.clone()]);
    let home = alice.timeline_ids("/api/v1/timelines/home").await;
    assert!(home.contains(&public) && home.contains(&before), "{home:?}");
    assert!(!home.contains(&unlisted), "only public posts come by tag");
    assert!(!mallory.timeline_ids("/api/v1/timelines/home").await.contains(&public));

    let unfollowed = alice.post_json("/api/v1/tags/kereru/unfollow", &[]).await;
    assert_eq!(unfollowed["following"], false);
    assert!(!alice.timeline_ids("/api/v1/timelines/home").await.contains(&public));
    assert_eq!(alice.get_json("/api/v1/followed_tags").await, json!([]));
    // Unfollowing a tag one never followed is fine, as Mastodon.
    assert_eq!(alice.post_json("/api/v1/tags/other/unfollow", &[]).await["following"], false);
    world.stop().await;
}

#[tokio::test]
async fn featured_tags_show_on_profiles_and_suggestions_come_from_ones_posts() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "mallory")
        .user("b.test", "zoe")
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let mallory = world.login("a.test", "mallory").await;
    let zoe = world.login("b.test", "zoe").await;
    alice.toot("one #birds", "public").await;
    alice.toot("two #birds #trees", "unlisted").await;
    alice.toot("three #birds", "private").await;
    alice.toot("four #trees #rivers", "public").await;

    let suggested = alice.get_json("/api/v1/featured_tags/suggestions").await;
    let names: Vec<&str> = suggested.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["birds", "trees", "rivers"], "most used first");

    let featured = alice.post_json("/api/v1/featured_tags", &[("name", "#Birds")]).await;
    assert_eq!(featured["name"], "birds");
    assert_eq!(featured["url"], "http://a.test/@alice/tagged/birds");
    assert_eq!(featured["statuses_count"], "2", "public and unlisted only: {featured}");
    assert!(featured["last_status_at"].as_str().unwrap().ends_with('Z'), "a time: {featured}");
    let id = featured["id"].as_str().unwrap().to_string();
    for (name, why) in [("birds", "twice"), ("not a tag", "invalid")] {
        let (status, body) = status_of(alice.post("/api/v1/featured_tags", &[("name", name)]).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {body}");
    }
    let suggested = alice.get_json("/api/v1/featured_tags/suggestions").await;
    assert_eq!(suggested[0]["name"], "trees", "a featured tag is no suggestion: {suggested}");
    let via_tag = alice.post_json("/api/v1/tags/trees/feature", &[]).await;
    assert_eq!(via_tag["featuring"], true);
    assert_eq!(via_tag["name"], "trees");

    let mine = alice.get_json("/api/v1/featured_tags").await;
    assert_eq!(mine.as_array().unwrap().len(), 2, "{mine}");
    assert_eq!(mine[0], featured);
    // Anyone on the tenant sees them on the profile, with or without a token.
    let profile = format!("/api/v1/accounts/{}/featured_tags", alice.account_id);
    assert_eq!(mallory.get_json(&profile).await, mine);
    let anonymous = world.app.client().get(world.app.url("a.test", &profile)).send().await.unwrap();
    assert_eq!(anonymous.json::<Value>().await.unwrap(), mine);
    // Another tenant that never heard of alice: no such account.
    assert_eq!(zoe.get(&profile).await.status(), StatusCode::NOT_FOUND);

    // Only the owner removes them.
    for other in [&mallory, &zoe] {
        assert_eq!(other.delete(&format!("/api/v1/featured_tags/{id}")).await.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(mallory.get_json("/api/v1/featured_tags").await, json!([]));
    let (status, body) = status_of(alice.delete(&format!("/api/v1/featured_tags/{id}")).await).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    let unfeatured = alice.post_json("/api/v1/tags/trees/unfeature", &[]).await;
    assert_eq!(unfeatured["featuring"], false);
    assert_eq!(alice.get_json("/api/v1/featured_tags").await, json!([]));
    assert_eq!(alice.get_json(&profile).await, json!([]));
    world.stop().await;
}

/// An open server-sent event stream.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(session: &Session, path: &str) -> Stream {
        let url = format!("http://{}{path}", session.host);
        let response = session.client.get(&url).bearer_auth(&session.token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
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
