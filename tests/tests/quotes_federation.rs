//! Quotes between two Kererū servers on loopback (issue 15, FEP-044f as
//! Mastodon 4.5 federates them): a quote of another server's post asks with
//! a QuoteRequest and stays pending until the quoted author's server
//! answers; Accept makes it accepted (with an authorization the quoted
//! server serves), Reject rejected, a Delete of the authorization revoked;
//! a third party verifies an authorization before showing a quote accepted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::World;
use kereru_tests::pair::Pair;
use kereru_tests::session::Session;
use serde_json::Value;

async fn pair() -> Pair {
    Pair::start(
        World::new().tenant("a.test").user("a.test", "alice").user("a.test", "amy"),
        &["a.test"],
        World::new()
            .tenant("b.test")
            .tenant("c.test")
            .user("b.test", "bob")
            .user("b.test", "carol")
            .user("c.test", "bob"),
        &["b.test", "c.test"],
    )
    .await
}

/// `session` follows `handle` on the other server, and the follow is accepted.
async fn follow(pair: &Pair, session: &Session, handle: &str) -> String {
    let found = session.get_json(&format!("/api/v2/search?q={handle}&resolve=true&type=accounts")).await;
    let id = found["accounts"][0]["id"].as_str().unwrap_or_else(|| panic!("{handle} not found: {found}")).to_string();
    session.post_json(&format!("/api/v1/accounts/{id}/follow"), &[]).await;
    let path = format!("/api/v1/accounts/relationships?id[]={id}");
    assert!(
        pair.until(|| async { session.get_json(&path).await[0]["following"] == true }).await,
        "{handle}'s server did not accept the follow"
    );
    id
}

/// The id here of the status with `uri`, once it arrived in `session`'s home.
async fn arrived(pair: &Pair, session: &Session, uri: &str) -> String {
    let find = |home: Value| home.as_array().unwrap().iter().find(|s| s["uri"] == uri).map(|s| s["id"].clone());
    let came = pair.until(|| async { find(session.get_json("/api/v1/timelines/home").await).is_some() }).await;
    assert!(came, "{uri} never arrived");
    find(session.get_json("/api/v1/timelines/home").await).unwrap().as_str().unwrap().to_string()
}

async fn post(session: &Session, form: &[(&str, &str)]) -> Value {
    let response = session.post("/api/v1/statuses", form).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Waits until `session` sees `status`'s quote in `state`.
async fn quote_state(pair: &Pair, session: &Session, status: &str, state: &str) -> bool {
    let path = format!("/api/v1/statuses/{status}");
    pair.until(|| async { session.get_json(&path).await["quote"]["state"] == state }).await
}

#[tokio::test]
async fn a_quote_of_another_servers_post_is_asked_for_accepted_and_revoked() {
    let pair = pair().await;
    let alice = pair.a.login("a.test", "alice").await;
    let bob = pair.b.login("b.test", "bob").await;
    follow(&pair, &alice, "bob@b.test").await;
    let original = post(&bob, &[("status", "quote me"), ("visibility", "public")]).await;
    let original_here = arrived(&pair, &alice, original["uri"].as_str().unwrap()).await;

    let quoting = post(&alice, &[("status", "so true"), ("quoted_status_id", &original_here)]).await;
    assert_eq!(quoting["quote"]["state"], "pending", "{quoting}");
    let quoting_id = quoting["id"].as_str().unwrap();
    assert!(quote_state(&pair, &alice, quoting_id, "accepted").await, "bob's server never accepted");
    let seen = alice.get_json(&format!("/api/v1/statuses/{quoting_id}")).await;
    assert_eq!(seen["quote"]["quoted_status"]["id"], original_here.as_str(), "{seen}");

    // On bob's server: the quote is known, accepted, listed, and bob was notified.
    let original_id = original["id"].as_str().unwrap();
    let quotes_path = format!("/api/v1/statuses/{original_id}/quotes");
    assert!(pair.until(|| async { bob.get_json(&quotes_path).await.as_array().is_some_and(|l| l.len() == 1) }).await);
    let listed = bob.get_json(&quotes_path).await;
    assert_eq!(listed[0]["uri"], quoting["uri"], "{listed}");
    let notes = bob.get_json("/api/v1/notifications").await;
    assert!(notes.as_array().unwrap().iter().any(|n| n["type"] == "quote"), "{notes}");

    // Alice's Note now names the authorization bob's server serves, and it says what it approves.
    let note: Value = pair
        .a
        .app
        .client()
        .get(quoting["uri"].as_str().unwrap())
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let authorization = note["quoteAuthorization"].as_str().expect("quoteAuthorization on the Note").to_string();
    assert!(authorization.starts_with("http://b.test/users/bob/quote_authorizations/"), "{authorization}");
    let served = pair.b.app.client().get(&authorization).send().await.unwrap();
    assert_eq!(served.status(), 200);
    let served: Value = served.json().await.unwrap();
    assert_eq!(served["type"], "QuoteAuthorization");
    assert_eq!(served["attributedTo"], "http://b.test/users/bob");
    assert_eq!(served["interactingObject"], quoting["uri"]);
    assert_eq!(served["interactionTarget"], original["uri"]);
    // Another tenant of that server, with a bob of its own, has no such authorization.
    let elsewhere = authorization.replace("http://b.test/", "http://c.test/");
    assert_eq!(pair.b.app.client().get(&elsewhere).send().await.unwrap().status(), 404);

    // Bob takes it back: alice's server hears, and the authorization is no longer served.
    let quoting_on_b = listed[0]["id"].as_str().unwrap();
    let revoked = bob.post(&format!("/api/v1/statuses/{original_id}/quotes/{quoting_on_b}/revoke"), &[]).await;
    assert_eq!(revoked.status(), 200);
    assert!(quote_state(&pair, &alice, quoting_id, "revoked").await, "the revocation never reached alice's server");
    assert_eq!(pair.b.app.client().get(&authorization).send().await.unwrap().status(), 404);
    pair.stop().await;
}

#[tokio::test]
async fn a_quote_the_quoted_authors_policy_refuses_is_rejected_by_their_server() {
    let pair = pair().await;
    let alice = pair.a.login("a.test", "alice").await;
    let bob = pair.b.login("b.test", "bob").await;
    follow(&pair, &alice, "bob@b.test").await;
    let original =
        post(&bob, &[("status", "mine alone"), ("visibility", "public"), ("quote_approval_policy", "nobody")]).await;
    let original_here = arrived(&pair, &alice, original["uri"].as_str().unwrap()).await;
    let quoting = post(&alice, &[("status", "hm"), ("quoted_status_id", &original_here)]).await;
    let quoting_id = quoting["id"].as_str().unwrap();
    assert!(quote_state(&pair, &alice, quoting_id, "rejected").await, "bob's server never rejected");
    // Nothing for bob to see or count.
    let original_id = original["id"].as_str().unwrap();
    assert_eq!(bob.get_json(&format!("/api/v1/statuses/{original_id}")).await["quotes_count"], 0);
    pair.stop().await;
}

#[tokio::test]
async fn the_other_way_round_and_a_third_party_verifies_the_authorization() {
    let pair = pair().await;
    let alice = pair.a.login("a.test", "alice").await;
    let amy = pair.a.login("a.test", "amy").await;
    let bob = pair.b.login("b.test", "bob").await;
    let carol = pair.b.login("b.test", "carol").await;
    // Bob quotes alice (a post on A, quoted from B): A decides and authorizes.
    follow(&pair, &bob, "alice@a.test").await;
    let original = post(&alice, &[("status", "from a"), ("visibility", "public")]).await;
    let original_on_b = arrived(&pair, &bob, original["uri"].as_str().unwrap()).await;
    let quoting = post(&bob, &[("status", "from b"), ("quoted_status_id", &original_on_b)]).await;
    let quoting_id = quoting["id"].as_str().unwrap();
    assert!(quote_state(&pair, &bob, quoting_id, "accepted").await, "alice's server never accepted");

    // Amy on A follows carol on B; carol quotes bob (both on B, approved there):
    // A receives carol's Note with B's authorization, fetches it, and shows the quote accepted.
    follow(&pair, &amy, "carol@b.test").await;
    let bobs = post(&bob, &[("status", "local to b"), ("visibility", "public")]).await;
    let bobs_id = bobs["id"].as_str().unwrap();
    let carols = post(&carol, &[("status", "quoting bob"), ("quoted_status_id", bobs_id)]).await;
    assert_eq!(carols["quote"]["state"], "accepted");
    let carols_here = arrived(&pair, &amy, carols["uri"].as_str().unwrap()).await;
    assert!(quote_state(&pair, &amy, &carols_here, "accepted").await, "A did not verify B's authorization");
    let seen = amy.get_json(&format!("/api/v1/statuses/{carols_here}")).await;
    assert_eq!(seen["quote"]["quoted_status"]["uri"], bobs["uri"], "{seen}");

    // Alice revokes bob's quote: B hears.
    let quotes = alice.get_json(&format!("/api/v1/statuses/{}/quotes", original["id"].as_str().unwrap())).await;
    let on_a = quotes[0]["id"].as_str().expect("bob's quote listed for alice");
    let path = format!("/api/v1/statuses/{}/quotes/{on_a}/revoke", original["id"].as_str().unwrap());
    assert_eq!(alice.post(&path, &[]).await.status(), 200);
    assert!(quote_state(&pair, &bob, quoting_id, "revoked").await, "the revocation never reached bob's server");
    pair.stop().await;
}
