//! Delete-and-redraft and deleting one's own boost by its id, as Mastodon
//! apps do them (issue 15): the deleted status's media can be attached to
//! the new post unless `delete_media` was asked; a boost's id deletes the
//! boost and withdraws its notification.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::World;
use kereru_tests::session::Session;
use reqwest::StatusCode;
use serde_json::Value;
use std::io::Cursor;

fn png() -> Vec<u8> {
    let picture = image::RgbImage::from_fn(32, 24, |x, y| image::Rgb([(x * 8) as u8, (y * 10) as u8, 90]));
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(picture).write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    bytes
}

async fn upload(session: &Session, host: &str) -> String {
    let part = reqwest::multipart::Part::bytes(png()).file_name("p.png").mime_str("image/png").unwrap();
    let form = reqwest::multipart::Form::new().part("file", part).text("description", "a gradient");
    let response = session
        .client
        .post(format!("http://{host}/api/v2/media"))
        .bearer_auth(&session.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

async fn post_with(session: &Session, text: &str, media: &str) -> reqwest::Response {
    session.post("/api/v1/statuses", &[("status", text), ("media_ids[]", media)]).await
}

#[tokio::test]
async fn a_deleted_posts_media_can_be_posted_again_unless_deleted_with_it() {
    let world = World::new()
        .tenant("a.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("a.test", "carol")
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;

    let media = upload(&alice, "a.test").await;
    let first: Value = post_with(&alice, "first draft", &media).await.json().await.unwrap();
    let id = first["id"].as_str().unwrap();
    // Attached: another post can't take it.
    assert_eq!(post_with(&alice, "thief", &media).await.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let deleted = alice.delete(&format!("/api/v1/statuses/{id}")).await;
    assert_eq!(deleted.status(), StatusCode::OK);
    let deleted: Value = deleted.json().await.unwrap();
    assert_eq!(deleted["text"], "first draft");
    assert_eq!(deleted["media_attachments"][0]["id"], media.as_str(), "the media to redraft with");
    assert_eq!(deleted["media_attachments"][0]["description"], "a gradient");

    // The redraft takes the same media, with its file still served.
    let redraft = post_with(&alice, "second draft", &media).await;
    assert_eq!(redraft.status(), StatusCode::OK);
    let redraft: Value = redraft.json().await.unwrap();
    assert_eq!(redraft["media_attachments"][0]["id"], media.as_str());
    let url = redraft["media_attachments"][0]["url"].as_str().unwrap();
    let file = world.app.client().get(url).send().await.unwrap();
    assert_eq!(file.status(), StatusCode::OK, "the kept file is still served");
    // Nobody else can take the freed media, even while it is free.
    let other = upload(&alice, "a.test").await;
    let solo: Value = post_with(&alice, "solo", &other).await.json().await.unwrap();
    let solo_id = solo["id"].as_str().unwrap();
    assert_eq!(alice.delete(&format!("/api/v1/statuses/{solo_id}")).await.status(), StatusCode::OK);
    assert_eq!(post_with(&bob, "not mine", &other).await.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // With delete_media, the media goes with the post.
    let redraft_id = redraft["id"].as_str().unwrap();
    let gone = alice
        .client
        .delete(format!("http://a.test/api/v1/statuses/{redraft_id}?delete_media=true"))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::OK);
    assert_eq!(post_with(&alice, "third draft", &media).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let media_id: i64 = media.parse().unwrap();
    let mut conn = world.pool.get().await.unwrap();
    let rows: i64 = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use kereru_store::schema::media_attachments as m;
        m::table.filter(m::id.eq(media_id)).count().get_result(&mut conn).await.unwrap()
    };
    assert_eq!(rows, 0, "the attachment went with its post");
    world.stop().await;
}

#[tokio::test]
async fn ones_own_boost_is_deleted_by_its_id_and_nobody_elses() {
    let world = World::new()
        .tenant("a.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("a.test", "carol")
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let carol = world.login("a.test", "carol").await;
    let original = alice.toot("boost me", "public").await;
    let boost: Value = bob.post_json(&format!("/api/v1/statuses/{original}/reblog"), &[]).await;
    let boost_id = boost["id"].as_str().unwrap();
    assert_ne!(boost_id, original);
    let notified = alice.get_json("/api/v1/notifications?types[]=reblog").await;
    assert_eq!(notified.as_array().unwrap().len(), 1);

    // Others can't delete it, nor can the booster delete the original through it.
    assert_eq!(carol.delete(&format!("/api/v1/statuses/{boost_id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(alice.delete(&format!("/api/v1/statuses/{boost_id}")).await.status(), StatusCode::NOT_FOUND);

    let deleted = bob.delete(&format!("/api/v1/statuses/{boost_id}")).await;
    assert_eq!(deleted.status(), StatusCode::OK);
    let deleted: Value = deleted.json().await.unwrap();
    assert_eq!(deleted["reblog"]["id"], original.as_str(), "answers the boost: {deleted}");
    assert_eq!(bob.get(&format!("/api/v1/statuses/{boost_id}")).await.status(), StatusCode::NOT_FOUND);
    // The original stays, unboosted, and its author's notification is withdrawn.
    let now = alice.get_json(&format!("/api/v1/statuses/{original}")).await;
    assert_eq!(now["reblogs_count"], 0);
    let seen_by_bob = bob.get_json(&format!("/api/v1/statuses/{original}")).await;
    assert_eq!(seen_by_bob["reblogged"], false);
    let notified = alice.get_json("/api/v1/notifications?types[]=reblog").await;
    assert!(notified.as_array().unwrap().is_empty(), "{notified}");
    world.stop().await;
}
