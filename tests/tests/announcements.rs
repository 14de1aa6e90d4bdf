//! Announcements end to end: an admin writes, publishes, edits, withdraws and
//! deletes them on the admin page (each act audited); people read them through
//! the client API with `read` and reactions, dismiss them and react with emoji;
//! open `user` streams hear `announcement`, `announcement.reaction` and
//! `announcement.delete`. Another tenant's people, ids and admins get nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_store::admin_actions::{self, LogScope};
use kereru_store::announcements;
use kereru_store::roles::Role;
use kereru_tests::web::Browser;
use kereru_tests::{Session, World};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;
use tokio::time::{Instant, timeout_at};

const WAIT: Duration = Duration::from_secs(10);

/// An open server-sent event stream, read until an expected event.
struct SseStream {
    response: reqwest::Response,
    buffer: String,
}

impl SseStream {
    async fn open(session: &Session, path: &str) -> SseStream {
        let url = format!("http://{}{path}", session.host);
        let response = session.client.get(&url).bearer_auth(&session.token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        SseStream { response, buffer: String::new() }
    }

    /// Events (name, data) up to and including the first named `event`; panics after [`WAIT`].
    async fn until(&mut self, event: &str) -> Vec<(String, String)> {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let name = block.lines().find_map(|l| l.strip_prefix("event: ")).map(str::to_string);
                let data: Vec<&str> = block.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
                if let Some(name) = name {
                    let done = name == event;
                    seen.push((name, data.join("\n")));
                    if done {
                        return seen;
                    }
                }
            }
            let chunk = timeout_at(deadline, self.response.chunk())
                .await
                .unwrap_or_else(|_| panic!("no {event} within {WAIT:?}; got {seen:?}"));
            self.buffer.push_str(std::str::from_utf8(&chunk.unwrap().unwrap()).unwrap());
        }
    }

    /// The data of the next `event` (events before it are skipped).
    async fn next(&mut self, event: &str) -> String {
        self.until(event).await.pop().unwrap().1
    }
}

async fn signed_in(world: &World, host: &str, username: &str) -> Browser {
    let browser = Browser::new(&world.app, host);
    browser.sign_in(username).await;
    browser
}

async fn only_id(world: &World, host: &str) -> String {
    let mut conn = world.pool.get().await.unwrap();
    let all = announcements::all(&mut conn, world.domain(host).id).await.unwrap();
    all.first().map(|a| a.id.to_string()).expect("an announcement")
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[tokio::test]
async fn admins_publish_and_people_read_dismiss_and_react_live() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .staff("a.test", "boss", Role::Admin)
        .user("a.test", "alice")
        .user("a.test", "carol")
        .user("b.test", "bob")
        .staff("b.test", "other", Role::Admin)
        .start()
        .await;
    let boss = signed_in(&world, "a.test", "boss").await;
    let alice = world.login("a.test", "alice").await;
    let carol = world.login("a.test", "carol").await;
    let bob = world.login("b.test", "bob").await;

    // A user may not open the page; nobody signed out reads the API.
    let alice_web = signed_in(&world, "a.test", "alice").await;
    assert_eq!(alice_web.get("/admin/announcements").await.status, StatusCode::FORBIDDEN);
    assert_eq!(alice_web.get("/admin/trends").await.status, StatusCode::FORBIDDEN);
    let anonymous = world.app.client().get("http://a.test/api/v1/announcements").send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // Refused drafts change nothing.
    let empty = boss.submit("/admin/announcements", "/admin/announcements", &[("text", "  ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", empty.body);
    let half = boss
        .submit("/admin/announcements", "/admin/announcements", &[("text", "x"), ("starts_at", "2026-12-24T18:00")])
        .await;
    assert_eq!(half.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(half.body.contains("Give both a start and an end"), "{}", half.body);

    // A draft is invisible to people.
    let fields =
        [("text", "Maintenance tonight #downtime"), ("starts_at", "2026-12-24T18:00"), ("ends_at", "2026-12-24T20:00")];
    let saved = boss.submit("/admin/announcements", "/admin/announcements", &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let id = only_id(&world, "a.test").await;
    assert_eq!(alice.get_json("/api/v1/announcements").await, serde_json::json!([]));
    let page = boss.get("/admin/announcements").await;
    assert!(page.body.contains("Maintenance tonight") && page.body.contains("Draft"), "{}", page.body);

    // Published: streams hear it, the API shows it.
    let mut stream = SseStream::open(&alice, "/api/v1/streaming/user").await;
    let published = boss.submit("/admin/announcements", &format!("/admin/announcements/{id}/publish"), &[]).await;
    assert_eq!(published.status, StatusCode::SEE_OTHER);
    let streamed = json_of(&stream.next("announcement").await);
    assert_eq!(streamed["id"], id.as_str());
    assert!(streamed["content"].as_str().unwrap().contains("Maintenance tonight"), "{streamed}");
    let list = alice.get_json("/api/v1/announcements").await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let first = &list[0];
    assert_eq!(first["id"], id.as_str());
    assert_eq!(first["read"], false);
    assert_eq!(first["all_day"], false);
    assert_eq!(first["starts_at"], "2026-12-24T18:00:00.000Z");
    assert_eq!(first["ends_at"], "2026-12-24T20:00:00.000Z");
    assert!(first["published_at"].is_string() && first["updated_at"].is_string(), "{first}");
    assert_eq!(first["tags"][0]["name"], "downtime");
    assert_eq!(first["reactions"], serde_json::json!([]));

    // Reactions: counted, `me` for each viewer, streamed with their count.
    let react = format!("/api/v1/announcements/{id}/reactions/👍");
    let put = |s: &Session, path: String| {
        let url = format!("http://{}{path}", s.host);
        s.client.put(url).bearer_auth(&s.token).send()
    };
    assert_eq!(put(&alice, react.clone()).await.unwrap().status(), StatusCode::OK);
    let reaction = json_of(&stream.next("announcement.reaction").await);
    assert_eq!(reaction, serde_json::json!({"name": "👍", "count": 1, "announcement_id": id}));
    assert_eq!(put(&carol, react.clone()).await.unwrap().status(), StatusCode::OK);
    assert_eq!(json_of(&stream.next("announcement.reaction").await)["count"], 2);
    let seen = alice.get_json("/api/v1/announcements").await;
    assert_eq!(seen[0]["reactions"][0]["name"], "👍");
    assert_eq!(seen[0]["reactions"][0]["count"], 2);
    assert_eq!(seen[0]["reactions"][0]["me"], true);
    let bystander = world.login("a.test", "boss").await;
    assert_eq!(bystander.get_json("/api/v1/announcements").await[0]["reactions"][0]["me"], false);
    let not_emoji = put(&alice, format!("/api/v1/announcements/{id}/reactions/abc")).await.unwrap();
    assert_eq!(not_emoji.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(alice.delete(&format!("/api/v1/announcements/{id}/reactions/🎉")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(carol.delete(&react).await.status(), StatusCode::OK);
    assert_eq!(json_of(&stream.next("announcement.reaction").await)["count"], 1);
    // At most eight different reactions.
    for emoji in ["😀", "🎉", "❤️", "🚀", "👀", "🙏", "🔥"] {
        let made = put(&carol, format!("/api/v1/announcements/{id}/reactions/{emoji}")).await.unwrap();
        assert_eq!(made.status(), StatusCode::OK, "{emoji}");
    }
    let ninth = put(&carol, format!("/api/v1/announcements/{id}/reactions/🌈")).await.unwrap();
    assert_eq!(ninth.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(put(&alice, format!("/api/v1/announcements/{id}/reactions/🔥")).await.unwrap().status(), StatusCode::OK);

    // Dismissed: `read`, and left out with `with_dismissed=false`; others unaffected.
    assert_eq!(alice.post(&format!("/api/v1/announcements/{id}/dismiss"), &[]).await.status(), StatusCode::OK);
    assert_eq!(alice.get_json("/api/v1/announcements").await[0]["read"], true);
    assert_eq!(alice.get_json("/api/v1/announcements?with_dismissed=false").await, serde_json::json!([]));
    assert_eq!(carol.get_json("/api/v1/announcements").await[0]["read"], false);

    // Another tenant: sees none, and its people and admins reach none of this one's by id.
    assert_eq!(bob.get_json("/api/v1/announcements").await, serde_json::json!([]));
    assert_eq!(bob.post(&format!("/api/v1/announcements/{id}/dismiss"), &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(put(&bob, react.clone()).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(bob.delete(&react).await.status(), StatusCode::NOT_FOUND);
    let other = signed_in(&world, "b.test", "other").await;
    for action in ["publish", "unpublish", "remove"] {
        let page = other.submit("/admin/announcements", &format!("/admin/announcements/{id}/{action}"), &[]).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{action}");
    }
    let edit = other.submit("/admin/announcements", &format!("/admin/announcements/{id}"), &[("text", "mine")]).await;
    assert_eq!(edit.status, StatusCode::NOT_FOUND);
    // a.test's token means nothing on b.test.
    let foreign =
        alice.client.get("http://b.test/api/v1/announcements").bearer_auth(&alice.token).send().await.unwrap();
    assert_eq!(foreign.status(), StatusCode::UNAUTHORIZED);

    // Edited while published: streamed again.
    let edited = boss
        .submit(
            "/admin/announcements",
            &format!("/admin/announcements/{id}"),
            &[("text", "Maintenance moved to Friday")],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let again = json_of(&stream.next("announcement").await);
    assert!(again["content"].as_str().unwrap().contains("Friday"), "{again}");
    assert_eq!(again["starts_at"], Value::Null);

    // Withdrawn: streams hear the delete, the API drops it, reactions are refused.
    let withdrawn = boss.submit("/admin/announcements", &format!("/admin/announcements/{id}/unpublish"), &[]).await;
    assert_eq!(withdrawn.status, StatusCode::SEE_OTHER);
    assert_eq!(stream.next("announcement.delete").await, id);
    assert_eq!(carol.get_json("/api/v1/announcements").await, serde_json::json!([]));
    assert_eq!(put(&carol, react.clone()).await.unwrap().status(), StatusCode::NOT_FOUND);

    // Published at once, then deleted: streamed both ways.
    let now =
        boss.submit("/admin/announcements", "/admin/announcements", &[("text", "Welcome!"), ("publish", "on")]).await;
    assert_eq!(now.status, StatusCode::SEE_OTHER);
    let welcome = json_of(&stream.next("announcement").await);
    let welcome_id = welcome["id"].as_str().unwrap().to_string();
    assert_eq!(carol.get_json("/api/v1/announcements").await[0]["id"], welcome_id.as_str());
    let removed = boss.submit("/admin/announcements", &format!("/admin/announcements/{welcome_id}/remove"), &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert_eq!(stream.next("announcement.delete").await, welcome_id);
    assert_eq!(carol.get_json("/api/v1/announcements").await, serde_json::json!([]));

    let mut conn = world.pool.get().await.unwrap();
    let log: Vec<String> = admin_actions::list(&mut conn, LogScope::Tenant(world.domain("a.test").id), None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    for action in [
        "create_announcement",
        "publish_announcement",
        "update_announcement",
        "unpublish_announcement",
        "destroy_announcement",
    ] {
        assert!(log.iter().any(|a| a == action), "{action} not in {log:?}");
    }
}
