//! The instance's smaller endpoints (issue 15): rules, extended description,
//! peers, languages and translation languages, each the asking tenant's own.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::World;
use serde_json::{Value, json};

async fn get(world: &World, host: &str, path: &str) -> (u16, Value) {
    let response = world.app.client().get(format!("http://{host}{path}")).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn each_tenant_answers_with_its_own_rules_description_and_peers() {
    let world =
        World::new().tenant("a.test").tenant("b.test").user("a.test", "alice").user("b.test", "bob").start().await;
    let (a, b) = (world.domain("a.test").id, world.domain("b.test").id);
    {
        let mut conn = world.pool.get().await.unwrap();
        kereru_store::about::add_rule(&mut conn, a, "Be kind").await.unwrap();
        kereru_store::about::add_rule(&mut conn, a, "No spam").await.unwrap();
        kereru_store::about::add_rule(&mut conn, b, "B's only rule").await.unwrap();
        kereru_store::about::update(&mut conn, a, None, Some("Hello <friends>\n\nSecond & last")).await.unwrap();
    }

    let (status, rules) = get(&world, "a.test", "/api/v1/instance/rules").await;
    assert_eq!(status, 200);
    let texts: Vec<&str> = rules.as_array().unwrap().iter().map(|r| r["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["Be kind", "No spam"], "a.test's rules in order, none of b.test's");
    assert!(rules[0]["id"].is_string() && rules[0]["hint"] == "", "{rules}");
    let (_, rules) = get(&world, "b.test", "/api/v1/instance/rules").await;
    assert_eq!(rules.as_array().unwrap().len(), 1);

    let (status, extended) = get(&world, "a.test", "/api/v1/instance/extended_description").await;
    assert_eq!(status, 200);
    assert_eq!(extended["content"], "<p>Hello &lt;friends&gt;</p><p>Second &amp; last</p>", "escaped, in paragraphs");
    assert!(chrono::DateTime::parse_from_rfc3339(extended["updated_at"].as_str().unwrap()).is_ok(), "{extended}");
    let (_, extended) = get(&world, "b.test", "/api/v1/instance/extended_description").await;
    assert_eq!(extended["content"], "");

    // Peers: a.test's person follows b.test's, so b.test comes to know a.test.
    let alice = world.login("a.test", "alice").await;
    let bob = alice.get_json("/api/v1/accounts/lookup?acct=bob@b.test").await;
    let id = bob["id"].as_str().unwrap_or_else(|| panic!("no bob: {bob}"));
    assert_eq!(alice.post(&format!("/api/v1/accounts/{id}/follow"), &[]).await.status(), 200);
    let (status, peers) = get(&world, "b.test", "/api/v1/instance/peers").await;
    assert_eq!((status, peers), (200, json!(["a.test"])));
    let (_, peers) = get(&world, "a.test", "/api/v1/instance/peers").await;
    assert!(!peers.as_array().unwrap().iter().any(|p| p == "a.test"), "never itself: {peers}");
    // A tenant that limits its federation hides its peers, as Mastodon does.
    kereru_store::limited_federation::set(&mut world.pool.get().await.unwrap(), b, true).await.unwrap();
    assert_eq!(get(&world, "b.test", "/api/v1/instance/peers").await.0, 404);
    let (_, v2) = get(&world, "b.test", "/api/v2/instance").await;
    assert_eq!(v2["configuration"]["limited_federation"], true);
    let (_, v2) = get(&world, "a.test", "/api/v2/instance").await;
    assert_eq!(v2["configuration"]["limited_federation"], false);

    assert_eq!(
        get(&world, "a.test", "/api/v1/instance/languages").await,
        (200, json!([{"code": "en", "name": "English"}]))
    );
    assert_eq!(get(&world, "a.test", "/api/v1/instance/translation_languages").await, (200, json!({})));
    world.stop().await;
}
