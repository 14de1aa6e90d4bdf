//! Quote posts as Mastodon 4.5 has them (issue 15): quoting by policy,
//! the Quote entity, the quoted author's list and revocation, who may quote
//! (`interaction_policy`), and the Note's quote fields for other servers.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::World;
use kereru_tests::session::Session;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn post(session: &Session, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = session.post("/api/v1/statuses", form).await;
    (response.status(), response.json().await.unwrap_or(Value::Null))
}

async fn quote(session: &Session, text: &str, quoted: &str) -> (StatusCode, Value) {
    post(session, &[("status", text), ("quoted_status_id", quoted)]).await
}

fn approval(status: &Value) -> (Value, Value) {
    (status["quote_approval"]["automatic"].clone(), status["quote_approval"]["current_user"].clone())
}

async fn statuses_count(world: &World) -> i64 {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let mut conn = world.pool.get().await.unwrap();
    kereru_store::schema::statuses::table.count().get_result(&mut conn).await.unwrap()
}

#[tokio::test]
async fn a_public_post_is_quoted_at_once_listed_for_its_author_and_revocable() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("b.test", "bea")
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let original = alice.toot("worth quoting", "public").await;

    let (status, quoting) = quote(&bob, "this!", &original).await;
    assert_eq!(status, StatusCode::OK, "{quoting}");
    assert_eq!(quoting["quote"]["state"], "accepted");
    assert_eq!(quoting["quote"]["quoted_status"]["id"], original.as_str());
    assert_eq!(quoting["quote"]["quoted_status"]["content"], "<p>worth quoting</p>");
    let quoting_id = quoting["id"].as_str().unwrap().to_string();

    // The quoted author hears of it, and sees the count and the list.
    let notes = alice.get_json("/api/v1/notifications").await;
    let note = notes.as_array().unwrap().iter().find(|n| n["type"] == "quote").expect("a quote notification");
    assert_eq!(note["status"]["id"], quoting_id.as_str());
    assert_eq!(note["account"]["username"], "bob");
    let seen = alice.get_json(&format!("/api/v1/statuses/{original}")).await;
    assert_eq!(seen["quotes_count"], 1);
    assert_eq!(approval(&seen), (json!(["public"]), json!("automatic")));
    let listed = alice.get_json(&format!("/api/v1/statuses/{original}/quotes")).await;
    let ids: Vec<&str> = listed.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [quoting_id.as_str()]);
    // Only its author lists a status's quotes.
    assert_eq!(bob.get(&format!("/api/v1/statuses/{original}/quotes")).await.status(), StatusCode::FORBIDDEN);

    // Another tenant's people can't reach a status their server never got.
    let bea = world.login("b.test", "bea").await;
    let (status, _) = quote(&bea, "from afar", &original).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(bea.get(&format!("/api/v1/statuses/{original}/quotes")).await.status(), StatusCode::NOT_FOUND);

    // Only the quoted author revokes; then the quote shows nothing.
    let revoke = format!("/api/v1/statuses/{original}/quotes/{quoting_id}/revoke");
    assert_eq!(bob.post(&revoke, &[]).await.status(), StatusCode::NOT_FOUND);
    let revoked = alice.post_json(&revoke, &[]).await;
    assert_eq!(revoked["id"], quoting_id.as_str());
    assert_eq!(revoked["quote"], json!({"state": "revoked", "quoted_status": null}));
    let later = bob.get_json(&format!("/api/v1/statuses/{quoting_id}")).await;
    assert_eq!(later["quote"]["state"], "revoked");
    assert!(alice.get_json(&format!("/api/v1/statuses/{original}/quotes")).await.as_array().unwrap().is_empty());
    assert_eq!(alice.get_json(&format!("/api/v1/statuses/{original}")).await["quotes_count"], 0);

    // A quote of a post that is gone says so.
    let (_, second) = quote(&bob, "again", &original).await;
    let second_id = second["id"].as_str().unwrap();
    assert_eq!(alice.delete(&format!("/api/v1/statuses/{original}")).await.status(), StatusCode::OK);
    let orphan = bob.get_json(&format!("/api/v1/statuses/{second_id}")).await;
    assert_eq!(orphan["quote"], json!({"state": "deleted", "quoted_status": null}));
    world.stop().await;
}

#[tokio::test]
async fn policies_decide_who_may_quote_and_a_refused_quote_posts_nothing() {
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
    let (status, followers_only) =
        post(&alice, &[("status", "friends may quote"), ("quote_approval_policy", "followers")]).await;
    assert_eq!(status, StatusCode::OK);
    let id = followers_only["id"].as_str().unwrap().to_string();
    assert_eq!(approval(&followers_only), (json!(["followers"]), json!("automatic")), "its author may");

    // Carol doesn't follow alice: denied, and nothing is posted.
    assert_eq!(
        approval(&carol.get_json(&format!("/api/v1/statuses/{id}")).await),
        (json!(["followers"]), json!("denied"))
    );
    let before = statuses_count(&world).await;
    let (status, body) = quote(&carol, "let me", &id).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"].is_string());
    assert_eq!(statuses_count(&world).await, before);
    // Once she follows, she may.
    let alice_id = &alice.account_id;
    assert_eq!(carol.post(&format!("/api/v1/accounts/{alice_id}/follow"), &[]).await.status(), StatusCode::OK);
    assert_eq!(approval(&carol.get_json(&format!("/api/v1/statuses/{id}")).await).1, "automatic");
    assert_eq!(quote(&carol, "now I may", &id).await.1["quote"]["state"], "accepted");

    // The author changes it to nobody: followers are refused too; the author still may.
    let changed = alice
        .client
        .put(format!("http://a.test/api/v1/statuses/{id}/interaction_policy"))
        .bearer_auth(&alice.token)
        .form(&[("quote_approval_policy", "nobody")])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(approval(&changed.json::<Value>().await.unwrap()), (json!([]), json!("automatic")));
    assert_eq!(quote(&carol, "and again", &id).await.0, StatusCode::FORBIDDEN);
    assert_eq!(quote(&alice, "myself", &id).await.1["quote"]["state"], "accepted");
    // Nobody else changes it, and only Mastodon's values are taken.
    let put = |session: &Session, value: &'static str| {
        session
            .client
            .put(format!("http://a.test/api/v1/statuses/{id}/interaction_policy"))
            .bearer_auth(&session.token)
            .form(&[("quote_approval_policy", value)])
            .send()
    };
    assert_eq!(put(&bob, "public").await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(put(&alice, "everyone").await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        post(&alice, &[("status", "x"), ("quote_approval_policy", "all")]).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // A followers-only post is its author's alone to quote, whatever its policy.
    let private = post(&alice, &[("status", "just us"), ("visibility", "private")]).await.1;
    let private_id = private["id"].as_str().unwrap();
    assert_eq!(approval(&private), (json!([]), json!("automatic")));
    assert_eq!(quote(&carol, "sharing", private_id).await.0, StatusCode::FORBIDDEN, "carol follows and sees it");
    // Bob can't even see it.
    assert_eq!(quote(&bob, "sharing", private_id).await.0, StatusCode::NOT_FOUND);
    world.stop().await;
}

#[tokio::test]
async fn a_quoting_note_names_what_it_quotes_and_every_note_who_may_quote_it() {
    let world = World::new().tenant("a.test").user("a.test", "alice").user("a.test", "bob").start().await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let original = alice.toot("quote me", "public").await;
    let (_, quoting) = quote(&bob, "quoted", &original).await;
    let note_of = |user: &str, id: &str| {
        let url = format!("http://a.test/users/{user}/statuses/{id}");
        let client = world.app.client();
        async move {
            let response = client.get(url).header("Accept", "application/activity+json").send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.unwrap()
        }
    };
    let original_note = note_of("alice", &original).await;
    let original_uri = original_note["id"].as_str().unwrap().to_string();
    assert_eq!(
        original_note["interactionPolicy"]["canQuote"]["automaticApproval"],
        json!(["https://www.w3.org/ns/activitystreams#Public"])
    );
    assert!(original_note.get("quote").is_none());
    let note = note_of("bob", quoting["id"].as_str().unwrap()).await;
    for key in ["quote", "quoteUri", "_misskey_quote"] {
        assert_eq!(note[key], original_uri.as_str(), "{key}: {note}");
    }
    let context = note["@context"].to_string();
    assert!(context.contains("https://w3id.org/fep/044f#quote"), "{context}");
    world.stop().await;
}

#[tokio::test]
async fn a_persons_default_quote_policy_applies_to_posts_that_name_none() {
    let world = World::new().tenant("a.test").user("a.test", "alice").user("a.test", "bob").start().await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let changed = alice
        .client
        .patch("http://a.test/api/v1/accounts/update_credentials")
        .bearer_auth(&alice.token)
        .form(&[("source[quote_policy]", "nobody")])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let (_, guarded) = post(&alice, &[("status", "mine alone")]).await;
    assert_eq!(approval(&guarded), (json!([]), json!("automatic")));
    assert_eq!(quote(&bob, "may I", guarded["id"].as_str().unwrap()).await.0, StatusCode::FORBIDDEN);
    // A post that names its policy keeps it.
    let (_, open) = post(&alice, &[("status", "anyone"), ("quote_approval_policy", "public")]).await;
    assert_eq!(quote(&bob, "thanks", open["id"].as_str().unwrap()).await.1["quote"]["state"], "accepted");
    world.stop().await;
}

#[tokio::test]
async fn a_followers_only_quote_is_not_shown_to_a_quoted_author_who_may_not_see_it() {
    let world = World::new().tenant("a.test").user("a.test", "alice").user("a.test", "bob").start().await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let original = alice.toot("public words", "public").await;
    // Bob quotes it to his followers only; alice doesn't follow him.
    let (status, quoting) =
        post(&bob, &[("status", "between us"), ("quoted_status_id", &original), ("visibility", "private")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(quoting["quote"]["state"], "accepted");
    let quoting_id = quoting["id"].as_str().unwrap();
    let notes = alice.get_json("/api/v1/notifications").await;
    assert!(!notes.as_array().unwrap().iter().any(|n| n["type"] == "quote"), "no notification naming it: {notes}");
    // Nor does the list or a revocation reveal it.
    assert!(alice.get_json(&format!("/api/v1/statuses/{original}/quotes")).await.as_array().unwrap().is_empty());
    let revoke = alice.post(&format!("/api/v1/statuses/{original}/quotes/{quoting_id}/revoke"), &[]).await;
    assert_eq!(revoke.status(), StatusCode::NOT_FOUND);
    assert_eq!(bob.get_json(&format!("/api/v1/statuses/{quoting_id}")).await["quote"]["state"], "accepted");
    world.stop().await;
}
