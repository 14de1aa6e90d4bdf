//! The client API's last endpoints of issue 15: several statuses at once,
//! deleting the avatar or header, the terms of service, asking for the
//! confirmation mail again, and annual reports — each on its own tenant only.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kereru_store::domains::{NewDomain, Registrations};
use kereru_store::schema::{deliveries, delivery_activities};
use kereru_tests::mail::{link_in_mail, outbox};
use kereru_tests::{Session, World, new_domain, oauth};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ALICE: &str = "http://a.test/users/alice";

async fn get(client: &reqwest::Client, url: &str) -> (u16, Value) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn ids_of(page: &Value) -> Vec<&str> {
    page.as_array().unwrap_or_else(|| panic!("not a list: {page}")).iter().map(|s| s["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn several_statuses_at_once_follow_the_rules_of_showing_one() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "amy")
        .user("b.test", "bob")
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let amy = world.login("a.test", "amy").await;
    let bob = world.login("b.test", "bob").await;
    let public = alice.toot("for everyone", "public").await;
    let private = alice.toot("for followers", "private").await;
    let direct = alice.toot("@amy just you", "direct").await;
    let bobs = bob.toot("on b", "public").await;
    let query = |ids: &[&str]| {
        let list: Vec<String> = ids.iter().map(|id| format!("id[]={id}")).collect();
        format!("/api/v1/statuses?{}", list.join("&"))
    };
    let asked = query(&[&private, &public, &direct, "999999999", &bobs, &public]);

    // The author sees all three of hers, in the order asked, once each; unknown ids and b.test's are left out.
    assert_eq!(ids_of(&alice.get_json(&asked).await), [private.as_str(), public.as_str(), direct.as_str()]);
    // Amy does not follow alice: the public one and the one addressed to her.
    assert_eq!(ids_of(&amy.get_json(&asked).await), [public.as_str(), direct.as_str()]);
    // Without a token: public only.
    let (status, anonymous) = get(&world.app.client(), &format!("http://a.test{asked}")).await;
    assert_eq!(status, 200);
    assert_eq!(ids_of(&anonymous), [public.as_str()]);
    // On b.test, a.test's ids name nothing.
    assert_eq!(ids_of(&bob.get_json(&query(&[&public, &bobs])).await), [bobs.as_str()]);
    let whole = alice.get_json(&query(&[&public])).await;
    assert_eq!(whole[0]["content"], alice.get_json(&format!("/api/v1/statuses/{public}")).await["content"]);
    // Mastodon's limit: more than 20 ids is a 422; none is an empty list.
    let many: Vec<String> = (1..=21).map(|n| n.to_string()).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(alice.get(&query(&many)).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(alice.get_json("/api/v1/statuses").await, json!([]));
    world.stop().await;
}

fn png() -> Vec<u8> {
    let picture = image::RgbImage::from_fn(120, 80, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(picture).write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

/// The activities queued of `kind`, with their inboxes.
async fn queued(world: &World, kind: &str) -> Vec<(Value, Vec<String>)> {
    let mut conn = world.pool.get().await.unwrap();
    let rows: Vec<(i64, String)> = delivery_activities::table
        .select((delivery_activities::id, delivery_activities::body))
        .order(delivery_activities::id)
        .load(&mut conn)
        .await
        .unwrap();
    let mut out = Vec::new();
    for (id, body) in rows {
        let value: Value = serde_json::from_str(&body).unwrap();
        if value["type"] == kind {
            let inboxes: Vec<String> = deliveries::table
                .filter(deliveries::activity_id.eq(id))
                .select(deliveries::inbox)
                .load(&mut conn)
                .await
                .unwrap();
            out.push((value, inboxes));
        }
    }
    out
}

/// The files stored for `host`'s tenant.
fn files_of(world: &World, host: &str) -> Vec<String> {
    let dir = world.app.media_dir.join(world.domain(host).id.0.to_string());
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect(),
        Err(_) => Vec::new(),
    }
}

async fn upload_images(session: &Session) -> Value {
    let form = reqwest::multipart::Form::new()
        .part("avatar", reqwest::multipart::Part::bytes(png()).file_name("a.png").mime_str("image/png").unwrap())
        .part("header", reqwest::multipart::Part::bytes(png()).file_name("h.png").mime_str("image/png").unwrap());
    let response = session
        .client
        .patch(format!("http://{}/api/v1/accounts/update_credentials", session.host))
        .bearer_auth(&session.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn deleting_the_avatar_or_header_removes_its_file_and_tells_followers() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("b.test", "bob")
        .start_federated(&["remote.test"], &[])
        .await;
    let mallory = world.remote.actor("remote.test", "mallory");
    let follow = json!({"id": format!("{}#follows/1", mallory.id), "type": "Follow", "actor": mallory.id,
                        "object": ALICE});
    assert_eq!(world.post(&format!("{ALICE}/inbox"), &follow.to_string(), &mallory.signer).await, 202);
    world.process().await;
    let alice = world.login("a.test", "alice").await;
    let before = alice.get_json("/api/v1/accounts/verify_credentials").await;
    let with_images = upload_images(&alice).await;
    assert_ne!(with_images["avatar"], before["avatar"]);
    let stored = files_of(&world, "a.test");
    assert_eq!(stored.len(), 2, "{stored:?}");
    let updates_before = queued(&world, "Update").await.len();

    // Another tenant's person has no avatar of alice's to delete: their token is unknown on a.test.
    let bob = world.login("b.test", "bob").await;
    let foreign =
        world.app.client().delete("http://a.test/api/v1/profile/avatar").bearer_auth(&bob.token).send().await.unwrap();
    assert_eq!(foreign.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(files_of(&world, "a.test").len(), 2);

    let response = alice.delete("/api/v1/profile/avatar").await;
    assert_eq!(response.status(), StatusCode::OK);
    let after: Value = response.json().await.unwrap();
    assert_eq!(after["avatar"], before["avatar"], "the default image again");
    assert_eq!(after["header"], with_images["header"], "the header stays");
    assert!(after["source"].is_object(), "a CredentialAccount: {after}");
    // The file goes through the store's removal queue (filled in the change's
    // transaction); the test app runs no removal worker, so a round does it here.
    let store = kereru_media::MediaStore::local(&world.app.media_dir).unwrap();
    assert_eq!(files_of(&world, "a.test").len(), 2, "kept until the removal worker runs");
    let round = kereru_service::media_files::round(&world.pool, &store).await.unwrap();
    assert_eq!(round.removed, 1, "{round:?}");
    assert_eq!(files_of(&world, "a.test").len(), 1, "the avatar's file is gone");
    let updates = queued(&world, "Update").await;
    assert_eq!(updates.len(), updates_before + 1);
    let (update, inboxes) = updates.last().unwrap();
    assert_eq!(inboxes, &vec!["http://remote.test/inbox".to_string()], "mallory's server's shared inbox");
    assert_eq!((update["actor"].clone(), update["object"]["id"].clone()), (json!(ALICE), json!(ALICE)));

    let response = alice.delete("/api/v1/profile/header").await;
    assert_eq!(response.status(), StatusCode::OK);
    let after: Value = response.json().await.unwrap();
    assert_eq!(after["header"], before["header"]);
    assert_eq!(kereru_service::media_files::round(&world.pool, &store).await.unwrap().removed, 1);
    assert!(files_of(&world, "a.test").is_empty());
    assert_eq!(queued(&world, "Update").await.len(), updates_before + 2);
    // Nothing left to delete: still 200, as Mastodon, and nothing more is sent.
    let sent = queued(&world, "Update").await.len();
    assert_eq!(alice.delete("/api/v1/profile/header").await.status(), StatusCode::OK);
    assert_eq!(queued(&world, "Update").await.len(), sent);
    // Without a token: 401.
    let anonymous = world.app.client().delete("http://a.test/api/v1/profile/avatar").send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    world.stop().await;
}

#[tokio::test]
async fn terms_of_service_are_404_until_a_tenant_publishes_them() {
    let world = World::new().tenant("a.test").tenant("b.test").start().await;
    let client = world.app.client();
    assert_eq!(get(&client, "http://a.test/api/v1/instance/terms_of_service").await.0, 404);
    let day = |text: &str| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    {
        let mut conn = world.pool.get().await.unwrap();
        let a = world.domain("a.test").id;
        kereru_store::terms_of_service::set(&mut conn, a, day("2020-01-01"), "Old terms").await.unwrap();
        kereru_store::terms_of_service::set(&mut conn, a, day("2021-06-01"), "Be <kind>\n\nReally").await.unwrap();
        kereru_store::terms_of_service::set(&mut conn, a, day("2999-01-01"), "Future terms").await.unwrap();
    }
    let (status, current) = get(&client, "http://a.test/api/v1/instance/terms_of_service").await;
    assert_eq!(status, 200);
    assert_eq!(
        current,
        json!({"effective_date": "2021-06-01", "effective": true,
               "content": "<p>Be &lt;kind&gt;</p><p>Really</p>", "succeeded_by": "2999-01-01"})
    );
    let (status, old) = get(&client, "http://a.test/api/v1/instance/terms_of_service/2020-01-01").await;
    assert_eq!((status, old["succeeded_by"].clone()), (200, json!("2021-06-01")));
    // Mastodon.py sends the date as a parameter.
    let (_, future) = get(&client, "http://a.test/api/v1/instance/terms_of_service?date=2999-01-01").await;
    assert_eq!((future["effective"].clone(), future["succeeded_by"].clone()), (json!(false), Value::Null));
    assert_eq!(get(&client, "http://a.test/api/v1/instance/terms_of_service/2020-01-02").await.0, 404);
    assert_eq!(get(&client, "http://a.test/api/v1/instance/terms_of_service/yesterday").await.0, 404);
    // b.test published none.
    assert_eq!(get(&client, "http://b.test/api/v1/instance/terms_of_service").await.0, 404);
    assert_eq!(get(&client, "http://b.test/api/v1/instance/terms_of_service/2021-06-01").await.0, 404);
    world.stop().await;
}

#[tokio::test]
async fn the_sign_up_application_may_ask_for_the_confirmation_mail_again() {
    let world = World::new()
        .domain(NewDomain { registrations: Registrations::Open, ..new_domain("a.test", None) })
        .domain(NewDomain { registrations: Registrations::Open, ..new_domain("b.test", None) })
        .user("a.test", "alice")
        .start()
        .await;
    let client = world.app.client();
    let app_token = oauth::app_token(&client, "a.test", "signup", "read write").await;
    let form =
        [("username", "newbie"), ("email", "typo@mail.test"), ("password", "a good password"), ("agreement", "true")];
    let response =
        client.post("http://a.test/api/v1/accounts").bearer_auth(&app_token).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let token = response.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string();
    let call = |method: reqwest::Method, host: &str, path: &str, token: &str| {
        client.request(method, format!("http://{host}{path}")).bearer_auth(token.to_string())
    };
    let check = || async {
        let response =
            call(reqwest::Method::GET, "a.test", "/api/v1/emails/check_confirmation", &token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<Value>().await.unwrap()
    };
    assert_eq!(check().await, json!(false));
    let mails_before = outbox(&world, "a.test").await.len();

    // Again to the same address; then to a corrected one, which the new link confirms.
    let resend = call(reqwest::Method::POST, "a.test", "/api/v1/emails/confirmations", &token).send().await.unwrap();
    assert_eq!(resend.status(), StatusCode::OK);
    assert_eq!(resend.json::<Value>().await.unwrap(), json!({}));
    let mails = outbox(&world, "a.test").await;
    assert_eq!(mails.len(), mails_before + 1);
    assert_eq!(mails.last().unwrap().to_address, "typo@mail.test");
    let bad = call(reqwest::Method::POST, "a.test", "/api/v1/emails/confirmations", &token)
        .form(&[("email", "not an address")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let taken = call(reqwest::Method::POST, "a.test", "/api/v1/emails/confirmations", &token)
        .form(&[("email", "alice@mail.example")])
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY, "another login's address");
    let old_link = link_in_mail(&world, "a.test", "typo@mail.test", "/auth/confirmation").await;
    let fixed = call(reqwest::Method::POST, "a.test", "/api/v1/emails/confirmations", &token)
        .form(&[("email", "right@mail.test")])
        .send()
        .await
        .unwrap();
    assert_eq!(fixed.status(), StatusCode::OK);
    // The earlier link stopped working; the new one, sent to the corrected address, confirms it.
    assert_eq!(client.get(format!("http://a.test{old_link}")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let link = link_in_mail(&world, "a.test", "right@mail.test", "/auth/confirmation").await;
    assert_eq!(client.get(format!("http://a.test{link}")).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(check().await, json!(true));
    let me = call(reqwest::Method::GET, "a.test", "/api/v1/accounts/verify_credentials", &token).send().await.unwrap();
    assert_eq!(me.json::<Value>().await.unwrap()["username"], "newbie");

    // Confirmed: 403, as Mastodon. Another application (or a person signed up on the web): 403.
    let again = call(reqwest::Method::POST, "a.test", "/api/v1/emails/confirmations", &token).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
    let alice = world.login("a.test", "alice").await;
    assert_eq!(alice.post("/api/v1/emails/confirmations", &[]).await.status(), StatusCode::FORBIDDEN);
    // The token names nothing on b.test; an app token has no user (422).
    let elsewhere = call(reqwest::Method::POST, "b.test", "/api/v1/emails/confirmations", &token).send().await.unwrap();
    assert_eq!(elsewhere.status(), StatusCode::UNAUTHORIZED);
    let app_only =
        call(reqwest::Method::POST, "a.test", "/api/v1/emails/confirmations", &app_token).send().await.unwrap();
    assert_eq!(app_only.status(), StatusCode::UNPROCESSABLE_ENTITY);
    world.stop().await;
}

#[tokio::test]
async fn annual_reports_answer_as_a_server_that_generated_none() {
    let world = World::new().tenant("a.test").user("a.test", "alice").start().await;
    let alice = world.login("a.test", "alice").await;
    let none = json!({"annual_reports": [], "accounts": [], "statuses": []});
    assert_eq!(alice.get_json("/api/v1/annual_reports").await, none);
    assert_eq!(alice.get_json("/api/v1/annual_reports/2025").await, none);
    assert_eq!(alice.get_json("/api/v1/annual_reports/2025/state").await, json!({"state": "ineligible"}));
    assert_eq!(alice.post("/api/v1/annual_reports/2025/read", &[]).await.status(), StatusCode::OK);
    assert_eq!(alice.post("/api/v1/annual_reports/2025/generate", &[]).await.status(), StatusCode::OK);
    let anonymous = world.app.client().get("http://a.test/api/v1/annual_reports").send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    world.stop().await;
}

#[tokio::test]
async fn an_admin_publishes_and_withdraws_the_terms_of_service() {
    use kereru_store::admin_actions::{self, LogScope};
    use kereru_store::roles::Role;
    use kereru_tests::web::Browser;
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .staff("a.test", "boss", Role::Admin)
        .staff("a.test", "mod", Role::Moderator)
        .user("a.test", "alice")
        .start()
        .await;
    let client = world.app.client();
    let sign_in = |name: &'static str| {
        let browser = Browser::new(&world.app, "a.test");
        async move {
            browser.sign_in(name).await;
            browser
        }
    };
    let boss = sign_in("boss").await;
    let page = boss.get("/admin/terms").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("No terms of service yet."), "{}", page.body);
    assert!(boss.get("/admin/rules").await.body.contains("href=\"/admin/terms\""), "in the admin navigation");

    let page = boss.submit("/admin/terms", "/admin/terms", &[("effective_date", "soon"), ("text", "Be kind.")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("Give the date as YYYY-MM-DD.") && page.body.contains("Be kind."), "kept as typed");
    let page = boss.submit("/admin/terms", "/admin/terms", &[("effective_date", "2021-06-01"), ("text", "  ")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(get(&client, "http://a.test/api/v1/instance/terms_of_service").await.0, 404, "nothing published");

    let text = "Be kind.\n\nReally <kind>.";
    let page = boss.submit("/admin/terms", "/admin/terms", &[("effective_date", "2021-06-01"), ("text", text)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let (status, terms) = get(&client, "http://a.test/api/v1/instance/terms_of_service").await;
    assert_eq!(status, 200);
    assert_eq!(terms["content"], "<p>Be kind.</p><p>Really &lt;kind&gt;.</p>");
    assert_eq!(terms["effective_date"], "2021-06-01");
    assert_eq!(get(&client, "http://b.test/api/v1/instance/terms_of_service").await.0, 404, "a.test's only");
    let page = boss.get("/admin/terms?done=saved").await;
    assert!(page.body.contains("From 2021-06-01") && page.body.contains("Really &lt;kind&gt;."), "{}", page.body);

    // Neither a person nor a moderator may publish or withdraw.
    for name in ["alice", "mod"] {
        let other = sign_in(name).await;
        assert_eq!(other.get("/admin/terms").await.status, StatusCode::FORBIDDEN, "{name}");
        let fields = [("effective_date", "2022-01-01"), ("text", "Be mean.")];
        assert_eq!(other.submit("/settings/profile", "/admin/terms", &fields).await.status, StatusCode::FORBIDDEN);
        let remove = other.submit("/settings/profile", "/admin/terms/2021-06-01/remove", &[]).await;
        assert_eq!(remove.status, StatusCode::FORBIDDEN, "{name}");
    }
    assert_eq!(get(&client, "http://a.test/api/v1/instance/terms_of_service").await.1["content"], terms["content"]);

    let page = boss.submit("/admin/terms", "/admin/terms/2021-06-01/remove", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(get(&client, "http://a.test/api/v1/instance/terms_of_service").await.0, 404, "withdrawn");
    let mut conn = world.pool.get().await.unwrap();
    let log: Vec<String> = admin_actions::list(&mut conn, LogScope::Tenant(world.domain("a.test").id), None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    drop(conn);
    assert!(log.contains(&"update_terms_of_service".to_string()), "{log:?}");
    assert!(log.contains(&"destroy_terms_of_service".to_string()), "{log:?}");
    world.stop().await;
}
