//! Trends from a tenant's recent public activity: hashtags used by several
//! accounts (with Mastodon's history), statuses by favourites and boosts, and
//! links several accounts shared; private, sensitive and silenced content stays
//! out, each tenant sees its own, `limit`/`offset` page them, and the admins'
//! switch empties them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_store::cards::{self, CardFields};
use kereru_store::moderation::{self, Flag};
use kereru_store::roles::Role;
use kereru_store::{StatusId, accounts};
use kereru_tests::World;
use kereru_tests::web::Browser;
use reqwest::StatusCode;
use serde_json::Value;

async fn anonymous(world: &World, host: &str, path: &str) -> (Value, Option<String>) {
    let response = world.app.client().get(format!("http://{host}{path}")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    let link = response.headers().get("link").map(|l| l.to_str().unwrap().to_string());
    (response.json().await.unwrap(), link)
}

fn names(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn trends_count_public_activity_of_several_accounts_on_the_tenant() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .staff("a.test", "boss", Role::Admin)
        .user("a.test", "alice")
        .user("a.test", "carol")
        .user("a.test", "dave")
        .user("b.test", "bob")
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let carol = world.login("a.test", "carol").await;
    let dave = world.login("a.test", "dave").await;
    let bob = world.login("b.test", "bob").await;

    // Nothing yet.
    for path in ["/api/v1/trends/tags", "/api/v1/trends/statuses", "/api/v1/trends/links", "/api/v1/trends"] {
        assert_eq!(anonymous(&world, "a.test", path).await.0, serde_json::json!([]), "{path}");
    }

    let first = alice.toot("Kererū are back #birds https://birds.example/kereru", "public").await;
    let second = carol.toot("Saw one too #Birds #garden https://birds.example/kereru", "public").await;
    alice.toot("Also #garden", "public").await;
    carol.toot("more #garden", "public").await;
    dave.toot("only me #lonely", "public").await;
    dave.toot("#garden from dave", "public").await;
    // Not public, or sensitive: never counted.
    alice.toot("#secret one", "private").await;
    carol.toot("#secret two", "unlisted").await;
    for s in [&alice, &carol] {
        s.post_json("/api/v1/statuses", &[("status", "#nsfw"), ("sensitive", "true")]).await;
    }
    // Another tenant's own activity is its own.
    bob.toot("#elsewhere", "public").await;

    let (tags, _) = anonymous(&world, "a.test", "/api/v1/trends/tags").await;
    assert_eq!(names(&tags), vec!["garden", "birds"], "{tags}");
    let garden = &tags[0];
    assert_eq!(garden["url"], "http://a.test/tags/garden");
    let history = garden["history"].as_array().unwrap();
    assert_eq!(history.len(), 7);
    assert_eq!(history[0]["uses"], "4");
    assert_eq!(history[0]["accounts"], "3");
    assert_eq!(history[1]["uses"], "0");
    assert_eq!(anonymous(&world, "a.test", "/api/v1/trends").await.0, tags, "the old name answers the same");
    assert_eq!(anonymous(&world, "b.test", "/api/v1/trends/tags").await.0, serde_json::json!([]));

    // limit and offset, with Link to the next page.
    let (one, link) = anonymous(&world, "a.test", "/api/v1/trends/tags?limit=1").await;
    assert_eq!(names(&one), vec!["garden"]);
    let link = link.expect("a Link header");
    assert!(link.contains("offset=1") && link.contains("rel=\"next\""), "{link}");
    let (next, _) = anonymous(&world, "a.test", "/api/v1/trends/tags?limit=1&offset=1").await;
    assert_eq!(names(&next), vec!["birds"]);

    // Statuses: favourites and boosts rank them; none means no trend.
    assert_eq!(anonymous(&world, "a.test", "/api/v1/trends/statuses").await.0, serde_json::json!([]));
    dave.post_json(&format!("/api/v1/statuses/{second}/favourite"), &[]).await;
    dave.post_json(&format!("/api/v1/statuses/{first}/favourite"), &[]).await;
    carol.post_json(&format!("/api/v1/statuses/{first}/reblog"), &[]).await;
    let (hot, _) = anonymous(&world, "a.test", "/api/v1/trends/statuses").await;
    let ids: Vec<&str> = hot.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![first.as_str(), second.as_str()], "{hot}");
    let viewed = dave.get_json("/api/v1/trends/statuses").await;
    assert_eq!(viewed[0]["favourited"], true, "rendered for the viewer: {viewed}");
    assert_eq!(anonymous(&world, "b.test", "/api/v1/trends/statuses").await.0, serde_json::json!([]));

    // Links: the card both shared, with its history.
    {
        let mut conn = world.pool.get().await.unwrap();
        let fields = CardFields {
            card_type: "link".into(),
            title: "Kererū".into(),
            description: "A pigeon".into(),
            ..CardFields::default()
        };
        let card = cards::store(&mut conn, "https://birds.example/kereru", Some(&fields)).await.unwrap();
        for id in [&first, &second] {
            cards::settle(&mut conn, StatusId(id.parse().unwrap()), Some(card.id)).await.unwrap();
        }
    }
    let (links, _) = anonymous(&world, "a.test", "/api/v1/trends/links").await;
    assert_eq!(links.as_array().unwrap().len(), 1, "{links}");
    assert_eq!(links[0]["url"], "https://birds.example/kereru");
    assert_eq!(links[0]["title"], "Kererū");
    assert_eq!(links[0]["history"][0]["accounts"], "2");
    assert_eq!(links[0]["history"][0]["uses"], "2");

    // A silenced account no longer counts: #birds and the link had two accounts, now one.
    {
        let mut conn = world.pool.get().await.unwrap();
        let carol_id = world.account("a.test", "carol").id;
        moderation::set_flag(&mut conn, world.domain("a.test").id, carol_id, Flag::Silenced, true).await.unwrap();
        assert!(accounts::get_visible(&mut conn, world.domain("a.test").id, carol_id).await.unwrap().is_some());
    }
    let (tags, _) = anonymous(&world, "a.test", "/api/v1/trends/tags").await;
    assert_eq!(names(&tags), vec!["garden"], "{tags}");
    assert_eq!(anonymous(&world, "a.test", "/api/v1/trends/links").await.0, serde_json::json!([]));
    let (hot, _) = anonymous(&world, "a.test", "/api/v1/trends/statuses").await;
    assert_eq!(hot.as_array().unwrap().len(), 1, "carol's status is out: {hot}");

    // The admins' switch: off empties every list, on brings them back.
    let boss = Browser::new(&world.app, "a.test");
    boss.sign_in("boss").await;
    let off = boss.submit("/admin/trends", "/admin/trends", &[]).await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    for path in ["/api/v1/trends/tags", "/api/v1/trends/statuses", "/api/v1/trends/links"] {
        assert_eq!(anonymous(&world, "a.test", path).await.0, serde_json::json!([]), "{path} with trends off");
    }
    let page = boss.get("/admin/trends").await;
    assert!(!page.body.contains("checked"), "the switch shows off");
    let on = boss.submit("/admin/trends", "/admin/trends", &[("enabled", "on")]).await;
    assert_eq!(on.status, StatusCode::SEE_OTHER);
    assert_eq!(names(&anonymous(&world, "a.test", "/api/v1/trends/tags").await.0), vec!["garden"]);
    assert!(boss.get("/admin/trends").await.body.contains("#garden"));
}
