//! The social part of the client API, accounts side (issue 15): several
//! accounts at once, account search with `following` and `resolve`, familiar
//! followers, endorsements, private notes, hidden collections, follow
//! suggestions, the directory and the profile settings update_credentials
//! keeps. Every endpoint is tried with another tenant's token and ids.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::{Session, World};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn ids(page: &Value) -> Vec<String> {
    page.as_array()
        .unwrap_or_else(|| panic!("not a list: {page}"))
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

async fn patch(session: &Session, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let url = format!("http://{}{path}", session.host);
    json_of(session.client.patch(&url).bearer_auth(&session.token).form(form).send().await.unwrap()).await
}

async fn world() -> (World, Session, Session, Session, Session) {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("a.test", "carol")
        .user("b.test", "dave")
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let carol = world.login("a.test", "carol").await;
    let dave = world.login("b.test", "dave").await;
    (world, alice, bob, carol, dave)
}

#[tokio::test]
async fn accounts_by_id_search_and_familiar_followers() {
    let (world, alice, bob, carol, dave) = world().await;
    // Several at once, in the order asked; unknown ids and other tenants' accounts left out.
    let page = alice
        .get_json(&format!(
            "/api/v1/accounts?id[]={}&id[]={}&id[]=12345&id[]={}",
            bob.account_id, alice.account_id, dave.account_id
        ))
        .await;
    assert_eq!(ids(&page), vec![bob.account_id.clone(), alice.account_id.clone()]);
    let page = dave.get_json(&format!("/api/v1/accounts?id[]={}", bob.account_id)).await;
    assert_eq!(ids(&page), Vec::<String>::new(), "b.test does not know bob");
    let too_many: String = (1..=41).map(|n| format!("id[]={n}&")).collect();
    assert_eq!(alice.get(&format!("/api/v1/accounts?{too_many}")).await.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Search, then only among those followed.
    assert_eq!(ids(&alice.get_json("/api/v1/accounts/search?q=bo").await), vec![bob.account_id.clone()]);
    assert_eq!(ids(&alice.get_json("/api/v1/accounts/search?q=bo&following=true").await), Vec::<String>::new());
    alice.post_json(&format!("/api/v1/accounts/{}/follow", bob.account_id), &[]).await;
    assert_eq!(ids(&alice.get_json("/api/v1/accounts/search?q=bo&following=1").await), vec![bob.account_id.clone()]);
    assert_eq!(ids(&alice.get_json("/api/v1/accounts/search?q=o&limit=1&offset=1").await).len(), 1);
    // Another tenant's people are found by handle (resolved), not by a bare name.
    assert_eq!(ids(&alice.get_json("/api/v1/accounts/search?q=dave").await), Vec::<String>::new());
    let found = alice.get_json("/api/v1/accounts/search?q=dave@b.test&resolve=true").await;
    assert_eq!(found[0]["acct"], "dave@b.test", "{found}");
    assert_eq!(alice.get("/api/v1/accounts/search?q=bob").await.status(), StatusCode::OK);
    let anonymous = world.app.client().get("http://a.test/api/v1/accounts/search?q=bob").send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // Familiar followers: whom alice follows that follows carol.
    bob.post_json(&format!("/api/v1/accounts/{}/follow", carol.account_id), &[]).await;
    let familiar = alice
        .get_json(&format!("/api/v1/accounts/familiar_followers?id[]={}&id[]={}", carol.account_id, dave.account_id))
        .await;
    assert_eq!(familiar.as_array().unwrap().len(), 2, "{familiar}");
    assert_eq!(familiar[0]["id"], carol.account_id.as_str());
    assert_eq!(ids(&familiar[0]["accounts"]), vec![bob.account_id.clone()]);
    assert_eq!(familiar[1]["accounts"], json!([]));
    // Someone who hides their collections is not shown as a familiar follower.
    assert_eq!(
        patch(&bob, "/api/v1/accounts/update_credentials", &[("hide_collections", "true")]).await.0,
        StatusCode::OK
    );
    let familiar = alice.get_json(&format!("/api/v1/accounts/familiar_followers?id[]={}", carol.account_id)).await;
    assert_eq!(familiar[0]["accounts"], json!([]));
    // Another tenant's token does not know carol.
    let familiar = dave.get_json(&format!("/api/v1/accounts/familiar_followers?id[]={}", carol.account_id)).await;
    assert_eq!(familiar, json!([]));
    world.stop().await;
}

#[tokio::test]
async fn endorsements_notes_and_hidden_collections() {
    let (world, alice, bob, carol, dave) = world().await;
    let pin = format!("/api/v1/accounts/{}/pin", bob.account_id);
    // Only an account one follows can be endorsed, as Mastodon.
    let (status, body) = json_of(alice.post(&pin, &[]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"].as_str().unwrap().contains("following"), "{body}");
    alice.post_json(&format!("/api/v1/accounts/{}/follow", bob.account_id), &[]).await;
    let rel = alice.post_json(&pin, &[]).await;
    assert_eq!(rel["endorsed"], true, "{rel}");
    assert_eq!(rel["following"], true);
    let page = alice.get("/api/v1/endorsements").await;
    assert!(page.headers().get("link").is_some(), "a Link header");
    assert_eq!(ids(&page.json::<Value>().await.unwrap()), vec![bob.account_id.clone()]);
    // Public: who alice features (Mastodon 4.4's account endorsements).
    let shown = carol.get_json(&format!("/api/v1/accounts/{}/endorsements", alice.account_id)).await;
    assert_eq!(ids(&shown), vec![bob.account_id.clone()]);
    let rel = alice.post_json(&format!("/api/v1/accounts/{}/unendorse", bob.account_id), &[]).await;
    assert_eq!(rel["endorsed"], false);
    assert_eq!(alice.get_json("/api/v1/endorsements").await, json!([]));
    let rel = alice.post_json(&format!("/api/v1/accounts/{}/endorse", bob.account_id), &[]).await;
    assert_eq!(rel["endorsed"], true);
    let rel = alice.post_json(&format!("/api/v1/accounts/{}/unpin", bob.account_id), &[]).await;
    assert_eq!(rel["endorsed"], false);

    // A private note, seen by its writer only.
    let note = format!("/api/v1/accounts/{}/note", bob.account_id);
    let rel = alice.post_json(&note, &[("comment", "met at the bird count")]).await;
    assert_eq!(rel["note"], "met at the bird count");
    let rels = alice.get_json(&format!("/api/v1/accounts/relationships?id[]={}", bob.account_id)).await;
    assert_eq!(rels[0]["note"], "met at the bird count");
    let rels = carol.get_json(&format!("/api/v1/accounts/relationships?id[]={}", bob.account_id)).await;
    assert_eq!(rels[0]["note"], "");
    let long = "x".repeat(2001);
    assert_eq!(alice.post(&note, &[("comment", &long)]).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(alice.post_json(&note, &[("comment", "")]).await["note"], "");

    // Another tenant's token and ids name nothing here.
    for path in ["pin", "unpin", "endorse", "unendorse", "note"] {
        let response = dave.post(&format!("/api/v1/accounts/{}/{path}", bob.account_id), &[("comment", "x")]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        dave.get(&format!("/api/v1/accounts/{}/endorsements", alice.account_id)).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(dave.get_json("/api/v1/endorsements").await, json!([]));

    // Hidden collections: others see empty follower and following lists; the owner sees them.
    alice.post_json(&pin, &[]).await;
    assert_eq!(
        patch(&alice, "/api/v1/accounts/update_credentials", &[("hide_collections", "true")]).await.0,
        StatusCode::OK
    );
    for list in ["following", "endorsements"] {
        let path = format!("/api/v1/accounts/{}/{list}", alice.account_id);
        assert_eq!(carol.get_json(&path).await, json!([]), "{list} hidden from carol");
    }
    let followers = format!("/api/v1/accounts/{}/followers", bob.account_id);
    assert_eq!(ids(&carol.get_json(&followers).await), vec![alice.account_id.clone()], "bob shows his");
    let following = format!("/api/v1/accounts/{}/following", alice.account_id);
    assert_eq!(ids(&alice.get_json(&following).await), vec![bob.account_id.clone()], "alice sees her own");
    world.stop().await;
}

#[tokio::test]
async fn suggestions_and_the_directory() {
    let (world, alice, bob, carol, dave) = world().await;
    alice.post_json(&format!("/api/v1/accounts/{}/follow", bob.account_id), &[]).await;
    bob.post_json(&format!("/api/v1/accounts/{}/follow", carol.account_id), &[]).await;
    carol.toot("carol is here", "public").await;

    // Carol first: followed by someone alice follows; never alice herself or bob (followed).
    let v2 = alice.get_json("/api/v2/suggestions").await;
    assert_eq!(v2[0]["account"]["id"], carol.account_id.as_str(), "{v2}");
    assert_eq!(v2[0]["sources"][0], "friends_of_friends");
    assert_eq!(v2[0]["source"], "past_interactions");
    let suggested: Vec<&str> = v2.as_array().unwrap().iter().map(|s| s["account"]["id"].as_str().unwrap()).collect();
    assert!(!suggested.contains(&alice.account_id.as_str()) && !suggested.contains(&bob.account_id.as_str()));
    let v1 = alice.get_json("/api/v1/suggestions").await;
    assert_eq!(v1[0]["id"], carol.account_id.as_str());
    // Dismissed, not suggested again; another tenant's id is unknown there.
    let response = alice.delete(&format!("/api/v1/suggestions/{}", carol.account_id)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!ids(&alice.get_json("/api/v1/suggestions").await).contains(&carol.account_id));
    assert_eq!(dave.delete(&format!("/api/v1/suggestions/{}", carol.account_id)).await.status(), StatusCode::NOT_FOUND);
    // Dave's tenant suggests nobody from a.test.
    assert_eq!(dave.get_json("/api/v2/suggestions").await, json!([]));

    // The directory: discoverable accounts, most recently active first; newest first with order=new.
    let active = ids(&alice.get_json("/api/v1/directory?local=true").await);
    assert_eq!(active.first(), Some(&carol.account_id), "{active:?}");
    assert_eq!(active.len(), 3);
    let new = ids(&world
        .app
        .client()
        .get("http://a.test/api/v1/directory?order=new")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap());
    assert_eq!(new.len(), 3);
    assert!(!new.contains(&dave.account_id));
    assert_eq!(alice.get("/api/v1/directory?order=sideways").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Not discoverable: out of the directory and the suggestions.
    assert_eq!(
        patch(&carol, "/api/v1/accounts/update_credentials", &[("discoverable", "false")]).await.0,
        StatusCode::OK
    );
    assert!(!ids(&alice.get_json("/api/v1/directory").await).contains(&carol.account_id));
    let page = ids(&alice.get_json("/api/v1/directory?limit=1&offset=1").await);
    assert_eq!(page.len(), 1);
    // b.test's directory is dave alone.
    assert_eq!(ids(&dave.get_json("/api/v1/directory").await), vec![dave.account_id.clone()]);
    world.stop().await;
}

#[tokio::test]
async fn update_credentials_keeps_the_settings_mastodon_accepts() {
    let (world, alice, _bob, carol, _dave) = world().await;
    let (status, me) = patch(
        &alice,
        "/api/v1/accounts/update_credentials",
        &[
            ("indexable", "false"),
            ("attribution_domains[]", "Example.COM"),
            ("attribution_domains[]", "news.example.org"),
            ("source[quote_policy]", "followers"),
            ("source[privacy]", "unlisted"),
            ("source[sensitive]", "true"),
            ("source[language]", "mi"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["indexable"], false);
    assert_eq!(me["source"]["indexable"], false);
    assert_eq!(me["source"]["attribution_domains"], json!(["example.com", "news.example.org"]));
    assert_eq!(me["source"]["quote_policy"], "followers");
    assert_eq!(me["source"]["privacy"], "unlisted");
    assert_eq!(me["source"]["sensitive"], true);
    assert_eq!(me["source"]["language"], "mi");
    let again = alice.get_json("/api/v1/accounts/verify_credentials").await;
    assert_eq!(again["source"]["attribution_domains"], me["source"]["attribution_domains"]);
    assert_eq!(again["source"]["quote_policy"], "followers");
    // Others see the Account entity's indexable.
    assert_eq!(carol.get_json(&format!("/api/v1/accounts/{}", alice.account_id)).await["indexable"], false);
    // Mastodon's other spelling of the quote policy; bad values are 422 and change nothing.
    let (_, me) = patch(&alice, "/api/v1/accounts/update_credentials", &[("default_quote_policy", "nobody")]).await;
    assert_eq!(me["source"]["quote_policy"], "nobody");
    let (status, _) =
        patch(&alice, "/api/v1/accounts/update_credentials", &[("source[quote_policy]", "everyone")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) =
        patch(&alice, "/api/v1/accounts/update_credentials", &[("attribution_domains[]", "not a domain")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let me = alice.get_json("/api/v1/accounts/verify_credentials").await;
    assert_eq!(me["source"]["quote_policy"], "nobody");
    assert_eq!(me["source"]["attribution_domains"], json!(["example.com", "news.example.org"]));
    // Untouched settings for others.
    let carol_me = carol.get_json("/api/v1/accounts/verify_credentials").await;
    assert_eq!(carol_me["source"]["quote_policy"], "public");
    assert_eq!(carol_me["source"]["attribution_domains"], json!([]));
    world.stop().await;
}
