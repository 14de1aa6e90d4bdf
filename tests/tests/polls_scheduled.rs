//! Scheduled statuses (issue 15): `scheduled_at` on a post, the
//! `/api/v1/scheduled_statuses` family, media reserved while waiting, and the
//! scheduler publishing each due post exactly once, on its tenant only.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use image::{Rgb, RgbImage};
use kereru_core::Scheme;
use kereru_service::scheduled;
use kereru_store::schema::{scheduled_statuses, statuses};
use kereru_tests::World;
use kereru_tests::session::Session;
use serde_json::Value;
use std::io::Cursor;

fn at(offset: Duration) -> String {
    (Utc::now() + offset).to_rfc3339()
}

async fn put(session: &Session, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let url = format!("http://{}{path}", session.host);
    session.client.put(url).bearer_auth(&session.token).form(form).send().await.unwrap()
}

async fn upload_png(session: &Session) -> String {
    let picture = RgbImage::from_fn(16, 16, |x, y| Rgb([(x * 16) as u8, (y * 16) as u8, 99]));
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(picture).write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    let part = reqwest::multipart::Part::bytes(bytes).file_name("p.png").mime_str("image/png").unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    let url = format!("http://{}/api/v2/media", session.host);
    let response = session.client.post(url).bearer_auth(&session.token).multipart(form).send().await.unwrap();
    assert!(response.status().is_success(), "upload: {}", response.status());
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_string()
}

async fn error(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body["error"].as_str().unwrap_or_default().to_string())
}

/// Makes every scheduled status due now (as if its time had come).
async fn make_due(world: &World) {
    let mut conn = world.pool.get().await.unwrap();
    diesel::update(scheduled_statuses::table)
        .set(scheduled_statuses::scheduled_at.eq(Utc::now() - Duration::seconds(1)))
        .execute(&mut conn)
        .await
        .unwrap();
}

async fn statuses_with_text(world: &World, text: &str) -> i64 {
    let mut conn = world.pool.get().await.unwrap();
    statuses::table.filter(statuses::text.eq(text)).count().get_result(&mut conn).await.unwrap()
}

#[tokio::test]
async fn a_scheduled_post_waits_with_its_media_and_is_published_once_at_its_time() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "carol")
        .user("b.test", "bob")
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let media = upload_png(&alice).await;
    let later = at(Duration::hours(2));
    let scheduled = alice
        .post_json(
            "/api/v1/statuses",
            &[
                ("status", "good morning, later"),
                ("visibility", "unlisted"),
                ("media_ids[]", &media),
                ("scheduled_at", &later),
            ],
        )
        .await;
    let id = scheduled["id"].as_str().unwrap().to_string();
    assert!(scheduled.get("content").is_none(), "a ScheduledStatus, not a Status: {scheduled}");
    assert_eq!(scheduled["params"]["text"], "good morning, later");
    assert_eq!(scheduled["params"]["visibility"], "unlisted");
    assert_eq!(scheduled["params"]["media_ids"][0], media.as_str());
    assert_eq!(scheduled["media_attachments"][0]["id"], media.as_str());
    assert!(scheduled["scheduled_at"].as_str().unwrap().ends_with('Z'), "{scheduled}");
    assert_eq!(statuses_with_text(&world, "good morning, later").await, 0, "nothing posted yet");

    // Media a scheduled post holds is not free for another post or schedule.
    let (status, message) =
        error(alice.post("/api/v1/statuses", &[("status", "now"), ("media_ids[]", &media)]).await).await;
    assert_eq!((status, message.contains(&media)), (422, true), "{message}");
    let again = [("status", "also later"), ("media_ids[]", media.as_str()), ("scheduled_at", later.as_str())];
    assert_eq!(error(alice.post("/api/v1/statuses", &again).await).await.0, 422);

    // Less than five minutes ahead: refused, as Mastodon; a time past posts at once.
    let soon = at(Duration::minutes(2));
    let (status, message) =
        error(alice.post("/api/v1/statuses", &[("status", "too soon"), ("scheduled_at", &soon)]).await).await;
    assert_eq!(status, 422, "{message}");
    assert!(message.contains("Scheduled at"), "{message}");
    let past = at(-Duration::minutes(1));
    let now = alice.post_json("/api/v1/statuses", &[("status", "posted now"), ("scheduled_at", &past)]).await;
    assert_eq!(now["content"], "<p>posted now</p>");

    // List, show and move it.
    let (list, link) = {
        let response = alice.get("/api/v1/scheduled_statuses").await;
        let link = response.headers().get("link").map(|l| l.to_str().unwrap().to_string());
        (response.json::<Value>().await.unwrap(), link)
    };
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert!(link.unwrap_or_default().contains("min_id="), "paginated with a Link header");
    let shown = alice.get_json(&format!("/api/v1/scheduled_statuses/{id}")).await;
    assert_eq!(shown, list[0]);
    let moved_to = at(Duration::days(3));
    let moved = put(&alice, &format!("/api/v1/scheduled_statuses/{id}"), &[("scheduled_at", &moved_to)]).await;
    assert_eq!(moved.status(), 200);
    let moved: Value = moved.json().await.unwrap();
    assert_ne!(moved["scheduled_at"], scheduled["scheduled_at"]);
    let too_soon = at(Duration::minutes(1));
    let path = format!("/api/v1/scheduled_statuses/{id}");
    assert_eq!(put(&alice, &path, &[("scheduled_at", &too_soon)]).await.status(), 422);

    // Nobody else reaches it: another person of the tenant, another tenant's person, its token here.
    let carol = world.login("a.test", "carol").await;
    let bob = world.login("b.test", "bob").await;
    for other in [&carol, &bob] {
        let path = format!("/api/v1/scheduled_statuses/{id}");
        assert_eq!(other.get(&path).await.status(), 404);
        assert_eq!(put(other, &path, &[("scheduled_at", &moved_to)]).await.status(), 404);
        assert_eq!(other.delete(&path).await.status(), 404);
        assert_eq!(other.get_json("/api/v1/scheduled_statuses").await, serde_json::json!([]));
    }
    let foreign = world
        .app
        .client()
        .get(format!("http://a.test/api/v1/scheduled_statuses/{id}"))
        .bearer_auth(&bob.token)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 401, "b.test's token is unknown on a.test");
    assert_eq!(alice.get("/api/v1/scheduled_statuses/nope").await.status(), 404);

    // Its time comes: published once, with its media, even with two schedulers at it.
    make_due(&world).await;
    let (one, two) = tokio::join!(
        scheduled::publish_due(&world.pool, Scheme::Http),
        scheduled::publish_due(&world.pool, Scheme::Http)
    );
    assert_eq!(one.unwrap() + two.unwrap(), 1);
    assert_eq!(scheduled::publish_due(&world.pool, Scheme::Http).await.unwrap(), 0);
    assert_eq!(statuses_with_text(&world, "good morning, later").await, 1);
    assert_eq!(alice.get_json("/api/v1/scheduled_statuses").await, serde_json::json!([]));
    let posted = alice.get_json(&format!("/api/v1/accounts/{}/statuses", alice.account_id)).await;
    let post = posted.as_array().unwrap().iter().find(|s| s["content"] == "<p>good morning, later</p>").unwrap();
    assert_eq!(post["visibility"], "unlisted");
    assert_eq!(post["media_attachments"][0]["id"], media.as_str());
    world.stop().await;
}

#[tokio::test]
async fn cancelling_frees_the_media_and_many_due_posts_are_shared_between_schedulers() {
    let world = World::new().tenant("a.test").user("a.test", "alice").start().await;
    let alice = world.login("a.test", "alice").await;
    let media = upload_png(&alice).await;
    let later = at(Duration::hours(1));
    let scheduled = alice
        .post_json("/api/v1/statuses", &[("status", "maybe"), ("media_ids[]", &media), ("scheduled_at", &later)])
        .await;
    let path = format!("/api/v1/scheduled_statuses/{}", scheduled["id"].as_str().unwrap());
    assert_eq!(alice.delete(&path).await.status(), 200);
    assert_eq!(alice.get(&path).await.status(), 404);
    assert_eq!(alice.delete(&path).await.status(), 404);
    let posted = alice.post_json("/api/v1/statuses", &[("status", "with it"), ("media_ids[]", &media)]).await;
    assert_eq!(posted["media_attachments"][0]["id"], media.as_str(), "free again once cancelled");

    for n in 0..6 {
        let text = format!("batch {n}");
        let when = at(Duration::hours(1) + Duration::minutes(n));
        alice.post_json("/api/v1/statuses", &[("status", &text), ("scheduled_at", &when)]).await;
    }
    // A post that can no longer be made is dropped, not retried forever: its reply target is gone.
    let parent = alice.toot("parent", "public").await;
    alice
        .post_json("/api/v1/statuses", &[("status", "orphan"), ("in_reply_to_id", &parent), ("scheduled_at", &later)])
        .await;
    assert_eq!(alice.delete(&format!("/api/v1/statuses/{parent}")).await.status(), 200);
    make_due(&world).await;
    let (one, two) = tokio::join!(
        scheduled::publish_due(&world.pool, Scheme::Http),
        scheduled::publish_due(&world.pool, Scheme::Http)
    );
    assert_eq!(one.unwrap() + two.unwrap(), 7);
    for n in 0..6 {
        assert_eq!(statuses_with_text(&world, &format!("batch {n}")).await, 1, "batch {n} exactly once");
    }
    assert_eq!(statuses_with_text(&world, "orphan").await, 0);
    assert_eq!(alice.get_json("/api/v1/scheduled_statuses").await, serde_json::json!([]));
    world.stop().await;
}
