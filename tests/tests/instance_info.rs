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

#[tokio::test]
async fn weekly_activity_counts_each_tenants_posts_sign_ins_and_sign_ups() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "amy")
        .user("b.test", "bob")
        .start()
        .await;
    // Two sign-ins by alice count once; amy never signs in.
    let alice = world.login("a.test", "alice").await;
    let _again = world.login("a.test", "alice").await;
    let status = alice.post("/api/v1/statuses", &[("status", "one")]).await.json::<Value>().await.unwrap();
    alice.post("/api/v1/statuses", &[("status", "two")]).await;
    // A boost is not a post.
    let id = status["id"].as_str().unwrap();
    assert_eq!(alice.post(&format!("/api/v1/statuses/{id}/reblog"), &[]).await.status(), 200);

    let (status, weeks) = get(&world, "a.test", "/api/v1/instance/activity").await;
    assert_eq!(status, 200);
    let weeks = weeks.as_array().unwrap();
    assert_eq!(weeks.len(), 12, "twelve weeks");
    assert_eq!(
        (&weeks[0]["statuses"], &weeks[0]["logins"], &weeks[0]["registrations"]),
        (&json!("2"), &json!("1"), &json!("2")),
        "this week first: {:?}",
        weeks[0]
    );
    // Each week starts on a Monday at 00:00 UTC, one week before the one above it.
    let starts: Vec<i64> = weeks.iter().map(|w| w["week"].as_str().unwrap().parse().unwrap()).collect();
    let monday = chrono::DateTime::from_timestamp(starts[0], 0).unwrap();
    assert_eq!(chrono::Datelike::weekday(&monday), chrono::Weekday::Mon);
    assert_eq!(starts[0] % 86_400, 0);
    assert!(starts.windows(2).all(|pair| pair[0] - pair[1] == 7 * 86_400), "{starts:?}");
    assert!(weeks[1..].iter().all(|w| w["statuses"] == "0" && w["logins"] == "0"), "{weeks:?}");

    let (_, b_weeks) = get(&world, "b.test", "/api/v1/instance/activity").await;
    assert_eq!(
        (&b_weeks[0]["statuses"], &b_weeks[0]["logins"], &b_weeks[0]["registrations"]),
        (&json!("0"), &json!("0"), &json!("1")),
        "b.test counts only its own: {b_weeks}"
    );
    // Hidden under limited federation, as Mastodon hides it.
    kereru_store::limited_federation::set(&mut world.pool.get().await.unwrap(), world.domain("b.test").id, true)
        .await
        .unwrap();
    assert_eq!(get(&world, "b.test", "/api/v1/instance/activity").await.0, 404);
    world.stop().await;
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let world = World::new().tenant("a.test").user("a.test", "alice").start().await;
    for path in ["/", "/about", "/@alice", "/api/v1/instance", "/api/v1/instance/rules"] {
        let got = world.app.client().get(format!("http://a.test{path}")).send().await.unwrap();
        let (status, kind) = (got.status(), got.headers().get("content-type").cloned());
        let body = got.bytes().await.unwrap();
        let head = world.app.client().head(format!("http://a.test{path}")).send().await.unwrap();
        assert_eq!(head.status(), status, "HEAD {path}");
        assert_eq!(head.headers().get("content-type").cloned(), kind, "HEAD {path}");
        if let Some(length) = head.headers().get("content-length") {
            assert_eq!(length.to_str().unwrap(), body.len().to_string(), "HEAD {path}");
        }
        assert!(head.bytes().await.unwrap().is_empty(), "HEAD {path} sends no body");
    }
    // A path that isn't there is still not there.
    let missing = world.app.client().head("http://a.test/no/such/page").send().await.unwrap();
    assert_eq!(missing.status(), 404);
    world.stop().await;
}
