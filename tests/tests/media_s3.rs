//! Media on an S3-compatible store: a real s3s-fs server on loopback
//! (`kereru_tests::s3`), uploads and avatars stored in its bucket under the
//! tenant's prefix, served by every node from the store, files of deleted
//! statuses and replaced avatars removed by the worker, uploads never
//! attached swept after a day (scheduled statuses' reservations kept), a
//! purged tenant's prefix emptied, and a store that cannot work refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use diesel_async::RunQueryDsl;
use image::{DynamicImage, Rgb, RgbImage};
use kereru_media::MediaStore;
use kereru_media::store::{S3Settings, StoreSettings};
use kereru_tests::s3::S3Server;
use kereru_tests::session::Session;
use kereru_tests::{TestApp, World};
use reqwest::StatusCode;
use serde_json::Value;
use std::io::Cursor;

const BOUNDARY: &str = "kereru-s3-test-boundary";

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut bytes = Vec::new();
    DynamicImage::ImageRgb8(image).write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    bytes
}

fn multipart(field: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"a.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn settings(s3: &S3Server) -> kereru_web::WebSettings {
    kereru_web::WebSettings { media_store: s3.store_settings(), ..TestApp::settings() }
}

async fn world(s3: &S3Server) -> World {
    World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("b.test", "bob")
        .settings(settings(s3))
        .start()
        .await
}

async fn upload(session: &Session, bytes: &[u8]) -> Value {
    let response = session
        .client
        .post(format!("http://{}/api/v2/media", session.host))
        .bearer_auth(&session.token)
        .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart("file", bytes))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn set_avatar(session: &Session, bytes: &[u8]) -> Value {
    let response = session
        .client
        .patch(format!("http://{}/api/v1/accounts/update_credentials", session.host))
        .bearer_auth(&session.token)
        .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart("avatar", bytes))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// The file name at the end of a media URL.
fn name_of(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_string()
}

#[tokio::test]
async fn files_live_in_the_bucket_under_the_tenant_prefix_and_every_node_serves_them() {
    let s3 = S3Server::start().await;
    let w = world(&s3).await;
    let (a, b) = (w.domain("a.test").id.0, w.domain("b.test").id.0);
    let alice = w.login("a.test", "alice").await;
    let store = MediaStore::open(&s3.store_settings(), &std::env::temp_dir()).unwrap();

    let bytes = png(64, 48);
    let attachment = upload(&alice, &bytes).await;
    let (url, preview) = (attachment["url"].as_str().unwrap(), attachment["preview_url"].as_str().unwrap());
    assert!(url.starts_with("http://a.test/system/media/"), "{url}");
    for file in [name_of(url), name_of(preview)] {
        assert!(s3.object_path(a, &file).is_file(), "{file} is in the bucket under the tenant's prefix");
        assert!(store.get(a, &file).await.unwrap().is_some(), "{file} is read through the S3 API");
        assert!(store.get(b, &file).await.unwrap().is_none());
    }
    assert!(!w.app.media_dir.join(a.to_string()).exists(), "nothing is written to the local directory");

    // Served by this node and by another one (another state, the same bucket), from the store.
    let served = alice.client.get(url).send().await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/png");
    let served = served.bytes().await.unwrap();
    assert_eq!(served.as_ref(), std::fs::read(s3.object_path(a, &name_of(url))).unwrap().as_slice());
    let hosts: Vec<&str> = w.hosts().iter().map(String::as_str).collect();
    let other = TestApp::start_with(w.app.database.clone(), &hosts, settings(&s3)).await;
    let from_other = other.client().get(url).send().await.unwrap();
    assert_eq!(from_other.status(), StatusCode::OK);
    assert_eq!(from_other.bytes().await.unwrap(), served);
    // Another tenant's host does not serve it.
    let elsewhere = other.client().get(format!("http://b.test/system/media/{}", name_of(url))).send().await.unwrap();
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);

    // An avatar: in the bucket, served by both nodes; replacing it queues the old file's removal.
    let account = set_avatar(&alice, &png(300, 300)).await;
    let avatar = account["avatar"].as_str().unwrap().to_string();
    assert!(s3.object_path(a, &name_of(&avatar)).is_file());
    assert_eq!(other.client().get(&avatar).send().await.unwrap().status(), StatusCode::OK);
    set_avatar(&alice, &png(200, 200)).await;

    // A status with the upload, deleted with its media: the worker removes the files from the bucket.
    let id = attachment["id"].as_str().unwrap();
    let status = alice.post_json("/api/v1/statuses", &[("status", "with a picture"), ("media_ids[]", id)]).await;
    let status_id = status["id"].as_str().unwrap();
    let deleted = alice.delete(&format!("/api/v1/statuses/{status_id}?delete_media=true")).await;
    assert_eq!(deleted.status(), StatusCode::OK);
    let round = kereru_service::media_files::round(&w.pool, &store).await.unwrap();
    assert!(round.removed >= 3, "two files of the attachment and the old avatar: {round:?}");
    for file in [name_of(url), name_of(preview), name_of(&avatar)] {
        assert!(store.get(a, &file).await.unwrap().is_none(), "{file} is gone from the bucket");
        assert!(!s3.object_path(a, &file).exists());
    }
    assert_eq!(other.client().get(url).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let mut conn = w.pool.get().await.unwrap();
    assert_eq!(kereru_store::media_files::queued(&mut conn, w.domain("a.test").id).await.unwrap(), 0);
    drop(conn);
    other.stop().await;
    w.stop().await;
}

#[tokio::test]
async fn uploads_never_attached_go_after_a_day_unless_a_scheduled_status_holds_them() {
    let s3 = S3Server::start().await;
    let w = world(&s3).await;
    let a = w.domain("a.test").id.0;
    let alice = w.login("a.test", "alice").await;
    let store = MediaStore::open(&s3.store_settings(), &std::env::temp_dir()).unwrap();
    let loose = upload(&alice, &png(32, 32)).await;
    let reserved = upload(&alice, &png(33, 33)).await;
    let fresh = upload(&alice, &png(34, 34)).await;
    let at = (chrono::Utc::now() + chrono::TimeDelta::days(3)).to_rfc3339();
    let scheduled = alice
        .post(
            "/api/v1/statuses",
            &[("status", "later"), ("scheduled_at", &at), ("media_ids[]", reserved["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(scheduled.status(), StatusCode::OK);
    // Two of them were uploaded two days ago.
    let mut conn = w.pool.get().await.unwrap();
    diesel::sql_query(format!(
        "UPDATE media_attachments SET created_at = now() - interval '2 days' WHERE id IN ({}, {})",
        loose["id"].as_str().unwrap(),
        reserved["id"].as_str().unwrap()
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    drop(conn);

    let round = kereru_service::media_files::round(&w.pool, &store).await.unwrap();
    assert_eq!(round.swept, 1, "only the old upload nothing holds");
    assert_eq!(round.removed, 2, "its file and its preview");
    let gone = |v: &Value| name_of(v["url"].as_str().unwrap());
    assert!(store.get(a, &gone(&loose)).await.unwrap().is_none());
    assert!(store.get(a, &gone(&reserved)).await.unwrap().is_some(), "a scheduled status's media stays");
    assert!(store.get(a, &gone(&fresh)).await.unwrap().is_some(), "a recent upload stays");
    assert_eq!(
        alice.get(&format!("/api/v1/media/{}", loose["id"].as_str().unwrap())).await.status(),
        StatusCode::NOT_FOUND
    );
    w.stop().await;
}

#[tokio::test]
async fn a_purged_tenant_prefix_is_emptied_and_the_others_stay() {
    let s3 = S3Server::start().await;
    let w = world(&s3).await;
    let (a, b) = (w.domain("a.test").id.0, w.domain("b.test").id.0);
    let alice = w.login("a.test", "alice").await;
    let bob = w.login("b.test", "bob").await;
    upload(&alice, &png(20, 20)).await;
    let kept = upload(&bob, &png(21, 21)).await;
    let store = MediaStore::open(&s3.store_settings(), &std::env::temp_dir()).unwrap();
    assert_eq!(store.list_tenant(a).await.unwrap().len(), 2);
    assert_eq!(store.delete_tenant(a).await.unwrap(), 2);
    assert!(store.list_tenant(a).await.unwrap().is_empty());
    let mut names = store.list_tenant(b).await.unwrap();
    names.sort();
    assert!(names.contains(&name_of(kept["url"].as_str().unwrap())), "{names:?}");
    w.stop().await;
}

#[tokio::test]
async fn a_store_that_cannot_work_is_refused_clearly() {
    let s3 = S3Server::start().await;
    // Every key it needs is named.
    let error = MediaStore::s3(&S3Settings { bucket: "b".into(), ..S3Settings::default() }).unwrap_err().to_string();
    assert!(error.contains("region, access_key_id, secret_access_key"), "{error}");
    let error = MediaStore::s3(&S3Settings { endpoint: "127.0.0.1:9".into(), ..s3.s3_settings() }).unwrap_err();
    assert!(error.to_string().contains("endpoint must be an http(s) URL"), "{error}");
    // A wrong secret, a missing bucket, a server that is not there: refused at the check `kereru serve` makes.
    for (label, settings) in [
        ("wrong secret", S3Settings { secret_access_key: "not-the-secret".into(), ..s3.s3_settings() }),
        ("missing bucket", S3Settings { bucket: "no-such-bucket".into(), ..s3.s3_settings() }),
        ("no server", S3Settings { endpoint: "http://127.0.0.1:9".into(), ..s3.s3_settings() }),
    ] {
        let store = MediaStore::open(
            &StoreSettings { backend: kereru_media::store::Backend::S3(settings), public_base_url: None },
            &std::env::temp_dir(),
        )
        .unwrap();
        assert!(store.check().await.is_err(), "{label} is refused");
    }
    let good = MediaStore::open(&s3.store_settings(), &std::env::temp_dir()).unwrap();
    good.check().await.unwrap();
}
