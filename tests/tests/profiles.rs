//! Sign-up, profile edits, preferences, markers and search through the client API.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_store::domains::{NewDomain, Registrations};
use kereru_tests::mail::link_in_mail;
use kereru_tests::{TestApp, World, new_domain, oauth};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn app_token(app: &TestApp, host: &str) -> (reqwest::Client, String) {
    let client = app.client();
    let token = oauth::app_token(&client, host, "signup", "read write").await;
    (client, token)
}

#[tokio::test]
async fn sign_up_follows_each_tenants_registration_mode() {
    let world = World::new()
        .domain(NewDomain { registrations: Registrations::Open, ..new_domain("open.test", None) })
        .domain(NewDomain { registrations: Registrations::Approval, ..new_domain("approval.test", None) })
        .domain(NewDomain { registrations: Registrations::Closed, ..new_domain("closed.test", None) })
        .start()
        .await;
    let app = &world.app;

    let signup = |host: &'static str, username: &'static str, extra: Vec<(&'static str, &'static str)>| {
        let app = &app;
        async move {
            let (client, token) = app_token(app, host).await;
            let mut form = vec![
                ("username", username),
                ("email", "new@mail.test"),
                ("password", "a good password"),
                ("agreement", "true"),
            ];
            form.extend(extra);
            client.post(app.url(host, "/api/v1/accounts")).bearer_auth(token).form(&form).send().await.unwrap()
        }
    };
    let response = signup("open.test", "newbie", vec![]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let token: Value = response.json().await.unwrap();
    let verify = || {
        app.client()
            .get(app.url("open.test", "/api/v1/accounts/verify_credentials"))
            .bearer_auth(token["access_token"].as_str().unwrap())
            .send()
    };
    // As Mastodon: the token works once the address is confirmed by the mailed link.
    let unconfirmed = verify().await.unwrap();
    assert_eq!(unconfirmed.status(), StatusCode::FORBIDDEN);
    assert_eq!(unconfirmed.json::<Value>().await.unwrap()["error"], "Your login is missing a confirmed e-mail address");
    let link = link_in_mail(&world, "open.test", "new@mail.test", "/auth/confirmation").await;
    let confirmed = app.client().get(app.url("open.test", &link)).send().await.unwrap();
    assert_eq!(confirmed.status(), StatusCode::OK);
    let me = verify().await.unwrap();
    assert_eq!(me.json::<Value>().await.unwrap()["username"], "newbie");
    assert_eq!(
        signup("open.test", "NEWBIE", vec![]).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "taken, any case"
    );
    let (client, token) = app_token(app, "open.test").await;
    let no_agreement = client
        .post(app.url("open.test", "/api/v1/accounts"))
        .bearer_auth(token)
        .form(&[("username", "other"), ("email", "o@mail.test"), ("password", "a good password")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_agreement.status(), StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(signup("closed.test", "nobody", vec![]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        signup("approval.test", "waiting", vec![]).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is needed"
    );
    let pending = signup("approval.test", "waiting", vec![("reason", "I'd like to join")]).await;
    assert_eq!(pending.status(), StatusCode::OK);
    let token: Value = pending.json().await.unwrap();
    let verify = || {
        app.client()
            .get(app.url("approval.test", "/api/v1/accounts/verify_credentials"))
            .bearer_auth(token["access_token"].as_str().unwrap())
            .send()
    };
    assert_eq!(verify().await.unwrap().status(), StatusCode::FORBIDDEN, "unconfirmed");
    // Confirmed, the sign-up still waits for the staff.
    let link = link_in_mail(&world, "approval.test", "new@mail.test", "/auth/confirmation").await;
    assert_eq!(app.client().get(app.url("approval.test", &link)).send().await.unwrap().status(), StatusCode::OK);
    let me = verify().await.unwrap();
    assert_eq!(me.status(), StatusCode::FORBIDDEN, "pending approval");
    assert_eq!(me.json::<Value>().await.unwrap()["error"], "Your login is currently pending approval");
    world.stop().await;
}

#[tokio::test]
async fn profile_edits_show_everywhere_and_bad_ones_change_nothing() {
    let world = World::new().tenant("a.test").user("a.test", "alice").user("a.test", "bob").start().await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let patch = |body: Value| {
        alice
            .client
            .patch("http://a.test/api/v1/accounts/update_credentials")
            .bearer_auth(&alice.token)
            .json(&body)
            .send()
    };

    let updated: Value = patch(json!({
        "display_name": "Alice <3",
        "note": "Hi & welcome",
        "locked": true,
        "fields_attributes": [{"name": "Site", "value": "https://alice.example"}, {"name": "Pronouns", "value": "she/her"}],
        "source": {"privacy": "unlisted", "sensitive": true},
    }))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(updated["display_name"], "Alice <3");
    assert_eq!(updated["note"], "<p>Hi &amp; welcome</p>");
    assert_eq!(updated["locked"], true);
    assert_eq!(updated["fields"][1]["name"], "Pronouns");
    assert!(updated["fields"][0]["value"].as_str().unwrap().contains("href=\"https://alice.example\""));
    assert_eq!(updated["source"]["privacy"], "unlisted");
    let seen = bob.get_json(&format!("/api/v1/accounts/{}", alice.account_id)).await;
    assert_eq!(seen["display_name"], "Alice <3");
    // Other servers see the fields as Mastodon sends them: PropertyValues on the Person.
    let person: Value = bob
        .client
        .get("http://a.test/users/alice")
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(person["attachment"][0]["type"], "PropertyValue", "{person}");
    assert_eq!(person["attachment"][0]["name"], "Site");
    assert!(person["attachment"][0]["value"].as_str().unwrap().contains("href=\"https://alice.example\""));
    assert_eq!(person["attachment"][1]["value"], "she/her");
    assert!(person.get("icon").is_none(), "no avatar uploaded, none claimed: {person}");
    assert_eq!(seen["fields"].as_array().unwrap().len(), 2);
    let prefs = alice.get_json("/api/v1/preferences").await;
    assert_eq!(prefs["posting:default:visibility"], "unlisted");
    assert_eq!(prefs["posting:default:sensitive"], true);

    // Form encoding works as JSON does.
    let response = alice
        .client
        .patch("http://a.test/api/v1/accounts/update_credentials")
        .bearer_auth(&alice.token)
        .form(&[
            ("display_name", "Alice"),
            ("fields_attributes[0][name]", "Only"),
            ("fields_attributes[0][value]", "one"),
        ])
        .send()
        .await
        .unwrap();
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["display_name"], "Alice");
    assert_eq!(updated["fields"].as_array().unwrap().len(), 1);

    for bad in [
        json!({ "display_name": "x".repeat(31) }),
        json!({ "note": "x".repeat(501) }),
        json!({ "fields_attributes": [{"name": "1", "value": "1"}, {"name": "2", "value": "2"}, {"name": "3", "value": "3"}, {"name": "4", "value": "4"}, {"name": "5", "value": "5"}] }),
        json!({ "source": {"privacy": "everyone"} }),
    ] {
        let response = patch(bad.clone()).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let unchanged = alice.get_json("/api/v1/accounts/verify_credentials").await;
    assert_eq!(unchanged["display_name"], "Alice");
    assert_eq!(unchanged["fields"].as_array().unwrap().len(), 1);
    world.stop().await;
}

#[tokio::test]
async fn markers_save_with_versions() {
    let world = World::new().tenant("a.test").user("a.test", "alice").start().await;
    let alice = world.login("a.test", "alice").await;
    assert_eq!(alice.get_json("/api/v1/markers?timeline[]=home").await, json!({}));
    let saved = alice.post_json("/api/v1/markers", &[("home[last_read_id]", "123")]).await;
    assert_eq!(saved["home"]["last_read_id"], "123");
    let version = saved["home"]["version"].as_i64().unwrap();
    let again = alice.post_json("/api/v1/markers", &[("home[last_read_id]", "456")]).await;
    assert_eq!(again["home"]["version"].as_i64().unwrap(), version + 1);
    let read = alice.get_json("/api/v1/markers?timeline[]=home&timeline[]=notifications").await;
    assert_eq!(read["home"]["last_read_id"], "456");
    assert!(read.get("notifications").is_none());
    assert_eq!(alice.post("/api/v1/markers", &[]).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(alice.get_json("/api/v1/custom_emojis").await, json!([]));
    world.stop().await;
}

#[tokio::test]
async fn search_finds_accounts_tags_and_this_tenants_own_posts() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "alfred")
        .user("b.test", "bob")
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("b.test", "bob").await;
    alice.toot("gardening with #Kereru birds", "public").await;
    bob.toot("gardening on b", "public").await;

    let found = alice.get_json("/api/v2/search?q=al&type=accounts").await;
    let names: Vec<&str> = found["accounts"].as_array().unwrap().iter().map(|a| a["acct"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["alfred", "alice"]);
    // bob@b.test is found only when resolving is asked for, then he is known here.
    let without = alice.get_json("/api/v2/search?q=bob@b.test&type=accounts").await;
    assert_eq!(without["accounts"], json!([]));
    let with = alice.get_json("/api/v2/search?q=bob@b.test&type=accounts&resolve=true").await;
    assert_eq!(with["accounts"][0]["acct"], "bob@b.test");
    let now_known = alice.get_json("/api/v2/search?q=bo&type=accounts").await;
    assert_eq!(now_known["accounts"][0]["acct"], "bob@b.test");

    let tags = alice.get_json("/api/v2/search?q=%23kere&type=hashtags").await;
    assert_eq!(tags["hashtags"][0]["name"], "kereru");
    let posts = alice.get_json("/api/v2/search?q=gardening&type=statuses").await;
    let posts = posts["statuses"].as_array().unwrap();
    assert_eq!(posts.len(), 1, "only this tenant's own posts: {posts:?}");
    assert_eq!(posts[0]["account"]["acct"], "alice");
    // Wildcards are text, not patterns.
    assert_eq!(alice.get_json("/api/v2/search?q=%25&type=statuses").await["statuses"], json!([]));
    assert_eq!(alice.get("/api/v2/search?q=x&type=everything").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    world.stop().await;
}
