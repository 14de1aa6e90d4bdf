//! Plans and quotas (issue 14): each quota refuses the write past its limit
//! with a 422 naming it, on the client API and the web forms; storage is
//! given back when media is deleted; usage figures match what was done, and
//! one tenant's plan and usage leave another's alone. The provider API's
//! plans and usage endpoints answer on the provider host only.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use image::{ImageFormat, Rgb, RgbImage};
use kereru_core::HostName;
use kereru_delivery::http::{FetchSettings, Fetcher};
use kereru_delivery::worker::{Worker, WorkerSettings};
use kereru_service::plans::{self, By};
use kereru_service::usage::{self, Usage};
use kereru_store::domains::{NewDomain, Registrations};
use kereru_store::plans::Limits;
use kereru_store::schema::{deliveries, inbound_activities};
use kereru_tests::oauth::app_token;
use kereru_tests::{Browser, Session, World, new_domain};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use std::io::Cursor;
use std::time::Duration;

/// Puts the tenant `host` on a new plan `name` with `limits`.
async fn put_on_plan(world: &World, host: &str, name: &str, limits: Limits) {
    let mut conn = world.pool.get().await.unwrap();
    plans::create(&mut conn, By::CommandLine, name, &limits).await.unwrap();
    let domain = world.domain(host);
    plans::assign(&mut conn, By::CommandLine, domain.id, host, Some(name)).await.unwrap();
}

async fn usage_of(world: &World, host: &str) -> Usage {
    let mut conn = world.pool.get().await.unwrap();
    usage::of(&mut conn, world.domain(host).id).await.unwrap()
}

/// Asserts a 422 whose JSON names `quota`.
async fn assert_quota(response: reqwest::Response, quota: &str) {
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["quota"], quota, "{body}");
    assert!(body["error"].as_str().unwrap().contains(quota), "{body}");
}

fn png(seed: u8) -> Vec<u8> {
    let picture = RgbImage::from_fn(80, 60, |x, y| Rgb([(x * 3) as u8, (y * 4) as u8, seed]));
    let mut bytes = Cursor::new(Vec::new());
    picture.write_to(&mut bytes, ImageFormat::Png).unwrap();
    bytes.into_inner()
}

/// A picture that compresses badly, so larger stored than [`png`]'s.
fn noise() -> Vec<u8> {
    let picture = RgbImage::from_fn(400, 400, |x, y| {
        let n = x.wrapping_mul(2_654_435_761).wrapping_add(y.wrapping_mul(40_503)).rotate_left(x % 13);
        Rgb([n as u8, (n >> 8) as u8, (n >> 16) as u8])
    });
    let mut bytes = Cursor::new(Vec::new());
    picture.write_to(&mut bytes, ImageFormat::Png).unwrap();
    bytes.into_inner()
}

async fn upload(session: &Session, bytes: Vec<u8>) -> reqwest::Response {
    let form = Form::new().part("file", Part::bytes(bytes).file_name("p.png").mime_str("image/png").unwrap());
    session
        .client
        .post(format!("http://{}/api/v2/media", session.host))
        .bearer_auth(&session.token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn posts_per_day_refuses_the_next_post_on_the_api_and_the_web_form_and_only_on_its_tenant() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("b.test", "carol")
        .start()
        .await;
    put_on_plan(&world, "a.test", "tiny", Limits { posts_per_day: Some(2), ..Limits::default() }).await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let carol = world.login("b.test", "carol").await;

    // The limit is the tenant's, whoever posts.
    alice.toot("one", "public").await;
    bob.toot("two", "public").await;
    assert_quota(alice.post("/api/v1/statuses", &[("status", "three")]).await, "posts_per_day").await;
    // The refused post is not there and was not counted.
    let mine = alice.get_json(&format!("/api/v1/accounts/{}/statuses", alice.account_id)).await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");

    // The web compose form shows the reason and posts nothing.
    let browser = Browser::new(&world.app, "a.test");
    browser.sign_in("alice").await;
    let token = browser.get("/statuses/new").await.csrf_token();
    let form = Form::new().text("authenticity_token", token).text("status", "from the web");
    let page = browser.post_multipart("/statuses", form).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("posts_per_day"), "{}", page.body);
    assert!(page.body.contains("from the web"), "what was typed stays");

    // Another tenant has no plan: it posts on.
    for n in 0..3 {
        carol.toot(&format!("carol {n}"), "public").await;
    }
    let (a, b) = (usage_of(&world, "a.test").await, usage_of(&world, "b.test").await);
    assert_eq!((a.statuses, a.posts_today, a.accounts), (2, 2, 2));
    assert_eq!((b.statuses, b.posts_today, b.accounts), (3, 3, 1));

    // Raising the limit lets the next post through at once.
    let mut conn = world.pool.get().await.unwrap();
    let change = kereru_store::plans::LimitsChange { posts_per_day: Some(Some(3)), ..Default::default() };
    plans::update(&mut conn, By::CommandLine, "tiny", &change).await.unwrap();
    alice.toot("three", "public").await;
    assert_quota(alice.post("/api/v1/statuses", &[("status", "four")]).await, "posts_per_day").await;
    assert_eq!(usage_of(&world, "a.test").await.posts_today, 3);
    world.stop().await;
}

#[tokio::test]
async fn media_storage_is_counted_when_stored_refused_past_the_limit_and_released_when_deleted() {
    let world =
        World::new().tenant("a.test").tenant("b.test").user("a.test", "alice").user("b.test", "carol").start().await;
    let alice = world.login("a.test", "alice").await;
    let carol = world.login("b.test", "carol").await;

    // Without a plan: counted, never refused.
    let first: Value = upload(&alice, png(1)).await.json().await.unwrap();
    let one = usage_of(&world, "a.test").await.storage_bytes;
    assert!(one > 0, "an upload is counted");
    let size: i64 = {
        let mut conn = world.pool.get().await.unwrap();
        kereru_store::schema::media_attachments::table
            .select(kereru_store::schema::media_attachments::file_size)
            .first(&mut conn)
            .await
            .unwrap()
    };
    assert_eq!(one, size, "the stored file's bytes");

    // A plan with room for one more such file, not two.
    put_on_plan(
        &world,
        "a.test",
        "small",
        Limits { media_storage_bytes: Some(one * 2 + one / 2), ..Limits::default() },
    )
    .await;
    assert_eq!(upload(&alice, png(1)).await.status(), StatusCode::OK);
    assert_quota(upload(&alice, png(1)).await, "media_storage_bytes").await;
    assert_eq!(usage_of(&world, "a.test").await.storage_bytes, one * 2, "a refused upload counts nothing");
    // The web compose form with an image says why.
    let browser = Browser::new(&world.app, "a.test");
    browser.sign_in("alice").await;
    let token = browser.get("/statuses/new").await.csrf_token();
    let image = Part::bytes(png(1)).file_name("p.png").mime_str("image/png").unwrap();
    let form = Form::new()
        .text("authenticity_token", token)
        .text("status", "with a picture")
        .part("media_1", image)
        .text("description_1", "a picture");
    let page = browser.post_multipart("/statuses", form).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
    assert!(page.body.contains("media_storage_bytes"), "{}", page.body);

    // Another tenant is not held to it.
    for seed in 0..3 {
        assert_eq!(upload(&carol, png(seed)).await.status(), StatusCode::OK);
    }

    // Deleting the post that carries the first upload, with its media (not a
    // redraft, which keeps them to post again), gives its bytes back.
    let id = first["id"].as_str().unwrap();
    let status = alice.post_json("/api/v1/statuses", &[("status", "picture"), ("media_ids[]", id)]).await;
    let deleted = alice.delete(&format!("/api/v1/statuses/{}?delete_media=true", status["id"].as_str().unwrap())).await;
    assert_eq!(deleted.status(), StatusCode::OK);
    assert_eq!(usage_of(&world, "a.test").await.storage_bytes, one);
    assert_eq!(upload(&alice, png(1)).await.status(), StatusCode::OK, "room again");
    assert_eq!(usage_of(&world, "a.test").await.storage_bytes, one * 2);
    assert!(usage_of(&world, "b.test").await.storage_bytes > 0);

    // Avatars count too: set, replaced (the old one's bytes given back), refused when there is no room.
    let avatar = async |bytes: Vec<u8>| {
        let form = Form::new().part("avatar", Part::bytes(bytes).file_name("a.png").mime_str("image/png").unwrap());
        alice
            .client
            .patch("http://a.test/api/v1/accounts/update_credentials")
            .bearer_auth(&alice.token)
            .multipart(form)
            .send()
            .await
            .unwrap()
    };
    let mut conn = world.pool.get().await.unwrap();
    let room = kereru_store::plans::LimitsChange { media_storage_bytes: Some(None), ..Default::default() };
    plans::update(&mut conn, By::CommandLine, "small", &room).await.unwrap();
    assert_eq!(avatar(png(7)).await.status(), StatusCode::OK);
    let with_avatar = usage_of(&world, "a.test").await.storage_bytes;
    assert!(with_avatar > one * 2, "the avatar is counted");
    assert_eq!(avatar(png(7)).await.status(), StatusCode::OK);
    assert_eq!(usage_of(&world, "a.test").await.storage_bytes, with_avatar, "a replaced avatar is given back");
    let full = kereru_store::plans::LimitsChange { media_storage_bytes: Some(Some(one * 2)), ..Default::default() };
    plans::update(&mut conn, By::CommandLine, "small", &full).await.unwrap();
    assert_eq!(avatar(png(7)).await.status(), StatusCode::OK, "the same size again fits");
    assert_quota(avatar(noise()).await, "media_storage_bytes").await;
    world.stop().await;
}

#[tokio::test]
async fn max_accounts_refuses_sign_ups_on_the_api_the_web_and_the_command_lines_path() {
    let world = World::new()
        .domain(NewDomain { registrations: Registrations::Open, ..new_domain("a.test", None) })
        .domain(NewDomain { registrations: Registrations::Open, ..new_domain("b.test", None) })
        .user("a.test", "alice")
        .start()
        .await;
    put_on_plan(&world, "a.test", "two", Limits { max_accounts: Some(2), ..Limits::default() }).await;
    let client = world.app.client();
    let sign_up = async |host: &str, username: &str| {
        let token = app_token(&client, host, "signup", "read write").await;
        let email = format!("{username}@mail.test");
        let form = [("username", username), ("email", &email), ("password", "a good password"), ("agreement", "true")];
        client.post(world.app.url(host, "/api/v1/accounts")).bearer_auth(token).form(&form).send().await.unwrap()
    };
    assert_eq!(sign_up("a.test", "bob").await.status(), StatusCode::OK);
    assert_quota(sign_up("a.test", "carol").await, "max_accounts").await;

    // The sign-up page says so on the form.
    let browser = Browser::new(&world.app, "a.test");
    let fields = [
        ("username", "dave"),
        ("email", "dave@mail.test"),
        ("password", "a good long password"),
        ("password_confirmation", "a good long password"),
        ("agreement", "1"),
    ];
    let page = browser.submit("/auth/sign_up", "/auth/sign_up", &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("all the accounts its plan allows"), "{}", page.body);

    // `kereru user create` (and the provider's owner) go through the same store function.
    let mut conn = world.pool.get().await.unwrap();
    let new = kereru_store::accounts::NewLocalAccount {
        username: kereru_core::Username::parse("erin").unwrap(),
        email: "erin@mail.test".into(),
        password: "a good long password".into(),
        role: kereru_store::roles::Role::User,
        approved: true,
        signup_reason: None,
        locale: None,
    };
    let refused = kereru_store::accounts::create_local(&mut conn, world.domain("a.test").id, new.clone()).await;
    assert!(matches!(refused, Err(kereru_store::accounts::AccountError::Store(ref e)) if e.quota().is_some()));
    assert_eq!(usage_of(&world, "a.test").await.accounts, 2);

    // Another tenant signs people up as before.
    assert_eq!(sign_up("b.test", "carol").await.status(), StatusCode::OK);
    kereru_store::accounts::create_local(&mut conn, world.domain("b.test").id, new).await.unwrap();
    assert_eq!(usage_of(&world, "b.test").await.accounts, 2);
    world.stop().await;
}

fn worker_settings() -> WorkerSettings {
    WorkerSettings {
        concurrency: 8,
        per_host: 4,
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

#[tokio::test]
async fn remote_follows_are_limited_and_deliveries_and_inbound_activities_are_counted_per_tenant() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("b.test", "carol")
        .start_federated(&["remote.test"], &[])
        .await;
    put_on_plan(&world, "a.test", "one-remote", Limits { remote_follows: Some(1), ..Limits::default() }).await;
    let alice = world.login("a.test", "alice").await;
    let carol = world.login("b.test", "carol").await;
    let zoe = world.remote.actor("remote.test", "zoe");
    let yan = world.remote.actor("remote.test", "yan");

    world.follow_accepted(&alice, "http://a.test/users/alice", &zoe).await;
    // A second remote account is one too many; an account on this host's other tenant is not remote.
    world.remote.put(
        "remote.test",
        "/.well-known/webfinger",
        json!({"subject": "acct:yan@remote.test",
               "links": [{"rel": "self", "type": "application/activity+json", "href": yan.id}]}),
    );
    let found = alice.get_json("/api/v2/search?q=yan@remote.test&resolve=true&type=accounts").await;
    let yan_id = found["accounts"][0]["id"].as_str().unwrap().to_string();
    assert_quota(alice.post(&format!("/api/v1/accounts/{yan_id}/follow"), &[]).await, "remote_follows").await;
    let carol_here = alice.get_json("/api/v1/accounts/lookup?acct=carol@b.test").await;
    alice.post_json(&format!("/api/v1/accounts/{}/follow", carol_here["id"].as_str().unwrap()), &[]).await;
    // Carol's tenant has no plan.
    world.follow_accepted(&carol, "http://b.test/users/carol", &zoe).await;
    let found = carol.get_json("/api/v2/search?q=yan@remote.test&resolve=true&type=accounts").await;
    let yan_for_carol = found["accounts"][0]["id"].as_str().unwrap().to_string();
    carol.post_json(&format!("/api/v1/accounts/{yan_for_carol}/follow"), &[]).await;
    assert_eq!(usage_of(&world, "a.test").await.remote_follows, 1);
    assert_eq!(usage_of(&world, "b.test").await.remote_follows, 2);

    // Inbound: each processed activity counts for the tenant whose inbox took it.
    let processed = async |host: &str| -> i64 {
        let mut conn = world.pool.get().await.unwrap();
        inbound_activities::table
            .filter(inbound_activities::domain_id.eq(world.domain(host).id.0))
            .filter(inbound_activities::processed_at.is_not_null())
            .count()
            .get_result(&mut conn)
            .await
            .unwrap()
    };
    let (a, b) = (usage_of(&world, "a.test").await, usage_of(&world, "b.test").await);
    assert_eq!((a.inbound_24h, a.inbound_30d), (processed("a.test").await, processed("a.test").await));
    assert_eq!(a.inbound_24h, 1, "zoe's Accept");
    assert_eq!(b.inbound_24h, 1);

    // Deliveries: a worker's claims count each attempt for the sender's tenant.
    assert_eq!((a.deliveries_24h, b.deliveries_24h), (0, 0), "nothing sent yet");
    let queued = async |host: &str| -> i64 {
        let mut conn = world.pool.get().await.unwrap();
        deliveries::table
            .inner_join(kereru_store::schema::delivery_activities::table)
            .inner_join(
                kereru_store::schema::accounts::table
                    .on(kereru_store::schema::accounts::id.eq(kereru_store::schema::delivery_activities::account_id)),
            )
            .filter(kereru_store::schema::accounts::domain_id.eq(world.domain(host).id.0))
            .count()
            .get_result(&mut conn)
            .await
            .unwrap()
    };
    let (sent_a, sent_b) = (queued("a.test").await, queued("b.test").await);
    assert!(sent_a >= 1 && sent_b >= 2, "{sent_a} {sent_b}");
    let mut resolve = std::collections::HashMap::new();
    resolve.insert("remote.test".to_string(), world.remote.addr);
    let fetcher = std::sync::Arc::new(
        Fetcher::new(&FetchSettings {
            allow_private_addresses: true,
            system_dns: false,
            resolve,
            ..Default::default()
        })
        .unwrap(),
    );
    let worker = Worker::new(world.pool.clone(), fetcher, worker_settings());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let mut conn = world.pool.get().await.unwrap();
        let waiting: i64 =
            deliveries::table.filter(deliveries::state.eq("queued")).count().get_result(&mut conn).await.unwrap();
        if waiting == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{waiting} deliveries still queued");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    task.await.unwrap();
    // The stand-in answers 404 to inboxes: one final attempt per row.
    let (a, b) = (usage_of(&world, "a.test").await, usage_of(&world, "b.test").await);
    assert_eq!((a.deliveries_24h, a.deliveries_30d), (sent_a, sent_a));
    assert_eq!((b.deliveries_24h, b.deliveries_30d), (sent_b, sent_b));
    world.stop().await;
}

#[tokio::test]
async fn the_provider_api_manages_plans_and_reports_usage_with_keys_on_the_provider_host_only() {
    let mut settings = kereru_tests::TestApp::settings();
    settings.provider.host = Some(HostName::parse("provider.test").unwrap());
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .host("provider.test")
        .settings(settings)
        .start()
        .await;
    let (writer, reader) = {
        let mut conn = world.pool.get().await.unwrap();
        let (_, writer) = kereru_service::provider::keys::create(&mut conn, "shop", false).await.unwrap();
        let (_, reader) = kereru_service::provider::keys::create(&mut conn, "billing", true).await.unwrap();
        (writer, reader)
    };
    let client = world.app.client();
    let url = |host: &str, path: &str| world.app.url(host, &format!("/api/provider/v1{path}"));
    let send = async |method: reqwest::Method, path: &str, key: Option<&str>, body: Option<Value>| {
        let mut request = client.request(method, url("provider.test", path));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    };
    use reqwest::Method;

    // Keys: none 401, read-only 403 on writes.
    assert_eq!(send(Method::GET, "/plans", None, None).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(send(Method::GET, "/plans", Some("kereru_pk_wrong"), None).await.status(), StatusCode::UNAUTHORIZED);
    let small = json!({"name": "small", "posts_per_day": 1, "media_storage_bytes": 1000000});
    assert_eq!(send(Method::POST, "/plans", Some(&reader), Some(small.clone())).await.status(), StatusCode::FORBIDDEN);

    let created = send(Method::POST, "/plans", Some(&writer), Some(small.clone())).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let plan: Value = created.json().await.unwrap();
    assert_eq!((plan["name"].clone(), plan["posts_per_day"].clone()), (json!("small"), json!(1)));
    assert_eq!(plan["max_accounts"], Value::Null, "left out: unlimited");
    let again = send(Method::POST, "/plans", Some(&writer), Some(small)).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.json::<Value>().await.unwrap()["field"], "name");
    let bad = send(Method::POST, "/plans", Some(&writer), Some(json!({"name": "x", "posts_per_day": -1}))).await;
    assert_eq!(bad.json::<Value>().await.unwrap()["field"], "posts_per_day");

    let patched = send(
        Method::PATCH,
        "/plans/small",
        Some(&writer),
        Some(json!({"posts_per_day": 2, "media_storage_bytes": null})),
    )
    .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let plan: Value = patched.json().await.unwrap();
    assert_eq!((plan["posts_per_day"].clone(), plan["media_storage_bytes"].clone()), (json!(2), Value::Null));
    let listed: Value = send(Method::GET, "/plans", Some(&reader), None).await.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(send(Method::GET, "/plans/nope", Some(&reader), None).await.status(), StatusCode::NOT_FOUND);

    // Usage, with the plan's limits beside it; another tenant's figures are its own.
    {
        let mut conn = world.pool.get().await.unwrap();
        plans::assign(&mut conn, By::CommandLine, world.domain("a.test").id, "a.test", Some("small")).await.unwrap();
    }
    let alice = world.login("a.test", "alice").await;
    alice.toot("hello", "public").await;
    let usage: Value = send(Method::GET, "/tenants/a.test/usage", Some(&reader), None).await.json().await.unwrap();
    assert_eq!(usage["host"], "a.test");
    assert_eq!(usage["plan"], "small");
    assert_eq!((usage["accounts"].clone(), usage["statuses"].clone()), (json!(1), json!(1)));
    assert_eq!(usage["monthly_active_users"], 1, "alice signed in");
    assert_eq!(usage["quotas"]["posts_per_day"], json!({"limit": 2, "used": 1}));
    assert_eq!(usage["quotas"]["custom_emoji"], json!({"limit": null, "used": null}));
    let other: Value = send(Method::GET, "/tenants/b.test/usage", Some(&reader), None).await.json().await.unwrap();
    assert_eq!((other["plan"].clone(), other["statuses"].clone()), (Value::Null, json!(0)));
    assert_eq!(
        send(Method::GET, "/tenants/nope.test/usage", Some(&reader), None).await.status(),
        StatusCode::NOT_FOUND
    );

    // A plan in use is not deleted; a free one is.
    assert_eq!(send(Method::DELETE, "/plans/small", Some(&writer), None).await.status(), StatusCode::CONFLICT);
    {
        let mut conn = world.pool.get().await.unwrap();
        plans::assign(&mut conn, By::CommandLine, world.domain("a.test").id, "a.test", None).await.unwrap();
    }
    assert_eq!(send(Method::DELETE, "/plans/small", Some(&reader), None).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(send(Method::DELETE, "/plans/small", Some(&writer), None).await.status(), StatusCode::NO_CONTENT);

    // On a tenant's host these paths are not there.
    let on_tenant = client.get(url("a.test", "/plans")).bearer_auth(&writer).send().await.unwrap();
    assert_eq!(on_tenant.status(), StatusCode::NOT_FOUND);
    let on_tenant = client.get(url("a.test", "/tenants/a.test/usage")).bearer_auth(&writer).send().await.unwrap();
    assert_eq!(on_tenant.status(), StatusCode::NOT_FOUND);
    world.stop().await;
}

/// The provider hears of a refused write: `quota.exceeded` is queued after the
/// refused transaction, once a day per tenant and quota, naming the quota.
#[tokio::test]
async fn a_refused_write_queues_quota_exceeded_for_the_provider_once_a_day_per_quota() {
    use kereru_store::schema::webhook_events;
    let world = World::new().tenant("a.test").tenant("b.test").user("a.test", "alice").start().await;
    {
        let mut conn = world.pool.get().await.unwrap();
        let input = kereru_service::webhooks::WebhookInput {
            url: "http://127.0.0.1:9/hook".into(),
            events: vec!["quota.exceeded".into()],
            description: "test".into(),
        };
        kereru_service::webhooks::create(&mut conn, "test", &input).await.unwrap();
    }
    let events = async || -> Vec<Value> {
        let mut conn = world.pool.get().await.unwrap();
        let bodies: Vec<String> = webhook_events::table
            .filter(webhook_events::event_type.eq("quota.exceeded"))
            .order(webhook_events::id)
            .select(webhook_events::body)
            .load(&mut conn)
            .await
            .unwrap();
        bodies.iter().map(|b| serde_json::from_str(b).unwrap()).collect()
    };
    let alice = world.login("a.test", "alice").await;
    put_on_plan(&world, "a.test", "tiny", Limits { posts_per_day: Some(1), ..Limits::default() }).await;
    alice.toot("one", "public").await;
    assert!(events().await.is_empty(), "a write within the plan queues nothing");

    assert_quota(alice.post("/api/v1/statuses", &[("status", "two")]).await, "posts_per_day").await;
    let got = events().await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["data"]["tenant"], "a.test");
    assert_eq!(got[0]["data"]["quota"], "posts_per_day");
    assert_eq!(got[0]["data"]["limit"], 1);
    // Refused again (API and web): the same day's notice is not repeated.
    assert_quota(alice.post("/api/v1/statuses", &[("status", "three")]).await, "posts_per_day").await;
    let browser = Browser::new(&world.app, "a.test");
    browser.sign_in("alice").await;
    let token = browser.get("/statuses/new").await.csrf_token();
    let form = Form::new().text("authenticity_token", token).text("status", "from the web");
    assert_eq!(browser.post_multipart("/statuses", form).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(events().await.len(), 1);

    // Another quota is another notice.
    put_on_plan(&world, "a.test", "no-media", Limits { media_storage_bytes: Some(10), ..Limits::default() }).await;
    assert_quota(upload(&alice, png(1)).await, "media_storage_bytes").await;
    let got = events().await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1]["data"]["quota"], "media_storage_bytes");
    world.stop().await;
}
