//! "Filter this post" on the web: a post's Filter action leads to a form
//! choosing one of the person's filters; the post is then filtered on its
//! own (the API's FilterResult names it in `status_matches`), the filter's
//! page lists it and removes it. Another person's filters and entries, and
//! posts the person may not see, are 404 and change nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_store::filters;
use kereru_tests::World;
use kereru_tests::web::Browser;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn signed_in(world: &World, host: &str, username: &str) -> Browser {
    let browser = Browser::new(&world.app, host);
    browser.sign_in(username).await;
    browser
}

fn find<'a>(timeline: &'a Value, id: &str) -> Option<&'a Value> {
    timeline.as_array().unwrap().iter().find(|s| s["id"] == id)
}

#[tokio::test]
async fn a_person_filters_a_single_post_from_the_web_and_removes_it_again() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("a.test", "carol")
        .user("b.test", "bea")
        .start()
        .await;
    let bob = world.login("a.test", "bob").await;
    let post = bob.toot("a perfectly ordinary post", "public").await;
    let secret = bob.toot("for my followers only", "private").await;
    let bea = world.login("b.test", "bea").await;
    let elsewhere = bea.toot("on another tenant", "public").await;

    // alice makes a filter on the web (no keywords: posts only).
    let alice = signed_in(&world, "a.test", "alice").await;
    let made = alice
        .submit(
            "/settings/filters/new",
            "/settings/filters",
            &[("title", "Not this"), ("context_home", "1"), ("context_public", "1"), ("filter_action", "warn")],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let alice_id = world.account("a.test", "alice").id;
    let filter_id = {
        let mut conn = world.pool.get().await.unwrap();
        filters::list(&mut conn, alice_id).await.unwrap()[0].row.id
    };

    // The post's actions offer "Filter"; its form lists alice's filters.
    let public = alice.get("/public/local").await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains(&format!("href=\"/statuses/{post}/filter\"")), "{}", public.body);
    let form = alice.get(&format!("/statuses/{post}/filter")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("a perfectly ordinary post") && form.body.contains("Not this"));
    assert!(form.body.contains(&format!("value=\"{filter_id}\"")));

    // A form with no filter chosen comes back with the error; nothing is added.
    let filter = filter_id.to_string();
    let refused =
        alice.submit(&format!("/statuses/{post}/filter"), "/settings/filter_statuses", &[("status_id", &post)]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("role=\"alert\""));

    let added = alice
        .submit(
            &format!("/statuses/{post}/filter"),
            "/settings/filter_statuses",
            &[("status_id", &post), ("filter_id", &filter)],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    assert_eq!(added.location(), Some(format!("/settings/filters/{filter_id}?added=1").as_str()));

    // The API sees it: the filter's statuses, and the post filtered by itself in the public timeline.
    let api = world.login("a.test", "alice").await;
    let listed = api.get_json(&format!("/api/v2/filters/{filter_id}/statuses")).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["status_id"], post.as_str());
    let timeline = api.get_json("/api/v1/timelines/public?local=true").await;
    let shown = find(&timeline, &post).unwrap_or_else(|| panic!("{timeline}"));
    assert_eq!(shown["filtered"][0]["filter"]["id"], filter.as_str(), "{shown}");
    assert_eq!(shown["filtered"][0]["status_matches"], json!([post]), "{shown}");

    // The filter's page lists it, with the way to remove it.
    let page = alice.get(&format!("/settings/filters/{filter_id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("a perfectly ordinary post"));
    let entry_id = listed[0]["id"].as_str().unwrap().to_string();
    let remove = format!("/settings/filters/{filter_id}/statuses/{entry_id}/delete");
    assert!(page.body.contains(&format!("action=\"{remove}\"")), "{}", page.body);
    assert!(alice.get("/settings/filters").await.body.contains(&format!("href=\"/settings/filters/{filter_id}\"")));

    // Not hers, not visible to her, or another tenant's: 404, nothing changes.
    let carol = signed_in(&world, "a.test", "carol").await;
    assert_eq!(carol.get(&format!("/settings/filters/{filter_id}")).await.status, StatusCode::NOT_FOUND);
    let refused = carol.submit("/settings/filters", &remove, &[]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let refused = carol
        .submit("/settings/filters", "/settings/filter_statuses", &[("status_id", &post), ("filter_id", &filter)])
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "carol cannot add to alice's filter");
    assert_eq!(alice.get(&format!("/statuses/{secret}/filter")).await.status, StatusCode::NOT_FOUND);
    let refused = alice
        .submit("/settings/filters", "/settings/filter_statuses", &[("status_id", &secret), ("filter_id", &filter)])
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "a post alice may not see");
    assert_eq!(alice.get(&format!("/statuses/{elsewhere}/filter")).await.status, StatusCode::NOT_FOUND);
    let wrong_filter = format!("/settings/filters/999999/statuses/{entry_id}/delete");
    assert_eq!(alice.submit("/settings/filters", &wrong_filter, &[]).await.status, StatusCode::NOT_FOUND);
    let still = api.get_json(&format!("/api/v2/filters/{filter_id}/statuses")).await;
    assert_eq!(still.as_array().unwrap().len(), 1, "{still}");

    // Removing it: the post is no longer filtered.
    let removed = alice.submit(&format!("/settings/filters/{filter_id}"), &remove, &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    let emptied = api.get_json(&format!("/api/v2/filters/{filter_id}/statuses")).await;
    assert_eq!(emptied, json!([]));
    let timeline = api.get_json("/api/v1/timelines/public?local=true").await;
    let shown = find(&timeline, &post).unwrap();
    assert_eq!(shown["filtered"], json!([]), "{shown}");
    world.stop().await;
}
