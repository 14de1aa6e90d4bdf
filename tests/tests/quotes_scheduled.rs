//! A scheduled post keeps its quote (`quoted_status_id`) and who may quote
//! it (`quote_approval_policy`) until it is published, as Mastodon's does.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kereru_core::Scheme;
use kereru_service::scheduled;
use kereru_store::schema::scheduled_statuses;
use kereru_tests::World;

#[tokio::test]
async fn a_scheduled_quote_is_published_quoting_with_its_policy() {
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
    let bea = world.login("b.test", "bea").await;
    let original = alice.toot("quote me later", "public").await;
    let later = (Utc::now() + Duration::hours(1)).to_rfc3339();
    let form = [
        ("status", "later, quoting"),
        ("quoted_status_id", original.as_str()),
        ("quote_approval_policy", "nobody"),
        ("scheduled_at", later.as_str()),
    ];
    let scheduled_entity = bob.post_json("/api/v1/statuses", &form).await;
    assert_eq!(scheduled_entity["params"]["quoted_status_id"], original.as_str(), "{scheduled_entity}");
    assert_eq!(scheduled_entity["params"]["quote_approval_policy"], "nobody");
    // A post one cannot see cannot be quoted later either.
    let hidden = alice.toot("for me", "direct").await;
    let refused = bob
        .post(
            "/api/v1/statuses",
            &[("status", "x"), ("quoted_status_id", hidden.as_str()), ("scheduled_at", later.as_str())],
        )
        .await;
    assert_eq!(refused.status(), 404);
    // Another tenant's token sees nothing of it.
    let id = scheduled_entity["id"].as_str().unwrap();
    assert_eq!(bea.get(&format!("/api/v1/scheduled_statuses/{id}")).await.status(), 404);

    {
        let mut conn = world.pool.get().await.unwrap();
        diesel::update(scheduled_statuses::table)
            .set(scheduled_statuses::scheduled_at.eq(Utc::now() - Duration::seconds(1)))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    assert_eq!(scheduled::publish_due(&world.pool, Scheme::Http).await.unwrap(), 1);
    let posted = bob.get_json("/api/v1/accounts/verify_credentials").await;
    let statuses = bob.get_json(&format!("/api/v1/accounts/{}/statuses", posted["id"].as_str().unwrap())).await;
    let published = &statuses[0];
    assert_eq!(published["content"], "<p>later, quoting</p>", "{statuses}");
    assert_eq!(published["quote"]["state"], "accepted", "{published}");
    assert_eq!(published["quote"]["quoted_status"]["id"], original.as_str());
    assert!(published["quote_approval"]["automatic"].as_array().unwrap().is_empty(), "{published}");
    world.stop().await;
}
